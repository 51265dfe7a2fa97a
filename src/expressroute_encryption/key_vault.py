"""The Key Vault that holds MACsec keys, and the identity ExpressRoute reads them with."""

from typing import Optional

import pulumi
from pulumi_azure_native import authorization, keyvault, managedidentity

from .arm import ROLE_DEFINITION_TYPE, VAULT_TYPE, format_arm_id, parse_arm_id, split_arm_id
from .component_args import MacsecKeyVaultArgs
from .config.inputs import MacsecKeyVaultInputs, validate_args
from .config.keyvault import KeyVaultSettings
from .existing_vault import check_existing_vault, existing_vault_provider
from .facts import KEY_VAULT_BYPASS, KEY_VAULT_DEFAULT_ACTION, KEY_VAULT_SECRETS_USER_ROLE
from .tokens import component_options, type_token


class MacsecKeyVault(pulumi.ComponentResource):
    """A firewalled Key Vault for MACsec keys and a user-assigned identity that may read them.

    Azure constraints encoded here:
    - ExpressRoute reads the keys as a trusted Microsoft service, so the firewall denies
      by default and lets ``AzureServices`` through; a private endpoint (or disabling
      public network access) would cut ExpressRoute off, so neither is used.
    - Soft delete is always on (Microsoft's procedure); purge protection is on by default.
    - The identity gets ``get`` on secrets only (least privilege), by access policy or,
      with ``authorization: rbac``, the Key Vault Secrets User role on this vault.
    - With ``existing_id`` no vault is created and the vault's settings are never changed:
      it is read first and refused where ExpressRoute could not read keys from it
      (``existing_vault.vault_problems``); only the identity and its grant are added, the
      grant (and the read) in the vault's own subscription (``existing_vault.vault_provider``).
    """

    vault_id: pulumi.Output[str]
    """ARM id of the vault."""
    vault_name: pulumi.Output[str]
    """Name of the vault (what Key Vault secrets are created in)."""
    vault_uri: pulumi.Output[str]
    """https://<name>.vault.azure.net/"""
    identity_id: pulumi.Output[str]
    """ARM id of the user-assigned identity, to attach to ExpressRoute ports; resolves once the identity may read the vault's secrets."""
    identity_principal_id: pulumi.Output[str]
    """Object id of the identity (what access policies and role assignments name)."""
    vault_resource_group_name: pulumi.Output[str]
    """Resource group of the vault (where its secrets are created)."""

    def __init__(
        self,
        name: str,
        args: MacsecKeyVaultArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        settings = validate_args(MacsecKeyVaultInputs, args, source=f"MacsecKeyVault '{name}'")
        check_existing_vault(settings)
        super().__init__(type_token("MacsecKeyVault"), name, None, component_options("MacsecKeyVault", opts))
        protect = settings.protect
        rg = settings.resource_group_name

        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=rg,
            resource_name_=f"{settings.vault_name}-macsec",
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        if settings.existing_id is not None:
            self._use_existing_vault(name, settings, identity)
            return

        rbac = settings.authorization == "rbac"
        access_policies = [] if rbac else [
            keyvault.AccessPolicyEntryArgs(
                tenant_id=identity.tenant_id,
                object_id=identity.principal_id,
                permissions=keyvault.PermissionsArgs(secrets=["get"]),
            )
        ]
        vault = keyvault.Vault(
            f"{name}-vault",
            resource_group_name=rg,
            vault_name=settings.name,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=identity.tenant_id,
                sku=keyvault.SkuArgs(family="A", name="standard"),
                enable_soft_delete=True,
                soft_delete_retention_in_days=settings.soft_delete_retention_days,
                # Azure rejects enablePurgeProtection=false; leaving it unset means off.
                enable_purge_protection=True if settings.purge_protection else None,
                enable_rbac_authorization=rbac,
                access_policies=access_policies,
                public_network_access="Enabled",
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action=KEY_VAULT_DEFAULT_ACTION,
                    bypass=KEY_VAULT_BYPASS,
                    ip_rules=[keyvault.IPRuleArgs(value=r) for r in settings.allowed_ip_ranges],
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )

        grant: pulumi.Resource = vault  # access policies are part of the vault
        if rbac:
            grant = authorization.RoleAssignment(
                f"{name}-secrets-user",
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                scope=vault.id,
                role_definition_id=vault.id.apply(_secrets_user_role_id),
                # Without it the port cannot read its keys: losing it drops encryption.
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )

        self.vault_id = vault.id
        self.vault_name = vault.name
        self.vault_uri = vault.properties.vault_uri
        # Handing out the identity only once it may read the vault means a port never
        # points at keys it cannot read yet.
        self.identity_id = pulumi.Output.all(identity.id, grant.id).apply(lambda ids: ids[0])
        self.identity_principal_id = identity.principal_id
        self.vault_resource_group_name = pulumi.Output.from_input(rg)
        self._register()

    def _use_existing_vault(self, name: str, settings: KeyVaultSettings, identity) -> None:
        """Grant the identity 'get' on the secrets of an existing vault, and nothing else:
        the vault itself is not a resource of this stack."""
        vault_id = settings.existing_id
        parts = parse_arm_id(vault_id, VAULT_TYPE)
        # In the vault's own subscription (an explicit provider when it is not the deployment's).
        provider = existing_vault_provider(settings)
        if settings.authorization == "rbac":
            grant = authorization.RoleAssignment(
                f"{name}-secrets-user",
                principal_id=identity.principal_id,
                principal_type="ServicePrincipal",
                scope=vault_id,
                role_definition_id=_secrets_user_role_id(vault_id),
                opts=pulumi.ResourceOptions(parent=self, protect=settings.protect, provider=provider),
            )
        else:
            grant = keyvault.AccessPolicy(
                f"{name}-get-secrets",
                resource_group_name=parts.group,
                vault_name=parts.name,
                policy=keyvault.AccessPolicyEntryArgs(
                    tenant_id=identity.tenant_id,
                    object_id=identity.principal_id,
                    permissions=keyvault.PermissionsArgs(secrets=["get"]),
                ),
                opts=pulumi.ResourceOptions(parent=self, protect=settings.protect, provider=provider),
            )
        vault = keyvault.get_vault_output(resource_group_name=parts.group, vault_name=parts.name,
                                          opts=pulumi.InvokeOutputOptions(provider=provider))
        self.vault_id = pulumi.Output.from_input(vault_id)
        self.vault_name = pulumi.Output.from_input(parts.name)
        self.vault_uri = vault.properties.vault_uri
        self.identity_id = pulumi.Output.all(identity.id, grant.id).apply(lambda ids: ids[0])
        self.identity_principal_id = identity.principal_id
        self.vault_resource_group_name = pulumi.Output.from_input(parts.group)
        self._register()

    def _register(self) -> None:
        self.register_outputs({
            "vault_id": self.vault_id,
            "vault_name": self.vault_name,
            "vault_uri": self.vault_uri,
            "identity_id": self.identity_id,
            "identity_principal_id": self.identity_principal_id,
            "vault_resource_group_name": self.vault_resource_group_name,
        })


def _secrets_user_role_id(vault_id: str) -> str:
    """The built-in role "Key Vault Secrets User" (read secret contents, nothing else), as
    the definition in the subscription the vault lives in."""
    subscription = split_arm_id(vault_id).subscription
    return format_arm_id(subscription, None, ROLE_DEFINITION_TYPE, KEY_VAULT_SECRETS_USER_ROLE)
