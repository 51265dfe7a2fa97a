"""secret_config.py: which config values are secrets and how key material is kept out of
messages. Every leaf under macsecKeys and vpn.sharedKey must be a ``secure:`` value in the stack
file (the offline reader refuses a plain one, naming the path, not the value); and, as a
property, no error, warning or note ever quotes key material the user typed.

Key-like strings (runs of 16+ hex digits) are placed under macsecKeys as port names, as values,
as nested key names (`cak=<hex>`), and as vpn.sharedKey, written in plain text or encrypted,
next to valid or broken config. Whatever the offline preview says, in text or JSON mode, no
16-digit stretch of those runs appears in what it prints: the masking is a rule (any 16+ hex
run), not a list of cases."""

from __future__ import annotations

import copy
import json
import os
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from expressroute_encryption.cli import main
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.stack_file import StackFileError, load_stack_file
from tests.helpers import BYO_CAK, BYO_CKN, CAK2, PROJECT_DIR, SHARED_KEY, VPN, base_config, circuit, port
from tests.pulumi_crypto import GoCompatibleEncrypter


def stack_on_disk(tmp_path, config: dict | None, stack: str = "prod"):
    (tmp_path / "Pulumi.yaml").write_text("name: expressroute-encryption\nruntime: python\n")
    if config is not None:
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))


def secure(value: str) -> dict:
    return {"secure": "v1:AAAA:" + "Zm9v"}  # the ciphertext is not read by this check


def offline_reader_problems(tmp_path, config: dict) -> list[str]:
    stack_on_disk(tmp_path, config)
    with pytest.raises(StackFileError) as info:
        load_stack_file(tmp_path, "prod")
    return str(info.value).splitlines()


def test_a_plain_leaf_next_to_secure_ones_is_refused_by_the_offline_reader(tmp_path):
    written = {"link1": {"cak": secure(BYO_CAK), "ckn": secure(BYO_CKN)},
               "link2": {"cak": CAK2, "ckn": secure(BYO_CKN)}}
    assert offline_reader_problems(tmp_path, {"expressroute-encryption:macsecKeys": {"port-a": written}}) == [
        "Pulumi.prod.yaml: macsecKeys.port-a.link2.cak: stored in plain text next to encrypted values; set it with: "
        "pulumi config set --secret --type string --path 'macsecKeys.port-a.link2.cak' <value>"]


def test_every_leaf_secure_or_a_whole_secure_object_passes_the_offline_reader(tmp_path):
    written = {link: {"cak": secure("x"), "ckn": secure("y")} for link in ("link1", "link2")}
    stack_on_disk(tmp_path, {"expressroute-encryption:macsecKeys": {"port-a": written},
                             "expressroute-encryption:vpn": {"sharedKey": secure("z")}})
    assert load_stack_file(tmp_path, "prod").secret_keys == ["expressroute-encryption:macsecKeys",
                                                              "expressroute-encryption:vpn"]
    stack_on_disk(tmp_path, {"expressroute-encryption:macsecKeys": secure("{...}")})
    assert load_stack_file(tmp_path, "prod").secret_keys == ["expressroute-encryption:macsecKeys"]


def test_a_plain_shared_key_is_refused_by_the_offline_reader_without_its_value(tmp_path):
    found = offline_reader_problems(tmp_path, {"expressroute-encryption:vpn": {**VPN, "sharedKey": SHARED_KEY},
                                               "expressroute-encryption:other": secure("x")})
    assert found[0].startswith("Pulumi.prod.yaml: vpn.sharedKey: stored in plain text next to encrypted values")
    assert SHARED_KEY not in "\n".join(found)


NS = "expressroute-encryption"

STACK = "mask"

PASSPHRASE = "masking passphrase"

HEX_RUN = re.compile(r"[0-9A-Fa-f]{16,}")

# Random hex behind a fixed prefix that no output contains by chance.
hex_runs = st.binary(min_size=8, max_size=36).map(lambda b: "c0de" + b.hex())

