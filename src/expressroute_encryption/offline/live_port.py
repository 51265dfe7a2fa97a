"""A live port for the offline tools: what Azure says about an existing ExpressRoute
Direct port, from a file (``--live-port FILE`` of ``preview`` and ``rotation-plan``), and
what Azure Monitor says about it and its circuits (``--metrics FILE``).

    az network express-route port show --resource-group RG --name NAME > port.json

The file is what that command prints (properties at the top level, each link's too) or
the body of the REST GET (a ``properties`` envelope); either is read the same way. On
``pulumi preview``/``up`` the program reads the same port from Azure itself
(``network.get_express_route_port``); offline, the mocks answer that read from this file,
and the rotation plan compares the links with it. Without a file, the port is taken as
the stack config describes it, and the tools say so: the adopting deployment was then
compared with the config only.

The same files are what the change gate reads offline (``FileReads``): the port of a
disruptive link change (``--live-port``, the same file as for adopting) and the metrics of
the port and of each circuit on it (``--metrics``, repeatable: what ``az monitor metrics
list`` prints, or the REST body; one file per port or circuit, told apart by the resource
id in it). A port or a resource without its file is one the gate was not run for, and the
tools say so; the gate judges the metrics as of the end of the file's timespan.

Every way a file can be unusable is one ``LivePortError`` line naming the file and the
field (``links[link1].macSecConfig.cipher``), never a value.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Iterable, Mapping

from expressroute_encryption.arm import PORT_TYPE, parse_arm_id

# A placeholder Key Vault for the secret identifiers of a port described from the config.
CONFIG_VAULT_URL = "https://config-only.vault.azure.net/secrets/"


def add_live_port_argument(parser: argparse.ArgumentParser) -> None:
    """``--live-port FILE`` (repeatable), for ``preview`` and ``rotation-plan`` alike."""
    parser.add_argument("--live-port", metavar="FILE", action="append", default=[],
                        help="a port this deployment adopts, as Azure describes it (the JSON of az network "
                             "express-route port show, or the REST GET); repeatable (default: as the config describes it)")


def add_metrics_argument(parser: argparse.ArgumentParser) -> None:
    """``--metrics FILE`` (repeatable), for ``preview`` and ``rotation-plan`` alike."""
    parser.add_argument("--metrics", metavar="FILE", action="append", default=[],
                        help="Azure Monitor metrics of a port or a circuit on it, for the change gate (the JSON of az "
                             "monitor metrics list, or the REST body; docs/operations.md shows the commands); "
                             "repeatable (default: the gate is not run offline)")


class LivePortError(Exception):
    """A ``--live-port`` or ``--metrics`` file that cannot be used (one line: the file, the field, why)."""


def load_live_port(path: str | Path) -> dict[str, Any]:
    """The port in ``path``, properties at the top level, its links readable by the guard
    (``link_state.azure_link_states``). Raises LivePortError."""
    from expressroute_encryption.azure_json import PORT_LINKS_SHAPE, AzureJsonError, load_port
    from expressroute_encryption.link_state import AzureLinkError, azure_link_states

    try:
        port = load_port(str(path), PORT_LINKS_SHAPE)
    except AzureJsonError as error:
        raise LivePortError("; ".join(error.problems)) from None
    if not isinstance(port.get("name"), str) or not port["name"]:
        raise LivePortError(f"{path}: name: required (the port's name)")
    try:
        azure_link_states(port)
    except AzureLinkError as error:
        raise LivePortError(f"{path}: {error}") from None
    return port


def load_live_ports(paths: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The ports of several ``--live-port`` files, by port name (lower case: Azure names
    are case-insensitive); a port given twice is refused."""
    ports: dict[str, dict[str, Any]] = {}
    for path in paths:
        port = load_live_port(path)
        if port["name"].lower() in ports:
            raise LivePortError(f"{path}: port '{port['name']}' is given by another --live-port file too")
        ports[port["name"].lower()] = port
    return ports


