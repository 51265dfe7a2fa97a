"""The Key Vault policies and the advisory protection policy: they judge the vaults that hold an
ExpressRoute port's MACsec keys (and what serves them) only, name Azure resources, and give fixes that
fit any stack."""

import pytest
from tests.policy.policy_builders import (
    PORT,
    SECRET,
    VAULT,
    arm_id,
    port,
    port_outputs,
    secret,
    stack_resource,
    stack_violations,
    urn,
    vault,
)
from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from expressroute_encryption.policy.azure import ACCESS_POLICY, IDENTITY, ROLE_ASSIGNMENT
from expressroute_encryption.policy.checker import evaluate
from expressroute_encryption.policy.keyvault import firewall_trusted_services, soft_delete_purge_protection
from expressroute_encryption.policy.protection import critical_resources_protected
from tests.policy.policy_builders import options

VAULT_POLICIES = [firewall_trusted_services, soft_delete_purge_protection]
OPEN = {"defaultAction": "Allow", "bypass": "None"}


def with_port(vault_props: dict, *extra: PolicyResource, port_props: dict | None = None) -> list[PolicyResource]:
    """A port whose keys are in vault kv-macsec (the builders' default), the vault ``kv`` and ``extra``."""
    return [stack_resource(PORT, "port", port() if port_props is None else port_props),
            stack_resource(VAULT, "kv", vault_props), *extra]


def messages(policy, resources) -> list[str]:
    return [message for _, message in stack_violations(policy, resources)]


@pytest.mark.parametrize("policy", VAULT_POLICIES, ids=lambda policy: policy.name)
def test_compliant_vault_passes(policy):
    assert stack_violations(policy, with_port(vault())) == []


@pytest.mark.parametrize("policy", VAULT_POLICIES, ids=lambda policy: policy.name)
@pytest.mark.parametrize("props", [
    {"vaultName": "kv-macsec", "properties": UNKNOWN_OBJECT_VALUE},
    vault(networkAcls=UNKNOWN_OBJECT_VALUE, enablePurgeProtection=UNKNOWN_BOOLEAN_VALUE),
    vault(networkAcls={"defaultAction": UNKNOWN_STRING_VALUE, "bypass": UNKNOWN_STRING_VALUE}),
], ids=["unknown-properties", "unknown-acls-and-purge", "unknown-acl-fields"])
def test_unknown_values_are_not_judged(policy, props):
    assert stack_violations(policy, with_port(props)) == []


# --- only the vaults that hold a port's MACsec keys ---------------------------------------------


APP_VAULT = vault("kv-app", networkAcls={"defaultAction": "Deny", "bypass": "None"}, enablePurgeProtection=False)


def exported(resource_type: str, name: str, inputs: dict) -> dict:
    """A resource as a stack export holds it (what the offline checker reads)."""
    return {"urn": urn(resource_type, name), "type": resource_type, "custom": True, "inputs": inputs}


@pytest.mark.parametrize("ports", [[], [port()], [port("reserved")]],
                         ids=["no-ports", "keys-in-another-vault", "reserved-port-references-no-vault"])
def test_a_vault_holding_no_ports_keys_gets_nothing_from_the_pack(ports):
    """The pack dropped into another team's stack: an application's vault (Deny without the trusted-service
    bypass, purge protection off, not protected, no audit log) is none of its business: no policy reports
    it, at any level."""
    resources = [exported(PORT, f"port{i}", props) for i, props in enumerate(ports)]
    assert [v for v in evaluate([*resources, exported(VAULT, "app-kv", APP_VAULT)]) if "kv-app" in v.message
            or v.urn == urn(VAULT, "app-kv")] == []
    # The same vault holding the port's keys is judged by every vault policy.
    judged = evaluate([exported(PORT, "port", port(vault="kv-app")), exported(VAULT, "app-kv", APP_VAULT)])
    assert sorted(v.policy for v in judged if v.urn == urn(VAULT, "app-kv")) == [
        "critical-resources-protected", "keyvault-audit-logs", "keyvault-firewall-trusted-services",
        "keyvault-soft-delete-purge-protection"]


@pytest.mark.parametrize("policy", VAULT_POLICIES, ids=lambda policy: policy.name)
def test_other_resource_types_are_ignored(policy):
    assert stack_violations(policy, [stack_resource(PORT, "port", port())]) == []


