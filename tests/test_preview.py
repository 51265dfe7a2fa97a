"""offline/preview.py: ``expressroute-encryption preview`` (``make preview``), the offline preview.

What it prints for the example stacks and for stacks with their own keys (decrypted with the
passphrase, or unknown and said so), its policy section and exit codes, every failure as a clean
error (JSON mode: always one JSON document), imports listed with their ids; ``--export FILE``
writes only what it may, whole or not at all, and the same input gives byte-identical output.
A few tests run it as a user does, in a process of its own; the rest in-process.

Property-based: whatever stack file a user writes, the preview answers cleanly. Documents are
the example stacks with random mutations (wrong types, unknown and missing keys, bad enum values,
nulls, huge numbers, unicode, NaN), key material in the secret positions (plain or encrypted,
well-formed or not, and hex strings as macsecKeys names), and now and then a broken text
(truncated, a key twice, an alias bomb). Each is previewed in-process, in text or JSON mode:

- the exit code is 0, 1 or 2 and no traceback is printed;
- every error line names a config path (or, for a file that is not YAML, the file);
- no secret value placed in the file, and no key-like name under macsecKeys, appears in
  any output.

Derandomized (the same examples every run), and bounded to stay under a minute on two cores."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings, strategies as st

from expressroute_encryption.cli import main
from expressroute_encryption.offline import preview as preview_module
from expressroute_encryption.offline.preview import EXPORT_MARKER
from expressroute_encryption.offline.wire import SECRET_SIG, WITHHELD
from tests.helpers import (
    BYO_CAK, BYO_CKN, PROJECT_DIR, STACK_PASSPHRASE, base_config, byo_stack, circuit, cli, dev_config, port,
    preview, project_copy,
)
from tests.pulumi_crypto import GoCompatibleEncrypter


def preview_process(*args: str, cwd: Path = PROJECT_DIR, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "expressroute_encryption.cli", "preview", *args],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def preview_here(capsys, monkeypatch, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The preview in-process, as ``preview_process`` runs it: from the repository, with no
    passphrase but the one ``env`` gives; its exit code and output as a finished process's."""
    monkeypatch.chdir(PROJECT_DIR)
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    code, out, err = preview(capsys, *args)
    return subprocess.CompletedProcess(["preview", *args], code, out, err)


@pytest.mark.smoke
def test_dev_stack_previews_where_a_deployment_starts(tmp_path):
    """`make preview` on a fresh clone: the dev port at stage reserved, with what comes next,
    no warning, and each advisory policy on one line naming Azure resources (no URNs)."""
    export = tmp_path / "dev.json"
    result = preview_process("--stack", "dev", "--export", str(export))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Offline preview of stack 'dev' (14 resources):" in out
    assert "warning:" not in out and "urn:pulumi" not in out
    assert "  expressroute-encryption:index:EncryptedDirectPort  er-direct-ams-dev" in out
    assert "    azure-native:network:ExpressRoutePort  er-direct-ams-dev" in out
    assert "port er-direct-ams-dev: stage reserved" in out
    assert ("  link1: MACsec not applied yet, cipher GcmAes256, SCI Disabled, admin Disabled, key generation 1 "
            "(generated)") in out
    assert ("  next: download the port's LOA (az network express-route port generate-loa), order the cross-connects, "
            "load each link's CAK/CKN on your routers") in out
    assert out[out.index("\nPolicies (policy/)"):].strip().splitlines() == [
        "Policies (policy/): 0 mandatory, 3 advisory violation(s)",
        "  advisory: critical-resources-protected: 2 resources: ExpressRoutePort er-direct-ams-dev, "
        "UserAssignedIdentity kv-ermacsec-dev-macsec",
        "  advisory: expressroute-port-monitored: 1 resource: ExpressRoutePort er-direct-ams-dev",
        "  (what to change, with each resource's URN: --verbose, or make preview VERBOSE=1)",
    ]

    doc = json.loads(export.read_text())
    assert doc["version"] == 3
    resources = doc["deployment"]["resources"]
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    assert resources[0]["outputs"]["macsecKeys"] == {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": WITHHELD}
    port = next(r for r in resources if r["type"] == "azure-native:network:ExpressRoutePort")
    assert port["parent"].endswith("::expressroute-encryption:index:EncryptedDirectPort::er-direct-ams-dev")
    assert "links" not in port["inputs"]  # reserved: the request that creates a port sends no link settings
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
    result = preview_process("--stack", "bad", "--project-dir", str(project))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "stack config: 3 problems; nothing was deployed:"
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        "keyVault.name", "ports[0].macsec.cipher", "portz"
    ]


