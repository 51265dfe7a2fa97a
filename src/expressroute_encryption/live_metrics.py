"""Azure Monitor metrics as the change gate reads them: the two queries it asks (a port's
line protocol and traffic per link, a circuit's ARP and BGP availability per peering and
session) and the answer, read the same way from the ARM metrics API and from what
``az monitor metrics list`` prints.

The two shapes differ in details only (docs/azure-facts.md, metric-response-shapes): the
REST body gives ``interval`` as an ISO 8601 duration (``PT1M``), timestamps ending in
``Z`` and leaves out aggregations that were not asked for; the az CLI prints ``interval``
as a Python ``timedelta`` (``0:01:00``), timestamps ending in ``+00:00``, every
aggregation (null when not asked for) and an extra ``resourceGroup``. Dimension names
come back lower-cased (``link``), and values are compared without regard to case
(``link1``/``Link1``). A minute without a value (null or absent ``average``) is a minute
without data, never a zero.

Every way a document can be unusable is one line naming where it came from and the
field; metric values are not secret, and no key passes through here. Standard library
only, with ``azure_json``, ``facts`` and ``arm``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from .arm import CIRCUIT_TYPE, PORT_TYPE, parse_arm_id
from .azure_json import ANY, NUM, STR, AzureJsonError, Field, ListOf, Obj, kind_of, load_json, shape_problems
from .facts import (
    LINE_PROTOCOL_METRIC, LINK_DIMENSION, MACSEC_MISMATCH_METRICS, METRIC_AGGREGATION, METRIC_TIME_GRAIN,
    PEER_DIMENSION, PEERING_TYPE_DIMENSION, PORT_BITS_METRICS,
)
from .printable import one_line

ONE_MINUTE = timedelta(minutes=1)
# Series asked for at most: a port has 3 metrics x 2 links, a circuit 2 metrics x its
# peerings x 2 sessions (the API's default, 10, would cut a circuit with three peerings).
TOP = 50
METRICS_PATH = "/providers/microsoft.insights/metrics/"


@dataclass(frozen=True)
class MetricsQuery:
    """What the gate asks Azure Monitor for one kind of resource: the metric names and the
    dimension filter that splits them (every value: ``'*'``)."""

    kind: str  # "port" or "circuit"
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...]

    @property
    def filter(self) -> str:
        return " and ".join(f"{dimension} eq '*'" for dimension in self.dimensions)

    def az_command(self, resource_id: str, lookback_minutes: int) -> str:
        """The az CLI command that prints what the gate reads (for ``--metrics FILE``)."""
        hours = -(-lookback_minutes // 60)
        return (f"az monitor metrics list --resource {resource_id} --metrics {' '.join(self.metrics)} "
                f"--filter \"{self.filter}\" --aggregation {METRIC_AGGREGATION} --interval 1m --offset {hours}h "
                f"--top {TOP}")


PORT_QUERY = MetricsQuery("port", (LINE_PROTOCOL_METRIC, *PORT_BITS_METRICS), (LINK_DIMENSION,))
CIRCUIT_QUERY = MetricsQuery("circuit", MACSEC_MISMATCH_METRICS, (PEERING_TYPE_DIMENSION, PEER_DIMENSION))
QUERIES = {PORT_TYPE.lower(): PORT_QUERY, CIRCUIT_TYPE.lower(): CIRCUIT_QUERY}


@dataclass(frozen=True)
class Series:
    """One time series: a metric, the dimension values that split it (names lower-cased),
    and its one-minute averages in time order (minutes without data left out)."""

    metric: str
    dimensions: Mapping[str, str]
    points: tuple[tuple[datetime, float], ...]

    def dimension(self, name: str) -> str:
        return self.dimensions.get(name.lower(), "")


@dataclass(frozen=True)
class Metrics:
    """What Azure Monitor answered for one resource."""

    resource_id: str
    series: tuple[Series, ...]
    end: datetime | None  # the end of the answer's timespan (when it was asked)
    source: str  # where it came from: "Azure Monitor" or a file name

    @property
    def kind(self) -> str:
        """``port`` or ``circuit``."""
        for resource_type, query in QUERIES.items():
            if parse_arm_id(self.resource_id, resource_type) is not None:
                return query.kind
        return ""

    @property
    def name(self) -> str:
        return self.resource_id.rstrip("/").rsplit("/", 1)[-1]

    def of(self, metric: str) -> list[Series]:
        """The series of ``metric`` (name compared without regard to case)."""
        return [series for series in self.series if series.metric.lower() == metric.lower()]


class MetricsError(Exception):
    """A metrics answer that cannot be read: one line per problem, naming where it came from."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# fact: metric-response-shapes
