"""Test helper: encrypt stack-config secrets the way Pulumi's passphrase provider does."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


class GoCompatibleEncrypter:
    """The encrypting half of Pulumi's passphrase provider, written from the Go source.

    crypt.go: key = pbkdf2.Key([]byte(phrase), salt, 1000000, 32, sha256.New);
    EncryptValue = "v1:" + b64(nonce) + ":" + b64(aesgcm.Seal(nil, nonce, plaintext, nil)),
    nonce = 12 random bytes. manager.go: salt = 8 random bytes,
    state = "v1:" + b64(salt) + ":" + EncryptValue("pulumi").
    """

    def __init__(self, passphrase: str, salt: bytes | None = None) -> None:
        self.salt = os.urandom(8) if salt is None else salt
        kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=self.salt, iterations=1_000_000)
        self._aesgcm = AESGCM(kdf.derive(passphrase.encode("utf-8")))

    def encrypt_bytes(self, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self._aesgcm.encrypt(nonce, plaintext, None)
        return f"v1:{base64.b64encode(nonce).decode()}:{base64.b64encode(sealed).decode()}"

    def encrypt(self, plaintext: str) -> str:
        return self.encrypt_bytes(plaintext.encode("utf-8"))

    def state(self, check: bytes = b"pulumi") -> str:
        return f"v1:{base64.b64encode(self.salt).decode()}:{self.encrypt_bytes(check)}"
