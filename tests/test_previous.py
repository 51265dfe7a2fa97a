"""offline/previous.py: the last deployment from a `pulumi stack export`: its secret outputs are
decrypted with the passphrase (or the passphrase file), and a malformed export is one clean error
naming the file."""

from __future__ import annotations

import json

import pytest

from tests.helpers import preview


def test_the_previous_export_is_decrypted_with_the_passphrase_file_too(tmp_path, stack_encrypter, monkeypatch):
    from expressroute_encryption.offline.previous import load_previous

    export = tmp_path / "previous.json"
    export.write_text(json.dumps({"version": 3, "deployment": {
        "secrets_providers": {"type": "passphrase", "state": {"salt": stack_encrypter.state()}},
        "resources": [{"type": "pulumi:pulumi:Stack", "urn": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev",
                       "outputs": {"macsecKeyFingerprints": {
                           "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
                           "ciphertext": stack_encrypter.encrypt(json.dumps({"p": "f"}))}}}]}}))
    phrase = tmp_path / "phrase"
    phrase.write_text("correct horse\n")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(phrase))
    previous = load_previous(export)
    assert previous.notes == [] and previous.outputs["macsecKeyFingerprints"]["value"] == {"p": "f"}


@pytest.mark.parametrize("document", [
    "[1, 2]",
    '{"deployment": {"resources": 5}}',
    '{"deployment": {"resources": [{"type": "pulumi:pulumi:Stack", "outputs": [1]}]}}',
    '{"deployment": {"resources": [{"type": "pulumi:pulumi:Stack", "outputs": {"x": '
    '{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "plaintext": "{not json"}}}]}}',
    "[" * 100_000,
    '{"a": ' + "1" * 5000 + "}",
])
def test_a_malformed_previous_export_is_a_clean_error(tmp_path, capsys, document):
    path = tmp_path / "previous.json"
    path.write_text(document)
    code, out, err = preview(capsys, "--stack", "dev", "--previous", str(path), "--json")
    result = json.loads(out)
    assert code == 2 and result["exitCode"] == 2 and err == ""
    assert result["errors"][0].startswith(f"error: previous deployment: {path}: ")
