"""alerts.py: the alert catalogue. AMBA's port and circuit sets, each row with its source,
the range each threshold may take, and the thresholds a circuit's bandwidth gives."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from expressroute_encryption.alerts import (
    ALERT_KEYS,
    ALERTS,
    CIRCUIT_ALERTS,
    LINK_DOWN_ALERT,
    PORT_ALERTS,
    TRAFFIC_METRICS,
    opposite_pairs,
)

FACTS = (Path(__file__).resolve().parent.parent / "docs/azure-facts.md").read_text()

# (key, metric, dimension, operator, threshold, aggregation, window, frequency, severity): Azure Monitor
# Baseline Alerts, split by the dimension Microsoft documents for the metric. Where it departs from AMBA:
# light levels compare the weakest / strongest lane (Minimum / Maximum, not Average); traffic at zero is
# severity 1 (not 0); circuit throughput is 80% of the circuit's bandwidth (AMBA's is a placeholder).
EXPECTED = [
    ("lineProtocol", "LineProtocol", "Link", "LessThan", 0.9, "Average", "PT5M", "PT5M", 0),
    ("adminState", "AdminState", "Link", "LessThan", 0.9, "Average", "PT5M", "PT5M", 1),
    ("rxLightLevelLow", "RxLightLevel", "Link", "LessThan", -10, "Minimum", "PT5M", "PT5M", 1),
    ("rxLightLevelHigh", "RxLightLevel", "Link", "GreaterThan", 0, "Maximum", "PT5M", "PT5M", 1),
    ("txLightLevelLow", "TxLightLevel", "Link", "LessThan", -10, "Minimum", "PT5M", "PT5M", 1),
    ("txLightLevelHigh", "TxLightLevel", "Link", "GreaterThan", 0, "Maximum", "PT5M", "PT5M", 1),
    ("portBitsInPerSecond", "PortBitsInPerSecond", "Link", "LessThan", 1, "Average", "PT5M", "PT5M", 1),
    ("portBitsOutPerSecond", "PortBitsOutPerSecond", "Link", "LessThan", 1, "Average", "PT5M", "PT5M", 1),
    ("bgpAvailability", "BgpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M", "PT1M", 0),
    ("arpAvailability", "ArpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M", "PT1M", 0),
    ("qosDropBitsInPerSecond", "QosDropBitsInPerSecond", None, "GreaterThan", None, "Average", "PT5M", "PT5M", 2),
    ("qosDropBitsOutPerSecond", "QosDropBitsOutPerSecond", None, "GreaterThan", None, "Average", "PT5M", "PT5M", 2),
    ("bitsInPerSecond", "BitsInPerSecond", "DeviceRole", "GreaterThan", 80, "Average", "PT5M", "PT1M", 2),
    ("bitsOutPerSecond", "BitsOutPerSecond", "DeviceRole", "GreaterThan", 80, "Average", "PT5M", "PT1M", 2),
]

# The metrics of AMBA's expressRoutePorts and expressRouteCircuits sets (visible, with a severity).
AMBA_PORT_METRICS = {"PortBitsInPerSecond", "PortBitsOutPerSecond", "LineProtocol", "RxLightLevel", "TxLightLevel"}
AMBA_CIRCUIT_METRICS = {"ArpAvailability", "BgpAvailability", "QosDropBitsInPerSecond", "QosDropBitsOutPerSecond",
                        "BitsInPerSecond", "BitsOutPerSecond"}


def rule(key: str):
    return next(r for r in ALERTS if r.key == key)


def test_the_catalogue_is_the_table_above():
    assert [(r.key, r.metric, r.dimension, r.operator, r.threshold, r.aggregation, r.window, r.frequency, r.severity)
            for r in ALERTS] == EXPECTED


def test_it_covers_ambas_port_and_circuit_sets():
    assert {r.metric for r in PORT_ALERTS} >= AMBA_PORT_METRICS
    assert {r.metric for r in CIRCUIT_ALERTS} == AMBA_CIRCUIT_METRICS


def test_every_row_names_a_documented_source():
    documented = set(re.findall(r"^\|\s*([a-z0-9-]+)\s*\|", FACTS, re.M))
    assert {r.fact for r in ALERTS} <= documented
    assert all(r.source == ("Azure Monitor Baseline Alerts" if r.fact.startswith("amba-") else "expressroute-encryption")
               for r in ALERTS)
    assert rule("adminState").source == "expressroute-encryption"  # AMBA has no AdminState alert


def test_qos_drops_have_ambas_dynamic_threshold():
    for key in ("qosDropBitsInPerSecond", "qosDropBitsOutPerSecond"):
        qos = rule(key)
        assert (qos.dynamic.sensitivity, qos.dynamic.evaluation_periods, qos.dynamic.failing_periods) == ("Medium", 4, 4)
        assert qos.threshold is None and qos.dimension is None  # the metric has no dimension
        assert "dynamic threshold (Medium sensitivity, 4 of 4 windows)" in qos.condition()


@pytest.mark.parametrize("bandwidth,expected", [(1, 800_000_000), (5, 4_000_000_000), (100, 80_000_000_000)])
def test_circuit_throughput_fires_at_80_percent_of_its_bandwidth(bandwidth, expected):
    for key in ("bitsInPerSecond", "bitsOutPerSecond"):
        assert rule(key).threshold_for(bandwidth) == expected
        assert rule(key).threshold_for(None) is None
    # AMBA's placeholder (800000000) is exactly this for the smallest Direct circuit.
    assert rule("lineProtocol").threshold_for(5) == 0.9


def test_only_the_port_traffic_rules_wait_for_traffic():
    assert {r.key for r in ALERTS if r.traffic} == {"portBitsInPerSecond", "portBitsOutPerSecond"}
    assert TRAFFIC_METRICS == {"PortBitsInPerSecond", "PortBitsOutPerSecond"}
    assert LINK_DOWN_ALERT.key == "lineProtocol" and not LINK_DOWN_ALERT.traffic


@pytest.mark.parametrize("key,value", [
    ("lineProtocol", 7), ("lineProtocol", 0), ("lineProtocol", -0.5), ("adminState", 1.5),
    ("bgpAvailability", -5), ("bgpAvailability", 0), ("arpAvailability", 101),
    ("portBitsInPerSecond", 1e308), ("portBitsOutPerSecond", 0),
    ("rxLightLevelLow", -40), ("rxLightLevelLow", 11), ("txLightLevelHigh", 10), ("rxLightLevelHigh", -41),
    ("bitsInPerSecond", 100), ("bitsOutPerSecond", -1),
])
def test_a_threshold_that_always_or_never_fires_is_refused(key, value):
    problem = rule(key).threshold_problem(value)
    assert problem is not None and problem.startswith("must be ") and "always fires or never does" in problem


@pytest.mark.parametrize("key,value", [
    ("lineProtocol", 1), ("lineProtocol", 0.5), ("bgpAvailability", 100), ("bgpAvailability", 99.9),
    ("portBitsInPerSecond", 1_000_000), ("portBitsInPerSecond", 100e9), ("rxLightLevelLow", -14.4),
    ("rxLightLevelHigh", -40), ("txLightLevelLow", 10), ("bitsInPerSecond", 0), ("bitsOutPerSecond", 95),
])
def test_a_threshold_the_metric_can_cross_both_ways_passes(key, value):
    assert rule(key).threshold_problem(value) is None


def test_the_allowed_range_is_said_in_the_metrics_unit():
    assert rule("lineProtocol").allowed_thresholds() == "greater than 0 and at most 1"
    assert rule("rxLightLevelHigh").allowed_thresholds() == "at least -40 and less than 10 dBm"
    assert rule("portBitsInPerSecond").allowed_thresholds() == "greater than 0 and at most 100,000,000,000 bits/s"
    assert rule("bitsInPerSecond").allowed_thresholds() == "at least 0 and less than 100 % of the circuit's bandwidthInGbps"


def test_each_light_level_has_a_low_and_a_high_rule_paired():
    assert {(low.key, high.key) for low, high in opposite_pairs()} == {
        ("rxLightLevelLow", "rxLightLevelHigh"), ("txLightLevelLow", "txLightLevelHigh")}
    assert all(low.threshold < high.threshold for low, high in opposite_pairs())


def test_every_static_threshold_of_the_catalogue_is_in_its_own_range():
    for r in ALERTS:
        if r.dynamic is None:
            assert r.threshold_problem(r.threshold) is None, r.key
            assert math.isfinite(r.threshold)


def test_keys_are_unique():
    assert len(set(ALERT_KEYS)) == len(ALERT_KEYS)
