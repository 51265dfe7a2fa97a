"""The last deployment, for the offline preview and rotation plan: a `pulumi stack export`.

`pulumi stack export --stack <stack> > previous.json` holds the stack's outputs, with
secrets encrypted by the stack's secrets provider. Non-secret outputs (the ``ports``
output, which describes each link) are read as they are. Secret outputs are decrypted
when the stack uses the passphrase provider and ``PULUMI_CONFIG_PASSPHRASE`` is set, or
read when the export was made with ``--show-secrets``; otherwise they stay unknown, and
a note says what that leaves unchecked.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expressroute_encryption.offline import wire

STACK_TYPE = "pulumi:pulumi:Stack"


class PreviousError(Exception):
    """The export cannot be read (message names the file; no secrets)."""


@dataclass
class PreviousDeployment:
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _decrypter(deployment: dict[str, Any]):
    provider = deployment.get("secrets_providers") or {}
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    salt = (provider.get("state") or {}).get("salt")
    if provider.get("type") != "passphrase" or passphrase is None or not salt:
        return None
    from expressroute_encryption.offline.passphrase import PassphraseError, make_decrypter

    try:
        return make_decrypter(salt, passphrase)
    except PassphraseError as exc:
        raise PreviousError(f"previous deployment: {exc}") from None


def load_previous(path: str | Path) -> PreviousDeployment:
    """Stack outputs of an export, secrets in wire form where they could be read."""
    try:
        document = json.loads(Path(path).read_text())
        deployment = document["deployment"]
        resources = deployment.get("resources") or []
    except FileNotFoundError:
        raise PreviousError(f"previous deployment: {path}: no such file") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise PreviousError(f"previous deployment: {path}: not a `pulumi stack export` file") from None
    stack = next((r for r in resources if isinstance(r, dict) and r.get("type") == STACK_TYPE), None)
    if stack is None:
        return PreviousDeployment(notes=[f"{path}: the export has no stack resource: treated as a first deployment"])

    decrypt = _decrypter(deployment)
    result = PreviousDeployment()
    unreadable = []
    for name, value in (stack.get("outputs") or {}).items():
        if not wire.is_secret(value):
            result.outputs[name] = value
            continue
        result.secret_names.append(name)
        if "plaintext" in value:
            result.outputs[name] = wire.secret(json.loads(value["plaintext"]))
        elif decrypt is not None and "ciphertext" in value:
            result.outputs[name] = wire.secret(json.loads(decrypt(value["ciphertext"])))
        else:
            unreadable.append(name)
    if "macsecKeyFingerprints" in unreadable:
        result.notes.append(
            f"{path}: secret outputs cannot be decrypted offline (the stack does not use the passphrase "
            "provider, or PULUMI_CONFIG_PASSPHRASE is not set): a bring-your-own key changed without its "
            "keyGeneration is not detected here; `pulumi preview` checks it"
        )
    return result
