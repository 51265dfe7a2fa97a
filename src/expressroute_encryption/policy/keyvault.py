"""Policies for the Key Vaults that hold ExpressRoute ports' MACsec keys (``azure-native:keyvault:Vault``).

An ExpressRoute Direct port reads its CAK and CKN from Key Vault secrets through a user-assigned
identity. ExpressRoute is a trusted Microsoft service, so the vault can deny network access by default
and still let ExpressRoute in with ``bypass: AzureServices``. Microsoft's procedure turns soft delete on;
purge protection keeps a deleted key from being lost for good (a lost CAK drops the link until both ends
are re-keyed).

Both are stack policies: only the whole stack tells which vaults hold a port's keys
(``macsec_vaults``), and only those are judged, so that the pack can be dropped into a stack whose other
vaults (an application's, say) follow other rules. A stack policy runs at the end of ``pulumi preview``
(before anything changes) and after the changes of ``pulumi up``. Their names are unchanged since they
were resource policies: enforcement levels set by name keep applying.
"""

from collections.abc import Callable
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from ..facts import KEY_VAULT_BYPASS, KEY_VAULT_DEFAULT_ACTION
from .azure import PORT, VAULT, display_name
from .macsec_vaults import MacsecVaults
from .props import UNKNOWN, equals_ignoring_case, get
from .resources import of_type


def firewall_changes(props: Any) -> list[str]:
    """What keeps the vault's firewall from denying by default (``networkAcls.defaultAction: Deny``)
    while letting trusted Azure services through (``networkAcls.bypass: AzureServices``). Without
    ``networkAcls`` Azure allows all networks."""
    acls = get(props, "properties", "networkAcls")
    if acls is UNKNOWN:
        return []
    changes = []
    default_action = get(acls, "defaultAction")
    if default_action is not UNKNOWN and not equals_ignoring_case(default_action, KEY_VAULT_DEFAULT_ACTION):
        changes.append(f"set properties.networkAcls.defaultAction to {KEY_VAULT_DEFAULT_ACTION}")
    bypass = get(acls, "bypass")
    if bypass is not UNKNOWN and not equals_ignoring_case(bypass, KEY_VAULT_BYPASS):
        changes.append(f"set properties.networkAcls.bypass to {KEY_VAULT_BYPASS}")
    return changes


def recovery_changes(props: Any) -> list[str]:
    """What keeps deleted keys from being recoverable: soft delete turned off, purge protection not on."""
    properties = get(props, "properties")
    if properties is UNKNOWN:
        return []
    changes = []
    if get(properties, "enableSoftDelete") is False:
        changes.append("set properties.enableSoftDelete to true (or leave it unset)")
    purge_protection = get(properties, "enablePurgeProtection")
    if purge_protection is not UNKNOWN and purge_protection is not True:
        changes.append("set properties.enablePurgeProtection to true")
    return changes


def _check_macsec_vaults(changes_of: Callable[[Any], list[str]], requirement: str):
    """A stack validation reporting, for each vault holding a port's MACsec keys, ``changes_of(props)``."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        macsec = MacsecVaults(args.resources)
        for vault in of_type(args.resources, VAULT):
            port = macsec.port_of(vault)
            changes = changes_of(vault.props) if port is not None else []
            if changes:
                report_violation(
                    f"Key Vault {display_name(VAULT, vault.props, vault.name)} holds the MACsec keys of ExpressRoute "
                    f"port {display_name(PORT, port.props, port.name)} and must {requirement}: "
                    f"{' and '.join(changes)}.", vault.urn)

    return validate


require_firewall_with_trusted_services = _check_macsec_vaults(
    firewall_changes, "deny network access by default and let trusted Azure services such as ExpressRoute through")
require_soft_delete_and_purge_protection = _check_macsec_vaults(recovery_changes, "keep deleted keys recoverable")

# fact: macsec-kv-trusted-service
firewall_trusted_services = StackValidationPolicy(
    name="keyvault-firewall-trusted-services",
    description="Key Vaults holding an ExpressRoute port's MACsec keys deny network access by default and let "
                "trusted Azure services through.",
    validate=require_firewall_with_trusted_services,
    enforcement_level=EnforcementLevel.MANDATORY,
    url="https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints",
)

# fact: macsec-kv-soft-delete
soft_delete_purge_protection = StackValidationPolicy(
    name="keyvault-soft-delete-purge-protection",
    description="Key Vaults holding an ExpressRoute port's MACsec keys have soft delete and purge protection on.",
    validate=require_soft_delete_and_purge_protection,
    enforcement_level=EnforcementLevel.MANDATORY,
    url="https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview",
)

POLICIES = [firewall_trusted_services, soft_delete_purge_protection]
