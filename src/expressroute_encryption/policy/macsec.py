"""MACsec facts about an ExpressRoute Direct port, shared by the resource and the stack policies.

A port has exactly two physical links, ``link1`` and ``link2``; MACsec is configured per link in
``links[].macSecConfig`` (``cipher``, ``cakSecretIdentifier``, ``cknSecretIdentifier``, ``sciState``).
These helpers read both shapes a port comes in: its inputs (what ``Analyze`` sees) and its outputs
(what ``AnalyzeStack`` and a stack export hold).
"""

from typing import Any, NamedTuple

from ..facts import CIPHERS, LEGACY_CIPHERS, LINKS as LINK_NAMES, XPN_RECOMMENDED_GBPS, XPN_UNSUPPORTED_GBPS
from .props import UNKNOWN, elements, get, is_present, number, text

SECRET_FIELDS = ("cakSecretIdentifier", "cknSecretIdentifier")
REQUIRED_MACSEC_FIELDS = ("cipher", *SECRET_FIELDS)

# Port bandwidths: XPN ciphers are not supported at 10 Gbps and recommended at 100 Gbps.
TEN_GBPS, HUNDRED_GBPS = XPN_UNSUPPORTED_GBPS, XPN_RECOMMENDED_GBPS


class Link(NamedTuple):
    """One entry of a port's ``links``: its label (``link1``, or ``links[0]`` without a name) and settings."""

    label: str
    settings: Any

    @property
    def macsec(self) -> Any:
        """The link's ``macSecConfig`` (``None`` when absent, ``UNKNOWN`` during preview)."""
        return get(self.settings, "macSecConfig")


def port_links(port_props: Any) -> list[Link] | None:
    """The port's link settings; ``[]`` when it has none (the reserved stage), ``None`` when they cannot
    be known yet (preview)."""
    raw_links = get(port_props, "links")
    if raw_links is UNKNOWN:
        return None
    links = []
    for index, settings in enumerate(elements(raw_links)):
        name = get(settings, "name")
        if name is UNKNOWN:
            return None
        links.append(Link(text(name) or f"links[{index}]", settings))
    return links


def missing_macsec(links: list[Link]) -> list[str]:
    """What keeps MACsec from being on both ``link1`` and ``link2``, one phrase per link; ``[]`` when
    both links have a cipher and both secret identifiers."""
    by_name = {link.label.lower(): link for link in links}
    gaps = []
    for link_name in LINK_NAMES:
        link = by_name.get(link_name)
        if link is None:
            gaps.append(f"{link_name} has no settings")
            continue
        if link.macsec is UNKNOWN:
            continue
        missing = [field for field in REQUIRED_MACSEC_FIELDS if not is_present(get(link.macsec, field))]
        if missing:
            gaps.append(f"{link_name} has no macSecConfig.{'/'.join(missing)}")
    return gaps


def port_macsec_gaps(port_props: Any) -> list[str] | None:
    """Like ``missing_macsec`` for a whole port, including one without link settings; ``None`` when
    the links cannot be known yet."""
    links = port_links(port_props)
    if links is None:
        return None
    if not links:
        return ["it has no link settings, so MACsec is off"]
    return missing_macsec(links)


def uses_macsec(port_props: Any) -> bool:
    """Whether any link of the port points at a CAK or CKN secret (unknown identifiers count)."""
    return any(
        is_present(get(link.macsec, field))
        for link in port_links(port_props) or []
        for field in SECRET_FIELDS
    )


def link_ciphers(port_props: Any) -> list[tuple[str, str]]:
    """``(link label, cipher)`` for every link whose cipher is a known string."""
    result = []
    for link in port_links(port_props) or []:
        cipher = text(get(link.macsec, "cipher"))
        if cipher:
            result.append((link.label, cipher))
    return result


def bandwidth_gbps(port_props: Any) -> float | None:
    """The port's ``bandwidthInGbps`` when known (10 or 100)."""
    return number(get(port_props, "bandwidthInGbps"))


def is_xpn(cipher: str) -> bool:
    """Whether a cipher uses extended packet numbering (any spelling)."""
    return "xpn" in cipher.lower()


def describe_cipher(cipher: str) -> str:
    """A cipher for a message: quoted when it is a cipher name Azure knows, otherwise generic, so a value
    pasted into the wrong field (a key, say) never reaches a message."""
    if cipher in CIPHERS or cipher in LEGACY_CIPHERS:
        return f"cipher '{cipher}'"
    return "an unrecognised cipher"
