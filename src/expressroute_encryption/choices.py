"""The enum-like inputs of the components, as enums for the component package schema.

The Pulumi SDK's schema inference turns ``enum.Enum`` classes into schema enums (it has
no support for ``typing.Literal``), so the generated ``*Args`` TypedDicts
(``component_args.py``) use these. Each enum is generated from a ``Literal`` of
``config.literals`` (the type the config schema validates with), under the name and
description its ``Choice`` gives, so the allowed values exist once. Members are
``StrEnum``s: a Python caller may pass the member or the plain string; the component
provider hands over members, which ``validate_args`` turns back into their values. A
value outside the enum becomes a stand-in member instead of the provider's own
"Invalid value" error, so it reaches the config schema and gets the same message (with
the allowed values and the argument's path) as everywhere else.
"""

import keyword
from enum import StrEnum
from typing import Any

from .config import literals


def _enum(name: str, values: tuple, doc: str) -> type[StrEnum]:
    members = [(v if v.isidentifier() and not keyword.iskeyword(v) else f"{v}_", v) for v in values]
    enum = StrEnum(name, members, module=__name__, qualname=name)
    enum.__doc__ = doc
    enum._missing_ = classmethod(_stand_in)
    return enum


def _stand_in(cls, value: Any):
    """A member for a value the enum does not have, for the schema to refuse."""
    if not isinstance(value, str):
        return None
    member = str.__new__(cls, value)
    member._name_, member._value_ = value, value
    return member


# One enum per Choice of config.literals, named as the Choice says (Cipher, SciState, ...).
ENUMS: dict[str, type[StrEnum]] = {
    name: _enum(name, values, choice.doc) for name, (choice, values) in literals.choices().items()
}
globals().update(ENUMS)
