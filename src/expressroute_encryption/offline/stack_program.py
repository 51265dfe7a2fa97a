"""The stack config checked before the program runs, when the program is this project's.

The stack program (``expressroute_encryption.program.run``, which this project's
``__main__.py`` and a template project's call) starts by checking the stack config
(``load_stack_config``) and stops with its problems before it loads anything else. Under
the offline preview, getting there costs loading the Pulumi SDK, the policy pack and
azure-native, several times what the check itself takes. So when the project to preview
is this project's stack program, the preview runs that same check on the config it read
from the stack file, as the program would get it, and reports a config error as the
program's would be reported (the same lines, exit 2), without loading any of that. For any
other program, or when unsure, the preview runs the program as usual and lets it check.

"This project's stack program" means: the project is named as this project is (the
config namespace), and ``__main__.py`` is exactly the one this project ships: it imports
``run`` from ``expressroute_encryption.program`` and calls it (a docstring aside). And the config the program would get is the
stack file's: no ``PULUMI_CONFIG`` environment variable adds to it (the SDK reads those too).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.namespace import NAMESPACE

# What this project's __main__.py does (a docstring aside); program.run checks the config first.
PROGRAM = """
from expressroute_encryption.program import run

run()
"""
# Environment variables the SDK's config does not read (the passphrase is the stack file reader's).
NOT_CONFIG = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def checks_config_first(project_dir: Path, project: str) -> bool:
    """Whether ``project_dir/__main__.py`` is this project's stack program (``PROGRAM``)."""
    if project != NAMESPACE:
        return False
    try:
        tree = ast.parse((project_dir / "__main__.py").read_bytes())
    except (OSError, SyntaxError, ValueError):
        return False
    body = tree.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return [ast.dump(statement) for statement in body] == [ast.dump(statement) for statement in ast.parse(PROGRAM).body]


def config_problem(project_dir: Path, project: str, config: dict[str, str], secret_keys: list[str]) -> ConfigError | None:
    """The ConfigError this project's stack program would stop with, given the stack file's
    ``config`` and ``secret_keys``; None when the program is not this project's (see
    ``checks_config_first``), when the environment adds config, or when the config is valid
    or its check fails otherwise (the program, run as usual, then says what it says)."""
    if any(name == "PULUMI_CONFIG" or (name.startswith("PULUMI_CONFIG_") and name not in NOT_CONFIG)
           for name in os.environ):
        return None
    if not checks_config_first(project_dir, project):
        return None
    from expressroute_encryption.config.loading import stack_config_from

    # As the SDK hands them to the program's load_stack_config: the keys set, and those of them that are secret.
    given = {key: value for key, value in config.items() if value is not None}
    secret = set(secret_keys)
    try:
        stack_config_from(given, [key for key in given if key in secret])
    except ConfigError as error:
        return error
    except Exception:  # noqa: BLE001 - not ours to report here: the program, run as usual, does
        return None
    return None