def load_metrics_files(paths: Iterable[str]) -> list[Any]:
    """The answers in the ``--metrics`` files (``live_metrics.Metrics``); a resource given
    twice is refused. Raises LivePortError."""
    from expressroute_encryption.live_metrics import MetricsError, load_metrics

    answers, seen = [], {}
    for path in paths:
        try:
            metrics = load_metrics(path)
        except MetricsError as error:
            raise LivePortError("\n".join(error.problems)) from None
        key = (metrics.kind, metrics.name.lower())
        if key in seen:
            raise LivePortError(f"{path}: the metrics of {metrics.kind} '{metrics.name}' are given by {seen[key]} too")
        seen[key] = path
        answers.append(metrics)
    return answers


class FileReads:
    """The change gate's reads from files (``live_gate.Reads``): ports by lower-case name
    (``--live-port``), metrics by kind and name (``--metrics``); what is not given raises
    ``live_gate.NotGiven``, naming the command that prints it."""

    def __init__(self, resource_group: str, live_ports: Mapping[str, Mapping[str, Any]], metrics: Iterable[Any]) -> None:
        self.resource_group = resource_group
        self.live_ports = {name.lower(): port for name, port in live_ports.items()}
        self.answers = {(m.kind, m.name.lower()): m for m in metrics}

    def port(self, name: str) -> Mapping[str, Any]:
        from expressroute_encryption.live_gate import NotGiven

        if name.lower() not in self.live_ports:
            raise NotGiven(f"offline, no --live-port file for port '{name}' (az network express-route port show "
                           f"--resource-group {self.resource_group} --name {name} > FILE)")
        return self.live_ports[name.lower()]

    def metrics(self, resource_id: str, query: Any, lookback_minutes: int) -> Any:
        from expressroute_encryption.live_gate import NotGiven

        name = resource_id.rstrip("/").rsplit("/", 1)[-1]
        answer = self.answers.get((query.kind, name.lower()))
        if answer is None:
            raise NotGiven(f"offline, no --metrics file for {query.kind} '{name}' "
                           f"({query.az_command(resource_id, lookback_minutes)} > FILE)")
        return answer


def config_described(name: str, links: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The port ``name`` as Azure would describe it with ``links`` (per link a
    ``link_state``) applied: the stand-in for a live port when no file is given."""
    from expressroute_encryption.link_state import as_azure_link

    return {"name": name, "links": [
        as_azure_link(link, state, tuple(f"{CONFIG_VAULT_URL}{name}-{link}-{kind}" for kind in ("cak", "ckn")))
        for link, state in links.items()
    ]}


def adopted_ports(config: Any, previous: Any, live: Mapping[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """For each port of ``config`` (a StackConfig) this deployment adopts (against
    ``previous``, the last deployment's record): Azure's description from ``live`` (by
    lower-case name), or the port as the config describes it, with a note saying so.
    Returns (the ports by lower-case name, the notes), also naming a live port given for a
    port that is not adopted."""
    from expressroute_encryption.adoption import adopting_ports
    from expressroute_encryption.guard import planned_links
    from expressroute_encryption.live_gate import gated_ports

    adopting = adopting_ports(config, previous)
    gated = {port.name.lower() for port in gated_ports(config, previous)}
    planned = planned_links(config)
    ports, notes = {}, []
    for port in config.ports:
        if port.name not in adopting:
            continue
        if port.name.lower() in live:
            ports[port.name.lower()] = live[port.name.lower()]
        else:
            ports[port.name.lower()] = config_described(port.name, planned[port.name])
            notes.append(compared_with_config_note(port.name, port.import_id))
    for name, port in live.items():
        if name not in ports and name not in gated:
            # (A port with a disruptive link change is the change gate's to compare.)
            notes.append(f"--live-port: port '{port['name']}' is not adopted by this deployment (it is not a port "
                         "with an importId that the last deployment did not have): nothing was compared with it")
    return ports, notes


def compared_with_config_note(port: str, import_id: str) -> str:
    """What the tools say when an adopted port was compared with the config only."""
    parts = parse_arm_id(import_id, PORT_TYPE)
    group = parts.group if parts else "<resource group>"
    return (f"port '{port}' is adopted by this deployment and no --live-port was given: its links were compared "
            "with the config only (as if Azure had them as configured); to compare with Azure, as pulumi preview "
            f"does: az network express-route port show --resource-group {group} --name {port} > {port}.json, then "
            f"--live-port {port}.json")