def test_missing_stack_file_is_a_clear_error(capsys, monkeypatch):
    result = preview_here(capsys, monkeypatch, "--stack", "nope")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: Pulumi.nope.yaml: no such file (is the stack name right?)"


def test_secure_values_are_decrypted_with_the_passphrase(tmp_path, stack_encrypter, capsys, monkeypatch):
    project = project_copy(tmp_path, "byo", {"encryptionsalt": stack_encrypter.state(),
                                             "config": byo_stack(stack_encrypter.encrypt)})
    export = tmp_path / "byo.json"
    result = preview_here(capsys, monkeypatch, "--stack", "byo", "--project-dir", str(project), "--export", str(export),
                          env={"PULUMI_CONFIG_PASSPHRASE": STACK_PASSPHRASE})
    assert result.returncode == 0, result.stderr
    assert "(bringYourOwn)" in result.stdout and "could not be decrypted" not in result.stdout
    everything = result.stdout + result.stderr + export.read_text()
    assert BYO_CAK not in everything and BYO_CKN not in everything
    assert "RandomBytes" not in export.read_text()


def test_secure_values_without_passphrase_are_unknown_secrets_and_said_so(tmp_path, stack_encrypter, capsys,
                                                                         monkeypatch):
    project = project_copy(tmp_path, "byo", {"encryptionsalt": stack_encrypter.state(),
                                             "config": byo_stack(stack_encrypter.encrypt)})
    result = preview_here(capsys, monkeypatch, "--stack", "byo", "--project-dir", str(project))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "note: expressroute-encryption:macsecKeys: encrypted (secure) values could not be decrypted"
    )
    assert "(bringYourOwn)" in result.stdout


def test_wrong_passphrase_is_a_clear_error(tmp_path, stack_encrypter, capsys, monkeypatch):
    project = project_copy(tmp_path, "byo", {"encryptionsalt": stack_encrypter.state(),
                                             "config": byo_stack(stack_encrypter.encrypt)})
    result = preview_here(capsys, monkeypatch, "--stack", "byo", "--project-dir", str(project),
                          env={"PULUMI_CONFIG_PASSPHRASE": "guess"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: Pulumi.byo.yaml:") and "Traceback" not in result.stderr
    assert "guess" not in result.stderr


def test_preview_runs_the_policy_pack_and_fails_on_a_mandatory_violation(tmp_path, capsys, monkeypatch):
    ok = preview_here(capsys, monkeypatch, "--stack", "dev")
    assert ok.returncode == 0
    assert "Policies (policy/): 0 mandatory, 3 advisory violation(s)" in ok.stdout  # dev: unprotected, unmonitored
    assert "advisory: critical-resources-protected: 2 resources: ExpressRoutePort er-direct-ams-dev" in ok.stdout
    # The dev stack turns `protect` off; a team that makes protection mandatory sees it fail,
    # each mandatory violation in full: the resource's URN and what to change.
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"critical-resources-protected": "mandatory"}))
    strict = preview_here(capsys, monkeypatch, "--stack", "dev", "--policy-config", str(config))
    assert strict.returncode == 1
    assert "Policies (policy/): 2 mandatory, 1 advisory violation(s)" in strict.stdout  # 1: unmonitored
    assert ("  mandatory: critical-resources-protected: urn:pulumi:dev::expressroute-encryption::expressroute-encryption:"
            "index:EncryptedDirectPort$azure-native:network:ExpressRoutePort::er-direct-ams-dev: ExpressRoute port "
            "'er-direct-ams-dev' is not protected") in strict.stdout


