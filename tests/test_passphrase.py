"""Tests for offline/passphrase.py (Pulumi passphrase-provider secret decryption), and the
passphrase file read and trimmed as the CLI reads it (a bad one is exit 2 in both output modes).

Test vectors made by Pulumi's own Go code:

* pulumi/pulumi, pkg/secrets/passphrase/manager_test.go (commits 14a76bf191cb6c4f439fb6916675a95d17129c04
  and a1a2ce91269ad8231b1ef3cfa38ee3e1ed6434ea): the state
  ``v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==`` is accepted with the
  passphrase ``password`` (TestPassphraseManagerCorrectPassphraseReturnsSecretsManager) and rejected
  with ``password123`` (TestPassphraseManagerIncorrectPassphraseReturnsErrorCrypter); its
  ``brokenState`` must fail to parse. No ``secure:`` value comes with it.
* mheers/pulumi-helper, stack/crypt_test.go (commit 79d87f4209f6966a2cef2a294e4f10bad89cfa28), a test
  of a wrapper (stack/crypt.go) around pulumi/pulumi's own
  ``passphrase.GetPassphraseSecretsManager`` and its ``DecryptValue``: with passphrase ``foo`` and
  salt ``v1:LAQ7P6sT/+w=:v1:WejwuMb5G4TZsR/r:xZvrv45hbT2QRrHCkQrepVv3xQfMjw==``, the value
  ``v1:6rgJQkU0YY5NFozT:HN1XFZSfr2YW1Pi1QtMfUJjad4w=`` decrypts to ``test`` (TestDecrypt).
* A Pulumi Corporation Go test of the passphrase secrets plugin (``package main``,
  TestPassphraseEmptyPassphraseIsValid; found in the code index, repository path not resolved):
  ``emptyPassphraseState`` ``v1:LVuDkcjhUns=:v1:WPbL+tmbxnqWswQ2:lebZxStyHT3IZkmbN+3xCx9zqtoPog==``
  is accepted with the empty passphrase.

The remaining tests use values produced by ``GoCompatibleEncrypter`` (tests/pulumi_crypto.py), an independent
re-implementation of the *encrypting* side of pulumi/pulumi's
sdk/go/common/resource/config/crypt.go (NewSymmetricCrypterFromPassphrase, EncryptValue) and
pkg/secrets/passphrase/manager.go (NewPassphraseSecretsManager). It uses cryptography's PBKDF2HMAC
and base64.b64encode, where the module under test uses hashlib and binascii.

PBKDF2 with 1,000,000 iterations costs about a quarter of a second here, so every key is derived
once per module through module-scoped fixtures.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from expressroute_encryption.config.namespace import NAMESPACE
from expressroute_encryption.offline.passphrase import PassphraseError, make_decrypter
from expressroute_encryption.offline.stack_file import load_stack_file
from tests.helpers import BYO_CAK, byo_project, preview
from tests.pulumi_crypto import GoCompatibleEncrypter as _GoCompatibleEncrypter


# --- vectors made by Pulumi (sources in the module docstring) ------------------------------------

PULUMI_TEST_SALT = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="
PULUMI_TEST_PASSPHRASE = "password"
PULUMI_TEST_WRONG_PASSPHRASE = "password123"
PULUMI_TEST_BROKEN_SALT = "fozI5u6B030=:v1:F+6ZduL:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="

EMPTY_PASSPHRASE_SALT = "v1:LVuDkcjhUns=:v1:WPbL+tmbxnqWswQ2:lebZxStyHT3IZkmbN+3xCx9zqtoPog=="

HELPER_SALT = "v1:LAQ7P6sT/+w=:v1:WejwuMb5G4TZsR/r:xZvrv45hbT2QRrHCkQrepVv3xQfMjw=="
HELPER_PASSPHRASE = "foo"
HELPER_SECURE = "v1:6rgJQkU0YY5NFozT:HN1XFZSfr2YW1Pi1QtMfUJjad4w="
HELPER_PLAINTEXT = "test"


# --- independent encrypter following the Go code --------------------------------------------------


INDEPENDENT_PASSPHRASE = "correct horse battery staple ✓"


@pytest.fixture(scope="module")
def pulumi_decrypt():
    return make_decrypter(PULUMI_TEST_SALT, PULUMI_TEST_PASSPHRASE)


@pytest.fixture(scope="module")
def helper_decrypt():
    return make_decrypter(HELPER_SALT, HELPER_PASSPHRASE)


@pytest.fixture(scope="module")
def independent():
    return _GoCompatibleEncrypter(INDEPENDENT_PASSPHRASE)


@pytest.fixture(scope="module")
def independent_decrypt(independent):
    return make_decrypter(independent.state(), INDEPENDENT_PASSPHRASE)


@pytest.fixture
def no_key_derivation(monkeypatch):
    """Fail the test if PBKDF2 runs: malformed input must be rejected before the slow part."""

    def _refuse(*args, **kwargs):
        raise AssertionError("PBKDF2 ran on input that should have been rejected first")

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", _refuse)


def _assert_clean(error: PassphraseError, *secrets: str) -> None:
    message = str(error)
    assert message and "\n" not in message
    for secret in secrets:
        assert secret not in message
    # No chained exception that could carry the passphrase or plaintext along.
    assert error.__cause__ is None and error.__context__ is None


# --- Pulumi-made vectors --------------------------------------------------------------------------


def test_pulumi_vector_decrypts_to_known_plaintext(helper_decrypt):
    assert helper_decrypt(HELPER_SECURE) == HELPER_PLAINTEXT


def test_pulumi_test_salt_accepts_its_passphrase(pulumi_decrypt):
    assert callable(pulumi_decrypt)


def test_pulumi_empty_passphrase_state_is_valid():
    assert callable(make_decrypter(EMPTY_PASSPHRASE_SALT, ""))


def test_wrong_passphrase_is_rejected_without_leaking_it():
    with pytest.raises(PassphraseError, match="incorrect passphrase") as info:
        make_decrypter(PULUMI_TEST_SALT, PULUMI_TEST_WRONG_PASSPHRASE)
    _assert_clean(info.value, PULUMI_TEST_WRONG_PASSPHRASE, PULUMI_TEST_PASSPHRASE)


def test_value_from_another_stack_is_rejected(pulumi_decrypt):
    with pytest.raises(PassphraseError, match="failed to decrypt") as info:
        pulumi_decrypt(HELPER_SECURE)
    _assert_clean(info.value, HELPER_PLAINTEXT, PULUMI_TEST_PASSPHRASE)


def test_tampered_value_is_rejected(helper_decrypt):
    prefix, nonce, sealed = HELPER_SECURE.split(":")
    raw = bytearray(base64.b64decode(sealed))
    raw[0] ^= 0x01
    tampered = f"{prefix}:{nonce}:{base64.b64encode(bytes(raw)).decode()}"
    with pytest.raises(PassphraseError) as info:
        helper_decrypt(tampered)
    _assert_clean(info.value, HELPER_PLAINTEXT, HELPER_PASSPHRASE)


def test_newlines_inside_base64_are_ignored_like_go(helper_decrypt):
    # Go's base64.StdEncoding.DecodeString skips '\r' and '\n'.
    prefix, nonce, sealed = HELPER_SECURE.split(":")
    wrapped = f"{prefix}:{nonce[:8]}\r\n{nonce[8:]}:{sealed[:10]}\n{sealed[10:]}"
    assert helper_decrypt(wrapped) == HELPER_PLAINTEXT


@pytest.mark.parametrize(
    "mangle",
    [
        lambda nonce, sealed: (nonce[:4] + " " + nonce[4:], sealed),  # space: not in the alphabet
        lambda nonce, sealed: (nonce, sealed[:8] + "." + sealed[8:]),
        lambda nonce, sealed: (nonce, sealed + "AA=="),  # data after the padding
    ],
)
def test_base64_is_as_strict_as_go(helper_decrypt, mangle):
    # Go's base64.StdEncoding rejects these; a lenient decoder would still recover "test".
    prefix, nonce, sealed = HELPER_SECURE.split(":")
    nonce, sealed = mangle(nonce, sealed)
    with pytest.raises(PassphraseError, match="not valid base64"):
        helper_decrypt(f"{prefix}:{nonce}:{sealed}")


def test_nonce_must_be_12_bytes_like_go(pulumi_decrypt):
    # crypt.go: `if len(nonce) != aesgcm.NonceSize() { ... "nonce size is incorrect" }`
    # (cryptography's AESGCM itself would accept an 8-byte nonce).
    with pytest.raises(PassphraseError, match="nonce size is incorrect"):
        pulumi_decrypt(f"v1:{base64.b64encode(b'0' * 8).decode()}:{_SEALED}")


def test_independent_encoder_matches_pulumi_shapes(independent):
    # Same field widths as the Pulumi-made salts: 8-byte salt, 12-byte nonce, 6+16-byte check.
    ours = independent.state().split(":")
    for theirs in (PULUMI_TEST_SALT, HELPER_SALT, EMPTY_PASSPHRASE_SALT):
        assert [len(part) for part in theirs.split(":")] == [len(part) for part in ours]


# --- values from the independent implementation --------------------------------------------------


@pytest.mark.parametrize(
    "plaintext",
    [
        "",
        "hello",
        "with:colons:inside",
        "multi\nline\n",
        "ünïcödé ✓ 🔑",
        '{"nested": ["json", 1, true]}',
        "x" * 10_000,
    ],
)
def test_round_trip_with_independent_encrypter(independent, independent_decrypt, plaintext):
    assert independent_decrypt(independent.encrypt(plaintext)) == plaintext


def test_independent_state_rejects_wrong_passphrase(independent):
    with pytest.raises(PassphraseError, match="incorrect passphrase") as info:
        make_decrypter(independent.state(), "Correct horse battery staple ✓")
    _assert_clean(info.value, INDEPENDENT_PASSPHRASE, "Correct horse")


def test_check_value_must_decrypt_to_pulumi(independent):
    # Right key, but the check value is not "pulumi": Go returns ErrIncorrectPassphrase.
    with pytest.raises(PassphraseError, match="incorrect passphrase"):
        make_decrypter(independent.state(check=b"pulumj"), INDEPENDENT_PASSPHRASE)


def test_non_utf8_plaintext_is_rejected(independent, independent_decrypt):
    with pytest.raises(PassphraseError, match="not UTF-8") as info:
        independent_decrypt(independent.encrypt_bytes(b"\xff\xfesecret"))
    _assert_clean(info.value, "secret")


# --- malformed input ------------------------------------------------------------------------------

_NONCE = base64.b64encode(b"\x00" * 12).decode()
_SEALED = base64.b64encode(b"\x00" * 22).decode()


@pytest.mark.parametrize(
    "salt",
    [
        PULUMI_TEST_BROKEN_SALT,  # pulumi/pulumi manager_test.go brokenState
        "",
        "v1",
        "v1:fozI5u6B030=",
        "v2:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",
        "v1:not base64!:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",
        "v1:fozI5u6B030:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",  # missing padding
        "v1:fozI5 u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",  # space in salt
        "v1:fozI5u6B030=:v1:F+6ZduL:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",  # bad nonce base64
        "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==:extra",
        "v1:fozI5u6B030=:v2:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",
        "v1:fozI5u6B030=:pulumi",
        None,
        b"v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ==",
    ],
)
def test_malformed_salt_is_rejected_before_key_derivation(no_key_derivation, salt):
    with pytest.raises(PassphraseError) as info:
        make_decrypter(salt, "hunter2")
    _assert_clean(info.value, "hunter2")


def test_non_string_passphrase_is_rejected(no_key_derivation):
    with pytest.raises(PassphraseError, match="passphrase must be a string"):
        make_decrypter(PULUMI_TEST_SALT, b"password")


def test_unencodable_passphrase_is_rejected(no_key_derivation):
    with pytest.raises(PassphraseError, match="passphrase") as info:
        make_decrypter(PULUMI_TEST_SALT, "pass\ud800word")
    _assert_clean(info.value, "pass\ud800word")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "v1",
        f"v1:{_NONCE}",
        f"v2:{_NONCE}:{_SEALED}",
        f"v1:{_NONCE}:{_SEALED}:extra",
        f"v1:not base64!:{_SEALED}",
        f"v1:{_NONCE}:AAA",  # bad padding
        f"v1:{base64.b64encode(b'0' * 8).decode()}:{_SEALED}",  # nonce size is incorrect
        f"v1:{_NONCE}:{base64.b64encode(b'short').decode()}",  # shorter than the GCM tag
        f"v1:{_NONCE}:{_SEALED}",  # well-formed, but not made with this key
        f"secure: v1:{_NONCE}:{_SEALED}",
        None,
        123,
        HELPER_SECURE.encode(),
    ],
)
def test_malformed_secure_value_is_rejected(pulumi_decrypt, value):
    with pytest.raises(PassphraseError) as info:
        pulumi_decrypt(value)
    _assert_clean(info.value, PULUMI_TEST_PASSPHRASE)


def test_the_passphrase_file_is_read_and_trimmed_as_the_cli_does(tmp_path, stack_encrypter, monkeypatch):
    project = byo_project(tmp_path, stack_encrypter)
    phrase = tmp_path / "phrase"
    phrase.write_text("  correct horse\r\n")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(phrase))
    stack = load_stack_file(project, "byo")
    assert json.loads(stack.config[f"{NAMESPACE}:macsecKeys"])["er-direct-ams-dev"]["link1"]["cak"] == BYO_CAK
    assert stack.notes == []


@pytest.mark.parametrize("make, problem", [
    (lambda p: None, "no such file"),
    (lambda p: p.mkdir(), "not a regular file"),
    (lambda p: p.write_bytes(b"\xff\xfe\xfa"), "not UTF-8 text"),
])
@pytest.mark.parametrize("json_mode", [False, True])
def test_a_bad_passphrase_file_is_exit_2_in_both_modes(tmp_path, stack_encrypter, monkeypatch, capsys, make, problem,
                                                       json_mode):
    project = byo_project(tmp_path, stack_encrypter)
    phrase = tmp_path / "phrase"
    make(phrase)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(phrase))
    code, out, err = preview(capsys, "--stack", "byo", "--project-dir", str(project), *(["--json"] if json_mode else []))
    expected = f"error: Pulumi.byo.yaml: PULUMI_CONFIG_PASSPHRASE_FILE {phrase}: {problem}"
    assert code == 2 and "Traceback" not in out + err
    if json_mode:
        assert err == "" and json.loads(out)["errors"] == [expected] and json.loads(out)["exitCode"] == 2
    else:
        assert err.strip() == expected
