"""An existing vault in its own subscription (``existing_vault.py``): read and written through an
explicit azure-native provider for that subscription whenever it is not the deployment's; the
access policy it adds is protected."""

from __future__ import annotations

import pulumi
import pytest

from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import AzureMocks, SUBSCRIPTION_ID
from tests.helpers import OFF, PROJECT_DIR, base_config, circuit, cli_config, find, one, port, run_stack


SECURITY = "5d1c0a1e-0000-4000-8000-00000000c0de"  # the security team's subscription
FOREIGN_VAULT = f"/subscriptions/{SECURITY}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-security"
LOCAL_VAULT = FOREIGN_VAULT.replace(SECURITY, SUBSCRIPTION_ID)
PROVIDER = "pulumi:providers:azure-native"


def config(vault_id: str, **vault):
    return base_config(keyVault={"existingId": vault_id, **vault}, ports=[port(macsec=OFF, circuits=[circuit()])])


def run(values, provider_settings=None, mocks=None):
    """The program under the mocks, with ``azure-native:`` settings added to the stack config."""
    config_values = cli_config(values)
    config_values.update({f"azure-native:{key}": value for key, value in (provider_settings or {}).items()})
    return run_program(PROJECT_DIR, "expressroute-encryption", "test", config_values, [], mocks=mocks or AzureMocks())


def subscription(registration) -> str:
    """The subscription in the registration's ARM id."""
    return registration.id.split("/")[2]


def test_a_vault_in_another_subscription_is_read_and_written_through_a_provider_for_it():
    result = run(config(FOREIGN_VAULT))
    [provider] = find(result, PROVIDER)
    assert provider.inputs["subscriptionId"] == SECURITY
    assert provider.parent.endswith("::pulumi:pulumi:Stack::expressroute-encryption-test")  # shared, top level
    # The secrets and the access policy live in the vault's subscription ...
    secrets = find(result, "keyvault:Secret")
    assert len(secrets) == 4 and {subscription(s) for s in secrets} == {SECURITY}
    assert subscription(one(result, "keyvault:AccessPolicy")) == SECURITY
    # ... the port, its identity and the circuit stay in the deployment's.
    for kind in ("network:ExpressRoutePort", "managedidentity:UserAssignedIdentity", "network:ExpressRouteCircuit"):
        assert subscription(one(result, kind)) == SUBSCRIPTION_ID


def test_with_rbac_the_role_assignment_goes_through_the_vaults_provider_too():
    result = run(config(FOREIGN_VAULT, authorization="rbac"),
                 mocks=AzureMocks(vaults={"kv-security": {"enableRbacAuthorization": True}}))
    assignment = one(result, "authorization:RoleAssignment")
    assert assignment.inputs["scope"] == FOREIGN_VAULT
    assert assignment.inputs["roleDefinitionId"].startswith(f"/subscriptions/{SECURITY}/")
    assert len(find(result, PROVIDER)) == 1  # one provider per subscription, shared by every component


def test_a_vault_in_the_deployments_subscription_keeps_the_default_provider():
    """Moving a live secret to another provider could replace it: within one subscription nothing moves."""
    result = run(config(LOCAL_VAULT))
    assert find(result, PROVIDER) == []
    assert {subscription(s) for s in find(result, "keyvault:Secret")} == {SUBSCRIPTION_ID}


def test_the_deployments_subscription_is_the_default_providers():
    """azure-native:subscriptionId set to the vault's subscription: no second provider."""
    assert find(run(config(FOREIGN_VAULT), {"subscriptionId": SECURITY}), PROVIDER) == []


def test_the_explicit_provider_gets_the_stacks_cloud_and_identity_settings():
    """An explicit provider reads no stack config: the cloud and the identity are handed to it."""
    tenant = "11111111-2222-3333-4444-555555555555"
    result = run(config(FOREIGN_VAULT), {"environment": "usgovernment", "useOidc": "true", "tenantId": tenant})
    inputs = one(result, PROVIDER).inputs
    assert (inputs["environment"], inputs["tenantId"], inputs["subscriptionId"]) == ("usgovernment", tenant, SECURITY)
    assert inputs["useOidc"] in (True, "true")


def test_a_refused_foreign_vault_registers_nothing_but_its_provider():
    registered = []

    class Recording(AzureMocks):
        def new_resource(self, args):
            registered.append(args.typ)
            return super().new_resource(args)

    with pytest.raises(pulumi.RunError) as info:
        run(config(FOREIGN_VAULT), mocks=Recording(vaults={"kv-security": {"enableSoftDelete": False}}))
    assert "keyVault.existingId: the vault does not have soft delete enabled" in str(info.value)
    assert registered == [PROVIDER]  # a setting of the program, nothing in Azure


def test_the_existing_vaults_access_policy_is_protected():
    vault_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-keys"
    run = run_stack(base_config(keyVault={"existingId": vault_id}))
    [policy] = [r for r in run.resources if r.type == "azure-native:keyvault:AccessPolicy"]
    assert policy.protect
