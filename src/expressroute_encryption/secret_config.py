"""Which config values are secrets, how to tell that a stack file really encrypts them, and
how to keep key material out of messages.

Why a stack file is checked leaf by leaf: the Pulumi CLI tells a program only whether a
*top-level* config key is secret. ``pulumi config set --path macsecKeys.p.link1.cak``
without ``--secret`` next to encrypted leaves leaves that one key in plain text in
``Pulumi.<stack>.yaml`` (and in git), yet the CLI reports ``macsecKeys`` as secret as a
whole. Only the file shows which leaves are ``secure:``, so the offline reader
(``offline/stack_file.py``) refuses such a file; ``make preview`` and both pipelines run
it before any deployment. The program itself, on ``pulumi up``, checks what the CLI tells
it (``config.loading``: the top-level keys are secret) and reads no file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Config paths (under the project's namespace) whose every leaf must be a `secure:` value.
# Add a path here when a new secret config key appears.
SECRET_CONFIG_PATHS: tuple[tuple[str, ...], ...] = (("macsecKeys",), ("vpn", "sharedKey"))

# A run of 16 or more hex digits: a CAK, a CKN, a key pasted as a name (`cak=<hex>`).
# Masked wherever user input reaches a message, whatever the path it came from.
KEY_MATERIAL_RE = re.compile(r"[0-9A-Fa-f]{16,}")
KEY_NAME_PLACEHOLDER = "<a name that looks like key material>"
KEY_TEXT_PLACEHOLDER = "<key material not shown>"


def looks_like_key(name: Any) -> bool:
    """A name holding a run of 16+ hex digits (a key pasted as a port name, `cak=<hex>`)."""
    return isinstance(name, str) and KEY_MATERIAL_RE.search(name) is not None


def mask_key_material(text: str) -> str:
    """``text`` with every run of 16+ hex digits replaced by a placeholder."""
    return KEY_MATERIAL_RE.sub(KEY_TEXT_PLACEHOLDER, text)


def is_secure(value: Any) -> bool:
    """config.isSecureValue: a mapping with the one key ``secure`` holding a string."""
    return isinstance(value, Mapping) and len(value) == 1 and isinstance(value.get("secure"), str)


_MISSING = object()


def _plain_leaves(value: Any, path: tuple) -> list[tuple]:
    """Paths of the leaves of ``value`` not under a `secure:` value (a `secure:` value
    covers everything under it)."""
    if is_secure(value):
        return []
    if isinstance(value, Mapping) and value:
        return [found for key, item in value.items() for found in _plain_leaves(item, (*path, key))]
    if isinstance(value, list) and value:
        return [found for i, item in enumerate(value) for found in _plain_leaves(item, (*path, i))]
    return [path]


def unencrypted_leaves(written: Mapping[str, Any], namespace: str) -> list[tuple]:
    """The path (without the namespace) of every leaf under ``SECRET_CONFIG_PATHS`` that is
    not a `secure:` value of the stack file; ``written`` is the file's config (namespaced
    keys, values as written)."""
    found = []
    for root, *rest in SECRET_CONFIG_PATHS:
        value = written.get(f"{namespace}:{root}", _MISSING)
        for key in rest:
            if not is_secure(value):  # a secure parent covers the key
                value = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
        if value is not _MISSING:
            found += _plain_leaves(value, (root, *rest))
    return found


def set_secret_command(path: str) -> str:
    return f"pulumi config set --secret --type string --path '{path}' <value>"
