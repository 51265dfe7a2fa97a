"""The benchmark's inputs are what it claims, and the offline harness's speed-ups stay offline.

The benchmark itself (``make bench``) is not a test: timings belong in docs/performance.md.
"""

from __future__ import annotations

import gc
import json

import pytest
from pulumi.runtime import resource as sdk_resource_runtime  # its _get_stack_trace: offline/sdk_internals.py

from expressroute_encryption.bench.generate import NAMESPACE, RESOURCES_PER_PORT, SHARED_RESOURCES, estate_config, invalid_config
from expressroute_encryption.config import ConfigError, parse_stack_config
from expressroute_encryption.offline.harness import run_program
from tests.helpers import PROJECT_DIR


def namespaced(config: dict) -> dict:
    return {k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(f"{NAMESPACE}:")}


def cli(config: dict) -> dict[str, str]:
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


def test_generated_estates_are_valid_and_the_invalid_stack_is_not():
    stack = parse_stack_config(namespaced(estate_config(20)))
    assert len(stack.ports) == 20
    assert all(len(port.circuits) == 10 for port in stack.ports)
    assert {key for port in stack.ports for c in port.circuits for key, _ in c.peerings()} == {"privatePeering", "microsoftPeering"}
    assert stack.vpn is not None
    with pytest.raises(ConfigError):
        parse_stack_config(namespaced(invalid_config()))


def test_resource_count_per_port_and_the_harness_leaves_the_sdk_as_it_was():
    threshold = gc.get_threshold()
    stack_trace = sdk_resource_runtime._get_stack_trace
    run = run_program(PROJECT_DIR, "expressroute-encryption", "bench", cli(estate_config(2)), [])
    assert len(run.resources) == 2 * RESOURCES_PER_PORT + SHARED_RESOURCES
    # The offline-only shortcuts are undone once the run is over.
    assert gc.get_threshold() == threshold
    assert sdk_resource_runtime._get_stack_trace is stack_trace
