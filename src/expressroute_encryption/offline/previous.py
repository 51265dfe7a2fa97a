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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expressroute_encryption.offline import wire
from expressroute_encryption.record import exported_record_notes, exported_record_problem

STACK_TYPE = "pulumi:pulumi:Stack"


class PreviousError(Exception):
    """The export cannot be read (message names the file; no secrets)."""
PORT_TYPE = "azure-native:network:ExpressRoutePort"


@dataclass
class PreviousDeployment:
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The export's resources (for the what-if), secret values in wire form where they could
    # be read and left as the export keeps them (``ciphertext``) where not; None: no export.
    resources: list[dict[str, Any]] | None = None


def _readable_secrets(value: Any, decrypt) -> Any:
    """``value`` with each secret the export holds in plain text (``--show-secrets``) or that
    the passphrase decrypts in wire form (``value``); the others stay as they are."""
    if wire.is_secret(value):
        text = value.get("plaintext") if isinstance(value.get("plaintext"), str) else None
        if text is None and decrypt is not None and isinstance(value.get("ciphertext"), str):
            from expressroute_encryption.offline.passphrase import PassphraseError

            try:
                text = decrypt(value["ciphertext"])
            except PassphraseError:
                text = None
        if text is None:
            return value
        try:
            return wire.secret(json.loads(text))
        except (ValueError, RecursionError):
            return value
    if isinstance(value, dict):
        return {k: _readable_secrets(v, decrypt) for k, v in value.items()}
    if isinstance(value, list):
        return [_readable_secrets(v, decrypt) for v in value]
    return value


def _decrypter(deployment: dict[str, Any]):
    from expressroute_encryption.offline.passphrase import PassphraseError, make_decrypter, passphrase_from_environment

    provider = deployment.get("secrets_providers")
    provider = provider if isinstance(provider, dict) else {}
    state = provider.get("state") if isinstance(provider.get("state"), dict) else {}
    salt = state.get("salt")
    if provider.get("type") != "passphrase" or not salt:
        return None
    try:
        passphrase = passphrase_from_environment()
        return None if passphrase is None else make_decrypter(salt, passphrase)
    except PassphraseError as exc:
        raise PreviousError(f"previous deployment: {exc}") from None


def _read_document(path: str | Path) -> Any:
    """The export's JSON; every way a file can be unreadable is one clean PreviousError."""
    problem = None
    try:
        return json.loads(Path(path).read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        problem = "no such file"
    except IsADirectoryError:
        problem = "is a folder, not a file"
    except OSError as exc:
        problem = f"cannot read: {exc.strerror or type(exc).__name__}"
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    except (ValueError, RecursionError):  # bad JSON, a number too long, nesting too deep
        problem = "not a `pulumi stack export` file"
    raise PreviousError(f"previous deployment: {path}: {problem}")


def _secret_output(name: str, value: dict[str, Any], decrypt, path) -> Any:
    """A secret stack output's value in wire form, or None when it cannot be read offline."""
    text = None
    if isinstance(value.get("plaintext"), str):
        text = value["plaintext"]
    elif decrypt is not None and "ciphertext" in value:
        from expressroute_encryption.offline.passphrase import PassphraseError

        try:
            text = decrypt(value["ciphertext"])
        except PassphraseError as exc:
            raise PreviousError(f"previous deployment: {path}: output {name}: {exc}") from None
    if text is None:
        return None
    try:
        return wire.secret(json.loads(text))
    except (ValueError, RecursionError):
        pass
    raise PreviousError(f"previous deployment: {path}: output {name}: the secret's value is not JSON")


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
    document = _read_document(path)
    deployment = document.get("deployment") if isinstance(document, dict) else None
    resources = deployment.get("resources") if isinstance(deployment, dict) else None
    if not isinstance(resources, (list, type(None))) or deployment is None:
        raise PreviousError(f"previous deployment: {path}: not a `pulumi stack export` file")
    resources = resources or []
    stack_resource = next((r for r in resources if isinstance(r, dict) and r.get("type") == STACK_TYPE), None)
    if stack_resource is None:
        if resources:
            raise PreviousError(f"previous deployment: {path}: the export holds resources but no stack resource: "
                                "not an export this guard can compare with")
        return PreviousDeployment(notes=[f"{path}: the export has no stack resource: treated as a first deployment"],
                                  resources=[])
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
    outputs = stack_resource.get("outputs") or {}
    if not isinstance(outputs, dict):
        raise PreviousError(f"previous deployment: {path}: the stack resource's outputs is not an object")

    decrypt = _decrypter(deployment)
    result = PreviousDeployment()
    unreadable = []
    for name, value in outputs.items():
        if not wire.is_secret(value):
            result.outputs[name] = value
            continue
        result.secret_names.append(name)
        readable = _secret_output(name, value, decrypt, path)
        if readable is None:
            unreadable.append(name)
        else:
            result.outputs[name] = readable
    result.resources = [{**r, "inputs": _readable_secrets(r.get("inputs") or {}, decrypt)}
                        for r in resources if isinstance(r, dict)]
    guarded = stack is not None  # the guard's last deployment, not another stack's outputs
    holds_ports = any(isinstance(r, dict) and r.get("type") == PORT_TYPE for r in resources)
    if guarded and (problem := exported_record_problem(result.outputs, unreadable, holds_ports)):
        raise PreviousError(f"previous deployment: {path}: {problem}")
    result.notes += [f"{path}: {note}" for note in exported_record_notes(unreadable)]
    return result
