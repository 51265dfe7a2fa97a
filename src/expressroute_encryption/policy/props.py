"""Reading resource properties the way the policy engine hands them over.

At run time ``args.props`` is wrapped by ``pulumi_policy.proxy.unknown_checking_proxy``: objects and
arrays are ``collections.abc`` Mapping/Sequence proxies (never ``dict``/``list``), and reading a value
that is unknown during preview raises ``UnknownValueError``. Even ``key in props`` and ``props.get(key)``
raise for an unknown value, because the Mapping mixins read the item.

The helpers here never raise: a path that is missing or has the wrong shape reads as ``None``, and an
unknown value (raised by the proxy, or a raw sentinel string in unproxied data) reads as ``UNKNOWN``.
Policies decide explicitly what an unknown value means for them (usually: "will be known at deploy
time, so do not judge it now").
"""

from collections.abc import Mapping, Sequence
from typing import Any

# The policy SDK's unknown-checking proxy is not public API: sdk_internals.py.
from expressroute_encryption.sdk_internals import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

_UNKNOWN_SENTINELS = frozenset({
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
})


class _Unknown:
    """Marker for a value that cannot be known yet (preview) or cannot be read (an encrypted secret)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()


def is_unknown(value: Any) -> bool:
    """True for ``UNKNOWN`` and for the engine's raw unknown sentinel strings."""
    return value is UNKNOWN or (isinstance(value, str) and value in _UNKNOWN_SENTINELS)


def is_sequence(value: Any) -> bool:
    """True for arrays (a list or the SDK's list proxy), false for strings."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def get(value: Any, *path: Any) -> Any:
    """Follow ``path`` (object keys and array indexes) into ``value``.

    Returns the value found, ``None`` when something on the way is missing or has the wrong shape,
    or ``UNKNOWN`` when something on the way is unknown.
    """
    current = value
    for key in path:
        if is_unknown(current):
            return UNKNOWN
        if isinstance(key, int):
            if not is_sequence(current) or not 0 <= key < len(current):
                return None
        elif not isinstance(current, Mapping):
            return None
        try:
            current = current[key]
        except UnknownValueError:
            return UNKNOWN
        except (KeyError, IndexError, TypeError):
            return None
    return UNKNOWN if is_unknown(current) else current


def elements(value: Any) -> list[Any]:
    """The elements of an array (unknown ones as ``UNKNOWN``); ``[]`` for anything that is not an array."""
    if not is_sequence(value):
        return []
    return [get(value, index) for index in range(len(value))]


def text(value: Any) -> str | None:
    """``value`` if it is a known string, else ``None``."""
    return value if isinstance(value, str) and not is_unknown(value) else None


def number(value: Any) -> float | None:
    """``value`` if it is a known number (the engine sends every number as a float), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def equals_ignoring_case(value: Any, expected: str) -> bool:
    """True when ``value`` is a known string equal to ``expected`` apart from case."""
    found = text(value)
    return found is not None and found.lower() == expected.lower()


def has_entries(value: Any) -> bool:
    """True for a non-empty object or array (known)."""
    return (isinstance(value, Mapping) or is_sequence(value)) and len(value) > 0


def is_present(value: Any) -> bool:
    """True when a value is set: unknown values count (they will be set at deploy time); ``None`` and
    blank strings do not."""
    if value is UNKNOWN:
        return True
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None
