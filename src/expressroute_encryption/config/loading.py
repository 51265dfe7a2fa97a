"""The running stack's config, as the Pulumi CLI hands it to the program, into a checked
``StackConfig``.

The CLI hands a program every config value as a string (namespaced keys such as
``expressroute-encryption:ports`` and ``azure-native:location``; objects and lists as
JSON) and the list of the keys that hold secrets. ``stack_config_from`` takes exactly
that, without importing Pulumi: the offline preview calls it with what it read from the
stack file before it loads the SDK, and the program on ``pulumi up`` with what the CLI
gave it (``load_stack_config``). No stack file is read here.

Secrets: the CLI says only whether a *top-level* key is secret, so this checks that
``macsecKeys`` and ``vpn`` (when it holds ``sharedKey``) are secret keys. That every
leaf under them is a ``secure:`` value of ``Pulumi.<stack>.yaml`` is checked by the
offline reader (``offline/stack_file.py``), which ``make preview`` and both pipelines
run before any deployment.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

from .errors import ConfigError, describe_errors
from .namespace import LOCATION_KEY, NAMESPACE
from .paths import fold_path_keys
from .region import UNLISTED_KEY, location_problems
from .stack import StackConfig


def parse_stack_config(values: Mapping[str, Any]) -> StackConfig:
    """Validate the namespace's config (keys without the namespace prefix, values decoded).

    Raises ConfigError listing every problem at once."""
    try:
        return StackConfig.model_validate(dict(values))
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, StackConfig, camel=True)) from None


def _decode(raw: str) -> Any:
    """Pulumi hands every config value over as a string: objects and lists as JSON, and
    top-level values as typed (``pulumi config set protect false`` gives "false")."""
    if raw in ("true", "false") or raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw


# The last check's inputs and verdict (a StackConfig, or the problems of its ConfigError):
# the offline preview checks the config before it runs the program, which checks the same
# config again, as do the preview's notes on adoption; a large estate's takes tens of ms.
_last: tuple[Any, StackConfig | list[str]] | None = None


def stack_config_from(config: Mapping[str, str], secret_keys: Collection[str]) -> StackConfig:
    """The checked stack config from the config as the Pulumi CLI hands it to a program
    (namespaced keys -> strings, objects as JSON) and its secret keys.

    Raises ConfigError with every problem: the Azure region missing or not a region
    (config/region.py), key material set as plain config, and every problem of the schema.
    The same inputs give the same verdict (the check reads nothing else), so the last one
    is remembered: a StackConfig is frozen, and a ConfigError is raised anew."""
    global _last
    key = (tuple(sorted(config.items())), frozenset(secret_keys))
    if _last is None or _last[0] != key:
        try:
            _last = key, _checked(config, secret_keys)
        except ConfigError as error:
            _last = key, error.problems
    if isinstance(_last[1], list):
        raise ConfigError(list(_last[1]))
    return _last[1]


def _checked(config: Mapping[str, str], secret_keys: Collection[str]) -> StackConfig:
    prefix = NAMESPACE + ":"
    # Keys written as a path (`pulumi new` writes a template's answers so) are the nested key.
    config, secret_keys, path_problems = fold_path_keys(config, secret_keys)
    values = {key[len(prefix):]: _decode(raw) for key, raw in sorted(config.items())
              if key.startswith(prefix) and raw is not None}
    secret = set(secret_keys)
    problems = []
    problems += location_problems(config.get(LOCATION_KEY), values.get(UNLISTED_KEY))
    if path_problems:
        # The rest of the config cannot be read as meant until its paths fold.
        raise ConfigError(problems + path_problems)
    if "macsecKeys" in values and f"{prefix}macsecKeys" not in secret:
        problems.append(
            "macsecKeys: must be a secret config value; remove it from the stack file and set each key "
            "with: pulumi config set --secret --type string --path 'macsecKeys.<port>.link1.cak' <hex>"
        )
    vpn = values.get("vpn")
    if isinstance(vpn, dict) and "sharedKey" in vpn and f"{prefix}vpn" not in secret:
        problems.append(
            "vpn.sharedKey: must be a secret config value; remove it from the stack file and set it "
            "with: pulumi config set --secret --type string --path vpn.sharedKey <key> (or leave it out to generate one)"
        )
    try:
        stack_config = parse_stack_config(values)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return stack_config


def load_stack_config() -> StackConfig:
    """Read and check the running stack's config (inside a Pulumi program): the config
    and secret keys the Pulumi runtime holds, through ``stack_config_from``."""
    import pulumi.runtime
    # CONFIG: the one place that lists every key set (pulumi.Config reads one key at a time),
    # so that a misspelt top-level key is reported; an SDK internal, see sdk_internals.py.
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(pulumi.runtime.get_config_env()) | {LOCATION_KEY}
    config = {key: raw for key in keys if (raw := pulumi.runtime.get_config(key)) is not None}
    secret_keys = [key for key in config if pulumi.runtime.is_config_secret(key)]
    return stack_config_from(config, secret_keys)
