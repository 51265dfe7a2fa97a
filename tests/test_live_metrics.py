"""live_metrics.py: Azure Monitor's answer read the same way from the REST API (Microsoft's
GetMetric example's shape) and from `az monitor metrics list` (interval as a timedelta, +00:00
timestamps, null aggregations); every unusable answer one line naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expressroute_encryption.live_metrics import (
    CIRCUIT_QUERY, PORT_QUERY, MetricsError, load_metrics, parse_interval, parse_metrics, parse_time,
)

FIXTURES = Path(__file__).parent / "fixtures" / "gate"


def flattened(metrics) -> list:
    return sorted((s.metric, tuple(sorted(s.dimensions.items())), s.points) for s in metrics.series)


@pytest.mark.parametrize("kind", ["port", "circuit"])
def test_the_rest_body_and_the_az_output_read_the_same(kind):
    rest, az = (load_metrics(str(FIXTURES / f"{kind}-metrics-{shape}.json")) for shape in ("rest", "az"))
    assert rest.kind == az.kind == kind
    assert rest.resource_id == az.resource_id and rest.end == az.end
    assert flattened(rest) == flattened(az)
    assert len(rest.series) == (6 if kind == "port" else 8)


def test_dimension_names_are_lower_cased_and_minutes_without_a_value_are_no_data():
    port = load_metrics(str(FIXTURES / "port-metrics-rest.json"))
    (line1,) = [s for s in port.of("lineprotocol") if s.dimension("Link") == "link1"]
    assert len(line1.points) == 15 and line1.points[-1][0].isoformat() == "2026-03-01T09:59:00+00:00"
    document = json.loads((FIXTURES / "port-metrics-az.json").read_text())
    document["value"][0]["timeseries"][0]["data"][-1]["average"] = None
    assert len(parse_metrics(document, "az.json").of("LineProtocol")[0].points) == 14


def test_microsofts_example_is_read_but_is_not_a_port():
    body = json.loads((FIXTURES / "GetMetric.json").read_text())["responses"]["200"]["body"]
    with pytest.raises(MetricsError) as info:
        parse_metrics(body, "GetMetric.json")
    assert info.value.problems == [
        "GetMetric.json: value[].id: the metrics of /subscriptions/b324c52b-4073-4807-93af-e07d289c093e/resourceGroups/"
        "test/providers/Microsoft.Storage/storageAccounts/larryshoebox/blobServices/default, not of an ExpressRoute "
        "Direct port or circuit"]


def test_intervals_and_times_of_both_shapes():
    assert parse_interval("PT1M") == parse_interval("0:01:00")
    assert parse_interval("1:00:00") == parse_interval("PT1H") != parse_interval("PT1M")
    assert parse_interval("P1D") is None and parse_interval("PT") is None
    assert parse_time("2019-09-11T21:46:00+00:00") == parse_time("2019-09-11T21:46:00Z")
    assert parse_time("2019-09-11T21:46:00") is None  # no offset: not a moment


def write(tmp_path: Path, document) -> str:
    path = tmp_path / "m.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def port_document() -> dict:
    return json.loads((FIXTURES / "port-metrics-rest.json").read_text())


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d.update(interval="PT1H"), "m.json: interval: the gate reads one-minute values (PT1M), not PT1H: ask "
                                          "with --interval 1m"),
    (lambda d: d.update(timespan="yesterday"), "m.json: timespan: expected <start>/<end> in ISO 8601"),
    (lambda d: d.pop("value"), "m.json: value: missing"),
    (lambda d: d["value"][0].update(id="/subscriptions/x/metrics/LineProtocol"),
     "m.json: value[0].id: not the id of an Azure Monitor metric"),
    (lambda d: d["value"][0]["timeseries"][0]["data"][0].update(average="1"),
     "m.json: value[0].timeseries[0].data[0].average: expected a number, got a string"),
    (lambda d: d["value"][0]["timeseries"][0]["data"][0].update(timeStamp="10:00"),
     "m.json: value[0].timeseries[0].data[0].timeStamp: not an ISO 8601 time with its offset"),
    (lambda d: d["value"][1].update(id=d["value"][1]["id"].replace("portName", "otherPort")),
     "m.json: value: metrics of more than one resource; give one file per port or circuit"),
    (lambda d: d.update(value=[]), "m.json: value: no metric in it, so it names no port or circuit"),
])
def test_an_unusable_file_is_one_line_per_problem(tmp_path, edit, expected):
    document = port_document()
    edit(document)
    with pytest.raises(MetricsError) as info:
        load_metrics(write(tmp_path, document))
    assert any(problem.startswith(str(tmp_path / expected)) if expected.startswith("m.json") else expected in problem
               for problem in info.value.problems), info.value.problems
    assert all("\n" not in problem for problem in info.value.problems)


def test_not_json_or_not_an_object(tmp_path):
    with pytest.raises(MetricsError) as info:
        load_metrics(write(tmp_path, "{"))
    assert info.value.problems[0].startswith(f"{tmp_path / 'm.json'}: not JSON (the JSON of az monitor metrics list expected)")
    with pytest.raises(MetricsError) as info:
        load_metrics(write(tmp_path, "[]"))
    assert info.value.problems == [f"{tmp_path / 'm.json'}: expected the JSON of az monitor metrics list (an object "
                                   "with `value`), got a list"]


def test_the_queries_and_the_commands_that_print_them():
    assert PORT_QUERY.metrics == ("LineProtocol", "PortBitsInPerSecond", "PortBitsOutPerSecond")
    assert PORT_QUERY.filter == "Link eq '*'"
    assert CIRCUIT_QUERY.filter == "PeeringType eq '*' and Peer eq '*'"
    assert PORT_QUERY.az_command("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/expressRoutePorts/p",
                                 90) == (
        "az monitor metrics list --resource /subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
        "expressRoutePorts/p --metrics LineProtocol PortBitsInPerSecond PortBitsOutPerSecond --filter \"Link eq '*'\" "
        "--aggregation Average --interval 1m --offset 2h --top 50")
