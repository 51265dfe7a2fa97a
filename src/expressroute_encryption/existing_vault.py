"""Can ExpressRoute read MACsec keys from an existing Key Vault? (``keyVault.existingId``)

The stack never changes an existing vault's settings: it only adds the secrets and the
identity's ``get`` permission. So before anything is registered, the vault is read
(``keyvault.get_vault`` on ``pulumi up``; the JSON of ``az keyvault show`` for
``make adopt``) and refused when one of its settings would stop ExpressRoute from
reading the keys. ``vault_problems`` and ``vault_warnings`` are pure functions over the
vault's ARM properties (camelCase, as the REST API returns them).

The vault may live in another subscription than the deployment (a security team's
vault is the usual case). An azure-native resource is read and written in its provider's
subscription (the provider's ``subscriptionId``: "The Subscription ID which should be
used"), so the vault's read, its secrets and the identity's access policy or role
assignment go through an explicit provider for the vault's own subscription
(``vault_provider``) whenever it is not the deployment's (``getClientConfig``). The
identity, the port and everything else stay with the deployment's provider. Within one
subscription nothing changes: the default provider, as before (moving a resource to
another provider could replace it, and a replaced secret is a new key version on a live
link). An explicit provider does not read the stack's ``azure-native:`` settings (Pulumi
builds only the default provider from them), so the cloud and identity settings of the
stack config are handed to it (``PROVIDER_SETTINGS``); credentials from the environment
(``ARM_*``, the az CLI login) it finds itself, as the default provider does.
"""

from __future__ import annotations

import weakref
from typing import Any, Mapping, Optional

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
    acls = properties.get("networkAcls")
    acls = acls if isinstance(acls, Mapping) else {}
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


# azure-native settings an explicit provider takes from its arguments only: the cloud, and who
# signs in. camelCase config key -> how it is read (secrets stay secret Outputs).
PROVIDER_SETTINGS = {
    "environment": "str", "metadataHost": "str", "tenantId": "str", "clientId": "str",
    "auxiliaryTenantIds": "object", "msiEndpoint": "str", "oidcRequestUrl": "str",
    "oidcTokenFilePath": "str", "clientCertificatePath": "str", "partnerId": "str",
    "useMsi": "bool", "useOidc": "bool", "useDefaultAzureCredential": "bool",
    "disablePulumiPartnerId": "bool", "disableInstanceDiscovery": "bool",
    "clientSecret": "secret", "clientCertificatePassword": "secret", "oidcToken": "secret",
    "oidcRequestToken": "secret",
}

# Per program run (its root Stack resource): the deployment's subscription, and the provider
# made for each other subscription, so that every component reaches one vault the same way.
_per_run: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()


def _run_memo() -> dict[str, Any]:
    import pulumi

    root = pulumi.runtime.get_root_resource()
    if root is None:  # outside a stack (a component built on its own): nothing to share
        return {}
    return _per_run.setdefault(root, {})


def deployment_subscription() -> str:
    """The subscription the deployment's default provider works in (``getClientConfig``)."""
    memo = _run_memo()
    if "subscription" not in memo:
        from pulumi_azure_native import authorization

        memo["subscription"] = authorization.get_client_config().subscription_id
    return memo["subscription"]


def _provider_arguments() -> dict[str, Any]:
    """The stack config's ``azure-native:`` cloud and identity settings, as provider arguments."""
    import re

    import pulumi

    config = pulumi.Config("azure-native")
    read = {"str": config.get, "bool": config.get_bool, "object": config.get_object, "secret": config.get_secret}
    arguments = {}
    for key, kind in PROVIDER_SETTINGS.items():
        value = read[kind](key)
        if value is not None:
            arguments[re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()] = value
    return arguments


# fact: kv-other-subscription-same-tenant
def vault_provider(subscription_id: Optional[str]) -> Optional[Any]:
    """The provider to read and write a vault in ``subscription_id``: None (the default
    provider) for the deployment's own subscription, else one explicit azure-native provider
    for it, made once per program run (a top-level resource: it belongs to no one component)."""
    if not subscription_id or subscription_id.lower() == deployment_subscription().lower():
        return None
    memo = _run_memo().setdefault("providers", {})
    key = subscription_id.lower()
    if key not in memo:
        import pulumi_azure_native

        memo[key] = pulumi_azure_native.Provider(
            f"keyvault-subscription-{key}", subscription_id=subscription_id, **_provider_arguments())
    return memo[key]


def existing_vault_subscription(settings: KeyVaultSettings) -> Optional[str]:
    """The subscription of ``existingId`` (None for a vault the stack creates)."""
    if settings.existing_id is None:
        return None
    return parse_arm_id(settings.existing_id, VAULT_TYPE).subscription


def existing_vault_provider(settings: KeyVaultSettings) -> Optional[Any]:
    """``vault_provider`` for the subscription of ``existingId`` (None without one)."""
    return vault_provider(existing_vault_subscription(settings))


def check_existing_vault(settings: KeyVaultSettings) -> None:
    """Read the existing vault from Azure, in its own subscription, and raise ConfigError when
    ExpressRoute could not read keys from it. Does nothing for a vault the stack creates.

    Call it before registering anything: it is an invoke, not a resource (for a vault in
    another subscription, only the provider for that subscription is registered first)."""
    from .config.errors import ConfigError

    if settings.existing_id is None:
        return
    import pulumi
    from pulumi_azure_native import keyvault

    parts = parse_arm_id(settings.existing_id, VAULT_TYPE)
    try:
        provider = existing_vault_provider(settings)
        result = keyvault.get_vault(resource_group_name=parts.group, vault_name=parts.name,
                                    opts=pulumi.InvokeOptions(provider=provider))
    except Exception as exc:  # the provider's error says why (not found, no access)
        raise ConfigError([f"{WHERE}: the vault could not be read from Azure (subscription {parts.subscription}): "
                           f"{exc}"]) from None
    properties = properties_of_get_vault(result)
    if problems := vault_problems(properties, settings.authorization):
        raise ConfigError(problems)

    for warning in vault_warnings(properties):
        pulumi.log.warn(warning)
