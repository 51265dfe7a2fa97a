"""Adopting ports and circuits that already exist in Azure (``importId``).

A port is adopted on the deployment that first sees it (it is not in the stack's last
outputs): Pulumi imports it, taking its identity and link settings as Azure has them,
so that deployment changes nothing on the port. The next deployment applies the
config's identity and links. Where the config keeps MACsec on a link, that next
deployment points the link at keys in this stack's vault: unless those are the keys the
routers use now (bring-your-own, ``macsecKeys``), both links would drop at once.

Pure functions over the config and the last deployment: no Azure SDK.
"""

from __future__ import annotations

from .config.errors import format_loc
from .config.stack import StackConfig
from .facts import LINKS
from .link_state import macsec_on
from .record import Previous


def adopting_ports(config: StackConfig, previous: Previous) -> frozenset[str]:
    """Names of the ports this deployment imports (importId, and not deployed by this stack yet)."""
    return frozenset(p.name for p in config.ports if p.import_id and p.name not in previous.ports)


def adopting_circuits(config: StackConfig, previous: Previous) -> frozenset[str]:
    """Names of the circuits this deployment imports (importId, and not deployed by this stack
    yet), whether or not their port is adopted in the same deployment: their peerings and
    authorizations exist in Azure with them, so they are imported by their child ids too."""
    return frozenset(circuit.name for port in config.ports for circuit in port.circuits
                     if circuit.import_id and circuit.name not in previous.circuits)


def macsec_links(port) -> list[str]:
    """The links the config gives MACsec (not while reserved; not with ``macsec.<link>.enabled: false``)."""
    return [link for link in LINKS if macsec_on(port, link)]


def adoption_problems(config: StackConfig, previous: Previous) -> list[str]:
    """Refuse adopting a port with MACsec on a link whose keys this stack would replace."""
    adopting = adopting_ports(config, previous)
    problems = []
    for i, port in enumerate(config.ports):
        links = macsec_links(port)
        if port.name in adopting and links and port.name not in config.macsec_keys:
            problems.append(
                f"{format_loc(('ports', i, 'macsec'))}: port '{port.name}' is adopted with MACsec on "
                f"{' and '.join(links)}, and this stack would replace the keys the routers use now with keys it "
                f"generates, dropping those links; give the keys in use as bring-your-own keys "
                f"(pulumi config set --secret --path 'macsecKeys.{port.name}.link1.cak' ...), or, where a link has no "
                f"MACsec in Azure, set macsec.<link>.enabled: false"
            )
    return problems