def test_a_vault_is_found_by_its_name_in_the_identifiers_any_case_or_by_its_uri():
    upper = port(vault="KV-MACSEC")
    assert len(stack_violations(firewall_trusted_services, with_port(vault(**{"networkAcls": OPEN}), port_props=upper))) == 1
    named_by_uri = {"name": "kv-renamed-output", "properties": {"vaultUri": "https://kv-macsec.vault.azure.net/",
                                                               "networkAcls": OPEN}}
    [(where, _)] = stack_violations(firewall_trusted_services, with_port(named_by_uri))
    assert where == urn(VAULT, "kv")


def test_a_vault_in_port_outputs_shape_is_found():
    resources = [stack_resource(PORT, "port", port_outputs()), stack_resource(VAULT, "kv", vault(networkAcls=OPEN))]
    assert len(stack_violations(firewall_trusted_services, resources)) == 1


def test_unknown_identifiers_are_resolved_through_the_ports_secrets():
    key_vault = stack_resource(VAULT, "kv", vault(networkAcls=OPEN))
    cak = stack_resource(SECRET, "cak", {"vaultName": "kv-macsec", "secretName": "link1-cak",
                                        "properties": {"value": secret("c0ffee")}})
    props = port()
    for link in props["links"]:
        link["macSecConfig"].update(cakSecretIdentifier=UNKNOWN_STRING_VALUE, cknSecretIdentifier=UNKNOWN_STRING_VALUE)
    resources = [stack_resource(PORT, "port", props, dependencies=(cak,)), key_vault, cak]
    [(where, message)] = stack_violations(firewall_trusted_services, resources)
    assert where == urn(VAULT, "kv") and "c0ffee" not in message
    # Without the dependency, nothing says the vault holds the keys: not judged.
    assert stack_violations(firewall_trusted_services, [stack_resource(PORT, "port", props), key_vault, cak]) == []


class TestFirewall:
    @pytest.mark.parametrize(("acls", "expected"), [
        (None, ["defaultAction to Deny", "bypass to AzureServices"]),
        ({"defaultAction": "Allow", "bypass": "AzureServices"}, ["defaultAction to Deny"]),
        ({"defaultAction": "Deny", "bypass": "None"}, ["bypass to AzureServices"]),
        ({"defaultAction": "Deny"}, ["bypass to AzureServices"]),
    ], ids=["no-acls", "allow", "no-bypass", "bypass-missing"])
    def test_open_vault_is_flagged_by_its_azure_name(self, acls, expected):
        props = vault()
        if acls is None:
            del props["properties"]["networkAcls"]
        else:
            props["properties"]["networkAcls"] = acls
        [(where, message)] = stack_violations(firewall_trusted_services, with_port(props))
        assert where == urn(VAULT, "kv")
        assert message.startswith("Key Vault 'kv-macsec' holds the MACsec keys of ExpressRoute port 'erp-weu-1' and "
                                  "must deny network access by default and let trusted Azure services such as "
                                  "ExpressRoute through: ")
        assert all(change in message for change in expected)
        assert "'kv'" not in message and "'port'" not in message and "protect" not in message

    def test_values_are_compared_without_case(self):
        props = vault(networkAcls={"defaultAction": "deny", "bypass": "azureservices"})
        assert stack_violations(firewall_trusted_services, with_port(props)) == []

    def test_a_vault_pulumi_names_itself_is_named_by_its_pulumi_name_until_azure_has_one(self):
        props = vault(networkAcls=OPEN)
        del props["vaultName"]
        cak = stack_resource(SECRET, "cak", {"vaultName": UNKNOWN_STRING_VALUE, "secretName": "link1-cak"})
        key_vault = stack_resource(VAULT, "kv", props)
        cak.dependencies = [key_vault]
        port_props = port()
        for link in port_props["links"]:
            link["macSecConfig"].update(cakSecretIdentifier=UNKNOWN_STRING_VALUE)
        resources = [stack_resource(PORT, "port", port_props, dependencies=(cak,)), key_vault, cak]
        [(_, message)] = stack_violations(firewall_trusted_services, resources)
        assert message.startswith("Key Vault (Pulumi resource 'kv') holds the MACsec keys")


