"""The config table of docs/config-reference.md is generated from the schema, stays in step
with it, and speaks a network engineer's words: no Python type name in any row."""

from __future__ import annotations

import re
import shutil
import typing

import pytest

from expressroute_encryption.cli import main
from expressroute_encryption.config.stack import StackConfig
from expressroute_encryption.config_reference import END, START, describe_type, render_table, rows
from tests.helpers import PROJECT_DIR

REFERENCE = PROJECT_DIR / "docs" / "config-reference.md"


def test_the_committed_table_is_the_generated_one():
    assert main(["config-reference", "--check", str(REFERENCE)]) == 0, (
        "docs/config-reference.md's config table is stale: run "
        "expressroute-encryption config-reference --write docs/config-reference.md")


def test_check_fails_on_a_stale_table_and_write_fixes_it(tmp_path, capsys):
    copy = tmp_path / "config-reference.md"
    shutil.copy(REFERENCE, copy)
    copy.write_text(copy.read_text().replace("| `protect` | `true` \\| `false` | `true` |",
                                             "| `protect` | `true` \\| `false` | `false` |"))
    assert main(["config-reference", "--check", str(copy)]) == 1
    assert "the config table is stale" in capsys.readouterr().err
    assert main(["config-reference", "--write", str(copy)]) == 0
    assert copy.read_text() == REFERENCE.read_text()


def test_a_file_without_markers_is_bad_input(tmp_path):
    (tmp_path / "README.md").write_text("# no table here\n")
    assert main(["config-reference", "--check", str(tmp_path / "README.md")]) == 2


def test_every_key_has_a_row_with_notes_from_its_docstring():
    table = render_table()
    keys = [key for key, _, _, _ in rows(StackConfig)]
    assert len(keys) == len(set(keys))
    for key in ("resourceGroupName", "keyVault.purgeProtection", "ports[i].macsec.cipher",
                "ports[i].circuits[j].privatePeering.vlanId", "macsecKeys.<name>.link1.cak",
                "vpn.ipsecPolicy.dhGroup", "vpn.onPremises.bgp.asn"):
        assert f"| `{key}` |" in table, key
    assert all(notes for _, _, _, notes in rows(StackConfig)), "a field without a docstring"
    assert "| `ports[i].macsec.cipher` | `GcmAes128` \\| `GcmAes256` \\| `GcmAesXpn128` \\| `GcmAesXpn256` | required |" in table
    assert "| `keyVault.softDeleteRetentionDays` | integer 7-90 | `90` |" in table
    assert START in REFERENCE.read_text() and END in REFERENCE.read_text()
    assert START not in (PROJECT_DIR / "README.md").read_text()  # the README links to it


def test_no_python_type_name_in_any_row():
    """Types are words (`true` | `false`, number, integer 0-4, list of string, mapping), never
    `<class 'float'>`, `bool`, `Optional[...]` or a typing construct."""
    for key, allowed, _, _ in rows(StackConfig):
        assert not re.search(r"<class|typing\.|Optional|Annotated|NoneType|\bbool\b|\bfloat\b|\bdict\b|\bstr\b", allowed), (key, allowed)
    with pytest.raises(TypeError, match="no words for the type"):
        describe_type(typing.Callable)


def test_the_alert_overrides_list_their_shared_settings_once():
    keys = [key for key, _, _, _ in rows(StackConfig) if key.startswith("monitoring.alerts.")]
    settings = [key for key in keys if key.startswith("monitoring.alerts.<alert>.")]
    assert settings == [f"monitoring.alerts.<alert>.{s}" for s in ("severity", "windowSize", "evaluationFrequency",
                                                                  "threshold", "sensitivity")]
    assert "monitoring.alerts.lineProtocol" in keys and "monitoring.alerts.lineProtocol.severity" not in keys
