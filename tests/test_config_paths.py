"""Config keys written as a path (config/paths.py): ``pulumi new`` saves a template's
answers as ``expressroute-encryption:ports[0].stage``; they are the nested keys, checked as
one config, by the program and by the offline reader alike."""

from __future__ import annotations

import pytest

from expressroute_encryption.cli import main
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import stack_config_from
from expressroute_encryption.config.paths import parse_path
from tests.helpers import BYO_CAK, base_config, cli_config, program_folder

NS = "expressroute-encryption"
# BASE's port at stage reserved, every leaf a key of its own, as `pulumi new` writes them
# (values are text: the CLI saves a prompt's answer as a string).
AS_PATHS = {
    f"{NS}:resourceGroupName": "rg-er-test",
    f"{NS}:keyVault.name": "kv-er-test",
    f"{NS}:keyVault.allowedIpRanges[0]": "198.51.100.0/24",
    f"{NS}:ports[0].name": "port-a",
    f"{NS}:ports[0].peeringLocation": "Equinix-Amsterdam-AM5",
    f"{NS}:ports[0].bandwidthInGbps": "10",
    f"{NS}:ports[0].encapsulation": "QinQ",
    f"{NS}:ports[0].billingType": "MeteredData",
    f"{NS}:ports[0].stage": "reserved",
    f"{NS}:ports[0].macsec.cipher": "GcmAes256",
    "azure-native:location": "westeurope",
}


def nested():
    values = base_config()
    values["ports"][0]["stage"] = "reserved"
    return values


def test_keys_written_as_paths_are_the_nested_config():
    assert stack_config_from(AS_PATHS, []) == stack_config_from(cli_config(nested()), [])


def test_paths_and_nested_keys_add_up():
    """A stack made from the template gets its circuits later with `pulumi config set --path`,
    which writes them inside `ports`: both spellings make one port."""
    config = {**AS_PATHS, f"{NS}:ports[0].stage": "encrypted",
              f"{NS}:ports": '[{"circuits":[{"name":"ckt-a","bandwidthInGbps":5,"skuTier":"Standard",'
                             '"skuFamily":"MeteredData"}]}]'}
    port = stack_config_from(config, []).ports[0]
    assert (port.name, port.stage, [c.name for c in port.circuits]) == ("port-a", "encrypted", ["ckt-a"])


def test_values_are_read_as_pulumi_config_set_path_stores_them():
    """Whole numbers and true/false are typed; a leading zero keeps a value text."""
    config = stack_config_from({**AS_PATHS, f"{NS}:protect": "false", f"{NS}:keyVault.purgeProtection": "true",
                                f"{NS}:keyVault.softDeleteRetentionDays": "30"}, [])
    assert (config.protect, config.key_vault.purge_protection, config.key_vault.soft_delete_retention_days) == (False, True, 30)
    with pytest.raises(ConfigError) as info:
        stack_config_from({**AS_PATHS, f"{NS}:ports[0].bandwidthInGbps": "010"}, [])
    assert info.value.problems[0].startswith("ports[0].bandwidthInGbps: ")


@pytest.mark.parametrize("extra, problem", [
    ({f"{NS}:keyVault": '{"name":"kv-other"}'},
     "keyVault.name: set twice with different values (as expressroute-encryption:keyVault.name and inside "
     "expressroute-encryption:keyVault); keep one"),
    ({f"{NS}:ports[2].name": "port-c"}, "ports[2]: set without ports[1] (list items are numbered from 0, without gaps)"),
    ({f"{NS}:macsecKeys.port-a.link1.cak": BYO_CAK},
     "macsecKeys.port-a.link1.cak: key material is not a key of its own; set it with: "
     "pulumi config set --secret --path 'macsecKeys.port-a.link1.cak' <value>"),
    ({f"{NS}:vpn.sharedKey": "Tunnel-Key-x7Q2x7Q2x7Q2"},
     "vpn.sharedKey: key material is not a key of its own; set it with: pulumi config set --secret --path "
     "'vpn.sharedKey' <value>"),
    ({f"{NS}:ports[0]..name": "x"},
     "ports[0]..name: not a config path (write it as ports[0].macsec.cipher, with [\"...\"] around a name that holds a '.')"),
    ({f"{NS}:resourceGroupName.x": "y"}, "resourceGroupName: a key is given for something that is not a mapping"),
])
def test_a_path_that_cannot_fold_is_one_line_and_nothing_else(extra, problem):
    with pytest.raises(ConfigError) as info:
        stack_config_from({**AS_PATHS, **extra}, [])
    assert info.value.problems == [problem]
    assert BYO_CAK not in str(info.value)


def test_quoted_names_and_indexes_parse_as_the_cli_reads_a_path():
    assert parse_path('monitoring.drainedLinks["er.ams"][1]') == ("monitoring", "drainedLinks", "er.ams", 1)
    assert parse_path("[0].name") is None and parse_path("ports.[0]") is None


def test_the_offline_preview_reads_a_stack_file_written_as_paths(tmp_path, capsys):
    """The offline reader folds the paths too, so the preview shows the port as the program builds it."""
    lines = ["config:"] + [f"  {key}: '{value}'" for key, value in AS_PATHS.items()]
    project = program_folder(tmp_path)
    (project / "Pulumi.paths.yaml").write_text("\n".join(lines) + "\n")
    assert main(["preview", "--project-dir", str(project), "--stack", "paths"]) == 0
    out = capsys.readouterr().out
    assert "port port-a: stage reserved" in out