decorations = st.sampled_from(["{}", "cak={}", "{}\n", " {}", "key:{}", "{}-{}", "0x{}"])

key_like = st.tuples(decorations, hex_runs).map(lambda pair: pair[0].format(pair[1], pair[1]))


def windows(text: str) -> set[str]:
    """Every 16-digit stretch of every hex run in ``text`` (lower case)."""
    return {run[i:i + 16].lower() for run in HEX_RUN.findall(text) for i in range(len(run) - 15)}


@st.composite
def configs(draw):
    """A stack config with key-like strings in secret places; the strings to keep out of output."""
    values = base_config(ports=[port(circuits=[circuit()])], vpn=copy.deepcopy(VPN))
    planted = []

    def plant() -> str:
        value = draw(key_like)
        planted.append(value)
        return value

    link = {"cak": plant(), "ckn": draw(st.sampled_from([BYO_CKN, None])) or plant()}
    where = draw(st.sampled_from(["port name", "nested key", "link key", "value only"]))
    if where == "port name":
        keys = {plant(): {"link1": link, "link2": copy.deepcopy(link)}}
    elif where == "nested key":
        keys = {"port-a": {"link1": link, "link2": link, plant(): plant()}}
    elif where == "link key":
        keys = {"port-a": {"link1": {**link, plant(): plant()}, "link2": link}}
    else:
        keys = {"port-a": {"link1": link, "link2": link}}
    values["macsecKeys"] = keys
    if draw(st.booleans()):
        values["vpn"]["sharedKey"] = plant()
    return values, planted


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=configs())
def test_config_errors_never_quote_key_material(case):
    values, planted = case
    try:
        parse_stack_config(values)
        return
    except ConfigError as exc:
        text = str(exc)
    assert not windows(text) & set().union(*map(windows, planted)), text


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    folder = tmp_path_factory.mktemp("masking")
    for name in ("Pulumi.yaml", "__main__.py"):
        (folder / name).symlink_to(PROJECT_DIR / name)
    return folder


@pytest.fixture(scope="module")
def encrypter():
    return GoCompatibleEncrypter(PASSPHRASE)


def encrypt_leaves(value, encrypter, leave_plain: bool, path=()):
    """Each leaf as a `secure:` value; with ``leave_plain`` the first leaf stays plain text."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[key] = encrypt_leaves(item, encrypter, leave_plain and not out, (*path, key))
        return out
    return value if leave_plain else {"secure": encrypter.encrypt(value)}


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=configs(), json_mode=st.booleans(), layout=st.sampled_from(["plain", "encrypted", "one plain leaf"]),
       data=st.data())
def test_the_offline_preview_never_prints_key_material(case, json_mode, layout, data, project, encrypter, capsys,
                                                       monkeypatch):
    values, planted = case
    config = {f"{NS}:{k}": v for k, v in values.items()}
    config["azure-native:location"] = "westeurope"
    document = {"config": config}
    if layout != "plain":
        document["encryptionsalt"] = encrypter.state()
        config[f"{NS}:macsecKeys"] = encrypt_leaves(values["macsecKeys"], encrypter, layout == "one plain leaf")
        if "sharedKey" in values["vpn"]:
            config[f"{NS}:vpn"] = {**values["vpn"], "sharedKey": {"secure": encrypter.encrypt(values["vpn"]["sharedKey"])}}
        if data.draw(st.booleans()):
            monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    (project / f"Pulumi.{STACK}.yaml").write_text(yaml.safe_dump(document))
    capsys.readouterr()
    code = main(["preview", "--stack", STACK, "--project-dir", str(project), *(["--json"] if json_mode else [])])
    out, err = capsys.readouterr()
    if json_mode:
        report = json.loads(out)
        said = "\n".join(report["errors"] + report["warnings"] + report["notes"])
    else:
        said = out + err
    assert code in (0, 1, 2)
    assert not windows(said) & set().union(*map(windows, planted)), said