def test_verbose_prints_every_violation_in_full_and_json_is_the_same_with_it(capsys, monkeypatch):
    quiet = preview_here(capsys, monkeypatch, "--stack", "dev")
    verbose = preview_here(capsys, monkeypatch, "--stack", "dev", "--verbose")
    assert verbose.returncode == quiet.returncode == 0
    lines = verbose.stdout[verbose.stdout.index("\nPolicies (policy/)"):].strip().splitlines()[1:]
    assert len(lines) == 3 and all(line.startswith("  advisory: ") and ": urn:pulumi:dev::" in line for line in lines)
    assert quiet.stdout[:quiet.stdout.index("\nPolicies")] == verbose.stdout[:verbose.stdout.index("\nPolicies")]
    as_json = [json.loads(preview_here(capsys, monkeypatch, "--stack", "dev", "--json", *extra).stdout)
               for extra in ((), ("--verbose",))]
    assert as_json[0] == as_json[1]
    assert [v["urn"].rsplit("::", 1)[-1] for v in as_json[0]["policy"]["violations"]] == [
        "er-direct-ams-dev", "macsec-identity", "er-direct-ams-dev"]


def test_bad_policy_config_exits_2(tmp_path, capsys, monkeypatch):
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"no-such-policy": "mandatory"}))
    result = preview_here(capsys, monkeypatch, "--stack", "dev", "--policy-config", str(config))
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


def test_a_key_set_without_secret_next_to_encrypted_ones_is_refused(tmp_path, stack_encrypter, capsys, monkeypatch):
    config = byo_stack(stack_encrypter.encrypt)
    config["expressroute-encryption:macsecKeys"]["er-direct-ams-dev"]["link2"]["ckn"] = BYO_CKN
    project = project_copy(tmp_path, "byo", {"encryptionsalt": stack_encrypter.state(), "config": config})
    result = preview_here(capsys, monkeypatch, "--stack", "byo", "--project-dir", str(project),
                          env={"PULUMI_CONFIG_PASSPHRASE": STACK_PASSPHRASE})
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: Pulumi.byo.yaml: macsecKeys.er-direct-ams-dev.link2.ckn: stored in plain text next to encrypted values")
    assert BYO_CKN not in result.stderr + result.stdout


def test_a_broken_stack_file_is_reported_by_place_not_content(tmp_path, capsys, monkeypatch):
    project = project_copy(tmp_path, "broken", {"config": {}})
    (project / "Pulumi.broken.yaml").write_text("config:\n  expressroute-encryption:macsecKeys: {cak: c0ffee1234\n")
    result = preview_here(capsys, monkeypatch, "--stack", "broken", "--project-dir", str(project))
    assert result.returncode == 2
    assert result.stderr.startswith("error: Pulumi.broken.yaml: not valid YAML at line") and "c0ffee1234" not in result.stderr


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


def test_a_project_without_a_program_is_one_clean_error(tmp_path, capsys):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    code, _, err = preview(capsys, "--project-dir", str(tmp_path))
    assert code == 2
    assert err.strip().endswith("__main__.py: no such file: the program to preview "
                                "(is --project-dir the Pulumi project's folder?)")


def test_the_preview_lists_each_import_with_its_id(tmp_path):
    from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID
    from expressroute_encryption.offline.preview import run_preview
    from tests.helpers import project_copy

    circuit_id = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-er-test/providers/"
                  "Microsoft.Network/expressRouteCircuits/ckt-1")
    values = base_config(ports=[port(circuits=[circuit(importId=circuit_id)])])
    doc = {"config": {"azure-native:location": "westeurope", **{f"expressroute-encryption:{k}": v for k, v in values.items()}}}
    report = run_preview("adopt", project_copy(tmp_path, "adopt", doc))
    lines = report.sections["Adopted (imported, not created; Pulumi refuses an import whose inputs differ from Azure)"]
    assert f"import: ExpressRouteCircuitPeering ckt-1-AzurePrivatePeering from {circuit_id}/peerings/AzurePrivatePeering" in lines
    assert f"import: ExpressRouteCircuitAuthorization ckt-1-team-a from {circuit_id}/authorizations/team-a" in lines


