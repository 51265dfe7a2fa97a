"""``expressroute-encryption config-reference``: the config table, from the schema.

The table is rendered from ``StackConfig``: every key (nested keys with their path, list
items as ``[i]``, mapping entries as ``<name>``), its type and allowed values (from the
type annotations and constraints, in words: never a Python type name), its default, and
its field docstring. ``docs/config-reference.md`` holds a copy between
``<!-- config-reference:start -->`` and ``<!-- config-reference:end -->``:

    expressroute-encryption config-reference                  print the table
    expressroute-encryption config-reference --check FILE     exit 1 when FILE's copy is stale
    expressroute-encryption config-reference --write FILE     rewrite FILE's copy

(FILE: ``docs/config-reference.md``; any file with the two marker lines.)
"""

from __future__ import annotations

import argparse
import sys
import typing
from pathlib import Path
from typing import Any

from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.output_files import write_atomically

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
INDEXES = "ijklmn"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="FILE", type=Path,
                       help="exit 1 when FILE's table (between the config-reference markers) is stale")
    group.add_argument("--write", metavar="FILE", type=Path, help="rewrite FILE's table")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    table = render_table()
    if args.check is None and args.write is None:
        print(table, end="")
        return ExitCode.OK
    path = args.check or args.write
    try:
        text = path.read_text()
        before, rest = text.split(START + "\n", 1)
        current, after = rest.split(END, 1)
    except (OSError, ValueError):
        print(f"{path}: needs a table between the lines {START} and {END}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    if args.check is not None:
        if current != table:
            print(f"{path}: the config table is stale; run: expressroute-encryption config-reference "
                  f"--write {path}", file=sys.stderr)
            return ExitCode.REFUSED
        return ExitCode.OK
    # Whole or not at all: an interrupted or failed write never leaves a truncated file.
    write_atomically(path, before + START + "\n" + table + END + after, overwrite=True)
    return ExitCode.OK


def render_table() -> str:
    """The Markdown table of every stack config key."""
    from expressroute_encryption.config.rules import describe_fields
    from expressroute_encryption.config.stack import StackConfig

    describe_fields()
    lines = ["| key | type / allowed | default | notes |", "|---|---|---|---|"]
    lines += [f"| `{key}` | {allowed} | {default} | {notes} |" for key, allowed, default, notes in rows(StackConfig)]
    return "\n".join(lines) + "\n"


# Models whose keys all take the same few settings: each key gets its row, and the settings
# are listed once, under this placeholder (the alert overrides: 11 alerts x 4 settings).
SHARED_SETTINGS = {"AlertOverrides": "<alert>"}


def rows(model, prefix: str = "", depth: int = 0):
    """(key path, type / allowed, default, notes) for each field of ``model``, depth first."""
    shared = SHARED_SETTINGS.get(model.__name__)
    inners = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{field.alias or name}"
        yield key, _escape(describe_type(field.annotation, field.metadata)), _escape(describe_default(field)), \
            _escape(" ".join((field.description or "").split()))
        inner, suffix = _nested(field.annotation, depth)
        if inner is not None and shared:
            inners += [inner] if inner not in inners else []
        elif inner is not None:
            yield from rows(inner, f"{key}{suffix}.", depth + (suffix.startswith("[")))
    seen = set()
    for inner in inners:
        for row in rows(inner, f"{prefix}{shared}.", depth):
            if row[0] not in seen:
                seen.add(row[0])
                yield row


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _nested(annotation: Any, depth: int) -> tuple[Any, str]:
    """The model inside a field (itself, a list's items, a mapping's values) and the key suffix."""
    annotation = _unwrap(annotation)
    if is_model(annotation):
        return annotation, ""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and is_model(_unwrap(args[0])):
        return _unwrap(args[0]), f"[{INDEXES[depth]}]"
    if origin is dict and is_model(_unwrap(args[-1])):
        return _unwrap(args[-1]), ".<name>"
    return None, ""


def bounds(metadata) -> dict[str, Any]:
    """The limits a field's metadata sets (``ge``, ``le``, ``gt``, ``lt``, ``min_length``, ``max_length``)."""
    found = {}
    for item in metadata:
        for attr in ("ge", "le", "gt", "lt", "min_length", "max_length"):
            if getattr(item, attr, None) is not None:
                found[attr] = getattr(item, attr)
        if hasattr(item, "metadata"):  # a FieldInfo inside Annotated
            found.update(bounds(item.metadata))
    return found


def flatten(annotation: Any, metadata=()) -> tuple[Any, list]:
    """The type under ``Annotated`` and ``Optional``, with the metadata gathered on the way."""
    metadata = list(metadata)
    while typing.get_origin(annotation) in (typing.Annotated, typing.Union):
        if typing.get_origin(annotation) is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata += extra
        else:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation, metadata


def describe_type(annotation: Any, metadata=()) -> str:
    """What a value must be, in a network engineer's words."""
    from pydantic import SecretStr

    annotation, metadata = flatten(annotation, metadata)
    limits = bounds(metadata)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(f"`{v}`" for v in args)
    if annotation is bool:
        return "`true` | `false`"
    if annotation is float:
        return "number"
    if annotation is int:
        low, high = limits.get("ge"), limits.get("le")
        if low is not None and high is not None:
            return f"integer {low}-{high}"
        return f"integer >= {low}" if low is not None else "integer"
    if annotation is str:
        low, high = limits.get("min_length"), limits.get("max_length")
        return f"string, {low or 0}-{high} chars" if high else "string"
    if annotation is SecretStr:
        return "secret string"
    if origin is list:
        text = f"list of {describe_type(args[0])}"
        return text + (f", at least {limits['min_length']}" if limits.get("min_length") else "")
    if origin is dict:
        return f"mapping of name to {describe_type(args[-1])}"
    if is_model(annotation):
        return "mapping"
    # Never a Python type name in the reference: a new kind of field needs its words here.
    raise TypeError(f"config reference: no words for the type {annotation!r}; add them to describe_type")


def describe_default(field) -> str:
    from pydantic import BaseModel

    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "none"
    if isinstance(value, BaseModel):
        return "each key's default"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, dict)):
        return f"`{value!r}`".replace("'", "")
    return f"`{value}`"


def _escape(text: str) -> str:
    """Pipes inside a cell would end it."""
    return text.replace("\\|", "|").replace("|", "\\|")
