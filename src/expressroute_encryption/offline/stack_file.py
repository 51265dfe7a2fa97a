"""Read ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` into the config a program would get.

The Pulumi CLI hands a program its config as strings (objects as JSON) plus the list
of keys that hold secrets. This module does the same from the files, offline:

- keys without a namespace belong to the project, as in the CLI;
- ``secure:`` values are decrypted when ``PULUMI_CONFIG_PASSPHRASE`` is set and the stack
  uses the passphrase provider; otherwise they are unknown secrets, replaced by
  stand-ins of the right shape (so the rest of the config can still be checked), and a
  note says so. Stand-ins exist only here: the real CLI always decrypts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from expressroute_encryption.config import CAK_HEX_DIGITS, CKN_HEX_DIGITS, NAMESPACE


class StackFileError(Exception):
    """The project or stack file is missing or unreadable (message has no secrets)."""


@dataclass
class StackFile:
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str]
    notes: list[str] = field(default_factory=list)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def _contains_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _replace_secure(value: Any, path: tuple, fill) -> Any:
    if _is_secure(value):
        return fill(path, value["secure"])
    if isinstance(value, dict):
        return {k: _replace_secure(v, (*path, k), fill) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, (*path, i), fill) for i, v in enumerate(value)]
    return value


def _plain_key_material(raw: dict[str, Any]) -> list[str]:
    """Paths of key material written in plain text (a `--path` set without `--secret`):
    every CAK/CKN under macsecKeys and vpn.sharedKey must be encrypted."""
    found = []
    keys = raw.get(f"{NAMESPACE}:macsecKeys")
    if isinstance(keys, dict):
        for port, links in keys.items():
            for link, pair in (links.items() if isinstance(links, dict) else []):
                for kind, value in (pair.items() if isinstance(pair, dict) else []):
                    if not _is_secure(value):
                        found.append(f"macsecKeys.{port}.{link}.{kind}")
    vpn = raw.get(f"{NAMESPACE}:vpn")
    if isinstance(vpn, dict) and "sharedKey" in vpn and not _is_secure(vpn["sharedKey"]):
        found.append("vpn.sharedKey")
    return found


def _to_config_string(value: Any) -> str:
    """How the CLI passes values: strings as they are, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _stand_in(raw: dict[str, Any]):
    """Shape-correct placeholders for secrets that cannot be decrypted offline."""
    ciphers = {}
    ports = raw.get(f"{NAMESPACE}:ports")
    if isinstance(ports, list):
        ciphers = {
            p.get("name"): (p.get("macsec") or {}).get("cipher")
            for p in ports if isinstance(p, dict)
        }

    def fill(path: tuple, _ciphertext: str) -> str:
        if len(path) == 4 and path[0] == f"{NAMESPACE}:macsecKeys":
            if path[3] == "cak":
                return "0" * CAK_HEX_DIGITS.get(ciphers.get(path[1]), 64)
            if path[3] == "ckn":
                return "0" * CKN_HEX_DIGITS
        return "offline-stand-in-for-a-secret"

    return fill


def _decrypter(stack_doc: dict[str, Any], stack_path: Path):
    passphrase = os.environ.get("PULUMI_CONFIG_PASSPHRASE")
    if passphrase is None and os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        passphrase = Path(os.environ["PULUMI_CONFIG_PASSPHRASE_FILE"]).read_text().rstrip("\n")
    salt = stack_doc.get("encryptionsalt")
    if passphrase is None or not salt:
        return None
    from expressroute_encryption.offline.passphrase import PassphraseError, make_decrypter

    try:
        decrypt = make_decrypter(salt, passphrase)
    except PassphraseError as exc:
        raise StackFileError(f"{stack_path.name}: {exc}") from None

    def fill(_path: tuple, ciphertext: str) -> str:
        try:
            return decrypt(ciphertext)
        except PassphraseError as exc:
            raise StackFileError(f"{stack_path.name}: {exc}") from None

    return fill


def _load_yaml(text: str) -> Any:
    """Safe YAML, with libyaml's C parser when the wheel has it (large stacks parse in
    milliseconds instead of tenths of a second)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_stack_file(project_dir: Path, stack: str) -> StackFile:
    """Config for ``stack`` as the CLI would pass it to the program."""
    project_path = project_dir / "Pulumi.yaml"
    stack_path = project_dir / f"Pulumi.{stack}.yaml"
    try:
        project_doc = _load_yaml(project_path.read_text())
        stack_doc = _load_yaml(stack_path.read_text()) or {}
    except FileNotFoundError as exc:
        raise StackFileError(f"{Path(exc.filename).name}: no such file (is the stack name right?)") from None
    except yaml.YAMLError as exc:
        # PyYAML's message quotes the offending text, which may be a key: give the place only.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise StackFileError(f"not valid YAML{where}") from None
    if not isinstance(stack_doc, dict) or not isinstance(stack_doc.get("config", {}), dict):
        raise StackFileError(f"{stack_path.name}: expected a mapping with a 'config' mapping")
    project = project_doc["name"]

    raw = {
        (key if ":" in key else f"{project}:{key}"): value
        for key, value in (stack_doc.get("config") or {}).items()
    }
    plain = _plain_key_material(raw)
    if plain:
        raise StackFileError(
            f"{stack_path.name}: {', '.join(plain)}: stored in plain text next to encrypted values; set "
            "each with: pulumi config set --secret --type string --path '<path>' <value>"
        )
    secret_keys = sorted(k for k, v in raw.items() if _contains_secure(v))
    notes = []
    fill = None
    if secret_keys:
        fill = _decrypter(stack_doc, stack_path)
        if fill is None:
            fill = _stand_in(raw)
            notes.append(
                f"{', '.join(secret_keys)}: encrypted (secure) values could not be decrypted "
                "(set PULUMI_CONFIG_PASSPHRASE for a passphrase-encrypted stack); they are "
                "treated as unknown secrets and previewed with stand-ins of the right shape, "
                "so their format is not checked here"
            )
    config = {
        key: _to_config_string(_replace_secure(value, (key,), fill) if fill else value)
        for key, value in raw.items()
    }
    return StackFile(project, stack, config, secret_keys, notes)
