"""The last deployment, for the offline preview and rotation plan: a `pulumi stack export`.

`pulumi stack export --stack <stack> > previous.json` holds the stack's outputs, with
secrets encrypted by the stack's secrets provider. Non-secret outputs (the ``ports``
output, which describes each link) are read as they are. Secret outputs are decrypted
when the stack uses the passphrase provider and ``PULUMI_CONFIG_PASSPHRASE`` is set, or
read when the export was made with ``--show-secrets``; otherwise they stay unknown, and
a note says what that leaves unchecked.

The change guard fails closed on an export it cannot trust: one of another stack or
project, one whose ``ports`` output cannot be read, and one that holds Direct ports but
no ``ports`` output (outputs lost by a failed update on an older Pulumi CLI) are errors,
never a silent first deployment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expressroute_encryption.offline import wire

STACK_TYPE = "pulumi:pulumi:Stack"
PORT_TYPE = "azure-native:network:ExpressRoutePort"


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


def _stack_and_project(urn: str) -> tuple[str, str] | None:
    """(stack, project) of a URN, ``urn:pulumi:<stack>::<project>::<type>::<name>``."""
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        return None
    parts = urn[len("urn:pulumi:"):].split("::")
    return (parts[0], parts[1]) if len(parts) >= 4 else None


def load_previous(path: str | Path, stack: str | None = None, project: str | None = None) -> PreviousDeployment:
    """Stack outputs of an export, secrets in wire form where they could be read.

    With ``stack`` and ``project`` (the change guard's last deployment), an export of any
    other stack is refused (comparing with another stack's links would guard against the
    wrong deployment), and so is one whose ``ports`` output is missing or unreadable."""
    try:
        document = json.loads(Path(path).read_text())
        deployment = document["deployment"]
        resources = deployment.get("resources") or []
    except FileNotFoundError:
        raise PreviousError(f"previous deployment: {path}: no such file") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise PreviousError(f"previous deployment: {path}: not a `pulumi stack export` file") from None
    stack_resource = next((r for r in resources if isinstance(r, dict) and r.get("type") == STACK_TYPE), None)
    if stack_resource is None:
        if resources:
            raise PreviousError(f"previous deployment: {path}: the export holds resources but no stack resource: "
                                "not an export this guard can compare with")
        return PreviousDeployment(notes=[f"{path}: the export has no stack resource: treated as a first deployment"])
    if stack is not None and project is not None:
        found = _stack_and_project(stack_resource.get("urn"))
        if found is None:
            raise PreviousError(f"previous deployment: {path}: the stack resource has no readable URN, so the "
                                "export cannot be matched to a stack")
        if found != (stack, project):
            raise PreviousError(
                f"previous deployment: {path} is an export of stack '{found[0]}' of project '{found[1]}', not of "
                f"stack '{stack}' of project '{project}': export this stack with "
                f"`pulumi stack export --stack {stack} --file {path}`"
            )

    decrypt = _decrypter(deployment)
    result = PreviousDeployment()
    unreadable = []
    for name, value in (stack_resource.get("outputs") or {}).items():
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
    guarded = stack is not None  # the guard's last deployment, not another stack's outputs
    if guarded and "ports" in unreadable:
        raise PreviousError(
            f"previous deployment: {path}: the `ports` output is secret and cannot be decrypted offline (the stack "
            "does not use the passphrase provider, or PULUMI_CONFIG_PASSPHRASE is not set): the MACsec change guard "
            "needs it; export with `pulumi stack export --show-secrets` (and keep the file private)"
        )
    if guarded and "ports" not in result.outputs and any(isinstance(r, dict) and r.get("type") == PORT_TYPE for r in resources):
        raise PreviousError(
            f"previous deployment: {path}: the stack holds ExpressRoute Direct ports but no `ports` output (outputs "
            "lost by a failed update on a Pulumi CLI before 3.112, or not made by this program): the MACsec change "
            "guard cannot compare; restore the last good state with `pulumi stack import` first"
        )
    if "macsecKeyFingerprints" in unreadable:
        result.notes.append(
            f"{path}: secret outputs cannot be decrypted offline (the stack does not use the passphrase "
            "provider, or PULUMI_CONFIG_PASSPHRASE is not set): a bring-your-own key changed without its "
            "keyGeneration is not detected here; `pulumi preview` checks it"
        )
    return result
