"""Can ExpressRoute read MACsec keys from an existing Key Vault? (``keyVault.existingId``)

The stack never changes an existing vault's settings: it only adds the secrets and the
identity's ``get`` permission. So before anything is registered, the vault is read
(``keyvault.get_vault`` on ``pulumi up``; the JSON of ``az keyvault show`` for
``make adopt``) and refused when one of its settings would stop ExpressRoute from
reading the keys. Pure functions over the vault's ARM properties (camelCase, as the REST
API returns them): no Azure SDK.
"""

from __future__ import annotations

from typing import Any, Mapping

from .arm import VAULT_TYPE, parse_arm_id
from .config.keyvault import KeyVaultSettings

WHERE = "keyVault.existingId"


def vault_problems(properties: Mapping[str, Any], authorization: str) -> list[str]:
    """One line per setting of the vault that would stop ExpressRoute reading the keys
    (or the identity being granted ``get``), naming the setting and what to change."""
    problems = []
    # fact: macsec-kv-soft-delete. Fail closed: a vault that does not say it is on is refused.
    if properties.get("enableSoftDelete") is not True:
        problems.append(
            f"{WHERE}: the vault does not have soft delete enabled; Microsoft's MACsec procedure requires it "
            "(turn it on in Azure: az keyvault update --enable-soft-delete true; it cannot be turned off again)"
        )
    # fact: macsec-kv-no-private-endpoint
    if properties.get("privateEndpointConnections"):
        problems.append(
            f"{WHERE}: the vault has private endpoint connections; Microsoft says a MACsec vault must not be "
            "behind a private endpoint, because the ExpressRoute management plane reads the keys; use a vault "
            "without private endpoints"
        )
    acls = properties.get("networkAcls") or {}
    bypass = {b.strip().lower() for b in str(acls.get("bypass") or "").split(",")}
    # fact: macsec-kv-trusted-service
    if str(acls.get("defaultAction") or "Allow").lower() == "deny" and "azureservices" not in bypass:
        problems.append(
            f"{WHERE}: the vault's firewall denies by default and does not let trusted Microsoft services through "
            "(networkAcls.bypass is not AzureServices), so ExpressRoute cannot read the keys; allow trusted services "
            "(az keyvault update --bypass AzureServices)"
        )
    # fact: kv-trusted-needs-rbac. A vault answers either access policies or Azure RBAC, never both.
    rbac = properties.get("enableRbacAuthorization") is True
    if authorization == "accessPolicy" and rbac:
        problems.append(
            f"{WHERE}: the vault uses Azure RBAC authorization, so an access policy for the port's identity "
            "would be ignored; set keyVault.authorization: rbac"
        )
    elif authorization == "rbac" and not rbac:
        problems.append(
            f"{WHERE}: the vault uses access policies (enableRbacAuthorization is not true), so a role assignment "
            "for the port's identity would be ignored; set keyVault.authorization: accessPolicy"
        )
    return problems


def properties_of_get_vault(result: Any) -> dict[str, Any]:
    """The settings ``vault_problems`` reads, from the provider's ``get_vault`` result."""
    props = result.properties
    acls = props.network_acls
    return {
        "enableSoftDelete": props.enable_soft_delete,
        "enableRbacAuthorization": props.enable_rbac_authorization,
        "publicNetworkAccess": props.public_network_access,
        "privateEndpointConnections": list(props.private_endpoint_connections or []),
        "networkAcls": {"defaultAction": acls.default_action, "bypass": acls.bypass} if acls else {},
    }


def vault_warnings(properties: Mapping[str, Any]) -> list[str]:
    """Settings Microsoft documents as compatible but worth a look, one line each."""
    # fact: kv-public-network-disabled-trusted. Key Vault's reference: with public network
    # access Disabled, "all traffic except private endpoint traffic and that that originates
    # from trusted services will be blocked", so ExpressRoute (a trusted service) still reads
    # the keys: not refused, as in the policy pack. It also overrides the vault's IP rules.
    if str(properties.get("publicNetworkAccess") or "Enabled").lower() == "disabled":
        return [f"{WHERE}: the vault's public network access is Disabled: Microsoft documents that trusted "
                "services such as ExpressRoute still reach it, but its IP firewall rules no longer apply; if a "
                "port cannot read its keys, check the vault's audit log first"]
    return []


def check_existing_vault(settings: KeyVaultSettings) -> None:
    """Read the existing vault from Azure and raise ConfigError when ExpressRoute could
    not read keys from it. Does nothing for a vault the stack creates.

    Call it before registering anything: it is an invoke, not a resource."""
    from .config.errors import ConfigError

    if settings.existing_id is None:
        return
    from pulumi_azure_native import keyvault

    parts = parse_arm_id(settings.existing_id, VAULT_TYPE)
    try:
        result = keyvault.get_vault(resource_group_name=parts.group, vault_name=parts.name)
    except Exception as exc:  # the provider's error says why (not found, no access)
        raise ConfigError([f"{WHERE}: the vault could not be read from Azure: {exc}"]) from None
    properties = properties_of_get_vault(result)
    if problems := vault_problems(properties, settings.authorization):
        raise ConfigError(problems)
    import pulumi

    for warning in vault_warnings(properties):
        pulumi.log.warn(warning)
