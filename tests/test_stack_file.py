"""offline/stack_file.py: stack files are read as the Pulumi CLI reads them, and every bad file is
one clean error. The CLI parses ``Pulumi.<stack>.yaml`` with Go's yaml.v3 into ``config.Value``:
a duplicate key is an error, ``~`` reaches the program as "", only true/false are booleans. Bad
files of every kind end in exit 2 with one line naming the file (and the config path where there
is one), never a traceback, never a value from the file; a ``secure:`` value that does not decrypt
names its path. The reader loads no config schema."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from expressroute_encryption.offline.stack_file import MAX_BYTES, StackFileError, load_stack_file
from tests.helpers import BYO_CAK, PROJECT_DIR, byo_project, preview, project_copy
from tests.pulumi_crypto import GoCompatibleEncrypter


NS = "expressroute-encryption"


def write_stack(tmp_path: Path, text: str, stack: str = "t") -> Path:
    """A project folder with this repo's program and ``Pulumi.<stack>.yaml`` holding ``text``."""
    project = project_copy(tmp_path, stack, {})
    (project / f"Pulumi.{stack}.yaml").write_text(text)
    return project


def dev_text(**replace: str) -> str:
    """Pulumi.dev.yaml's text with lines replaced (old line -> new lines)."""
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def error_of(project: Path, stack: str = "t") -> str:
    with pytest.raises(StackFileError) as info:
        load_stack_file(project, stack)
    return str(info.value)


def test_a_key_written_twice_is_an_error_naming_the_key_and_lines(tmp_path):
    project = write_stack(tmp_path, dev_text(**{
        "  expressroute-encryption:protect: false\n":
            "  expressroute-encryption:protect: false\n  expressroute-encryption:protect: true\n"}))
    assert error_of(project) == (
        "Pulumi.t.yaml: protect: duplicate key (lines 11 and 12): the CLI refuses a key written twice; keep one")


def test_a_nested_duplicate_names_its_config_path(tmp_path):
    project = write_stack(tmp_path, dev_text(**{"        cipher: GcmAes256\n":
                                                "        cipher: GcmAes256\n        cipher: GcmAes128\n"}))
    assert error_of(project).startswith("Pulumi.t.yaml: ports[0].macsec.cipher: duplicate key (lines ")


def test_a_duplicate_key_that_looks_like_key_material_is_not_printed(tmp_path):
    project = write_stack(tmp_path, f"config:\n  {NS}:macsecKeys:\n    {BYO_CAK}: 1\n    {BYO_CAK}: 2\n")
    message = error_of(project)
    assert message.startswith("Pulumi.t.yaml: macsecKeys.<a name that looks like key material>: duplicate key")
    assert BYO_CAK not in message


def test_the_same_key_with_and_without_namespace_is_an_error(tmp_path):
    project = write_stack(tmp_path, f"config:\n  protect: false\n  {NS}:protect: true\n")
    assert error_of(project).startswith("Pulumi.t.yaml: protect: set twice (with and without")


@pytest.mark.parametrize("written", ["~", "null", "NULL", ""])
def test_null_at_the_top_reaches_the_program_as_empty_not_as_the_text_null(tmp_path, written):
    project = write_stack(tmp_path, f"config:\n  {NS}:resourceGroupName: {written}\n")
    assert load_stack_file(project, "t").config[f"{NS}:resourceGroupName"] == ""


def test_scalars_reach_the_program_as_written_and_objects_as_yaml_1_2(tmp_path):
    project = write_stack(tmp_path, (
        "config:\n"
        f"  {NS}:a: 0x10\n"
        f"  {NS}:b: 1.50\n"
        f"  {NS}:c: yes\n"
        f"  {NS}:d: {{on: yes, off: no, t: true, n: ~, hex: 0x10, octal: 0o17, whole: 10.0, date: 2024-01-01}}\n"
    ))
    config = load_stack_file(project, "t").config
    assert config[f"{NS}:a"] == "0x10" and config[f"{NS}:b"] == "1.50" and config[f"{NS}:c"] == "yes"
    # Keys sorted and compact, as Go's json.Marshal writes a map; only true/false are booleans.
    assert json.loads(config[f"{NS}:d"]) == {
        "date": "2024-01-01", "hex": 16, "n": None, "octal": 15, "off": "no", "on": "yes", "t": True, "whole": 10}
    assert config[f"{NS}:d"].startswith('{"date":"2024-01-01","hex":16,')