@pytest.fixture
def bad_project(tmp_path: Path) -> Path:
    """A project whose stack 'bad' has a config error (exit 2)."""
    config = dev_config()
    config[f"{NS}:ports"][0]["macsec"]["cipher"] = "Rot13"
    folder = tmp_path / "bad"
    folder.mkdir()
    return project_copy(folder, "bad", {"config": config})


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_export_is_written_with_the_marker_and_said_so(tmp_path, capsys):
    export = tmp_path / "out.json"
    code, out, _ = preview(capsys, "--export", str(export), "--json")
    assert code == 0 and json.loads(out)["export"] == str(export)
    assert json.loads(export.read_text())["writtenBy"] == EXPORT_MARKER
    assert leftovers(tmp_path) == []


def test_an_earlier_export_of_ours_is_replaced(tmp_path, capsys):
    export = tmp_path / "out.json"
    export.write_text(json.dumps({"writtenBy": EXPORT_MARKER, "stale": True}))
    code, out, _ = preview(capsys, "--export", str(export))
    assert code == 0 and f"wrote {export} (secrets withheld)" in out
    assert "stale" not in json.loads(export.read_text())


@pytest.mark.parametrize("what, argument", [
    ("stack file", lambda tmp: PROJECT_DIR / "Pulumi.dev.yaml"),
    ("project file", lambda tmp: PROJECT_DIR / "Pulumi.yaml"),
])
def test_the_inputs_of_the_project_are_never_overwritten(tmp_path, capsys, what, argument):
    target = argument(tmp_path)
    before = target.read_bytes()
    code, _, err = preview(capsys, "--export", str(target))
    assert code == 2
    assert err.strip() == f"error: --export {target}: is the {what}; refusing to overwrite it (choose another file)"
    assert target.read_bytes() == before


def test_the_previous_file_and_the_policy_config_are_never_overwritten(tmp_path, capsys):
    previous = tmp_path / "previous.json"
    assert preview(capsys, "--export", str(previous))[0] == 0  # an export of ours, used as PREVIOUS
    before = previous.read_bytes()
    code, _, err = preview(capsys, "--previous", str(previous), "--export", str(previous))
    assert code == 2 and err.strip().endswith("is the PREVIOUS file; refusing to overwrite it (choose another file)")
    assert previous.read_bytes() == before

    policy = tmp_path / "policy.json"
    policy.write_text('{"all": "advisory"}')
    code, _, err = preview(capsys, "--policy-config", str(policy), "--export", str(policy))
    assert code == 2 and "is the policy config; refusing to overwrite it" in err
    assert policy.read_text() == '{"all": "advisory"}'


@pytest.mark.parametrize("content", [b'{"version": 3, "deployment": {"resources": []}}', b"notes\n", b""])
def test_any_other_existing_file_is_refused_by_name(tmp_path, capsys, content):
    other = tmp_path / "real-stack-export.json"
    other.write_bytes(content)
    code, _, err = preview(capsys, "--export", str(other))
    assert code == 2 and err.strip() == (
        f"error: --export {other}: exists and is not an export this command wrote; refusing to overwrite it "
        "(remove it or choose another file)")
    assert other.read_bytes() == content


