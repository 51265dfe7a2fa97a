"""``ports[]``: an ExpressRoute Direct port, its MACsec settings per link, and the rules
that tie its circuits to it."""

from __future__ import annotations

import re
from typing import Annotated, Optional

from pydantic import Field

from .. import facts
from ..arm import PORT_TYPE, arm_id_problem
from ..facts import LINKS
from .circuits import CircuitSettings, peer_subnet_problems, size_problems, stage_problems, vlan_problems
from .literals import Cipher, Encapsulation, PortBillingType, PortSpeed, SciState, Stage
from .rules import ConfigModel, Int, cross_rule, rule
from .values import azure_name_problem, import_id_name_problems

def port_name_problem(name: str) -> str | None:
    """A port's name is its Azure name, so Azure's rule for network resource names
    (fact: er-resource-names): a port with '_' or '.' in its name can be adopted. The name
    also names the port's Key Vault secrets, which take only letters, digits and '-'
    (fact: kv-object-identifier): ``secret_name`` writes '_' and '.' as '-'."""
    return azure_name_problem(name)


def secret_prefix(port_name: str) -> str:
    """The start of the port's Key Vault secret names: its name, '_' and '.' written '-'."""
    return re.sub(r"[_.]", "-", port_name)


def secret_name(port_name: str, link: str, kind: str) -> str:
    """The Key Vault secret holding one key of one link: ``<port>-<link>-<cak|ckn>``."""
    return f"{secret_prefix(port_name)}-{link}-{kind}"


class KeyGeneration(ConfigModel):
    """A counter per link: raising it generates a new key for that link only."""

    link1: Annotated[Int, Field(ge=1)] = 1
    """Key generation of link1, 1 or more; raise it by one to re-key link1."""
    link2: Annotated[Int, Field(ge=1)] = 1
    """Key generation of link2, 1 or more; raise it by one to re-key link2."""


class LinkMacsecOverride(ConfigModel):
    """One link's cipher or SCI state, while a change is rolled out one link at a time."""

    cipher: Optional[Cipher] = None
    """This link's cipher, when it differs from the port's."""
    sci_state: Optional[SciState] = None
    """This link's SCI state, when it differs from the port's."""
    enabled: bool = True
    """MACsec on this link; `false` sends no MACsec settings for it (an adopted live port is encrypted link by link)."""


class MacsecSettings(ConfigModel):
    """MACsec applied to both links of a port.

    Any change of key, cipher or SCI drops a link until the router matches, so on a live
    port a change goes to one link per deployment: raise one link's ``keyGeneration``,
    or stage a new cipher/SCI state on one link with ``link1``/``link2`` overrides.
    ``allowBothLinks`` lets one deployment change both links (a planned full outage)."""

    cipher: Cipher
    """MACsec cipher of both links; XPN ciphers only on 100 Gbps ports (and recommended there)."""
    sci_state: SciState = facts.SCI_DEFAULT
    """Secure channel identifier on both links; some router vendors (e.g. Cisco) need `Enabled`."""
    key_generation: KeyGeneration = Field(default_factory=KeyGeneration)
    """`{link1: N, link2: N}`, N >= 1, default 1 each: raise one link's number to generate that link's new keys."""
    link1: Optional[LinkMacsecOverride] = None
    """`cipher` / `sciState` for link1 alone, to roll a change out one link at a time."""
    link2: Optional[LinkMacsecOverride] = None
    """`cipher` / `sciState` for link2 alone, to roll a change out one link at a time."""
    allow_both_links: bool = False
    """Let one deployment change both links of a live port: a planned full outage of the port."""

    def for_link(self, link: str) -> tuple[str, str]:
        """(cipher, SCI state) that ``link`` gets: its override, else the port's."""
        override = getattr(self, link) or LinkMacsecOverride()
        return override.cipher or self.cipher, override.sci_state or self.sci_state


def xpn_problems(macsec: MacsecSettings, bandwidth: int):
    """XPN ciphers are not supported on 10 Gbps ports (paths under ``macsec``)."""
    if bandwidth != facts.XPN_UNSUPPORTED_GBPS:
        return
    ciphers = [(("cipher",), macsec.cipher)] + [
        ((link, "cipher"), getattr(macsec, link).cipher) for link in LINKS if getattr(macsec, link)
    ]
    for path, cipher in ciphers:
        if cipher in facts.XPN_CIPHERS:
            yield path, "xpn_needs_100g", (
                f"{cipher} is not supported on {facts.XPN_UNSUPPORTED_GBPS} Gbps ports; "
                f"use {' or '.join(facts.NON_XPN_CIPHERS)} (XPN ciphers need a {facts.XPN_RECOMMENDED_GBPS} Gbps port)"
            )


class PortSettings(ConfigModel):
    """One ExpressRoute Direct port (a pair of physical links) and its MACsec settings.

    ``stage`` follows the port's physical lifecycle, because Azure ignores link settings
    in the request that creates a port: ``reserved`` (port ordered, keys stored, links
    untouched), ``encrypted`` (MACsec on both links, admin state Disabled), ``active``
    (MACsec on and both links admin-enabled).
    """

    name: Annotated[str, rule("port_name", port_name_problem)]
    """Port name, Azure's: 1-80 letters, digits, '_', '.' and '-', starting with a letter or digit and ending with one or '_'; unique; also prefixes the port's Key Vault secret names ('_' and '.' written '-')."""
    peering_location: Annotated[str, Field(min_length=1)]
    """ExpressRoute Direct peering location, e.g. `Equinix-Amsterdam-AM5`."""
    bandwidth_in_gbps: PortSpeed
    """Port bandwidth."""
    encapsulation: Encapsulation
    """Port encapsulation; fixed once the port exists (Azure rule)."""
    billing_type: PortBillingType
    """Port billing type."""
    stage: Stage
    """Lifecycle stage: `reserved` (no link settings), `encrypted` (MACsec on, links admin-disabled), `active` (links admin-enabled); one deployment each (docs/changes.md, "Port lifecycle")."""
    macsec: MacsecSettings
    """MACsec settings of both links (keys as below)."""
    circuits: list[CircuitSettings] = Field(default_factory=list)
    """Circuits on the port (keys as below); only on an `encrypted` or `active` port."""
    import_id: Optional[Annotated[str, rule("port_import_id", lambda v: arm_id_problem(v, PORT_TYPE))]] = None
    """ARM id of an existing port to adopt (Pulumi `import`): the config must describe it as it is in Azure; `make adopt` writes it."""

    @cross_rule("bandwidth_in_gbps", "macsec")
    def _xpn_needs_100g(self):
        for path, name, message in xpn_problems(self.macsec, self.bandwidth_in_gbps):
            yield ("macsec", *path), name, message

    @cross_rule("circuits*", "stage")
    def _circuits_on_an_encrypted_port(self):
        for path, name, message in stage_problems(self.circuits, self.stage):
            yield ("circuits", *path), name, message

    @cross_rule("circuits*", "bandwidth_in_gbps")
    def _circuits_fit_the_port(self):
        for path, name, message in size_problems(self.circuits, self.bandwidth_in_gbps):
            yield ("circuits", *path), name, message

    @cross_rule("circuits*", "encapsulation")
    def _unique_vlans_and_subnets(self):
        for path, name, message in [*vlan_problems(self.circuits, self.encapsulation),
                                    *peer_subnet_problems(self.circuits)]:
            yield ("circuits", *path), name, message

    @cross_rule("import_id", "name")
    def _import_id_names_this_port(self):
        yield from import_id_name_problems(self)
