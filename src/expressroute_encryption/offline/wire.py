"""Pulumi's wire form of property values: the secret marker, and helpers around it.

Inside the engine, in a stack export and in what mocks receive, a secret value is an
object ``{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
"value": ...}`` (in an export, ``"ciphertext"`` instead of ``"value"``).
"""

from __future__ import annotations

from typing import Any

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"
WITHHELD = "[secret: withheld by the offline preview]"


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG: SECRET_VALUE, "value": value}


def unwrap(value: Any) -> Any:
    """Drop secret markers, keeping the values: for code that reads non-secret fields."""
    if is_secret(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """Replace every secret's value by a marker, the way a stack export shows it."""
    if is_secret(value):
        return {SECRET_SIG: SECRET_VALUE, "ciphertext": WITHHELD}
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
