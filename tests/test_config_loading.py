"""The stack config as the Pulumi CLI hands it to a program (config/loading.py): every
problem at once, without Pulumi and without reading a stack file; key material the CLI does not
call secret is refused on ``pulumi up``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import load_stack_config, stack_config_from
from tests.helpers import BYO_CAK, BYO_CKN, BYO_PORT_KEYS, SHARED_KEY, VPN, base_config, circuit, cli_config, port


BYO = {"port-a": {link: {"cak": BYO_CAK, "ckn": BYO_CKN} for link in ("link1", "link2")}}


def test_the_cli_shaped_config_becomes_the_stack_config():
    config = stack_config_from(cli_config(base_config(protect=False, macsecKeys=BYO)),
                               ["expressroute-encryption:macsecKeys"])
    assert config.protect is False and config.ports[0].name == "port-a"
    assert config.macsec_keys["port-a"].cak_of("link1") == BYO_CAK


def test_every_problem_comes_at_once_region_secrets_and_schema():
    values = base_config(ports=[port(stage="parked", circuits=[circuit()])],
                         vpn=dict(VPN, sharedKey="Tunnel-Key-x7Q2x7Q2x7Q2"), macsecKeys=BYO)
    with pytest.raises(ConfigError) as info:
        stack_config_from(cli_config(values, location=None), secret_keys=[])
    assert [line.split(":")[0] for line in info.value.problems] == [
        "azure-native", "macsecKeys", "vpn.sharedKey", "ports[0].stage"]
    assert info.value.problems[0] == ("azure-native:location: required: the Azure region for the resource group, "
                                      "vault and ports (pulumi config set azure-native:location westeurope)")
    assert BYO_CAK not in str(info.value)


def test_other_namespaces_are_not_ours_and_a_misspelt_key_is_named():
    config = {**cli_config(base_config()), "azure-native:subscriptionId": "x", "expressroute-encryption:port": "[]"}
    with pytest.raises(ConfigError) as info:
        stack_config_from(config, [])
    assert info.value.problems == ["port: unknown key (allowed: resourceGroupName, protect, keyVault, ports, macsecKeys, "
                                   "vpn, decommission, tags, monitoring, changeGate, locks, lockExistingVault, unlistedRegion)"]


def test_it_runs_without_importing_pulumi():
    """The offline preview reports a config error before it loads the SDK."""
    script = (
        "import json, sys\n"
        "from expressroute_encryption.config.errors import ConfigError\n"
        "from expressroute_encryption.config.loading import stack_config_from\n"
        "try:\n"
        f"    stack_config_from({json.dumps(cli_config(base_config(ports=[])))}, [])\n"
        "except ConfigError as error:\n"
        "    print(json.dumps([error.problems, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pulumi', 'pulumi_azure_native', 'yaml'))]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found, loaded = json.loads(result.stdout)
    assert found == ["ports: List should have at least 1 item after validation, not 0"] and loaded == []


def load_as_the_cli_runs_it(monkeypatch, cwd, values: dict, secret_keys=("macsecKeys",)) -> list[str]:
    """load_stack_config as in `pulumi up`: config from the CLI, the program in ``cwd``."""
    from pulumi.runtime import set_all_config

    set_all_config(cli_config(values), [f"expressroute-encryption:{k}" for k in secret_keys])
    monkeypatch.chdir(cwd)
    try:
        load_stack_config()
    except ConfigError as exc:
        return exc.problems
    return []


def test_the_program_reads_no_stack_file_on_pulumi_up(tmp_path, monkeypatch):
    """What the CLI hands over is all the program needs: no Pulumi.yaml anywhere above it."""
    assert load_as_the_cli_runs_it(monkeypatch, tmp_path, base_config(macsecKeys=BYO_PORT_KEYS)) == []


def test_key_material_the_cli_does_not_call_secret_is_refused_on_pulumi_up(tmp_path, monkeypatch):
    values = base_config(ports=[port(circuits=[circuit()])], vpn=dict(VPN, sharedKey=SHARED_KEY), macsecKeys=BYO_PORT_KEYS)
    found = load_as_the_cli_runs_it(monkeypatch, tmp_path, values, secret_keys=())
    assert [line.split(":")[0] for line in found] == ["macsecKeys", "vpn.sharedKey"]
    assert not {BYO_CAK, SHARED_KEY} & set("\n".join(found).split())
