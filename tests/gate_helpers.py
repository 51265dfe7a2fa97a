"""Helpers for the change gate's tests: Azure Monitor answers in both shapes (the REST body of
Microsoft's GetMetric example, what ``az monitor metrics list`` prints), a live port that
matches (or drifts from) a deployment's record, and the program run as ``pulumi up``."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from expressroute_encryption.link_state import as_azure_link, recorded_link_state
from expressroute_encryption.live_metrics import parse_metrics
from expressroute_encryption.offline.harness import ProgramRun, run_program
from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import PROJECT_DIR, circuit, cli_config, port

END = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc)
GBPS = 1e9
NAMESPACES = {"port": "Microsoft.Network/expressRoutePorts", "circuit": "Microsoft.Network/expressRouteCircuits"}


def _points(values: list[float | None], end: datetime, shape: str) -> list[dict[str, Any]]:
    """One point a minute, the last at ``end - 1 minute`` (None: a minute without data)."""
    points = []
    for i, value in enumerate(values):
        moment = end - timedelta(minutes=len(values) - i)
        if shape == "az":
            points.append({"average": value, "count": None, "maximum": None, "minimum": None,
                           "timeStamp": moment.isoformat(), "total": None})
        else:
            point = {"timeStamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}
            if value is not None:
                point["average"] = value
            points.append(point)
    return points


def metrics_document(resource_id: str, series: dict[tuple[str, tuple[tuple[str, str], ...]], list[float | None]],
                     end: datetime = END, shape: str = "rest", minutes: int = 60) -> dict[str, Any]:
    """An Azure Monitor answer for ``resource_id``: ``series`` maps (metric, ((dimension,
    value), ...)) to one value a minute. ``shape``: ``rest`` (the GetMetric example's body:
    interval PT1M, timestamps with Z, absent aggregations, lower-cased dimension names) or
    ``az`` (interval 0:01:00, +00:00, null aggregations, resourceGroup)."""
    kind = "port" if "/expressRoutePorts/" in resource_id else "circuit"
    start = end - timedelta(minutes=minutes)
    values = {}
    for (metric, dimensions), data in series.items():
        entry = values.setdefault(metric, {
            "id": f"{resource_id}/providers/Microsoft.Insights/metrics/{metric}",
            "type": "Microsoft.Insights/metrics",
            "name": {"value": metric, "localizedValue": metric},
            "unit": "BitsPerSecond" if "Bits" in metric else "Percent" if "Availability" in metric else "Count",
            "timeseries": [],
        })
        entry["timeseries"].append({
            "metadatavalues": [{"name": {"value": name.lower(), "localizedValue": name.lower()}, "value": value}
                               for name, value in dimensions],
            "data": _points(data, end, shape),
        })
        if shape == "rest":
            entry["displayDescription"] = f"{metric} of the {kind}"
            entry["errorCode"] = "Success"
        else:
            entry["resourceGroup"] = resource_id.split("/")[4]
    document = {"cost": 0, "timespan": f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
                "interval": "PT1M" if shape == "rest" else "0:01:00", "namespace": NAMESPACES[kind],
                "resourceregion": "westeurope", "value": list(values.values())}
    return document


def series(value: float | list[float | None], minutes: int = 60) -> list[float | None]:
    return list(value) if isinstance(value, list) else [float(value)] * minutes


def drained(before: float, after: float, minutes: int = 60, drained_for: int = 20) -> list[float]:
    """``before`` bits/s until ``drained_for`` minutes before the end, ``after`` since."""
    return [before] * (minutes - drained_for) + [after] * drained_for


def port_metrics(port_id: str, link1: Any = 0.0, link2: Any = 0.0, line1: Any = 1.0, line2: Any = 1.0,
                 shape: str = "rest", end: datetime = END, minutes: int = 60) -> dict[str, Any]:
    """A port's LineProtocol and traffic per link (``linkN``: bits/s in and the same out)."""
    data = {}
    for link, traffic, line in (("link1", link1, line1), ("link2", link2, line2)):
        dims = (("Link", link),)
        data[("LineProtocol", dims)] = series(line, minutes)
        data[("PortBitsInPerSecond", dims)] = series(traffic, minutes)
        data[("PortBitsOutPerSecond", dims)] = series(traffic, minutes)
    return metrics_document(port_id, data, end, shape, minutes)


