"""The README's config table is generated from the schema, and stays in step with it."""

from __future__ import annotations

import shutil

from expressroute_encryption.cli import main
from expressroute_encryption.config.stack import StackConfig
from expressroute_encryption.config_reference import END, START, render_table, rows
from tests.helpers import PROJECT_DIR


def test_the_committed_readme_table_is_the_generated_one():
    assert main(["config-reference", "--check", str(PROJECT_DIR / "README.md")]) == 0, (
        "README.md's config table is stale: run expressroute-encryption config-reference --write README.md")


def test_check_fails_on_a_stale_table_and_write_fixes_it(tmp_path, capsys):
    readme = tmp_path / "README.md"
    shutil.copy(PROJECT_DIR / "README.md", readme)
    readme.write_text(readme.read_text().replace("| `protect` | bool | `true` |", "| `protect` | bool | `false` |"))
    assert main(["config-reference", "--check", str(readme)]) == 1
    assert "the config table is stale" in capsys.readouterr().err
    assert main(["config-reference", "--write", str(readme)]) == 0
    assert readme.read_text() == (PROJECT_DIR / "README.md").read_text()


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
    assert START in (PROJECT_DIR / "README.md").read_text() and END in (PROJECT_DIR / "README.md").read_text()
