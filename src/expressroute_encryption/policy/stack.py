"""Stack policies relating ExpressRoute Direct ports to the circuits on them and the vaults they use
(which vaults those are: ``macsec_vaults``).

Stack policies see every resource of the stack at once (``AnalyzeStack``: the resources' outputs; for a
resource a preview is about to create, the provider's preview of them, which mirrors the inputs). The
helpers below read both the input and the output shape (``expressRoutePortName`` or ``name``, identity
lists or maps). A reference between resources is an ARM id; while that id is unknown
during preview, the dependency the reference creates identifies the resource instead.
"""

from collections.abc import Sequence

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from .azure import (
    ARM_TYPES,
    CIRCUIT,
    PORT,
    PRIVATE_ENDPOINT,
    VAULT,
    VAULT_PRIVATE_ENDPOINT_CONNECTION,
    arm_name,
    azure_name,
    display_name,
)
from . import exemptions, remedy
from .expressroute import MACSEC_DOCS
from .macsec import port_macsec_gaps
from .macsec_vaults import MacsecVaults, vault_named
from .props import UNKNOWN, elements, get, has_entries, text
from .resources import depended_on, of_type, points_at, referenced_resource

_ENDPOINT_CONNECTION_LISTS = ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
_WHY_PUBLIC_ENDPOINT = (
    "ExpressRoute reads the keys through the vault's public endpoint as a trusted Azure service and cannot "
    "use a private endpoint; restrict access with the vault firewall instead (networkAcls.defaultAction Deny, "
    "bypass AzureServices)")