def test_aliases_and_merge_keys_are_followed(tmp_path):
    project = write_stack(tmp_path, (
        "config:\n"
        f"  {NS}:x: &peering {{peerAsn: 65010, vlanId: 100}}\n"
        f"  {NS}:y: {{<<: *peering, vlanId: 200}}\n"
    ))
    config = load_stack_file(project, "t").config
    assert json.loads(config[f"{NS}:y"]) == {"peerAsn": 65010, "vlanId": 200}


def test_infinity_in_an_object_is_an_error_naming_its_path(tmp_path):
    project = write_stack(tmp_path, f"config:\n  {NS}:ports:\n    - bandwidthInGbps: .inf\n")
    assert error_of(project) == (
        "Pulumi.t.yaml: ports[0].bandwidthInGbps: .inf and .nan are not numbers a config value can hold")


def test_a_huge_number_is_not_a_crash(tmp_path, capsys):
    project = write_stack(tmp_path, f"config:\n  {NS}:ports:\n    - bandwidthInGbps: {'9' * 5000}\n")
    code, out, err = preview(capsys, "--stack", "t", "--project-dir", str(project))
    assert code == 2 and "Traceback" not in out + err
    assert any(line.strip().startswith("ports[0].bandwidthInGbps:") for line in err.splitlines())


BILLION_LAUGHS = "config:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
)


def test_an_alias_bomb_is_refused_within_a_fraction_of_a_second(tmp_path):
    project = write_stack(tmp_path, BILLION_LAUGHS)
    started = time.perf_counter()
    message = error_of(project)
    elapsed = time.perf_counter() - started
    assert message.startswith("Pulumi.t.yaml: more than 100000 values once aliases (*name) are expanded: refused")
    assert elapsed < 0.5, f"took {elapsed:.2f} s"


def test_an_alias_that_contains_itself_is_refused(tmp_path):
    project = write_stack(tmp_path, f"config:\n  {NS}:x: &loop [*loop]\n")
    assert "nested deeper than 64 levels: refused" in error_of(project)


