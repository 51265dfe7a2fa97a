"""`preview --export FILE` writes only what it may, whole or not at all; JSON mode is always
one JSON document; the same input gives byte-identical output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from expressroute_encryption.cli import main
from expressroute_encryption.offline import preview as preview_module
from expressroute_encryption.offline.preview import EXPORT_MARKER
from tests.helpers import PROJECT_DIR, dev_config, project_copy

NS = "expressroute-encryption"


def preview(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["preview", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


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