def check_circuits_on_encrypted_ports(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """A circuit on an ExpressRoute Direct port of this stack sits on a port with MACsec on both links.

    MACsec is all or nothing per port, so a circuit on a port without it carries all its traffic, BGP
    included, unencrypted. This also covers a port still without link settings (the reserved stage),
    which is fine until the first circuit is put on it.

    A circuit on a port named in the policy's ``exemptPorts`` passes until the exemption expires.
    """
    found, problems = exemptions.configured(args.get_config())
    if problems:
        report_violation(exemptions.config_problem_message(exemptions.CIRCUIT_ON_ENCRYPTED_PORT, problems))
    on = exemptions.today()
    ports = of_type(args.resources, PORT)
    for circuit in of_type(args.resources, CIRCUIT):
        port = referenced_resource(circuit, ("expressRoutePort", "id"), ports)
        gaps = port_macsec_gaps(port.props) if port else None
        if not gaps:
            continue
        port_name = azure_name(PORT, port.props) or port.name
        exemption = exemptions.exemption_for(found, port_name)
        if exemption is not None and exemption.applies(on):
            continue
        report_violation(
            f"ExpressRoute circuit '{circuit.name}' is on ExpressRoute Direct port '{port.name}', which "
            f"does not have MACsec on both links ({'; '.join(gaps)}): configure MACsec on link1 and "
            "link2 of the port before putting circuits on it, or move the circuit to an encrypted port. "
            f"{remedy.port_fix(port_name, port.urn, port.props)} {remedy.exemption_route(port_name, port.urn)}"
            f"{exemptions.expired_note(exemption, on)}",
            circuit.urn)


def private_only_access(vault: PolicyResource) -> list[str]:
    """How a vault's own settings keep ExpressRoute out (private endpoint connections), each with its fix.

    fact: macsec-kv-no-private-endpoint. ``publicNetworkAccess: Disabled`` is not among them: Microsoft
    documents that a vault with public access disabled still admits trusted services (fact:
    kv-public-network-disabled-trusted), and ExpressRoute reads the keys as one."""
    reasons = []
    if has_entries(get(vault.props, "properties", "privateEndpointConnections")):
        reasons.append("has private endpoint connections: remove them")
    return reasons


def endpoint_target(endpoint: PolicyResource,
                    vaults: Sequence[PolicyResource]) -> tuple[PolicyResource | None, str | None]:
    """The vault a private endpoint, or a vault's private endpoint connection, is for: the stack's vault
    resource when it is one, and the vault's name as far as the endpoint names it."""
    if endpoint.resource_type == VAULT_PRIVATE_ENDPOINT_CONNECTION:
        name = get(endpoint.props, "vaultName")  # outputs have no vaultName, only the child's id
        if name is UNKNOWN:
            return depended_on(endpoint, vaults), None
        name = text(name) or arm_name(get(endpoint.props, "id"), ARM_TYPES[VAULT])
        return vault_named(vaults, name), name
    references = [get(connection, "privateLinkServiceId")
                  for field in _ENDPOINT_CONNECTION_LISTS
                  for connection in elements_or_unknown(get(endpoint.props, field))]
    if any(reference is UNKNOWN for reference in references):
        return depended_on(endpoint, vaults), None
    vault = next((vault for vault in vaults for reference in references if points_at(reference, vault)), None)
    names = [arm_name(reference, ARM_TYPES[VAULT]) for reference in references]
    return vault, next((name for name in names if name), None)


def elements_or_unknown(value: object) -> list:
    """The elements of an array, or ``[UNKNOWN]`` when the whole array is unknown."""
    return [UNKNOWN] if value is UNKNOWN else elements(value)


def check_no_private_endpoint_for_macsec_vaults(args: StackValidationArgs,
                                                report_violation: ReportViolation) -> None:
    """A vault holding a port's MACsec keys is not behind a private endpoint: Microsoft's MACsec how-to says
    "The Key Vault shouldn't be behind a private endpoint because communication to the ExpressRoute
    management plane is required" (fact: macsec-kv-no-private-endpoint)."""
    macsec = MacsecVaults(args.resources)
    vaults = of_type(args.resources, VAULT)
    for vault in vaults:
        port = macsec.port_of(vault)
        reasons = private_only_access(vault) if port else []
        if reasons:
            report_violation(
                f"Key Vault {display_name(VAULT, vault.props, vault.name)} holds the MACsec keys of ExpressRoute "
                f"port {display_name(PORT, port.props, port.name)} but {'; '.join(reasons)}. "
                f"{_WHY_PUBLIC_ENDPOINT}.", vault.urn)
    endpoints = of_type(args.resources, PRIVATE_ENDPOINT) + \
        of_type(args.resources, VAULT_PRIVATE_ENDPOINT_CONNECTION)
    for endpoint in endpoints:
        vault, vault_name = endpoint_target(endpoint, vaults)
        port = macsec.port_of(vault, vault_name)
        if port:
            target = display_name(VAULT, vault.props, vault.name) if vault else f"'{vault_name}'"
            kind = ("Private endpoint" if endpoint.resource_type == PRIVATE_ENDPOINT
                    else "Key Vault private endpoint connection")
            report_violation(
                f"{kind} {display_name(endpoint.resource_type, endpoint.props, endpoint.name)} is for Key Vault "
                f"{target}, which holds the MACsec keys of ExpressRoute port "
                f"{display_name(PORT, port.props, port.name)}: remove the private endpoint. "
                f"{_WHY_PUBLIC_ENDPOINT}.", endpoint.urn)


# fact: macsec-all-or-nothing
circuit_on_encrypted_port = StackValidationPolicy(
    name="expressroute-circuit-on-encrypted-port",
    description="Circuits on an ExpressRoute Direct port sit on a port with MACsec on both links.",
    validate=check_circuits_on_encrypted_ports,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=exemptions.CONFIG_SCHEMA,
    url=MACSEC_DOCS,
)

# fact: macsec-kv-no-private-endpoint
no_private_endpoint_for_macsec = StackValidationPolicy(
    name="keyvault-no-private-endpoint-for-macsec",
    description="Key Vaults holding MACsec keys are reachable by ExpressRoute: no private endpoint.",
    validate=check_no_private_endpoint_for_macsec_vaults,
    enforcement_level=EnforcementLevel.MANDATORY,
    url=MACSEC_DOCS,
)

POLICIES = [no_private_endpoint_for_macsec, circuit_on_encrypted_port]
