"""The benchmark's inputs are what it claims, and the offline harness's speed-ups stay offline.

The benchmark itself (``make bench``) is not a test: timings belong in docs/performance.md.
"""

from __future__ import annotations

import asyncio
import gc
import json
import threading

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as sdk_mocks  # its _sync_await: offline/sdk_internals.py
from pulumi.runtime import resource as sdk_resource_runtime  # its _get_stack_trace, create_urn: offline/sdk_internals.py

from expressroute_encryption.bench.generate import NAMESPACE, RESOURCES_PER_PORT, SHARED_RESOURCES, estate_config, invalid_config
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.harness import _wire, run_program
from expressroute_encryption.offline.sdk_internals import sync_await
from expressroute_encryption.offline.wire import secret
from expressroute_encryption.record import whole_numbers
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
    create_urn, mocks_sync_await = sdk_resource_runtime.create_urn, sdk_mocks._sync_await
    run = run_program(PROJECT_DIR, "expressroute-encryption", "bench", cli(estate_config(2)), [])
    assert len(run.resources) == 2 * RESOURCES_PER_PORT + SHARED_RESOURCES
    # The offline-only shortcuts are undone once the run is over.
    assert gc.get_threshold() == threshold and gc.isenabled()
    assert sdk_resource_runtime._get_stack_trace is stack_trace
    assert (sdk_resource_runtime.create_urn, sdk_mocks._sync_await) == (create_urn, mocks_sync_await)
    on_pool = asyncio.get_event_loop().run_in_executor(None, threading.get_ident)
    assert sync_await(on_pool) != threading.get_ident(), "monitor calls still run inline"


def test_wire_reads_a_struct_as_json_format_does_with_whole_numbers():
    """The harness reads registrations straight from the protobuf Struct; it gives what
    json_format.MessageToDict gives (whole numbers as ints), key order included."""
    struct = struct_pb2.Struct()
    struct.update({
        "name": "er-ckt-p000-c00", "bandwidthInGbps": 10.0, "ratio": 0.5, "negative": -3.0, "big": 2.0 ** 53,
        "enabled": True, "off": False, "nothing": None, "empty": {}, "none": [],
        "sku": {"tier": "Premium", "family": "MeteredData", "nested": [{"a": [1.0, 1.5, "x", None, True]}]},
        "cak": secret("0123456789abcdef"), "ünïcode": "ÄÖÜ ✓", "z": 1.0, "a": 2.0,
    })
    struct.fields["unset"].CopyFrom(struct_pb2.Value())  # a Value with no kind set: null
    expected = whole_numbers(json_format.MessageToDict(struct, preserving_proto_field_name=True))
    assert _wire(struct) == expected
    assert json.dumps(_wire(struct)) == json.dumps(expected)  # same types and key order
    struct.fields["bad"].number_value = float("nan")
    with pytest.raises(ValueError):
        _wire(struct)
