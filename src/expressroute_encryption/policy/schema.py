"""The policies' config schemas, applied offline as the Pulumi CLI applies them.

``pulumi preview --policy-pack-config`` checks each policy's config against its
``config_schema`` with gojsonschema before any policy runs (research notes: the engine's
``validatePolicyConfig``). The offline checker, preview and ``adopt`` read the same
schema objects through ``schema_errors``, so a config refused there is refused here,
with a line naming its path. It covers the keywords the pack's schemas use:
``type``, ``enum``, ``items``, ``properties``, ``required``, ``additionalProperties``,
``minLength``, ``maxLength``, ``pattern`` and ``format: date``.

Two details follow Go rather than Python: a ``pattern`` is an RE2 expression, whose ``$``
matches only at the very end of the text (Python's also matches before a final line
break) and whose ``[0-9]`` is ASCII; and ``format: date`` is RFC 3339's ``full-date``
(``YYYY-MM-DD``, a day that exists), not whatever ``date.fromisoformat`` reads (it takes
ISO week dates such as ``2027-W13-3``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from ..printable import one_line
from .props import is_sequence

_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "array": is_sequence,
    "object": lambda value: isinstance(value, Mapping),
}

FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def full_date(value: Any) -> datetime.date | None:
    """``value`` as a date if it is written ``YYYY-MM-DD`` and the day exists, else None."""
    if not isinstance(value, str) or not FULL_DATE.fullmatch(value):
        return None
    try:
        return datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        return None


_FORMATS: dict[str, Callable[[Any], bool]] = {"date": lambda value: full_date(value) is not None}


@lru_cache(maxsize=None)
def _go_pattern(pattern: str) -> re.Pattern:
    """An RE2 ``pattern`` as Python reads it: ``$`` outside a class is the end of the text."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern), re.ASCII)


def _phrase(schema: Mapping, fallback: str) -> str:
    """What a value should be, in words: the schema's ``description`` (written to follow
    "must be"), else ``fallback``."""
    description = schema.get("description")
    return description if isinstance(description, str) and description else fallback


def schema_errors(value: Any, schema: Mapping, where: str) -> list[str]:
    """What ``value`` breaks of ``schema``, one line per problem, each naming its path
    under ``where``; ``[]`` when the CLI would accept it."""
    expected = schema.get("type")
    if expected in _JSON_TYPES and not _JSON_TYPES[expected](value):
        return [f"{where} must be of type {expected}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where} must be one of {', '.join(map(str, schema['enum']))}"]
    errors: list[str] = []
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            errors.append(f"{where} must be at least {schema['minLength']} character(s) long")
        elif "maxLength" in schema and len(value) > schema["maxLength"]:
            errors.append(f"{where} must be at most {schema['maxLength']} characters long")
        elif "pattern" in schema and not _go_pattern(schema["pattern"]).search(value):
            errors.append(f"{where} must be {_phrase(schema, 'written as ' + schema['pattern'])}")
        elif schema.get("format") in _FORMATS and not _FORMATS[schema["format"]](value):
            errors.append(f"{where} must be {_phrase(schema, 'a ' + schema['format'])}")
    if expected == "array" and "items" in schema:
        for index in range(len(value)):
            errors += schema_errors(value[index], schema["items"], f"{where}[{index}]")
    if expected == "object":
        properties = schema.get("properties") or {}
        if schema.get("additionalProperties") is False:
            unknown = sorted(one_line(key) for key in value if key not in properties)
            if unknown:
                errors.append(f"{where} has unknown keys {', '.join(unknown)}; allowed: {', '.join(properties)}")
        for name in schema.get("required") or []:
            if name not in value:
                errors.append(f"{where}.{name} is missing: give {_phrase(properties.get(name) or {}, 'it')}")
        for name, subschema in properties.items():
            if name in value:
                errors += schema_errors(value[name], subschema, f"{where}.{name}")
    return errors