NAME_SHAPE = Obj({"value": Field(STR, True)})
RESPONSE_SHAPE = Obj({
    "timespan": Field(STR), "interval": Field(STR),
    "value": Field(ListOf(Obj({
        "id": Field(STR, True), "name": Field(NAME_SHAPE, True), "unit": Field(STR),
        "timeseries": Field(ListOf(Obj({
            "metadatavalues": Field(ListOf(Obj({"name": Field(NAME_SHAPE, True), "value": Field(ANY)}))),
            "data": Field(ListOf(Obj({"timeStamp": Field(STR, True), "average": Field(NUM)}))),
        }))),
    })), True),
})


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 timestamp with its offset (``Z`` or ``+00:00``), in UTC; None if it is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo is not None else None


_ISO_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?")
_TIMEDELTA = re.compile(r"(\d+):(\d\d):(\d\d)")


def parse_interval(text: str) -> timedelta | None:
    """``PT1M`` (REST) or ``0:01:00`` (az CLI) as a duration; None for anything else."""
    if match := _ISO_DURATION.fullmatch(text):
        if any(match.groups()):
            hours, minutes, seconds = (int(group or 0) for group in match.groups())
            return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if match := _TIMEDELTA.fullmatch(text):
        return timedelta(hours=int(match[1]), minutes=int(match[2]), seconds=int(match[3]))
    return None


def parse_metrics(document: Any, source: str) -> Metrics:
    """The answer ``document`` (REST body or az CLI output) from ``source``. Raises
    MetricsError, one line per problem."""
    if not isinstance(document, dict):
        raise MetricsError([f"{source}: expected the JSON of az monitor metrics list (an object with `value`), "
                            f"got {kind_of(document)}"])
    if problems := shape_problems(document, RESPONSE_SHAPE, ""):
        raise MetricsError([f"{source}: {one_line(problem)}" for problem in problems])
    problems = []
    interval = document.get("interval")
    if interval is not None and parse_interval(interval) != ONE_MINUTE:
        problems.append(f"{source}: interval: the gate reads one-minute values ({METRIC_TIME_GRAIN}), not "
                        f"{one_line(interval)}: ask with --interval 1m")
    end = None
    if isinstance(document.get("timespan"), str):
        end = parse_time(document["timespan"].rpartition("/")[2])
        if end is None:
            problems.append(f"{source}: timespan: expected <start>/<end> in ISO 8601")
    resources, series = set(), []
    for i, item in enumerate(document["value"]):
        where = f"{source}: value[{i}]"
        resource, found, _ = item["id"].lower().partition(METRICS_PATH)
        if not found:
            problems.append(f"{where}.id: not the id of an Azure Monitor metric (<resource id>{METRICS_PATH}<name>)")
            continue
        resources.add(item["id"][:len(resource)])
        for j, entry in enumerate(item.get("timeseries") or []):
            dimensions = {}
            for value in entry.get("metadatavalues") or []:
                dimensions[value["name"]["value"].lower()] = "" if value.get("value") is None else str(value["value"])
            points = []
            for k, point in enumerate(entry.get("data") or []):
                moment = parse_time(point["timeStamp"])
                average = point.get("average")
                if moment is None:
                    problems.append(f"{where}.timeseries[{j}].data[{k}].timeStamp: not an ISO 8601 time with its offset")
                elif average is not None and math.isfinite(average):
                    points.append((moment, float(average)))
            series.append(Series(item["name"]["value"], dimensions, tuple(sorted(points))))
    if len({resource.lower() for resource in resources}) > 1:
        problems.append(f"{source}: value: metrics of more than one resource; give one file per port or circuit")
    if problems:
        raise MetricsError(problems)
    resource_id = next(iter(resources), "")
    if resource_id and not any(parse_arm_id(resource_id, kind) for kind in QUERIES):
        raise MetricsError([f"{source}: value[].id: the metrics of {one_line(resource_id)}, not of an ExpressRoute "
                            "Direct port or circuit"])
    return Metrics(resource_id, tuple(series), end, source)


def load_metrics(path: str) -> Metrics:
    """The answer in the file ``path`` (``--metrics FILE``). Raises MetricsError."""
    try:
        document = load_json(path, "the JSON of az monitor metrics list")
    except AzureJsonError as error:
        raise MetricsError(error.problems) from None
    metrics = parse_metrics(document, one_line(path))
    if not metrics.resource_id:
        raise MetricsError([f"{one_line(path)}: value: no metric in it, so it names no port or circuit (was it "
                            "asked for the gate's metrics? see az_command in docs/operations.md)"])
    return metrics
