"""`make preview` as a user runs it: a separate process on real stack files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from expressroute_encryption.offline.wire import SECRET_SIG, WITHHELD
from tests.helpers import BYO_CAK, BYO_CKN, PROJECT_DIR, cli, dev_config, project_copy
from tests.pulumi_crypto import GoCompatibleEncrypter


def preview(*args: str, cwd: Path = PROJECT_DIR, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "expressroute_encryption.cli", "preview", *args],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


@pytest.mark.smoke
def test_dev_stack_previews_with_tree_and_macsec_summary(tmp_path):
    export = tmp_path / "dev.json"
    result = preview("--stack", "dev", "--export", str(export))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Offline preview of stack 'dev' (18 resources):" in out
    assert "circuit er-ckt-ams-dev-1 on port er-direct-ams-dev: 5 Gbps; AzurePrivatePeering VLAN 100 AS 65010; authorizations: app-team-hub" in out
    assert "  expressroute-encryption:index:EncryptedDirectPort  er-direct-ams-dev" in out
    assert "    azure-native:network:ExpressRoutePort  er-direct-ams-dev" in out
    assert "  link1: MACsec on, cipher GcmAes256, SCI Disabled, admin Enabled, key generation 1 (generated)" in out

    doc = json.loads(export.read_text())
    assert doc["version"] == 3
    resources = doc["deployment"]["resources"]
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    assert resources[0]["outputs"]["macsecKeys"] == {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": WITHHELD}
    port = next(r for r in resources if r["type"] == "azure-native:network:ExpressRoutePort")
    assert port["parent"].endswith("::expressroute-encryption:index:EncryptedDirectPort::er-direct-ams-dev")
    assert port["inputs"]["links"][0]["macSecConfig"]["cipher"] == "GcmAes256"
    # No hex string long enough to be key material appears anywhere in the export.
    text = export.read_text()
    for rb in (r for r in resources if r["type"].endswith("RandomBytes")):
        assert rb["outputs"]["hex"]["ciphertext"] == WITHHELD
    assert "hex\": \"" not in text


@pytest.mark.smoke
def test_config_error_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path):
    config = dev_config()
    config["expressroute-encryption:ports"][0]["macsec"]["cipher"] = "GcmAesXpn256"
    config["expressroute-encryption:keyVault"]["name"] = "kv--bad"
    config["expressroute-encryption:portz"] = []
    project = project_copy(tmp_path, "bad", {"config": config})
    result = preview("--stack", "bad", "--project-dir", str(project))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "stack config: 3 problems; nothing was deployed:"
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        "keyVault.name", "ports[0].macsec.cipher", "portz"
    ]


def test_missing_stack_file_is_a_clear_error():
    result = preview("--stack", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: Pulumi.nope.yaml: no such file (is the stack name right?)"


def byo_stack(encrypt) -> dict:
    config = dev_config()
    config["expressroute-encryption:macsecKeys"] = {
        "er-direct-ams-dev": {
            link: {"cak": {"secure": encrypt(BYO_CAK)}, "ckn": {"secure": encrypt(BYO_CKN)}}
            for link in ("link1", "link2")
        }
    }
    return config


@pytest.fixture(scope="module")
def encrypter():
    return GoCompatibleEncrypter("s3cret passphrase")


def test_secure_values_are_decrypted_with_the_passphrase(tmp_path, encrypter):
    project = project_copy(tmp_path, "byo", {"encryptionsalt": encrypter.state(), "config": byo_stack(encrypter.encrypt)})
    export = tmp_path / "byo.json"
    result = preview("--stack", "byo", "--project-dir", str(project), "--export", str(export),
                     env={"PULUMI_CONFIG_PASSPHRASE": "s3cret passphrase"})
    assert result.returncode == 0, result.stderr
    assert "(bringYourOwn)" in result.stdout and "could not be decrypted" not in result.stdout
    everything = result.stdout + result.stderr + export.read_text()
    assert BYO_CAK not in everything and BYO_CKN not in everything
    assert "RandomBytes" not in export.read_text()


def test_secure_values_without_passphrase_are_unknown_secrets_and_said_so(tmp_path, encrypter):
    project = project_copy(tmp_path, "byo", {"encryptionsalt": encrypter.state(), "config": byo_stack(encrypter.encrypt)})
    result = preview("--stack", "byo", "--project-dir", str(project))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "note: expressroute-encryption:macsecKeys: encrypted (secure) values could not be decrypted"
    )
    assert "(bringYourOwn)" in result.stdout


def test_wrong_passphrase_is_a_clear_error(tmp_path, encrypter):
    project = project_copy(tmp_path, "byo", {"encryptionsalt": encrypter.state(), "config": byo_stack(encrypter.encrypt)})
    result = preview("--stack", "byo", "--project-dir", str(project), env={"PULUMI_CONFIG_PASSPHRASE": "guess"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: Pulumi.byo.yaml:") and "Traceback" not in result.stderr
    assert "guess" not in result.stderr


def test_preview_runs_the_policy_pack_and_fails_on_a_mandatory_violation(tmp_path):
    ok = preview("--stack", "dev")
    assert ok.returncode == 0
    assert "Policies (policy/): 0 mandatory, 13 advisory violation(s)" in ok.stdout  # dev: unprotected, unmonitored
    assert "advisory: critical-resources-protected: urn:pulumi:dev::expressroute-encryption::" in ok.stdout
    # The dev stack turns `protect` off; a team that makes protection mandatory sees it fail.
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"critical-resources-protected": "mandatory"}))
    strict = preview("--stack", "dev", "--policy-config", str(config))
    assert strict.returncode == 1
    assert "Policies (policy/): 10 mandatory, 3 advisory violation(s)" in strict.stdout  # 3: unmonitored


def test_bad_policy_config_exits_2(tmp_path):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"no-such-policy": "mandatory"}))
    result = preview("--stack", "dev", "--policy-config", str(config))
    assert result.returncode == 2 and result.stderr.startswith("error: CONFIG") and "Traceback" not in result.stderr


@pytest.mark.parametrize("stack", ["dev", "prod", "vpn", "vwan"])
def test_example_stacks_pass_every_mandatory_policy(stack):
    from expressroute_encryption.offline.harness import run_program
    from expressroute_encryption.offline.preview import policy_resources
    from expressroute_encryption.offline.stack_file import load_stack_file
    from expressroute_encryption.policy.checker import evaluate

    stack_file = load_stack_file(PROJECT_DIR, stack)
    run = run_program(PROJECT_DIR, stack_file.project, stack, stack_file.config, stack_file.secret_keys)
    violations = evaluate(policy_resources(run))
    assert [v for v in violations if v.level == "mandatory"] == []
    if stack != "dev":  # dev alone switches protection off
        assert violations == []


def test_a_key_set_without_secret_next_to_encrypted_ones_is_refused(tmp_path, encrypter):
    config = byo_stack(encrypter.encrypt)
    config["expressroute-encryption:macsecKeys"]["er-direct-ams-dev"]["link2"]["ckn"] = BYO_CKN
    project = project_copy(tmp_path, "byo", {"encryptionsalt": encrypter.state(), "config": config})
    result = preview("--stack", "byo", "--project-dir", str(project), env={"PULUMI_CONFIG_PASSPHRASE": "s3cret passphrase"})
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: Pulumi.byo.yaml: macsecKeys.er-direct-ams-dev.link2.ckn: stored in plain text next to encrypted values")
    assert BYO_CKN not in result.stderr + result.stdout


def test_a_broken_stack_file_is_reported_by_place_not_content(tmp_path):
    project = project_copy(tmp_path, "broken", {"config": {}})
    (project / "Pulumi.broken.yaml").write_text("config:\n  expressroute-encryption:macsecKeys: {cak: c0ffee1234\n")
    result = preview("--stack", "broken", "--project-dir", str(project))
    assert result.returncode == 2
    assert result.stderr.startswith("error: Pulumi.broken.yaml: not valid YAML at line") and "c0ffee1234" not in result.stderr


@pytest.mark.parametrize("passphrase", [True, False], ids=["decrypted", "not-decrypted"])
def test_the_rotation_plan_runs_on_a_stack_with_its_own_keys(tmp_path, encrypter, passphrase):
    """The runbook is what an operator reads before a link change on a bring-your-own-key
    stack: the plan must run there, decrypted or not, without printing a key."""
    project = project_copy(tmp_path, "byo", {"encryptionsalt": encrypter.state(), "config": byo_stack(encrypter.encrypt)})
    env = {"PATH": "/usr/bin:/bin", **({"PULUMI_CONFIG_PASSPHRASE": "s3cret passphrase"} if passphrase else {})}
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "rotation-plan", "--stack", "byo",
                             "--project-dir", str(project)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "MACsec rotation plan for stack 'byo'" in result.stdout
    assert BYO_CAK not in result.stdout + result.stderr and BYO_CKN not in result.stdout + result.stderr


@pytest.mark.parametrize("stack", ["vpn", "vwan"])
def test_the_rotation_plan_runs_on_the_vpn_stacks(stack):
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "rotation-plan", "--stack", stack],
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_the_rotation_plan_marks_every_line_of_a_stack_file_error(tmp_path, encrypter):
    config = byo_stack(encrypter.encrypt)
    for link in ("link1", "link2"):
        config["expressroute-encryption:macsecKeys"]["er-direct-ams-dev"][link]["ckn"] = BYO_CKN
    project = project_copy(tmp_path, "byo", {"encryptionsalt": encrypter.state(), "config": config})
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "rotation-plan", "--stack", "byo",
                             "--project-dir", str(project)], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "PULUMI_CONFIG_PASSPHRASE": "s3cret passphrase"})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 2
    assert all(line.startswith("error: Pulumi.byo.yaml: macsecKeys.er-direct-ams-dev.link") for line in lines)
    assert BYO_CKN not in result.stderr


def test_a_consumer_programs_config_error_is_printed_as_its_problem_lines(tmp_path, capsys):
    """A program that builds the components itself and lets their argument check fail: the
    problems with their paths and exit 2, as under Pulumi's mocks, not "a bug in the tool"."""
    (tmp_path / "Pulumi.yaml").write_text("name: platform-app\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent("""
        from expressroute_encryption import EncryptedDirectPort
        EncryptedDirectPort("edge", {
            "resource_group_name": "rg", "vault_name": "kv-app", "identity_id": "id", "name": "edge-ams",
            "peering_location": "Equinix-Amsterdam-AM5", "bandwidth_in_gbps": 10, "encapsulation": "Dot1Q",
            "billing_type": "MeteredData", "stage": "reserved", "macsec": {"cipher": "GcmAesXpn256"}, "bogus": 1,
        })
    """))
    code, out, err = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(tmp_path))
    assert code == 2
    assert err.splitlines() == [
        "EncryptedDirectPort 'edge': 2 problems; nothing was deployed:",
        "  macsec.cipher: GcmAesXpn256 is not supported on 10 Gbps ports; use GcmAes128 or GcmAes256 (XPN ciphers "
        "need a 100 Gbps port)",
        "  bogus: unknown key (allowed: resource_group_name, vault_name, identity_id, name, peering_location, "
        "bandwidth_in_gbps, encapsulation, billing_type, stage, macsec, import_id, keys, protect, "
        "vault_resource_group_name, vault_subscription_id, adopting, last_deployment, last_key_fingerprints, "
        "last_deployment_outputs)",
    ]
    assert "bug in the tool" not in out + err and "Traceback" not in err
