"""The components used from another program's code, without this repo's stack config."""

from __future__ import annotations

import textwrap

import pytest

from expressroute_encryption.config import ConfigError
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import BYO_CAK, BYO_CKN, find, one, plain_inputs
from expressroute_encryption.offline.harness import run_program

PROGRAM = """
import pulumi
from expressroute_encryption import EncryptedDirectPort, MacsecKeyVault

vault = MacsecKeyVault("kv", {"resource_group_name": "rg-app", "name": "kv-app-macsec"})
port = EncryptedDirectPort("edge", {
    "resource_group_name": "rg-app",
    "vault_name": vault.vault_name,
    "identity_id": vault.identity_id,
    "name": "edge-ams",
    "peering_location": "Equinix-Amsterdam-AM5",
    "bandwidth_in_gbps": 100,
    "encapsulation": "Dot1Q",
    "billing_type": "UnlimitedData",
    "stage": "encrypted",
    "macsec": %s,
    %s
})
pulumi.export("links", port.links)
pulumi.export("keys", port.router_keys)
"""


def run_code(tmp_path, macsec='{"cipher": "GcmAesXpn128"}', extra=""):
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM % (macsec, extra)))
    return run_program(tmp_path, "platform-app", "prod", {}, [])


def test_components_work_from_code_with_secure_defaults(tmp_path):
    run = run_code(tmp_path)
    vault = plain_inputs(one(run, "keyvault:Vault"))["properties"]
    assert vault["networkAcls"]["defaultAction"] == "Deny" and vault["networkAcls"]["bypass"] == "AzureServices"
    assert vault["softDeleteRetentionInDays"] == 90 and vault["enablePurgeProtection"] is True
    assert all(r.protect for r in run.resources if r.custom and not r.type.startswith("random:"))
    links = plain_inputs(one(run, "network:ExpressRoutePort"))["links"]
    assert {(link["adminState"], link["macSecConfig"]["cipher"], link["macSecConfig"]["sciState"]) for link in links} == {
        ("Disabled", "GcmAesXpn128", "Disabled")
    }
    assert plain_inputs(one(run, "RandomBytes", "edge-link1-cak-gen1"))["length"] == 16
    assert set(unwrap(run.stack_outputs["keys"])) == {"link1", "link2"}
    assert sorted(r.type for r in run.resources if r.parent.endswith("::pulumi:pulumi:Stack::platform-app-prod")) == [
        "expressroute-encryption:index:EncryptedDirectPort", "expressroute-encryption:index:MacsecKeyVault"
    ]


def test_component_arguments_get_the_same_validation(tmp_path):
    with pytest.raises(ConfigError) as info:
        run_code(tmp_path, macsec='{"cipher": "GcmAes256", "sci_state": "on", "key_generation": {"link2": 0}}')
    assert info.value.problems[0].startswith("macsec.sci_state: Input should be 'Enabled' or 'Disabled'")
    assert info.value.problems[1].startswith("macsec.key_generation.link2: Input should be greater than or equal to 1")
    assert str(info.value).startswith("EncryptedDirectPort 'edge': 2 problems; nothing was deployed:")


def test_byo_keys_from_code_are_checked_and_kept_secret(tmp_path):
    keys = f'"keys": {{"link1": {{"cak": "{BYO_CAK[:32]}", "ckn": "{BYO_CKN}"}}, "link2": {{"cak": "{BYO_CAK[:32]}", "ckn": "{BYO_CKN}"}}}},'
    run = run_code(tmp_path, macsec='{"cipher": "GcmAes128"}', extra=keys)
    assert find(run, "RandomBytes") == []
    secret = one(run, "keyvault:Secret", "edge-link1-cak")
    assert unwrap(secret.inputs["properties"])["value"] == BYO_CAK[:32]
    bad = keys.replace(BYO_CKN, "abc")
    with pytest.raises(ConfigError) as info:
        run_code(tmp_path, macsec='{"cipher": "GcmAes128"}', extra=bad)
    assert "keys.link1.ckn: must be an even number (2-64) of hexadecimal digits (value not shown)" in info.value.problems
