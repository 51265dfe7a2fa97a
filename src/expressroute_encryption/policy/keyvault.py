"""Resource policies for the Key Vault holding the MACsec keys (``azure-native:keyvault:Vault``).

An ExpressRoute Direct port reads its CAK and CKN from Key Vault secrets through a user-assigned
identity. ExpressRoute is a trusted Microsoft service, so the vault can deny network access by default
and still let ExpressRoute in with ``bypass: AzureServices``. Microsoft's procedure turns soft delete on;
purge protection keeps a deleted key from being lost for good (a lost CAK drops the link until both ends
are re-keyed).
"""

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from ..facts import KEY_VAULT_BYPASS, KEY_VAULT_DEFAULT_ACTION
from .azure import VAULT
from .props import UNKNOWN, equals_ignoring_case, get
from .resources import applies_to


@applies_to(VAULT)
def require_firewall_with_trusted_services(args: ResourceValidationArgs,
                                           report_violation: ReportViolation) -> None:
    """The vault's firewall denies by default (``networkAcls.defaultAction: Deny``) and lets trusted
    Azure services through (``networkAcls.bypass: AzureServices``). Without ``networkAcls`` Azure allows
    all networks."""
    acls = get(args.props, "properties", "networkAcls")
    if acls is UNKNOWN:
        return
    changes = []
    default_action = get(acls, "defaultAction")
    if default_action is not UNKNOWN and not equals_ignoring_case(default_action, KEY_VAULT_DEFAULT_ACTION):
        changes.append(f"set properties.networkAcls.defaultAction to {KEY_VAULT_DEFAULT_ACTION}")
    bypass = get(acls, "bypass")
    if bypass is not UNKNOWN and not equals_ignoring_case(bypass, KEY_VAULT_BYPASS):
        changes.append(f"set properties.networkAcls.bypass to {KEY_VAULT_BYPASS}")
    if changes:
        report_violation(
            f"Key Vault '{args.name}' must deny network access by default and let trusted Azure services "
            f"such as ExpressRoute through: {' and '.join(changes)}.")


@applies_to(VAULT)
def require_soft_delete_and_purge_protection(args: ResourceValidationArgs,
                                             report_violation: ReportViolation) -> None:
    """Soft delete is not turned off and purge protection is on."""
    properties = get(args.props, "properties")
    if properties is UNKNOWN:
        return
    changes = []
    if get(properties, "enableSoftDelete") is False:
        changes.append("set properties.enableSoftDelete to true (or leave it unset)")
    purge_protection = get(properties, "enablePurgeProtection")
    if purge_protection is not UNKNOWN and purge_protection is not True:
        changes.append("set properties.enablePurgeProtection to true")
    if changes:
        report_violation(
            f"Key Vault '{args.name}' must keep deleted keys recoverable: {' and '.join(changes)}.")


# fact: macsec-kv-trusted-service
firewall_trusted_services = ResourceValidationPolicy(
    name="keyvault-firewall-trusted-services",
    description="Key Vaults deny network access by default and let trusted Azure services through.",
    validate=require_firewall_with_trusted_services,
    enforcement_level=EnforcementLevel.MANDATORY,
    url="https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints",
)

# fact: macsec-kv-soft-delete
soft_delete_purge_protection = ResourceValidationPolicy(
    name="keyvault-soft-delete-purge-protection",
    description="Key Vaults have soft delete and purge protection on.",
    validate=require_soft_delete_and_purge_protection,
    enforcement_level=EnforcementLevel.MANDATORY,
    url="https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview",
)

POLICIES = [firewall_trusted_services, soft_delete_purge_protection]
