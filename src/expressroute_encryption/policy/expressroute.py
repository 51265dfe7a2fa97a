"""Resource policies for ExpressRoute Direct ports (``azure-native:network:ExpressRoutePort``).

MACsec encrypts an ExpressRoute Direct port at layer 2, per physical link. Encryption is all or nothing
per port: every circuit on the port, BGP included, is encrypted, and there is no unencrypted fallback.
A port goes through a lifecycle: it is ordered and reserved without link settings (Azure ignores or
rejects link settings in the request that creates a port), then MACsec is configured on both links,
then the links are admin-enabled, then circuits are created. These policies check a port's own
settings; ``stack.py`` checks the circuits and Key Vaults around it.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
)

from . import exemptions, remedy
from .azure import PORT, azure_name, parse_secret_identifier
from ..facts import CIPHERS, NON_XPN_CIPHERS, XPN_CIPHERS
from .configuration import config_strings
from .macsec import (
    HUNDRED_GBPS,
    SECRET_FIELDS,
    TEN_GBPS,
    bandwidth_gbps,
    describe_cipher,
    is_xpn,
    link_ciphers,
    missing_macsec,
    port_links,
    uses_macsec,
)
from .props import UNKNOWN, get, has_entries, is_present, text
from .resources import ResourcePolicy, applies_to

MACSEC_DOCS = "https://learn.microsoft.com/azure/expressroute/expressroute-howto-macsec"


@applies_to(PORT)
def require_macsec_on_both_links(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A port with link settings has MACsec (cipher, CAK and CKN) on both link1 and link2.

    Link settings mean the port is past the reserved stage: its links are admin-enabled or about to be,
    and Microsoft's order is MACsec first, admin state second. A port without link settings is left to
    ``expressroute-circuit-on-encrypted-port``, which flags it once circuits are put on it.

    A port named in the policy's ``exemptPorts`` passes until its exemption expires (see ``exemptions``).
    """
    found, problems = exemptions.configured(args.get_config())
    if problems:
        report_violation(exemptions.config_problem_message(exemptions.MACSEC_REQUIRED, problems))
    links = port_links(args.props)
    if not links:  # None: unknown during preview; []: the reserved stage.
        return
    gaps = missing_macsec(links)
    if not gaps:
        return
    exemption = exemptions.exemption_for(found, azure_name(PORT, args.props) or args.name)
    on = exemptions.today()
    if exemption is not None and exemption.applies(on):
        return
    port_name = azure_name(PORT, args.props) or args.name
    report_violation(
        f"ExpressRoute port '{args.name}' has link settings but MACsec is not on both links: "
        f"{'; '.join(gaps)}. {remedy.port_fix(port_name, args.urn, args.props)} "
        f"{remedy.exemption_route(port_name, args.urn)}{exemptions.expired_note(exemption, on)}")


