"""The Key Vault resource policies and the advisory protection policy."""

import pytest
from tests.policy.policy_builders import PORT, SECRET, VAULT, port, resource_violations, secret, vault
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from expressroute_encryption.policy.keyvault import firewall_trusted_services, soft_delete_purge_protection
from expressroute_encryption.policy.protection import critical_resources_protected

VAULT_POLICIES = [firewall_trusted_services, soft_delete_purge_protection]


@pytest.mark.parametrize("policy", VAULT_POLICIES, ids=lambda policy: policy.name)
def test_compliant_vault_passes(policy):
    assert resource_violations(policy, VAULT, vault(), name="kv") == []


@pytest.mark.parametrize("policy", VAULT_POLICIES, ids=lambda policy: policy.name)
@pytest.mark.parametrize("props", [
    {"properties": UNKNOWN_OBJECT_VALUE},
    vault(networkAcls=UNKNOWN_OBJECT_VALUE, enablePurgeProtection=UNKNOWN_BOOLEAN_VALUE),
    vault(networkAcls={"defaultAction": UNKNOWN_STRING_VALUE, "bypass": UNKNOWN_STRING_VALUE}),
], ids=["unknown-properties", "unknown-acls-and-purge", "unknown-acl-fields"])
def test_unknown_values_are_not_judged(policy, props):
    assert resource_violations(policy, VAULT, props, name="kv") == []


@pytest.mark.parametrize("policy", VAULT_POLICIES, ids=lambda policy: policy.name)
def test_other_resource_types_are_ignored(policy):
    assert resource_violations(policy, PORT, port()) == []


class TestFirewall:
    @pytest.mark.parametrize(("acls", "expected"), [
        (None, ["defaultAction to Deny", "bypass to AzureServices"]),
        ({"defaultAction": "Allow", "bypass": "AzureServices"}, ["defaultAction to Deny"]),
        ({"defaultAction": "Deny", "bypass": "None"}, ["bypass to AzureServices"]),
        ({"defaultAction": "Deny"}, ["bypass to AzureServices"]),
    ], ids=["no-acls", "allow", "no-bypass", "bypass-missing"])
    def test_open_vault_is_flagged(self, acls, expected):
        props = vault()
        if acls is None:
            del props["properties"]["networkAcls"]
        else:
            props["properties"]["networkAcls"] = acls
        [message] = resource_violations(firewall_trusted_services, VAULT, props, name="kv")
        assert "Key Vault 'kv'" in message
        assert all(change in message for change in expected)

    def test_values_are_compared_without_case(self):
        props = vault(networkAcls={"defaultAction": "deny", "bypass": "azureservices"})
        assert resource_violations(firewall_trusted_services, VAULT, props, name="kv") == []


class TestSoftDeleteAndPurgeProtection:
    def test_soft_delete_left_unset_is_fine(self):
        props = vault()
        del props["properties"]["enableSoftDelete"]
        assert resource_violations(soft_delete_purge_protection, VAULT, props, name="kv") == []

    def test_soft_delete_off_is_flagged(self):
        [message] = resource_violations(soft_delete_purge_protection, VAULT, vault(enableSoftDelete=False), name="kv")
        assert "Key Vault 'kv'" in message and "enableSoftDelete to true" in message

    @pytest.mark.parametrize("purge_protection", [False, None])
    def test_purge_protection_off_or_unset_is_flagged(self, purge_protection):
        props = vault(enablePurgeProtection=purge_protection)
        if purge_protection is None:
            del props["properties"]["enablePurgeProtection"]
        [message] = resource_violations(soft_delete_purge_protection, VAULT, props, name="kv")
        assert "enablePurgeProtection to true" in message


class TestProtection:
    @pytest.mark.parametrize(("resource_type", "props", "kind"), [
        (PORT, port(), "ExpressRoute port"),
        (VAULT, vault(), "Key Vault"),
        (SECRET, {"vaultName": "kv-macsec", "secretName": "link1-cak", "properties": {"value": secret("c0ffee")}},
         "Key Vault secret"),
    ], ids=["port", "vault", "secret"])
    def test_unprotected_critical_resources_are_reported(self, resource_type, props, kind):
        [message] = resource_violations(critical_resources_protected, resource_type, props, name="critical")
        assert f"{kind} 'critical'" in message and "`protect: true`" in message and "ResourceOptions" not in message
        assert "c0ffee" not in message
        assert resource_violations(critical_resources_protected, resource_type, props, protect=True) == []

    def test_generated_keys_need_no_protection(self):
        # A rotation replaces them on purpose.
        assert resource_violations(critical_resources_protected, "random:index/randomBytes:RandomBytes", {"length": 32}) == []

    def test_is_advisory(self):
        assert critical_resources_protected.enforcement_level.value == "advisory"
