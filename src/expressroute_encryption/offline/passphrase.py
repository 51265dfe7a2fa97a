"""Offline decryption of Pulumi stack-config secrets made by the *passphrase* secrets provider.

A stack that uses Pulumi's passphrase provider keeps, in ``Pulumi.<stack>.yaml``::

    encryptionsalt: v1:<base64 salt>:v1:<base64 nonce>:<base64 ciphertext>
    config:
      project:key:
        secure: v1:<base64 nonce>:<base64 ciphertext>

This module turns those ``secure:`` values back into plaintext without the Pulumi CLI, so
tooling can read a stack's configuration offline. It reproduces, byte for byte, the Go
implementation in pulumi/pulumi:

* ``sdk/go/common/resource/config/crypt.go`` (read at commit
  0373577d4f7f262b5e33eeee69ee2a35512531e6; unchanged in the older
  507db1651c6133ae115b08311c7f304af7791873 apart from error wrapping):
  ``NewSymmetricCrypterFromPassphrase`` derives the key with
  ``pbkdf2.Key([]byte(phrase), salt, 1000000, SymmetricCrypterKeyBytes, sha256.New)``
  where ``SymmetricCrypterKeyBytes = 32``; ``symmetricCrypter.EncryptValue`` writes
  ``"v1:" + base64.StdEncoding(nonce) + ":" + base64.StdEncoding(aesgcm.Seal(...))`` with a
  random 12-byte nonce, AES-256-GCM and no additional data (the 16-byte tag is appended to
  the ciphertext, as Go's ``Seal`` does); ``DecryptValue`` does
  ``strings.Split(value, ":")``, requires exactly 3 parts, requires part 0 == ``"v1"``,
  base64-decodes parts 1 and 2 with ``base64.StdEncoding``, requires
  ``len(nonce) == aesgcm.NonceSize()`` (12) and calls ``aesgcm.Open(nil, nonce, ct, nil)``.
* ``pkg/secrets/passphrase/manager.go`` (read at commit
  037bd64252a4bf0cfbd955dc83a11e1eb12a0f5f): ``symmetricCrypterFromPhraseAndState`` does
  ``strings.SplitN(state, ":", 3)``, requires 3 parts and part 0 == ``"v1"``, decodes the salt
  from part 1 with ``base64.StdEncoding``, builds the crypter from the passphrase and salt,
  then decrypts everything after the second colon (``state[indexN(state, ":", 2)+1:]``, i.e.
  SplitN's third part) and accepts the passphrase only if that succeeds and yields exactly
  ``"pulumi"``. ``NewPassphraseSecretsManager`` makes an 8-byte random salt and writes
  ``fmt.Sprintf("v1:%s:%s", base64(salt), EncryptValue("pulumi"))``.

Deliberate differences from the Go code, none of which changes what decrypts:

* Go reports any failure of the ``"pulumi"`` check as ``incorrect passphrase``; here a check
  value that is structurally malformed is reported as a malformed salt instead (it is
  validated before the slow key derivation).
* Go returns ``string(msg)`` whatever the bytes are; here the plaintext must be valid UTF-8
  (Python ``str``), otherwise :class:`PassphraseError` is raised.

Error messages never contain the passphrase or any decrypted text, and errors are raised
without a chained ``__context__`` that could carry either along.
"""

from __future__ import annotations

import binascii
import hashlib
import os
from pathlib import Path
from typing import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["PassphraseError", "make_decrypter", "passphrase_from_environment"]

# crypt.go, NewSymmetricCrypterFromPassphrase: pbkdf2.Key(..., 1000000, 32, sha256.New).
PBKDF2_ITERATIONS = 1_000_000
KEY_BYTES = 32  # crypt.go: SymmetricCrypterKeyBytes
# crypt.go: encryptAES256GCGM makes a 12-byte nonce; DecryptValue requires aesgcm.NonceSize() (12).
NONCE_BYTES = 12
# crypt.go: Go's cipher.NewGCM uses a 16-byte tag, appended to the ciphertext by Seal.
TAG_BYTES = 16
# manager.go: the state and each value carry the version tag "v1".
VERSION = "v1"
# manager.go: NewPassphraseSecretsManager encrypts "pulumi"; the check compares against it.
CHECK_PLAINTEXT = b"pulumi"


