"""The components used from another program's code, without this repo's stack config."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from expressroute_encryption.config.errors import ConfigError
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
    # The port's first deployment: nothing recorded yet (see test_guard_comes_with_the_component).
    "last_deployment": {},
    %s
})
pulumi.export("links", port.links)
pulumi.export("keys", port.router_keys)
"""


def run_code(tmp_path, macsec='{"cipher": "GcmAesXpn128"}', extra=""):
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM % (macsec, extra)))
    return run_program(tmp_path, "platform-app", "prod", {}, [])


@pytest.mark.smoke
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


def byo_keys(cak1: str, ckn1: str, cak2: str, ckn2: str) -> str:
    """The `keys` argument as a program passes it: each key a secret Output."""
    secret = "pulumi.Output.secret({!r})".format
    return (f'"keys": {{"link1": {{"cak": {secret(cak1)}, "ckn": {secret(ckn1)}}}, '
            f'"link2": {{"cak": {secret(cak2)}, "ckn": {secret(ckn2)}}}}},')


def test_byo_keys_from_code_are_checked_and_kept_secret(tmp_path):
    keys = byo_keys(BYO_CAK[:32], BYO_CKN, BYO_CAK[32:], BYO_CKN)
    run = run_code(tmp_path, macsec='{"cipher": "GcmAes128"}', extra=keys)
    assert find(run, "RandomBytes") == []
    secret = one(run, "keyvault:Secret", "edge-link1-cak")
    assert unwrap(secret.inputs["properties"])["value"] == BYO_CAK[:32]
    bad = byo_keys(BYO_CAK[:32], "abc", BYO_CAK[32:], BYO_CKN)
    # A secret is checked when it resolves: the deployment fails, naming the key, not its value.
    result = preview_in_own_process(tmp_path, macsec='{"cipher": "GcmAes128"}', extra=bad)
    assert result.returncode == 2
    assert "  keys.link1.ckn: must be an even number (2-64) of hexadecimal digits (value not shown)" in result.stderr
    assert BYO_CAK[:32] not in result.stdout + result.stderr


def preview_in_own_process(tmp_path, macsec: str, extra: str):
    """The offline preview of a component program that fails while it runs: in a process of
    its own, as the SDK leaves a failed program's pending tasks behind."""
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM % (macsec, extra)))
    (tmp_path / "Pulumi.yaml").write_text("name: platform-app\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    return subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--project-dir",
                           str(tmp_path), "--stack", "prod"], capture_output=True, text=True, timeout=300)
