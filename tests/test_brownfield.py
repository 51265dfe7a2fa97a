"""What the offline preview checks and says for an adopted stack (``offline/brownfield.py``):
--vault against keyVault.existingId, the vault's subscription, the keys of a port adopted with
MACsec, the stack's policy config and its exemptions."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path

import pytest
import yaml

from expressroute_encryption.cli import main
from expressroute_encryption.offline.preview import run_preview
from expressroute_encryption.policy import exemptions
from tests.helpers import BYO_CAK, BYO_CKN, program_folder
from tests.pulumi_crypto import GoCompatibleEncrypter

FIXTURES = Path(__file__).parent / "fixtures" / "adopt"
VAULT_ID = "/subscriptions/subid/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/sample-vault"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return program_folder(tmp_path)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2026, 12, 2))


def adopt(project: Path, port: str = "port-cli.json", *options: str) -> None:
    assert main(["adopt", "--stack", "s", "--project-dir", str(project), "--port", str(FIXTURES / port),
                 *options]) == 0


def vault_file(tmp_path: Path, **changes) -> str:
    vault = json.loads((FIXTURES / "vault-cli.json").read_text())
    vault.update(changes)
    path = tmp_path / "vault-given.json"
    path.write_text(json.dumps(vault))
    return str(path)


# --- --vault FILE describes the vault existingId names ------------------------------------------


def test_the_vault_file_must_describe_the_vault_existing_id_names(project, tmp_path):
    adopt(project, "port-cli.json", "--vault", str(FIXTURES / "vault-cli.json"))
    other = VAULT_ID.replace("sample-vault", "someone-elses-vault")
    report = run_preview("s", project, vault=vault_file(tmp_path, id=other, name="someone-elses-vault"))
    assert report.exit_code == 2 and report.resources == 0
    assert report.errors == [f"error: --vault {tmp_path}/vault-given.json: describes the vault {other}, but "
                             f"keyVault.existingId names {VAULT_ID}; give the az keyvault show JSON of that vault"]
    # ARM ids ignore case: the same vault in another spelling is that vault.
    assert run_preview("s", project, vault=vault_file(tmp_path, id=VAULT_ID.upper())).exit_code == 0


def test_a_vault_file_without_existing_id_is_refused(project, tmp_path):
    adopt(project)  # a new vault: keyVault.name
    report = run_preview("s", project, vault=str(FIXTURES / "vault-cli.json"))
    assert report.exit_code == 2
    assert "this stack has no keyVault.existingId (it creates its own vault)" in report.errors[0]


def test_a_vault_in_another_subscription_is_said_so(project):
    adopt(project, "port-cli.json", "--vault", str(FIXTURES / "vault-cli.json"))
    report = run_preview("s", project, vault=str(FIXTURES / "vault-cli.json"))
    assert report.exit_code == 0, report.errors
    [note] = [n for n in report.notes if n.startswith("keyVault.existingId is in subscription subid")]
    assert "through an explicit azure-native provider for its subscription" in note
    assert report.resource_types["pulumi:providers:azure-native"] == 1


# --- the keys of a port adopted with MACsec --------------------------------------------------------


def with_keys(project: Path, encrypter: GoCompatibleEncrypter) -> None:
    """Give the keys in use as macsecKeys, encrypted as `pulumi config set --secret --path` does."""
    path = project / "Pulumi.s.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["encryptionsalt"] = encrypter.state()
    doc["config"]["expressroute-encryption:macsecKeys"] = {"portName": {
        link: {"cak": {"secure": encrypter.encrypt(cak)}, "ckn": {"secure": encrypter.encrypt(BYO_CKN)}}
        for link, cak in (("link1", BYO_CAK), ("link2", BYO_CAK[::-1]))}}
    path.write_text(yaml.safe_dump(doc))


@pytest.mark.parametrize("passphrase", [True, False])
def test_the_preview_says_what_it_can_and_cannot_check_of_the_keys_in_use(project, monkeypatch, passphrase):
    adopt(project, "port-arm-macsec.json")
    with_keys(project, GoCompatibleEncrypter("adopt passphrase"))
    if passphrase:
        monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "adopt passphrase")
    else:
        monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    report = run_preview("s", project)
    assert report.exit_code == 0, report.errors
    [note] = [n for n in report.notes if n.startswith("port portName is adopted with MACsec on link1 and link2")]
    assert "checks the keys in macsecKeys only as keys" in note and "cannot tell whether they are the keys" in note
    assert "pulumi config set --secret --path 'macsecKeys.portName.link1.cak'" in note
    assert any("could not be decrypted" in n for n in report.notes) is not passphrase
    out, _ = report.to_text()
    assert BYO_CAK not in out and BYO_CKN not in out


# --- the stack's policy config -------------------------------------------------------------------


def test_an_exemption_for_a_port_the_stack_does_not_have_is_a_warning(project):
    adopt(project)
    (project / "policy-config.s.json").write_text(json.dumps({"exemptPorts": [
        {"name": "portName", "expires": "2027-01-31"}, {"name": "port-gone", "expires": "2027-01-31"}]}))
    report = run_preview("s", project)
    assert report.exit_code == 0
    assert ("exemptPorts: port port-gone is not a port of this stack (its ports: portName): the exemption does "
            "nothing; remove it or correct the name") in report.warnings


def test_a_policy_config_given_is_used_instead_and_no_note_is_printed(project, tmp_path):
    adopt(project)
    given = tmp_path / "other.json"
    given.write_text("{}")
    report = run_preview("s", project, policy_config=str(given))
    assert report.exit_code == 1  # the port's exemption is in policy-config.s.json, not in the file given
    assert not any(n.startswith("policy config:") for n in report.notes)


def test_the_preview_prints_a_non_ascii_reason_on_an_ascii_terminal(project, monkeypatch):
    adopt(project)
    (project / "policy-config.s.json").write_text(json.dumps({"exemptPorts": [
        {"name": "portName", "expires": "2027-01-31", "reason": "Umzug für Kunde ✓\nexemption: forged"}]}))
    buffer = io.BytesIO()
    stdout = io.TextIOWrapper(buffer, encoding="ascii")
    monkeypatch.setattr("sys.stdout", stdout)
    assert main(["preview", "--stack", "s", "--project-dir", str(project)]) == 0
    stdout.flush()
    text = buffer.getvalue().decode("ascii")
    assert "(Umzug f\\xfcr Kunde \\u2713\\nexemption: forged)" in text
    assert not any(line.startswith("exemption: forged") for line in text.splitlines())
