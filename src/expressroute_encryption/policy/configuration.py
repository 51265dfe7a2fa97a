"""Reading a policy's configuration (``--policy-pack-config``).

The policy SDK hands a policy only the properties the user set: it does not fill in the defaults of
the policy's config schema. Every read therefore names its default in code.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import ResourceValidationArgs, StackValidationArgs

from .props import is_sequence

ValidationArgs = ResourceValidationArgs | StackValidationArgs


def config_value(args: ValidationArgs, key: str, default: Any) -> Any:
    """The configured value of ``key`` for this policy, or ``default`` when it is not set."""
    config = args.get_config()
    value = config.get(key) if isinstance(config, Mapping) else None
    return default if value is None else value


def config_strings(args: ValidationArgs, key: str, default: Sequence[str]) -> tuple[str, ...]:
    """A configured list of strings, or ``default`` when it is not set or not a list of strings."""
    value = config_value(args, key, default)
    if not is_sequence(value) or not all(isinstance(item, str) for item in value):
        return tuple(default)
    return tuple(value)


def config_flag(args: ValidationArgs, key: str, default: bool) -> bool:
    """A configured boolean, or ``default`` when it is not set or not a boolean."""
    value = config_value(args, key, default)
    return value if isinstance(value, bool) else default
