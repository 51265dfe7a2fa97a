"""A live port for the offline tools: what Azure says about an existing ExpressRoute
Direct port, from a file (``--live-port FILE`` of ``preview`` and ``rotation-plan``).

    az network express-route port show --resource-group RG --name NAME > port.json

The file is what that command prints (properties at the top level, each link's too) or
the body of the REST GET (a ``properties`` envelope); either is read the same way. On
``pulumi preview``/``up`` the program reads the same port from Azure itself
(``network.get_express_route_port``); offline, the mocks answer that read from this file,
and the rotation plan compares the links with it. Without a file, the port is taken as
the stack config describes it, and the tools say so: the adopting deployment was then
compared with the config only.

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


class LivePortError(Exception):
    """A ``--live-port`` file that cannot be used (one line: the file, the field, why)."""


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

    adopting = adopting_ports(config, previous)
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
        if name not in ports:
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