class PassphraseError(Exception):
    """The passphrase is wrong, or the encryptionsalt or a ``secure:`` value is malformed.

    The message is one line and never contains the passphrase or any plaintext.
    """


# Go's unicode.IsSpace, which strings.TrimSpace strips (Python's str.strip also strips
# \x1c-\x1f, which Go keeps).
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# A passphrase file is a line of text; anything bigger is the wrong file.
MAX_PASSPHRASE_FILE_BYTES = 64 * 1024


def passphrase_from_environment() -> str | None:
    """The passphrase the Pulumi CLI would use, or None when none is set.

    As ``readPassphrase`` in pulumi/pulumi ``pkg/secrets/passphrase/manager.go``:
    ``PULUMI_CONFIG_PASSPHRASE`` when set (even empty), else the contents of the file named
    by a non-empty ``PULUMI_CONFIG_PASSPHRASE_FILE`` with surrounding whitespace trimmed
    (``strings.TrimSpace``). A file that cannot be read, or is not UTF-8 text, raises
    :class:`PassphraseError` naming the variable and the file, never its contents.
    """
    if "PULUMI_CONFIG_PASSPHRASE" in os.environ:
        return os.environ["PULUMI_CONFIG_PASSPHRASE"]
    name = os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
    if not name:
        return None
    path = Path(name)
    data = None
    problem = ""
    try:
        if not path.is_file():
            problem = "no such file" if not path.exists() else "not a regular file"
        else:
            with path.open("rb") as file:
                data = file.read(MAX_PASSPHRASE_FILE_BYTES + 1)
    except OSError as exc:
        problem = f"cannot read: {exc.strerror or type(exc).__name__}"
    if data is None:
        raise PassphraseError(f"PULUMI_CONFIG_PASSPHRASE_FILE {name}: {problem}")
    if len(data) > MAX_PASSPHRASE_FILE_BYTES:
        raise PassphraseError(f"PULUMI_CONFIG_PASSPHRASE_FILE {name}: larger than "
                              f"{MAX_PASSPHRASE_FILE_BYTES // 1024} KiB: not a passphrase file")
    text = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if text is None:  # raised outside the except: the UnicodeDecodeError holds the bytes
        raise PassphraseError(f"PULUMI_CONFIG_PASSPHRASE_FILE {name}: not UTF-8 text")
    return text.strip(GO_SPACE)


def _b64decode(text: str, what: str) -> bytes:
    """Decode like Go's ``base64.StdEncoding.DecodeString``.

    Go's decoder requires the standard alphabet with ``=`` padding, rejects anything after the
    padding, does not check the unused trailing bits, and skips ``\\r`` and ``\\n`` anywhere in
    the input. ``binascii.a2b_base64(strict_mode=True)`` (Python 3.11+) enforces the same rules
    once the newlines are removed.
    """
    cleaned = text.replace("\r", "").replace("\n", "")
    try:
        return binascii.a2b_base64(cleaned, strict_mode=True)
    except (binascii.Error, ValueError):
        pass
    raise PassphraseError(f"{what} is not valid base64")


def _parse_value(value: object, what: str) -> tuple[bytes, bytes]:
    """Split a ``v1:<nonce>:<ciphertext>`` value as crypt.go's ``DecryptValue`` does."""
    if not isinstance(value, str):
        raise PassphraseError(f"{what} must be a string, not {type(value).__name__}")
    parts = value.split(":")  # strings.Split(value, ":")
    if len(parts) != 3:
        raise PassphraseError(f"{what} is malformed: expected 'v1:<nonce>:<ciphertext>'")
    if parts[0] != VERSION:
        raise PassphraseError(f"{what} has an unknown version (expected '{VERSION}')")
    nonce = _b64decode(parts[1], f"{what} nonce")
    ciphertext = _b64decode(parts[2], f"{what} ciphertext")
    if len(nonce) != NONCE_BYTES:
        raise PassphraseError(f"{what} is malformed: nonce size is incorrect")
    # Not a check Go makes explicitly, but aesgcm.Open fails on anything shorter than the tag,
    # and this gives a clearer message than an authentication failure.
    if len(ciphertext) < TAG_BYTES:
        raise PassphraseError(f"{what} is malformed: ciphertext is too short")
    return nonce, ciphertext