@applies_to(PORT)
def check_cipher(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Each link's cipher is on the allow-list, and no 10 Gbps port uses an XPN cipher."""
    allowed = config_strings(args, "allowedCiphers", CIPHERS)
    ten_gbps = bandwidth_gbps(args.props) == TEN_GBPS
    problems = []
    for label, cipher in link_ciphers(args.props):
        if cipher not in allowed:
            problems.append(f"{label} uses {describe_cipher(cipher)}, which is not allowed; "
                            f"set macSecConfig.cipher to one of {', '.join(allowed)}")
        if ten_gbps and is_xpn(cipher):
            problems.append(f"{label} uses {describe_cipher(cipher)}, but XPN ciphers are not supported on "
                            f"10 Gbps ports; use {' or '.join(NON_XPN_CIPHERS)}")
    if problems:
        report_violation(f"ExpressRoute port '{args.name}': {'; '.join(problems)}.")


@applies_to(PORT)
def recommend_xpn_on_100_gbps(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A 100 Gbps port uses an XPN cipher on every link."""
    if bandwidth_gbps(args.props) != HUNDRED_GBPS:
        return
    labels = [label for label, cipher in link_ciphers(args.props) if not is_xpn(cipher)]
    if labels:
        report_violation(
            f"ExpressRoute port '{args.name}' is a 100 Gbps port but {' and '.join(labels)} "
            f"{'use' if len(labels) > 1 else 'uses'} a cipher without extended packet numbering: set "
            f"macSecConfig.cipher to {' or '.join(XPN_CIPHERS)} to avoid MACsec session drops from packet-number "
            "exhaustion.")


@applies_to(PORT)
def require_user_assigned_identity(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A port whose links reference MACsec secrets has a user-assigned identity to read them with."""
    if not uses_macsec(args.props):
        return
    identity = get(args.props, "identity")
    if identity is UNKNOWN:
        return
    identity_type = get(identity, "type")
    identities = get(identity, "userAssignedIdentities")
    type_ok = identity_type is UNKNOWN or "userassigned" in (text(identity_type) or "").replace(" ", "").lower()
    # Inputs list the identity ids; outputs and stack state map each id to its details.
    identities_ok = identities is UNKNOWN or has_entries(identities)
    if not (type_ok and identities_ok):
        report_violation(
            f"ExpressRoute port '{args.name}' uses MACsec but has no user-assigned identity to read its "
            "CAK/CKN secrets with: set identity.type to UserAssigned and list a managed identity that may "
            "get the vault's secrets in identity.userAssignedIdentities.")


@applies_to(PORT)
def check_secret_identifiers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """CAK and CKN identifiers are versioned Key Vault secret URLs and name two different secrets.

    Unknown identifiers (preview) and encrypted ones (a stack export) cannot be read and are skipped;
    missing ones are ``expressroute-port-macsec-required``'s concern.
    """
    problems = []
    for link in port_links(args.props) or []:
        references = {}
        for field in SECRET_FIELDS:
            value = get(link.macsec, field)
            if value is UNKNOWN or not is_present(value):
                continue
            reference = parse_secret_identifier(value)
            if reference is None:
                problems.append(f"{link.label} macSecConfig.{field} is not a versioned Key Vault secret URL "
                                "(https://<vault>.vault.azure.net/secrets/<name>/<version>, as in the "
                                "secret's secretUriWithVersion output)")
            else:
                references[field] = reference
        cak, ckn = (references.get(field) for field in SECRET_FIELDS)
        if cak and ckn and cak.same_secret(ckn):
            problems.append(f"{link.label} CAK and CKN identifiers point at the same secret; store the CAK "
                            "and the CKN in two different secrets")
    if problems:
        report_violation(f"ExpressRoute port '{args.name}': {'; '.join(problems)}.")


# fact: erport-two-links
macsec_required = ResourcePolicy(
    name="expressroute-port-macsec-required",
    description="ExpressRoute Direct ports with link settings have MACsec on both link1 and link2.",
    validate=require_macsec_on_both_links,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=exemptions.CONFIG_SCHEMA,
    url=MACSEC_DOCS,
)

# fact: macsec-ciphers
macsec_cipher = ResourcePolicy(
    name="expressroute-port-macsec-cipher",
    description="MACsec ciphers come from the allow-list, and 10 Gbps ports do not use XPN ciphers.",
    validate=check_cipher,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "allowedCiphers": {
            "type": "array",
            "items": {"type": "string", "enum": list(CIPHERS)},
            "default": list(CIPHERS),
            "description": "MACsec ciphers a port may use.",
        },
    }),
    url=MACSEC_DOCS,
)

# fact: macsec-xpn-not-on-10g
xpn_recommended = ResourcePolicy(
    name="expressroute-port-xpn-recommended",
    description="100 Gbps ExpressRoute Direct ports use an XPN MACsec cipher.",
    validate=recommend_xpn_on_100_gbps,
    enforcement_level=EnforcementLevel.ADVISORY,
    url=MACSEC_DOCS,
)

# fact: macsec-identity-get-secrets
port_identity = ResourcePolicy(
    name="expressroute-port-identity",
    description="ExpressRoute Direct ports with MACsec have a user-assigned identity to read the keys.",
    validate=require_user_assigned_identity,
    enforcement_level=EnforcementLevel.MANDATORY,
    url=MACSEC_DOCS,
)

# fact: macsec-secret-identifier-versioned
secret_identifiers = ResourcePolicy(
    name="expressroute-port-secret-identifiers",
    description="MACsec CAK and CKN identifiers are distinct, versioned Key Vault secret URLs.",
    validate=check_secret_identifiers,
    enforcement_level=EnforcementLevel.MANDATORY,
    url=MACSEC_DOCS,
)

POLICIES = [macsec_required, macsec_cipher, xpn_recommended, port_identity, secret_identifiers]
