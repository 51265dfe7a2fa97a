"""The stack config checked before the program runs, when the program is this project's.

The stack program (``__main__.py``) starts by checking the stack config
(``load_stack_config``) and stops with its problems before it loads anything else. Under
the offline preview, getting there costs loading the Pulumi SDK, the policy pack and
azure-native, several times what the check itself takes. So when the project to preview
is this project's stack program, the preview runs that same check on the config it read
from the stack file, as the program would get it, and reports a config error as the
program's would be reported (the same lines, exit 2), without loading any of that. For any
other program, or when unsure, the preview runs the program as usual and lets it check.

"This project's stack program" means: the project is named as this project is (the
config namespace), and ``__main__.py`` does nothing before that check but import
(``typing``, ``pulumi``, this package), its first statement after the imports being the
check exactly as the stack program has it. And the config the program would get is the
stack file's: no ``PULUMI_CONFIG`` environment variable adds to it (the SDK reads those too).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.namespace import NAMESPACE

# The stack program's first statement after its imports.
CONFIG_CHECK = """
try:
    config = load_stack_config()
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None
"""
# What the program must import for CONFIG_CHECK's names to mean what they mean here.
CHECK_IMPORTS = {
    ("pulumi", None): "pulumi",
    ("expressroute_encryption.config.errors", "ConfigError"): "ConfigError",
    ("expressroute_encryption.config.loading", "load_stack_config"): "load_stack_config",
}
# Modules whose import has no effect on the config check.
QUIET_MODULES = ("__future__", "typing", "pulumi", "expressroute_encryption")
# Environment variables the SDK's config does not read (the passphrase is the stack file reader's).
NOT_CONFIG = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def _quiet(module: str | None) -> bool:
    return module is not None and any(module == name or module.startswith(name + ".") for name in QUIET_MODULES)


def checks_config_first(project_dir: Path, project: str) -> bool:
    """Whether ``project_dir/__main__.py`` is this project's stack program: it imports only
    quiet modules, then checks the stack config as ``CONFIG_CHECK`` does."""
    if project != NAMESPACE:
        return False
    try:
        tree = ast.parse((project_dir / "__main__.py").read_bytes())
    except (OSError, SyntaxError, ValueError):
        return False
    check = ast.dump(ast.parse(CONFIG_CHECK).body[0])
    bound: dict[str, tuple[str, str | None]] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue  # the docstring
        if isinstance(statement, ast.Import) and all(_quiet(alias.name) for alias in statement.names):
            bound.update({alias.asname or alias.name.split(".")[0]: (alias.name, None) for alias in statement.names})
            continue
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and _quiet(statement.module):
            bound.update({alias.asname or alias.name: (statement.module, alias.name) for alias in statement.names})
            continue
        return ast.dump(statement) == check and all(bound.get(name) == source for source, name in CHECK_IMPORTS.items())
    return False


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
