"""Stack policies relating ExpressRoute Direct ports to the circuits on them and the vaults they use.

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
    SECRET,
    VAULT,
    VAULT_PRIVATE_ENDPOINT_CONNECTION,
    arm_name,
    azure_name,
    parse_secret_identifier,
)
from . import exemptions, remedy
from .expressroute import MACSEC_DOCS
from .macsec import SECRET_FIELDS, port_links, port_macsec_gaps
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


class KeyVaultUsers:
    """Which ExpressRoute port of the stack reads its MACsec keys from which vault.

    A vault is named by the host of the ports' secret identifiers. Identifiers that cannot be read
    (unknown during preview, encrypted in a stack export) are resolved through the port's dependencies:
    a vault it depends on, or the vault of a secret it depends on.
    """

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self._by_vault_name: dict[str, str] = {}
        self._by_vault_urn: dict[str, str] = {}
        vaults, secrets = of_type(resources, VAULT), of_type(resources, SECRET)
        for port in of_type(resources, PORT):
            names, unresolved = vault_names_in_identifiers(port)
            for name in names:
                self._by_vault_name.setdefault(name.lower(), port.name)
            if unresolved:
                for vault in vaults_port_depends_on(port, vaults, secrets):
                    self._by_vault_urn.setdefault(vault.urn, port.name)

    def port_using(self, vault: PolicyResource | None, vault_name: str | None = None) -> str | None:
        """The name of a port whose keys are in ``vault`` (a stack resource) or in the vault ``vault_name``."""
        if vault is not None:
            if vault.urn in self._by_vault_urn:
                return self._by_vault_urn[vault.urn]
            vault_name = azure_name(VAULT, vault.props) or vault_name
        return self._by_vault_name.get(vault_name.lower()) if vault_name else None


def vault_names_in_identifiers(port: PolicyResource) -> tuple[set[str], bool]:
    """The vaults a port's readable secret identifiers name, and whether some identifiers are unreadable."""
    links = port_links(port.props)
    names, unresolved = set(), links is None
    for link in links or []:
        for field in SECRET_FIELDS:
            value = get(link.macsec, field)
            reference = parse_secret_identifier(value)
            unresolved = unresolved or value is UNKNOWN
            if reference:
                names.add(reference.vault)
    return names, unresolved


def vaults_port_depends_on(port: PolicyResource, vaults: Sequence[PolicyResource],
                           secrets: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Vaults the port depends on directly or through one of their secrets."""
    found = []
    for dependency in port.dependencies:
        if dependency.resource_type == VAULT:
            found.append(dependency)
        elif dependency.resource_type == SECRET:
            vault = vault_of_secret(dependency, vaults)
            if vault is not None:
                found.append(vault)
    return found


def vault_of_secret(secret: PolicyResource, vaults: Sequence[PolicyResource]) -> PolicyResource | None:
    """The stack's vault a secret is stored in: by its ``vaultName`` input or its id, else its dependency."""
    name = text(get(secret.props, "vaultName")) or arm_name(get(secret.props, "id"), ARM_TYPES[VAULT])
    return vault_named(vaults, name) if name else depended_on(secret, vaults)


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


def vault_named(vaults: Sequence[PolicyResource], name: str | None) -> PolicyResource | None:
    """The stack's vault with Azure name ``name`` (names compared without case)."""
    wanted = (name or "").lower()
    return next((vault for vault in vaults if wanted and (azure_name(VAULT, vault.props) or "").lower() == wanted),
                None)


def elements_or_unknown(value: object) -> list:
    """The elements of an array, or ``[UNKNOWN]`` when the whole array is unknown."""
    return [UNKNOWN] if value is UNKNOWN else elements(value)


def check_no_private_endpoint_for_macsec_vaults(args: StackValidationArgs,
                                                report_violation: ReportViolation) -> None:
    """A vault holding a port's MACsec keys is not behind a private endpoint: Microsoft's MACsec how-to says
    "The Key Vault shouldn't be behind a private endpoint because communication to the ExpressRoute
    management plane is required" (fact: macsec-kv-no-private-endpoint)."""
    users = KeyVaultUsers(args.resources)
    vaults = of_type(args.resources, VAULT)
    for vault in vaults:
        port = users.port_using(vault)
        reasons = private_only_access(vault) if port else []
        if reasons:
            report_violation(
                f"Key Vault '{vault.name}' holds the MACsec keys of ExpressRoute port '{port}' but "
                f"{'; '.join(reasons)}. {_WHY_PUBLIC_ENDPOINT}.", vault.urn)
    endpoints = of_type(args.resources, PRIVATE_ENDPOINT) + \
        of_type(args.resources, VAULT_PRIVATE_ENDPOINT_CONNECTION)
    for endpoint in endpoints:
        vault, vault_name = endpoint_target(endpoint, vaults)
        port = users.port_using(vault, vault_name)
        if port:
            report_violation(
                f"Private endpoint '{endpoint.name}' is for Key Vault '{vault.name if vault else vault_name}', "
                f"which holds the MACsec keys of ExpressRoute port '{port}': remove the private endpoint. "
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
