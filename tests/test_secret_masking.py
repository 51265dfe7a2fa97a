"""Property: no error, warning or note ever quotes key material the user typed.

Key-like strings (runs of 16+ hex digits) are placed under macsecKeys as port names,
as values, as nested key names (`cak=<hex>`), and as vpn.sharedKey, written in plain
text or encrypted, next to valid or broken config. Whatever the offline preview says,
in text or JSON mode, no 16-digit stretch of those runs appears in what it prints: the
masking is a rule (any 16+ hex run), not a list of cases.
"""

from __future__ import annotations

import copy
import json
import os
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressroute_encryption.cli import main
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import parse_stack_config
from tests.helpers import BYO_CKN, PROJECT_DIR, VPN, base_config, circuit, port
from tests.pulumi_crypto import GoCompatibleEncrypter

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
