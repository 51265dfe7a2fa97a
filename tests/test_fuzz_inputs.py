"""Property-based: whatever stack file a user writes, the offline preview answers cleanly.

Documents are the example stacks with random mutations (wrong types, unknown and missing
keys, bad enum values, nulls, huge numbers, unicode, NaN), key material in the secret
positions (plain or encrypted, well-formed or not, and hex strings as macsecKeys names),
and now and then a broken text (truncated, a key twice, an alias bomb). Each is previewed
in-process, as `expressroute-encryption preview` runs it, in text or JSON mode:

- the exit code is 0, 1 or 2 and no traceback is printed;
- every error line names a config path (or, for a file that is not YAML, the file);
- no secret value placed in the file, and no key-like name under macsecKeys, appears in
  any output.

Derandomized (the same examples every run), and bounded to stay under a minute on two cores.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from expressroute_encryption.cli import main
from tests.helpers import PROJECT_DIR
from tests.pulumi_crypto import GoCompatibleEncrypter

NS = "expressroute-encryption"
STACK = "fuzz"
PASSPHRASE = "fuzz passphrase"
BASES = [yaml.safe_load((PROJECT_DIR / f"Pulumi.{name}.yaml").read_text())["config"] for name in ("dev", "vpn")]

# A config path as errors print it: ports[0].macsec.cipher, azure-native:location,
# macsecKeys.<a name that looks like key material>.link1, (top level).
PATH = r"(\(top level\)|[\w-]+(:[\w-]+)?)(\.(<a name that looks like key material>|[^.\[\]:\s]+)|\[\d+\])*"
PROBLEM_LINE = re.compile(rf"^  {PATH}: \S")
HEADER_LINE = re.compile(r"^\S.*: \d+ problems?; nothing was deployed:$")
FILE_LINE = re.compile(rf"^error: Pulumi\.{STACK}\.yaml: ({PATH}: \S|not valid YAML|more than \d+ values|"
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
def encrypter():
    return GoCompatibleEncrypter(PASSPHRASE)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("Pulumi.yaml", "__main__.py"):
        (folder / name).symlink_to(PROJECT_DIR / name)
    (folder / "strict.json").write_text('{"all": "mandatory"}')
    return folder


def add_secrets(config: dict, data, encrypter) -> tuple[list[str], bool]:
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
                pair[kind] = {"secure": encrypter.encrypt(value)} if encrypted else value
            links[link] = pair
        config[f"{NS}:macsecKeys"] = {name: links}
        # Now and then one value left in plain text next to the encrypted ones.
        if encrypted and data.draw(st.integers(0, 4)) == 0:
            links["link2"]["ckn"] = secrets[-1]
    vpn = config.get(f"{NS}:vpn")
    if isinstance(vpn, dict) and data.draw(st.booleans()):
        shared = data.draw(hex_strings)
        secrets.append(shared)
        vpn["sharedKey"] = {"secure": encrypter.encrypt(shared)} if encrypted else shared
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
def test_any_stack_file_gets_a_clean_answer_without_secrets(data, project, encrypter, capsys):
    config = copy.deepcopy(data.draw(st.sampled_from(BASES)))
    for _ in range(data.draw(st.integers(0, 3))):
        mutate(config, data)
    secrets, encrypted = add_secrets(config, data, encrypter)
    (project / f"Pulumi.{STACK}.yaml").write_text(stack_text(config, encrypter.state() if encrypted else None, data))
    json_mode = data.draw(st.booleans())
    options = ["--json"] if json_mode else []
    if data.draw(st.booleans()):  # every policy mandatory: the advisory findings make it exit 1
        options += ["--policy-config", str(project / "strict.json")]
    export = project / "out.json"
    export.unlink(missing_ok=True)
    if data.draw(st.booleans()):
        options += ["--export", str(export)]
    # Encrypted keys are decrypted when the passphrase is set, previewed as stand-ins otherwise.
    phrase = PASSPHRASE if encrypted and data.draw(st.booleans()) else None

    capsys.readouterr()
    with passphrase(phrase):
        code = main(["preview", "--stack", STACK, "--project-dir", str(project), *options])
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
