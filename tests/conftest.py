"""Shared helpers: run the real program under the Azure mocks with a given config."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from expressroute_encryption.config import NAMESPACE, ConfigError, parse_stack_config
from expressroute_encryption.offline.harness import ProgramRun, Registration, run_program
from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.offline.wire import unwrap

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPO = PROJECT_DIR

BASE: dict[str, Any] = {
    "resourceGroupName": "rg-er-test",
    "keyVault": {"name": "kv-er-test", "allowedIpRanges": ["198.51.100.0/24"]},
    "ports": [
        {
            "name": "port-a",
            "peeringLocation": "Equinix-Amsterdam-AM5",
            "bandwidthInGbps": 10,
            "encapsulation": "QinQ",
            "billingType": "MeteredData",
            "stage": "active",
            "macsec": {"cipher": "GcmAes256"},
        }
    ],
}

# Well-formed bring-your-own keys for a 256-bit cipher; tests check they never leak.
BYO_CAK = "c0ffee" * 10 + "abcd"  # 64 hex digits
BYO_CKN = "5ec2e7" * 4  # 24 hex digits


def base_config(**changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with top-level keys replaced (None removes a key)."""
    values = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def port(**changes: Any) -> dict[str, Any]:
    """BASE's port with fields replaced."""
    values = copy.deepcopy(BASE["ports"][0])
    values.update(changes)
    return values


def cli_config(values: dict[str, Any], location: str | None = "westeurope") -> dict[str, str]:
    """The config as the Pulumi CLI passes it: namespaced keys, objects as JSON."""
    config = {
        f"{NAMESPACE}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()
    }
    if location:
        config["azure-native:location"] = location
    return config


def run_stack(values: dict[str, Any], secret_keys: tuple[str, ...] = (), stack: str = "test",
              previous: ProgramRun | None = None, **kw) -> ProgramRun:
    """Run __main__.py under the mocks, as `pulumi preview` would; ``previous`` is the
    run whose stack outputs the program reads back as its last deployment."""
    return run_program(
        PROJECT_DIR,
        "expressroute-encryption",
        stack,
        cli_config(values, **kw),
        [f"{NAMESPACE}:{k}" for k in secret_keys],
        mocks=AzureMocks(previous_outputs=previous.stack_outputs if previous else None),
    )


def find(run: ProgramRun, type_suffix: str, name: str | None = None) -> list[Registration]:
    return [
        r for r in run.resources
        if r.type.endswith(type_suffix) and (name is None or r.name == name)
    ]


def one(run: ProgramRun, type_suffix: str, name: str | None = None) -> Registration:
    found = find(run, type_suffix, name)
    assert len(found) == 1, f"expected one {type_suffix} {name or ''}, got {[r.name for r in found]}"
    return found[0]


def plain_inputs(reg: Registration) -> dict[str, Any]:
    return unwrap(reg.inputs)


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    return run_stack(base_config())


def problems(values: dict[str, Any]) -> list[str]:
    """The config problems ``values`` has (it must have some)."""
    with pytest.raises(ConfigError) as info:
        parse_stack_config(values)
    return info.value.problems


def only_problem(values: dict[str, Any]) -> str:
    found = problems(values)
    assert len(found) == 1, found
    return found[0]


PACKAGE_SOURCES = ("pyproject.toml", "README.md", "src")


def _setuptools_can_build_offline() -> bool:
    """The venv's own setuptools builds wheels from 70.1 on (bdist_wheel built in)."""
    try:
        import setuptools
    except ImportError:
        return False
    major, minor = (int(part) for part in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1)


@pytest.fixture(scope="session")
def installed_package(tmp_path_factory) -> Path:
    """What another project gets from `pip install <git URL or path>`: the package built
    from a copy of its sources and installed on its own, into a directory of its own."""
    root = tmp_path_factory.mktemp("package")
    source, site = root / "source", root / "site"
    source.mkdir()
    for name in PACKAGE_SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "venv"))
        else:
            shutil.copy2(path, source / name)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
               "--target", str(site), str(source)]
    if _setuptools_can_build_offline():
        command.insert(4, "--no-build-isolation")
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if "setuptools" in output and ("No matching distribution" in output or "Could not find a version" in output):
            pytest.skip("the build backend pinned in pyproject.toml (setuptools) cannot be fetched here")
        pytest.fail(f"pip install of the package failed:\n{output}")
    return site
