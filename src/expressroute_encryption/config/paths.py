"""Config keys written as a path (``expressroute-encryption:ports[0].name``): the same
value as the nested key, folded into it before the config is checked.

``pulumi new`` saves each answer of a template's prompts as a key of its own, never as a
path into an object (its prompts take no ``--path``), so a project made from
``templates/expressroute-direct`` starts with keys such as
``expressroute-encryption:keyVault.name`` and ``expressroute-encryption:ports[0].stage``.
They mean what ``pulumi config set --path 'ports[0].stage' reserved`` would have written
inside ``expressroute-encryption:ports``, and the stack config is checked as one: the
paths are folded into their top-level key here, by the one rule both the program (the
config the CLI hands it) and the offline reader of stack files apply.

- A value is read as ``pulumi config set --path`` stores it: ``true``/``false`` as
  booleans, a whole number without a leading zero as a number, anything else as text
  (an object or list given as JSON stays one).
- A path and the nested key may both be given; a value set both ways must be the same.
- Key material is never a key of its own: a path under ``macsecKeys``, or to
  ``vpn.sharedKey``, is refused (set it with ``pulumi config set --secret --path``).

Standard library only: the offline reader uses it before the schema is loaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from .errors import format_loc
from .namespace import NAMESPACE

_SEGMENT = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')
_PATH_START = re.compile(r'[.\[]')
# Paths that would hold key material outside the structured, secure form.
_KEY_MATERIAL = ("macsecKeys",)
_KEY_MATERIAL_LEAVES = (("vpn", "sharedKey"),)


def is_path_key(name: str) -> bool:
    """Whether a key of the namespace (without the ``namespace:`` prefix) is written as a path."""
    return bool(_PATH_START.search(name))


def parse_path(name: str) -> tuple[str | int, ...] | None:
    """``ports[0].macsec.cipher`` -> ('ports', 0, 'macsec', 'cipher'), as the Pulumi CLI
    reads a ``--path`` (``a.b``, ``a[0]``, ``a["b.c"]``); None when it is no such path."""
    parts: list[str | int] = []
    position = 0
    while position < len(name):
        match = _SEGMENT.match(name, position)
        if match is None or (position == 0 and not match.group(1)) or (position > 0 and match.group(0) == match.group(1)):
            return None
        name_part, index, quoted = match.groups()
        if name_part is not None:
            parts.append(name_part)
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append(re.sub(r"\\(.)", r"\1", quoted))
        position = match.end()
    return tuple(parts) or None


def path_value(raw: str) -> Any:
    """A path key's value as ``pulumi config set --path`` would have stored it."""
    if raw in ("true", "false"):
        return raw == "true"
    if raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if re.fullmatch(r"-?[1-9][0-9]*|0", raw):
        return int(raw)
    return raw


def _top_value(raw: str | None, first: str | int) -> Any:
    if raw is None:
        return [] if isinstance(first, int) else {}
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _set(container: Any, path: tuple[str | int, ...], value: Any, where: tuple) -> str | None:
    """Put ``value`` at ``path`` inside ``container``; a problem, or None."""
    key, rest = path[0], path[1:]
    here = (*where, key)
    if isinstance(key, int):
        if not isinstance(container, list):
            return f"{format_loc(where)}: a list index is given for something that is not a list"
        if key > len(container):
            return f"{format_loc(here)}: set without {format_loc((*where, len(container)))} (list items are numbered from 0, without gaps)"
        if key == len(container):
            container.append([] if rest and isinstance(rest[0], int) else {} if rest else None)
    elif not isinstance(container, dict):
        return f"{format_loc(where)}: a key is given for something that is not a mapping"
    elif key not in container:
        container[key] = ([] if isinstance(rest[0], int) else {}) if rest else None
    if rest:
        return _set(container[key], rest, value, here)
    if container[key] is not None and container[key] != value:
        return (f"{format_loc(here)}: set twice with different values (as {NAMESPACE}:{format_loc(here)} and inside "
                f"{NAMESPACE}:{format_loc(here[:1])}); keep one")
    container[key] = value
    return None


def fold_path_keys(config: Mapping[str, str], secret_keys: Collection[str] = ()) -> tuple[dict[str, str], list[str], list[str]]:
    """``config`` as the Pulumi CLI hands it to a program (namespaced keys -> strings,
    objects as JSON) with every path key of the namespace folded into its top-level key:
    (the folded config, its secret keys, problems). With problems, the config is returned
    as it was."""
    prefix = NAMESPACE + ":"
    paths = {}
    problems = []
    for key in config:
        if not key.startswith(prefix) or not is_path_key(name := key[len(prefix):]):
            continue
        path = parse_path(name)
        if path is None:
            problems.append(f"{format_loc((name,))}: not a config path (write it as ports[0].macsec.cipher, "
                            "with [\"...\"] around a name that holds a '.')")
        elif path[0] in _KEY_MATERIAL or path[:2] in _KEY_MATERIAL_LEAVES:
            problems.append(f"{format_loc(path)}: key material is not a key of its own; set it with: "
                            f"pulumi config set --secret --path '{format_loc(path)}' <value>")
        else:
            paths[key] = path
    if not paths or problems:
        return dict(config), sorted(secret_keys), problems
    folded = {key: value for key, value in config.items() if key not in paths}
    secret = {key for key in secret_keys if key not in paths}
    tops: dict[str, Any] = {}
    # List items in number order (ports[2] after ports[10] as text).
    for key in sorted(paths, key=lambda k: [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in paths[k]]):
        path = paths[key]
        top = prefix + str(path[0])
        if top not in tops:
            tops[top] = _top_value(config.get(top), path[1])
        if problem := _set(tops[top], path[1:], path_value(config[key]), path[:1]):
            problems.append(problem)
        if key in secret_keys:
            secret.add(top)
    if problems:
        return dict(config), sorted(secret_keys), problems
    for top, value in tops.items():
        folded[top] = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return folded, sorted(secret), []
