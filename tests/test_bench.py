"""The benchmark's inputs are what it claims, and the harness reads a registration as json_format does.

The benchmark itself (``make bench``) is not a test: timings belong in docs/performance.md.
"""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format, struct_pb2

from expressroute_encryption.bench.generate import NAMESPACE, RESOURCES_PER_PORT, SHARED_RESOURCES, estate_config, invalid_config
from expressroute_encryption.bench.run import LARGE_TARGET, Case, Sample, ScalePoint, json_resources, report
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.harness import _wire, run_program
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


def test_resource_count_per_port():
    run = run_program(PROJECT_DIR, "expressroute-encryption", "bench", cli(estate_config(2)), [])
    assert len(run.resources) == 2 * RESOURCES_PER_PORT + SHARED_RESOURCES


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


def sample(wall: float, peak_mb: float, resources: int | None = None) -> Sample:
    return Sample(wall, wall, peak_mb, 0, json.dumps({"resources": resources}) if resources else "", "")


def cases(large_wall: float, large_mb: float) -> dict[str, Case]:
    made = {
        "floor": Case("floor", "floor", [], 0, samples=[sample(1.0, 90)]),
        "large": Case("large", "large", [], 0, LARGE_TARGET, json_resources, [sample(large_wall, large_mb, 1801)]),
        "scaling 5": Case("scaling 5", "5", [], 0, None, json_resources, [sample(large_wall / 4, 100, 466)]),
        "scaling 10": Case("scaling 10", "10", [], 0, None, json_resources, [sample(large_wall / 2, 150, 911)]),
    }
    return made


def points(made: dict[str, Case], export: ScalePoint) -> list[ScalePoint]:
    return [ScalePoint(5, 466, made["scaling 5"].wall, 100), ScalePoint(10, 911, made["scaling 10"].wall, 150),
            ScalePoint(20, 1801, made["large"].wall, made["large"].peak_mb), export]


def test_the_report_names_each_missed_target():
    info = {"cpus": "2", "cpu": "x", "python": "3", "pulumi": "3", "pulumi-azure-native": "3"}
    export = ScalePoint(56, 5005, 6.0, 450, single_run=True)
    within = cases(2.0, 250)
    table, missed = report(within, points(within, export), 3, info, export)
    assert missed == [] and "linear in resources" in table and "headroom" not in table
    heavy = cases(3.4, 310)
    table, missed = report(heavy, points(heavy, ScalePoint(56, 5005, 9.0, 520, single_run=True)), 3, info,
                           ScalePoint(56, 5005, 9.0, 520, single_run=True))
    assert [m.split(":")[0] for m in missed] == ["large", "large", "5,000"], missed
    assert table.count("MISS") == 3