def make_decrypter(encryption_salt: str, passphrase: str) -> Callable[[str], str]:
    """Check ``passphrase`` against a stack's ``encryptionsalt`` and return a decrypter.

    ``encryption_salt`` is the stack file's ``encryptionsalt`` value,
    ``v1:<base64 salt>:v1:<base64 nonce>:<base64 ciphertext>``. The key is derived once here
    (PBKDF2-HMAC-SHA256, 1,000,000 iterations: slow, so call this once per stack file) and the
    passphrase is verified by decrypting the salt's check value, which must be ``"pulumi"``.

    The returned function takes a ``secure:`` value (``v1:<base64 nonce>:<base64 ciphertext>``)
    and returns its plaintext. Both raise :class:`PassphraseError` on a wrong passphrase or on
    malformed input.
    """
    if not isinstance(encryption_salt, str):
        raise PassphraseError(
            f"encryptionsalt must be a string, not {type(encryption_salt).__name__}"
        )
    if not isinstance(passphrase, str):
        raise PassphraseError(f"passphrase must be a string, not {type(passphrase).__name__}")

    # manager.go, symmetricCrypterFromPhraseAndState: strings.SplitN(state, ":", 3).
    splits = encryption_salt.split(":", 2)
    if len(splits) != 3:
        raise PassphraseError(
            "encryptionsalt is malformed: expected 'v1:<salt>:v1:<nonce>:<ciphertext>'"
        )
    if splits[0] != VERSION:
        raise PassphraseError(f"encryptionsalt has an unknown version (expected '{VERSION}')")
    salt = _b64decode(splits[1], "encryptionsalt salt")
    # state[indexN(state, ":", 2)+1:] is everything after the second colon, i.e. splits[2].
    # Validate its shape now, before spending a second on PBKDF2.
    check_nonce, check_ciphertext = _parse_value(splits[2], "encryptionsalt check value")

    # Go: []byte(phrase), the UTF-8 bytes of the string. The error is raised outside the
    # `except` block so that it carries no reference (__context__) to the passphrase.
    phrase_bytes = None
    try:
        phrase_bytes = passphrase.encode("utf-8")
    except UnicodeEncodeError:
        pass
    if phrase_bytes is None:
        raise PassphraseError("passphrase is not encodable as UTF-8")
    key = hashlib.pbkdf2_hmac("sha256", phrase_bytes, salt, PBKDF2_ITERATIONS, KEY_BYTES)
    aesgcm = AESGCM(key)

    # manager.go: `if err != nil || decrypted != "pulumi" { return nil, ErrIncorrectPassphrase }`
    try:
        check = aesgcm.decrypt(check_nonce, check_ciphertext, None)
    except InvalidTag:
        check = None
    if check != CHECK_PLAINTEXT:
        raise PassphraseError("incorrect passphrase for this stack's encryptionsalt")

    def decrypt(ciphertext: str) -> str:
        """Decrypt one ``secure:`` value (``v1:<nonce>:<ciphertext>``) to its plaintext."""
        nonce, sealed = _parse_value(ciphertext, "secure value")
        plaintext = None
        try:
            plaintext = aesgcm.decrypt(nonce, sealed, None)  # Go: aesgcm.Open(nil, nonce, ct, nil)
        except InvalidTag:
            pass
        if plaintext is None:
            raise PassphraseError(
                "secure value failed to decrypt: it was not encrypted with this stack's "
                "passphrase and salt, or it is corrupted"
            )
        # Raised outside the `except` block: a UnicodeDecodeError holds the plaintext bytes,
        # and must not travel along as the PassphraseError's __context__.
        text = None
        try:
            text = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if text is None:
            raise PassphraseError("secure value decrypted to bytes that are not UTF-8")
        return text

    return decrypt
