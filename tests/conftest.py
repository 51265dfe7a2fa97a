"""Fixtures shared by the test suite (helpers live in ``helpers.py``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from expressroute_encryption.offline.harness import ProgramRun
from tests.helpers import REPO, base_config, byo, live_config, run_stack


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    return run_stack(base_config())


@pytest.fixture(scope="session")
def live(dev_run) -> ProgramRun:
    """The last deployment most guard tests compare with: BASE's port, at stage active."""
    assert base_config()["ports"][0]["stage"] == "active"
    return dev_run


@pytest.fixture(scope="session")
def live_byo() -> ProgramRun:
    """BASE's port, active, with bring-your-own keys (``byo()``)."""
    return run_stack(base_config(macsecKeys=byo()), secret_keys=("macsecKeys",))


@pytest.fixture(scope="session")
def unencrypted() -> ProgramRun:
    """A live port of this stack with MACsec off on both links."""
    return run_stack(live_config())


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


@pytest.fixture(scope="session")
def protected_runs(tmp_path_factory) -> list[ProgramRun]:
    """Deployments with every resource type but the existing vault's access policy, `protect`
    at its default: the stack program with a circuit and the VPN, in Virtual WAN mode, and a
    CircuitVnetConnection used from code."""
    from expressroute_encryption.offline.harness import run_program
    from tests.helpers import CONNECTION_PROGRAM, full_config
    from tests.test_virtual_wan import vwan_config

    folder = tmp_path_factory.mktemp("connection")
    (folder / "__main__.py").write_text(CONNECTION_PROGRAM)
    return [run_stack(full_config()), run_stack(vwan_config()),
            run_program(folder, "app", "dev", {"azure-native:location": "westeurope"}, [])]


@pytest.fixture(scope="module")
def stack_encrypter():
    """Encrypts ``secure:`` values as the passphrase provider does, with ``STACK_PASSPHRASE``."""
    from tests.helpers import STACK_PASSPHRASE
    from tests.pulumi_crypto import GoCompatibleEncrypter

    return GoCompatibleEncrypter(STACK_PASSPHRASE)