def circuit_metrics(circuit_id: str, sessions: dict[tuple[str, str], tuple[Any, Any]] | None = None,
                    shape: str = "rest", end: datetime = END, minutes: int = 60) -> dict[str, Any]:
    """A circuit's ARP and BGP availability per (peering type, peer): (arp, bgp) percent."""
    sessions = sessions if sessions is not None else {("AzurePrivatePeering", "Primary"): (100, 100),
                                                      ("AzurePrivatePeering", "Secondary"): (100, 100)}
    data = {}
    for (peering, peer), (arp, bgp) in sessions.items():
        dims = (("PeeringType", peering), ("Peer", peer))
        data[("ArpAvailability", dims)] = series(arp, minutes)
        data[("BgpAvailability", dims)] = series(bgp, minutes)
    return metrics_document(circuit_id, data, end, shape, minutes)


def record_of(run: ProgramRun) -> dict[str, Any]:
    return unwrap(run.stack_outputs)


def live_from_record(run: ProgramRun, name: str = "port-a", **link_changes: dict[str, Any]) -> dict[str, Any]:
    """The port as Azure shows it when it is as ``run`` left it (az shape, with its circuits),
    each link's state changed by ``link_changes`` (``link2={"adminState": "Disabled"}``)."""
    outputs = record_of(run)
    record = outputs["ports"][name]
    links = []
    for link in ("link1", "link2"):
        recorded = record["links"][link]
        state = {**recorded_link_state(recorded), **link_changes.get(link, {})}
        links.append(as_azure_link(link, state, (recorded["cakSecretUri"], recorded["cknSecretUri"])))
    circuits = [{"id": info["id"]} for info in (outputs.get("circuits") or {}).values()
                if str(info.get("expressRoutePortId")).lower() == record["id"].lower()]
    return {"name": name, "id": record["id"], "resourceGroup": record["id"].split("/")[4], "links": links,
            "circuits": circuits}


def ids(run: ProgramRun, name: str = "port-a") -> tuple[str, list[str]]:
    """The record's port id and the ids of its circuits."""
    outputs = record_of(run)
    port_id = outputs["ports"][name]["id"]
    return port_id, [info["id"] for info in (outputs.get("circuits") or {}).values()
                     if info["expressRoutePortId"].lower() == port_id.lower()]


def healthy(run: ProgramRun, link: str = "link1", shape: str = "rest") -> list[Any]:
    """The metrics of a port whose ``link`` has drained onto the other, all peerings up."""
    port_id, circuits = ids(run)
    traffic = {link: drained(4 * GBPS, 0.002 * GBPS), {"link1": "link2", "link2": "link1"}[link]:
               drained(4 * GBPS, 7.9 * GBPS)}
    return [parse_metrics(port_metrics(port_id, shape=shape, **traffic), "port.json"),
            *(parse_metrics(circuit_metrics(cid, shape=shape), f"circuit-{i}.json") for i, cid in enumerate(circuits))]


def with_circuit(stage: str = "active", **port_changes: Any) -> dict[str, Any]:
    """BASE with its port at ``stage`` and one circuit with private peering."""
    from tests.helpers import base_config

    return base_config(ports=[port(stage=stage, circuits=[circuit()], **port_changes)])


def rotate_link1(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with link1's key generation raised: one disruptive link change."""
    values = copy.deepcopy(values)
    values["ports"][0]["macsec"] = {**values["ports"][0]["macsec"], "keyGeneration": {"link1": 2, "link2": 1}}
    return values


def gate_run(values: dict[str, Any], previous: ProgramRun | None, live: dict[str, Any] | None = None,
             metrics: list[Any] | None = None, dry_run: bool = False) -> tuple[ProgramRun, AzureMocks]:
    """The program as ``pulumi up`` (or, ``dry_run``, a preview) runs it after ``previous``,
    Azure answering with ``live`` (the port) and ``metrics``; returns the run and the mocks
    (their ``gate_report``)."""
    mocks = AzureMocks(previous_outputs=previous.stack_outputs if previous else None,
                       live_ports={"port-a": live} if live else None, metrics=metrics)
    run = run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(values), [], mocks=mocks,
                      dry_run=dry_run)
    return run, mocks
