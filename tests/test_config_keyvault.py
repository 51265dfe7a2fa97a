"""config/keyvault.py: the Key Vault settings: the vault name, soft-delete retention, the
authorization model, the firewall's allowed IP ranges (syntax, public, not too broad) and the id
of an existing vault."""

from __future__ import annotations

import pytest

from tests.helpers import base_config, only_problem


@pytest.mark.parametrize("name", ["kv", "1kv-macsec", "kv--macsec", "kv-macsec-", "kv_macsec", "k" * 25])
def test_vault_name_rules(name):
    msg = only_problem(base_config(keyVault={"name": name}))
    assert msg.startswith("keyVault.name: must be 3-24 characters of letters, digits and hyphens")


@pytest.mark.parametrize("days", [6, 91])
def test_soft_delete_retention_range(days):
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "softDeleteRetentionDays": days}))
    assert msg.startswith("keyVault.softDeleteRetentionDays:")


def test_authorization_enum():
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "authorization": "RBAC"}))
    assert msg.startswith("keyVault.authorization:") and "'accessPolicy' or 'rbac'" in msg


@pytest.mark.parametrize("value", ["203.0.113.0/33", "203.0.113.1/24", "not-an-ip", "2001:db8::/32"])
def test_allowed_ip_ranges_syntax(value):
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "allowedIpRanges": ["198.51.100.7", value]}))
    assert msg.startswith("keyVault.allowedIpRanges[1]: must be an IPv4 address or CIDR range")


def test_allowed_ip_ranges_must_be_public():
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "allowedIpRanges": ["10.1.0.0/16"]}))
    assert msg.startswith("keyVault.allowedIpRanges[0]: must be a public range")


@pytest.mark.parametrize("value", ["0.0.0.0/0", "20.0.0.0/8", "20.32.0.0/15"])
def test_allowed_ip_ranges_cannot_open_the_firewall_wide(value):
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "allowedIpRanges": [value]}))
    assert msg.startswith("keyVault.allowedIpRanges[0]: is too broad:")


@pytest.mark.parametrize("value, reason", [
    ("100.64.0.0/24", "shared address space"), ("224.0.0.0/24", "multicast"), ("0.0.0.0/24", "this network"),
    ("240.0.0.0/24", "reserved"), ("10.1.0.0/24", "private"),
])
def test_key_vault_firewall_ranges_must_be_public(value, reason):
    values = base_config(keyVault={"name": "kv-er-test", "allowedIpRanges": ["198.51.100.0/24", value]})
    problem = only_problem(values)
    assert problem.startswith("keyVault.allowedIpRanges[1]: must be a public range")
    assert reason in problem

VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-keys"


@pytest.mark.parametrize("vault_id", [VAULT_ID + "\n", VAULT_ID.replace("/rg-keys/", "/../"), VAULT_ID + "/.."])
def test_an_existing_vault_id_azure_refuses_is_refused(vault_id):
    assert only_problem(base_config(keyVault={"existingId": vault_id})).startswith(
        "keyVault.existingId: must be the ARM id of an existing resource of type Microsoft.KeyVault/vaults")