class TestSoftDeleteAndPurgeProtection:
    def test_soft_delete_left_unset_is_fine(self):
        props = vault()
        del props["properties"]["enableSoftDelete"]
        assert stack_violations(soft_delete_purge_protection, with_port(props)) == []

    def test_soft_delete_off_is_flagged(self):
        [message] = messages(soft_delete_purge_protection, with_port(vault(enableSoftDelete=False)))
        assert message.startswith("Key Vault 'kv-macsec' holds the MACsec keys of ExpressRoute port 'erp-weu-1' and "
                                  "must keep deleted keys recoverable: ")
        assert "enableSoftDelete to true" in message

    @pytest.mark.parametrize("purge_protection", [False, None])
    def test_purge_protection_off_or_unset_is_flagged(self, purge_protection):
        props = vault(enablePurgeProtection=purge_protection)
        if purge_protection is None:
            del props["properties"]["enablePurgeProtection"]
        [message] = messages(soft_delete_purge_protection, with_port(props))
        assert "enablePurgeProtection to true" in message


# --- protection ------------------------------------------------------------------------------------

IDENTITY_ID = port()["identity"]["userAssignedIdentities"][0]


def unprotected(resources: list[PolicyResource]) -> dict[str, str]:
    return {where.rsplit("::", 1)[-1]: message for where, message in stack_violations(critical_resources_protected,
                                                                                       resources)}


class TestProtection:
    def macsec_estate(self, **extra_props):
        vault_id = arm_id("Microsoft.KeyVault/vaults", "kv-macsec")
        return [
            stack_resource(PORT, "port", port()),
            stack_resource(VAULT, "kv", vault()),
            stack_resource(SECRET, "cak", {"vaultName": "kv-macsec", "secretName": "link1-cak",
                                           "properties": {"value": secret("c0ffee")}}),
            stack_resource(ACCESS_POLICY, "get", {"vaultName": "kv-macsec", "resourceGroupName": "rg-er"}),
            stack_resource(ROLE_ASSIGNMENT, "reader", {"scope": vault_id, "roleAssignmentName": "0000"}),
            stack_resource(IDENTITY, "id", {"resourceName": "id-erport", "id": IDENTITY_ID}),
        ]

    def test_the_macsec_estate_unprotected_is_reported_by_azure_name_with_a_fix_for_any_stack(self):
        found = unprotected(self.macsec_estate())
        assert sorted(found) == ["cak", "get", "id", "kv", "port", "reader"]
        assert found["port"].startswith("ExpressRoute port 'erp-weu-1' is not protected: set Pulumi's `protect` "
                                        "resource option on it")
        assert found["kv"].startswith("Key Vault 'kv-macsec' is not protected")
        assert found["cak"].startswith("Key Vault secret 'link1-cak' is not protected")
        assert found["id"].startswith("user-assigned identity (it reads the keys) 'id-erport' is not protected")
        assert all("(in this project's stack: the config key `protect: true`, the default" in m for m in found.values())
        assert all("c0ffee" not in m and "ResourceOptions" not in m for m in found.values())

    def test_protected_resources_pass(self):
        resources = self.macsec_estate()
        for resource in resources:
            resource.opts = options(protect=True)
        assert unprotected(resources) == {}

    def test_the_key_vault_side_of_no_port_is_not_this_policys_business(self):
        app = [stack_resource(VAULT, "app-kv", vault("kv-app")),
               stack_resource(SECRET, "app-secret", {"vaultName": "kv-app", "secretName": "db-password"}),
               stack_resource(ACCESS_POLICY, "app-get", {"vaultName": "kv-app"}),
               stack_resource(ROLE_ASSIGNMENT, "app-reader", {"scope": arm_id("Microsoft.KeyVault/vaults", "kv-app")}),
               stack_resource(IDENTITY, "app-id", {"resourceName": "id-app", "id": IDENTITY_ID.replace("erport", "app")})]
        assert unprotected(app) == {}
        assert sorted(unprotected([*self.macsec_estate(), *app])) == ["cak", "get", "id", "kv", "port", "reader"]

    def test_generated_keys_need_no_protection(self):
        # A rotation replaces them on purpose.
        assert unprotected([stack_resource("random:index/randomBytes:RandomBytes", "key", {"length": 32})]) == {}

    def test_is_advisory(self):
        assert critical_resources_protected.enforcement_level.value == "advisory"