def test_a_missing_folder_is_a_clean_error_in_both_modes(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "out.json"
    code, _, err = preview(capsys, "--export", str(target))
    assert code == 2 and err.strip() == f"error: --export {target}: the folder {target.parent} does not exist"
    code, out, err = preview(capsys, "--export", str(target), "--json")
    assert code == 2 and err == "" and json.loads(out)["errors"] == [
        f"error: --export {target}: the folder {target.parent} does not exist"]
    assert not (tmp_path / "no").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_a_clean_error(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _, err = preview(capsys, "--export", str(folder / "out.json"))
    finally:
        folder.chmod(0o700)
    assert code == 2 and "cannot write into the folder" in err and "Traceback" not in err


def test_a_failing_write_leaves_neither_a_partial_file_nor_a_temporary_one(tmp_path, capsys, monkeypatch):
    export = tmp_path / "out.json"

    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(preview_module.os, "replace", disk_full)
    code, out, err = preview(capsys, "--export", str(export), "--json")
    assert code == 2 and json.loads(out)["errors"] == [
        f"error: --export {export}: cannot write: No space left on device"]
    assert not export.exists() and leftovers(tmp_path) == []


def test_a_failed_run_writes_nothing_and_removes_only_its_own_stale_export(tmp_path, capsys, bad_project):
    ours = tmp_path / "ours.json"
    assert preview(capsys, "--export", str(ours))[0] == 0
    code, out, err = preview(capsys, "--stack", "bad", "--project-dir", str(bad_project), "--export", str(ours))
    assert code == 2 and "ports[0].macsec.cipher" in err
    assert not ours.exists()
    assert f"note: --export {ours}: removed the export of an earlier run: this run failed and wrote none" in out

    someone_elses = tmp_path / "theirs.json"
    someone_elses.write_text("keep me")
    code, _, _ = preview(capsys, "--stack", "bad", "--project-dir", str(bad_project), "--export", str(someone_elses))
    assert code == 2 and someone_elses.read_text() == "keep me"
    assert leftovers(tmp_path) == []


def test_a_policy_violation_still_writes_the_export(tmp_path, capsys):
    policy = tmp_path / "strict.json"
    policy.write_text(json.dumps({"critical-resources-protected": "mandatory"}))
    export = tmp_path / "out.json"
    code, out, _ = preview(capsys, "--policy-config", str(policy), "--export", str(export), "--json")
    assert code == 1 and json.loads(out)["export"] == str(export) and export.exists()


@pytest.mark.parametrize("args", [
    ["--stack", "nope"],
    ["--previous", "/no/such/file.json"],
    ["--policy-config", "/no/such/file.json"],
    ["--stack-output", "org/p/s=/no/such/file.json"],
    ["--project-dir", "/no/such/folder"],
])
def test_json_mode_prints_one_document_whatever_fails(capsys, args):
    code, out, err = preview(capsys, *args, "--json")
    document = json.loads(out)  # exactly one document: json.loads refuses trailing text
    assert code == 2 and err == ""
    assert document["exitCode"] == 2 and len(document["errors"]) == 1 and document["errors"][0].startswith("error: ")


def test_an_unexpected_failure_is_one_line_without_its_message(capsys, monkeypatch):
    import expressroute_encryption.offline.stack_file as stack_file

    def broken(*_args):
        raise KeyError("c0ffee" * 10 + "abcd")

    monkeypatch.setattr(stack_file, "load_stack_file", broken)
    code, out, err = preview(capsys, "--json")
    document = json.loads(out)
    assert code == 2 and document["exitCode"] == 2
    assert document["errors"] == [
        "error: the offline preview failed unexpectedly (KeyError); nothing was deployed or written. This is a bug "
        "in the tool: please report it with the shape of the stack file (never its keys)"]
    assert "c0ffee" not in out + err


def run_cli(*args: str, seed: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "expressroute_encryption.cli", "preview", *args], cwd=PROJECT_DIR,
        capture_output=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"})


def test_the_same_input_gives_byte_identical_text_json_and_export(tmp_path):
    """Across processes with different hash seeds: registration order, set order and the
    clock must not reach the output."""
    runs = []
    for seed in ("1", "2"):
        export = tmp_path / f"dev-{seed}.json"
        text = run_cli("--stack", "dev", "--export", str(export), seed=seed)
        as_json = run_cli("--stack", "dev", "--json", seed=seed)
        assert text.returncode == as_json.returncode == 0, text.stderr
        runs.append((text.stdout.replace(str(export).encode(), b"FILE"), as_json.stdout, export.read_bytes()))
    assert runs[0] == runs[1]
    resources = json.loads(runs[0][2])["deployment"]["resources"]
    seen = set()
    for resource in resources:  # a valid stack export: parents and dependencies come first
        assert resource.get("parent", "") in seen | {""}
        assert set(resource.get("dependencies", [])) <= seen
        seen.add(resource["urn"])


NS = "expressroute-encryption"

FUZZ_STACK = "fuzz"

FUZZ_PASSPHRASE = "fuzz passphrase"

BASES = [yaml.safe_load((PROJECT_DIR / f"Pulumi.{name}.yaml").read_text())["config"] for name in ("dev", "vpn")]

# A config path as errors print it: ports[0].macsec.cipher, azure-native:location,
# macsecKeys.<a name that looks like key material>.link1, (top level).
PATH = r"(\(top level\)|[\w-]+(:[\w-]+)?)(\.(<a name that looks like key material>|[^.\[\]:\s]+)|\[\d+\])*"

PROBLEM_LINE = re.compile(rf"^  {PATH}: \S")

HEADER_LINE = re.compile(r"^\S.*: \d+ problems?; nothing was deployed:$")

FILE_LINE = re.compile(rf"^error: Pulumi\.{FUZZ_STACK}\.yaml: ({PATH}: \S|not valid YAML|more than \d+ values|"
                       r"expected a mapping)")

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=12)

# Hex key material: random bytes behind a fixed prefix, so even a shrunk example is not a
# run of zeros that could turn up in an output by chance. Valid CAK/CKN lengths now and then.
hex_strings = st.one_of(
    st.binary(min_size=6, max_size=40).map(lambda b: "c0de" + b.hex()),
    st.binary(min_size=30, max_size=30).map(lambda b: "c0de" + b.hex()),  # 64 digits: a GcmAes256 CAK or CKN
)

junk = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(),  # NaN and infinities included
    st.text(max_size=30),  # any unicode
    st.sampled_from(["GcmAes512", "active ", "Reserved", "yes", "0x10", "~", "10.0.0.0/33", "", "null"]),
    hex_strings,
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(names, st.integers(), max_size=2),
)


