"""Entry point of the component package: ``pulumi package add ./components`` starts it.

The Pulumi Python language host runs a plugin directory as ``python <dir> <engine>``
(``PulumiPlugin.yaml``: ``runtime: python``), so this file then runs as a script, not
inside its package: it loads this directory as the ``expressroute_encryption`` package
first. Installed, the same entry point is ``python -m expressroute_encryption``.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

PACKAGE = "expressroute_encryption"


def _load_package_from_this_directory():
    """Import this directory as ``expressroute_encryption`` (relative imports included),
    whatever else is installed, and keep its modules off the top level of sys.path."""
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:
        sys.path.pop(0)
    spec = importlib.util.spec_from_file_location(PACKAGE, here / "__init__.py", submodule_search_locations=[str(here)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    return package


def main() -> None:
    package = __package__ or _load_package_from_this_directory().__name__
    importlib.import_module(f"{package}.provider").serve()


if __name__ == "__main__":
    main()
