"""Which config values are secrets, how to tell that a stack file really encrypts them, and
how to keep key material out of messages.

Used by both readers of a stack file: the program on `pulumi up` (``config.load_stack_config``)
and the offline preview (``offline/stack_file.py``), so both refuse the same files.

Why the program reads the stack file itself: the Pulumi CLI tells a program only whether a
*top-level* config key is secret. ``pulumi config set --path macsecKeys.p.link1.cak`` without
``--secret`` next to encrypted leaves leaves that one key in plain text in
``Pulumi.<stack>.yaml`` (and in git), yet the CLI reports ``macsecKeys`` as secret as a whole.
Only the file shows which leaves are ``secure:``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
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


def _uncovered(written: Any, received: Any, path: tuple) -> list[tuple[tuple, str]]:
    """Leaves of ``received`` not encrypted in ``written`` (the file's value at the same
    path): ("plain", path) for a value written in plain text, ("missing", path) for one the
    file does not have. A `secure:` value covers everything under it."""
    if is_secure(written):
        return []
    if written is _MISSING:
        return [(path, "missing")]
    if isinstance(received, Mapping) and received:
        if not isinstance(written, Mapping):
            return [(path, "plain")]
        return [found for key, value in received.items()
                for found in _uncovered(written.get(key, _MISSING), value, (*path, key))]
    if isinstance(received, list) and received:
        if not isinstance(written, list):
            return [(path, "plain")]
        return [found for i, value in enumerate(received)
                for found in _uncovered(written[i] if i < len(written) else _MISSING, value, (*path, i))]
    return [(path, "plain")]


def unencrypted_leaves(written: Mapping[str, Any], namespace: str,
                       received: Mapping[str, Any] | None = None) -> list[tuple[tuple, str]]:
    """Every leaf under ``SECRET_CONFIG_PATHS`` that is not a `secure:` value of the stack
    file, as (path without the namespace, "plain" | "missing").

    ``written`` is the file's config (namespaced keys, values as written); ``received``
    the config the program got (keys without the namespace, values decoded), or None to
    check the file's own values (the offline reader)."""
    found = []
    for root, *rest in SECRET_CONFIG_PATHS:
        in_file = written.get(f"{namespace}:{root}", _MISSING)
        got = in_file if received is None else received.get(root, _MISSING)
        for key in rest:
            if not is_secure(in_file):  # a secure parent covers the key
                in_file = in_file.get(key, _MISSING) if isinstance(in_file, Mapping) else _MISSING
            got = got.get(key, _MISSING) if isinstance(got, Mapping) else _MISSING
        if got is _MISSING:
            continue
        found += _uncovered(in_file, got, (root, *rest))
    return found


def set_secret_command(path: str) -> str:
    return f"pulumi config set --secret --type string --path '{path}' <value>"


_offline_reader = False


@contextlib.contextmanager
def config_from_offline_reader() -> Iterator[None]:
    """While the offline harness runs the program: its config did not come from the Pulumi
    CLI, and a stack file it came from was checked by the offline reader already."""
    global _offline_reader
    saved, _offline_reader = _offline_reader, True
    try:
        yield
    finally:
        _offline_reader = saved


def checked_by_offline_reader() -> bool:
    return _offline_reader