def paths(value, here=()):
    """Every (container, key) under ``value``, to pick one to mutate."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield value, key
            yield from paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield value, index
            yield from paths(item, (*here, index))


def mutate(config: dict, data) -> None:
    places = list(paths(config))
    container, key = data.draw(st.sampled_from(places))
    kind = data.draw(st.sampled_from(["replace", "replace", "delete", "add", "duplicate"]))
    if kind == "replace":
        container[key] = data.draw(junk)
    elif kind == "delete":
        del container[key]
    elif kind == "add" and isinstance(container, dict):
        container[data.draw(names)] = data.draw(junk)
    elif kind == "duplicate" and isinstance(container, list):
        container.append(copy.deepcopy(container[key]))


@pytest.fixture(scope="module")
def fuzz_encrypter():
    return GoCompatibleEncrypter(FUZZ_PASSPHRASE)


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("Pulumi.yaml", "__main__.py"):
        (folder / name).symlink_to(PROJECT_DIR / name)
    (folder / "strict.json").write_text('{"all": "mandatory"}')
    return folder


def add_secrets(config: dict, data, fuzz_encrypter) -> tuple[list[str], bool]:
    """Key material in the secret positions; returns the values that must never be printed,
    and whether they are encrypted (the run then needs the passphrase)."""
    secrets: list[str] = []
    encrypted = data.draw(st.booleans())
    ports = config.get(f"{NS}:ports")
    port = ports[0].get("name") if isinstance(ports, list) and ports and isinstance(ports[0], dict) else None
    if data.draw(st.booleans()):
        key_like_name = data.draw(st.booleans())
        name = data.draw(hex_strings) if key_like_name else (port if isinstance(port, str) else "p")
        if key_like_name:
            secrets.append(name)
        links = {}
        for link in ("link1", "link2"):
            pair = {}
            for kind in ("cak", "ckn"):
                value = data.draw(st.one_of(hex_strings, st.text(min_size=16, max_size=40).filter(str.strip)))
                secrets.append(value)
                pair[kind] = {"secure": fuzz_encrypter.encrypt(value)} if encrypted else value
            links[link] = pair
        config[f"{NS}:macsecKeys"] = {name: links}
        # Now and then one value left in plain text next to the encrypted ones.
        if encrypted and data.draw(st.integers(0, 4)) == 0:
            links["link2"]["ckn"] = secrets[-1]
    vpn = config.get(f"{NS}:vpn")
    if isinstance(vpn, dict) and data.draw(st.booleans()):
        shared = data.draw(hex_strings)
        secrets.append(shared)
        vpn["sharedKey"] = {"secure": fuzz_encrypter.encrypt(shared)} if encrypted else shared
    return [s for s in secrets if len(s.strip()) >= 8], encrypted


def stack_text(config: dict, salt: str | None, data) -> str:
    document = {"config": config}
    if salt:
        document["encryptionsalt"] = salt
    text = yaml.safe_dump(document, allow_unicode=data.draw(st.booleans()))
    damage = data.draw(st.sampled_from(["none"] * 12 + ["truncate", "key twice", "alias bomb"]))
    event(f"text damage: {damage}")
    if damage == "truncate":
        text = text[: data.draw(st.integers(0, len(text)))]
    elif damage == "key twice":
        lines = text.splitlines(keepends=True)
        index = data.draw(st.integers(0, len(lines) - 1))
        text = "".join(lines[: index + 1] + [lines[index]] + lines[index + 1:])
    elif damage == "alias bomb":
        text += "bomb: &b0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]\n" for i in range(1, 8))
    return text


@contextlib.contextmanager
def passphrase(value: str | None):
    saved = {k: os.environ.pop(k, None) for k in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")}
    if value is not None:
        os.environ["PULUMI_CONFIG_PASSPHRASE"] = value
    try:
        yield
    finally:
        os.environ.pop("PULUMI_CONFIG_PASSPHRASE", None)
        os.environ.update({k: v for k, v in saved.items() if v is not None})


def check_error_lines(lines: list[str]) -> None:
    for line in lines:
        if not line.strip():
            continue
        assert HEADER_LINE.match(line) or PROBLEM_LINE.match(line) or FILE_LINE.match(line), (
            f"an error line without a config path: {line!r}")


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "70")), deadline=None, derandomize=not os.environ.get("FUZZ_EXAMPLES"), database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_any_stack_file_gets_a_clean_answer_without_secrets(data, fuzz_project, fuzz_encrypter, capsys):
    config = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(0, 3))):
        mutate(config, data)
    secrets, encrypted = add_secrets(config, data, fuzz_encrypter)
    (fuzz_project / f"Pulumi.{FUZZ_STACK}.yaml").write_text(stack_text(config, fuzz_encrypter.state() if encrypted else None, data))
    json_mode = data.draw(st.booleans())
    options = ["--json"] if json_mode else []
    if data.draw(st.booleans()):  # every policy mandatory: the advisory findings make it exit 1
        options += ["--policy-config", str(fuzz_project / "strict.json")]
    export = fuzz_project / "out.json"
    export.unlink(missing_ok=True)
    if data.draw(st.booleans()):
        options += ["--export", str(export)]
    # Encrypted keys are decrypted when the passphrase is set, previewed as stand-ins otherwise.
    phrase = FUZZ_PASSPHRASE if encrypted and data.draw(st.booleans()) else None

    capsys.readouterr()
    with passphrase(phrase):
        code = main(["preview", "--stack", FUZZ_STACK, "--project-dir", str(fuzz_project), *options])
    out, err = capsys.readouterr()
    written = export.read_text() if export.exists() else ""

    event(f"exit {code}; secrets: {'none' if not secrets else 'decrypted' if phrase else 'encrypted' if encrypted else 'plain'}")
    assert code in (0, 1, 2)
    assert "Traceback" not in out + err
    if json_mode:
        document = json.loads(out)
        assert err == "" and document["exitCode"] == code
        errors = document["errors"]
    else:
        errors = err.splitlines()
    assert (code == 2) == bool(errors)
    check_error_lines(errors)
    assert not (code == 2 and export.exists()), "an export was written by a failed run"
    for secret in secrets:
        assert secret not in out + err + written, "a secret value or key-like name was printed or exported"