@pytest.mark.parametrize("depth", [70, 5000])
def test_deep_nesting_is_refused(tmp_path, depth):
    project = write_stack(tmp_path, f"config:\n  {NS}:x: {'[' * depth}{']' * depth}\n")
    started = time.perf_counter()
    message = error_of(project)
    assert time.perf_counter() - started < 1
    assert message.startswith("Pulumi.t.yaml: ") and ("nested deeper than 64" in message or "nesting" in message)


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path):
    project = write_stack(tmp_path, "config:\n" + f"  # {'x' * 100}\n" * (MAX_BYTES // 100))
    assert error_of(project).startswith("Pulumi.t.yaml: ") and "refused (a stack file may have at most 1024 KiB)" in error_of(project)


def test_a_yaml_error_names_the_file_and_the_place_not_the_text(tmp_path):
    project = write_stack(tmp_path, f"config:\n  {NS}:vpn: {{sharedKey: {BYO_CAK}\n")
    message = error_of(project)
    assert message.startswith("Pulumi.t.yaml: not valid YAML at line 3, column 1")
    assert BYO_CAK not in message


@pytest.mark.parametrize("data, problem", [
    (b"config:\n  x: \xff\xfe\n", "not UTF-8 text (an invalid byte at offset 13); save it as UTF-8"),
    (b"config:\n  x: \x00\n", "not valid YAML"),
    (b"- just\n- a list\n", "expected a mapping with a 'config' mapping"),
    (b"config: [a, b]\n", "config: must be a mapping of config keys"),
    (b"encryptionsalt: [1]\nconfig: {}\n", "encryptionsalt: must be a string"),
    (b"config:\n  ? [a, b]\n  : c\n", "a key that is a list or mapping: keys must be names"),
    (b"config:\n  x: !!binary aGVsbG8=\n", "x: a value with the YAML tag !!binary that a stack file cannot hold"),
    (b"config: {}\n---\nconfig: {}\n", "not valid YAML"),
])
def test_malformed_files_are_one_clean_error(tmp_path, data, problem):
    project = project_copy(tmp_path, "t", {})
    (project / "Pulumi.t.yaml").write_bytes(data)
    message = error_of(project)
    assert message.startswith("Pulumi.t.yaml: ") and problem in message


def test_utf16_and_a_byte_order_mark_are_read_as_the_cli_reads_them(tmp_path):
    project = project_copy(tmp_path, "t", {})
    text = f"config:\n  {NS}:resourceGroupName: rg-é\n"
    for data in (text.encode("utf-16"), b"\xef\xbb\xbf" + text.encode()):
        (project / "Pulumi.t.yaml").write_bytes(data)
        assert load_stack_file(project, "t").config[f"{NS}:resourceGroupName"] == "rg-é"


def test_a_folder_where_the_stack_file_belongs_is_a_clean_error(tmp_path):
    project = project_copy(tmp_path, "t", {})
    (project / "Pulumi.t.yaml").unlink()
    (project / "Pulumi.t.yaml").mkdir()
    assert error_of(project) == "Pulumi.t.yaml: is a folder, not a file"


def test_a_project_file_without_a_name_is_a_clean_error(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("runtime: python\n")
    (tmp_path / "Pulumi.t.yaml").write_text("config: {}\n")
    assert error_of(tmp_path) == "Pulumi.yaml: name: required (the project's name)"


@pytest.mark.parametrize("stack", ["../etc/passwd", "a/b", ""])
def test_a_stack_name_that_cannot_name_a_file_is_refused(tmp_path, stack):
    with pytest.raises(StackFileError, match="^--stack: a stack name has letters"):
        load_stack_file(PROJECT_DIR, stack)


def test_esc_environments_are_explained(tmp_path, capsys):
    project = write_stack(tmp_path, dev_text(**{"config:\n": "environment:\n  - network/prod\nconfig:\n"}))
    code, out, _ = preview(capsys, "--stack", "t", "--project-dir", str(project), "--json")
    notes = json.loads(out)["notes"]
    assert code == 0
    assert any(n.startswith("Pulumi.t.yaml: environment: imports Pulumi ESC environments (network/prod), which "
                            "cannot be read offline") for n in notes)


def test_a_misspelt_top_level_key_is_noted(tmp_path):
    project = write_stack(tmp_path, "confg:\n  x: 1\n")
    assert load_stack_file(project, "t").notes == [
        "Pulumi.t.yaml: confg: not a key of a stack file (the CLI reads config, encryptionsalt, encryptedkey, "
        "secretsprovider, environment): ignored"]


def test_a_secure_value_that_does_not_decrypt_names_its_config_path(tmp_path, stack_encrypter, monkeypatch):
    other = GoCompatibleEncrypter("another stack", salt=stack_encrypter.salt)
    project = byo_project(tmp_path, stack_encrypter, cak_ciphertext=other.encrypt(BYO_CAK))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse")
    message = error_of(project, "byo")
    assert message.startswith("Pulumi.byo.yaml: macsecKeys.er-direct-ams-dev.link2.cak: secure value failed to decrypt")
    assert BYO_CAK not in message


def test_the_reader_loads_no_config_schema():
    """offline/stack_file.py sits below the schema: it takes the namespace, the path
    format and the folding of path keys from light modules, so reading a stack file loads
    neither pydantic nor a model."""
    import subprocess
    import sys

    script = ("import sys, expressroute_encryption.offline.stack_file\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pulumi')"
              " or m.startswith('expressroute_encryption.config.')))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("['expressroute_encryption.config.errors', 'expressroute_encryption.config.namespace', "
                                     "'expressroute_encryption.config.paths']")
