"""What a MACsec-required violation tells the user to do: the stack keys to set, and how to
exempt the port meanwhile.

``expressroute-port-macsec-required`` and ``expressroute-circuit-on-encrypted-port`` flag a port
without MACsec on both links. When the port is this project's (its URN runs through the
``EncryptedDirectPort`` component), the fix is a stack config key: ``ports[i].macsec.<link>.enabled``
for a link adopted without MACsec, ``ports[i].stage`` for a port still ``reserved``; and the
exemption goes into the stack's ``policy-config.<stack>.json``. In any other stack (the pack
runs on foreign stacks too) the message keeps to Azure's properties (``links[].macSecConfig``)
and the pack config's ``exemptPorts``. Names are escaped; no property value is quoted.
"""

from __future__ import annotations

from typing import Any

from ..facts import LINKS
from ..printable import one_line
from ..tokens import type_token
from .exemptions import EXEMPT_PORTS, TAKING_EXEMPTIONS
from .macsec import missing_macsec, port_links
from .pack_config import FILE_NAME

PORT_COMPONENT = type_token("EncryptedDirectPort")


def _urn_parts(urn: Any) -> tuple[str, list[str]] | None:
    """(stack, the qualified type chain) of ``urn:pulumi:<stack>::<project>::<a$b$c>::<name>``."""
    if not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        return None
    parts = urn[len("urn:pulumi:"):].split("::")
    if len(parts) < 4:
        return None
    return parts[0], parts[2].split("$")


def from_this_project(urn: Any) -> bool:
    """Whether the resource was registered by this project's ``EncryptedDirectPort``."""
    parts = _urn_parts(urn)
    return parts is not None and PORT_COMPONENT in parts[1][:-1]


def _links_without_macsec(port_props: Any) -> list[str] | None:
    """The links lacking MACsec; None for a port without link settings (reserved)."""
    links = port_links(port_props)
    if not links:
        return None
    gaps = missing_macsec(links)
    return [link for link in LINKS if any(gap.startswith(f"{link} ") for gap in gaps)]


def port_fix(port_name: str, urn: Any, port_props: Any) -> str:
    """The sentence saying what to set so that the port has MACsec on both links."""
    if not from_this_project(urn):
        return ("Set links[].macSecConfig with cipher, cakSecretIdentifier and cknSecretIdentifier on both link1 "
                "and link2 (or remove the link settings while the port is only reserved).")
    stack, _ = _urn_parts(urn)
    entry = f"ports[i] is the entry with name: {one_line(port_name)} in Pulumi.{one_line(stack)}.yaml"
    links = _links_without_macsec(port_props)
    if links is None:
        return (f"Set ports[i].stage: encrypted (MACsec on both links, still admin-disabled) before circuits carry "
                f"traffic, where {entry}.")
    keys = " then ".join(f"ports[i].macsec.{link}.enabled: true" for link in links) or "ports[i].macsec"
    return (f"Set {keys}, one link per deployment (the link is down until its router has the same key: give the "
            f"keys in use as macsecKeys, or load the generated ones into the routers first), where {entry}.")


def exemption_route(port_name: str, urn: Any) -> str:
    """The sentence naming the exemption: where it goes and its limits."""
    name = one_line(port_name)
    parts = _urn_parts(urn)
    if parts is not None and from_this_project(urn):
        file_name = FILE_NAME.format(stack=one_line(parts[0]))
        return (f"Until then the port can be exempted, until a date: an entry {{\"name\": \"{name}\", \"expires\": "
                f"\"YYYY-MM-DD\", \"reason\": \"...\"}} in the top-level {EXEMPT_PORTS} list of {file_name} (at "
                "most one year ahead; adopt writes one).")
    return (f"Until then the port can be exempted, until a date (at most one year ahead): {EXEMPT_PORTS} "
            f"[{{\"name\": \"{name}\", \"expires\": \"YYYY-MM-DD\"}}] in the policy pack config, the same list "
            f"under {', '.join(TAKING_EXEMPTIONS)}.")
