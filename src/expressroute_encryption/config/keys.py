"""``macsecKeys``: bring-your-own MACsec keys (CAK and CKN per link), their format and
their hygiene. Never a key value in a message."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

from pydantic import SecretStr

from .. import facts
from ..facts import CAK_HEX_DIGITS, LINKS
from ..secret_config import mask_key_material
from .rules import ConfigModel, secret_rule

if TYPE_CHECKING:
    from .ports import MacsecSettings

# Always with fullmatch: re.match with `$` would let a trailing newline through.
HEX_RE = re.compile(r"[0-9A-Fa-f]*")


def whitespace_problem(key: str) -> str | None:
    """Key material is taken exactly as given: a space, tab or line break (a trailing
    newline from `cat key.txt` or a paste) would be part of the key Azure receives but
    not of the one the router holds, so nothing is stripped and it is refused."""
    if any(c.isspace() for c in key):
        return ("must not contain spaces, tabs or line breaks (a trailing newline from a file or a paste?); "
                "nothing is stripped (value not shown)")
    return None


def ckn_problem(ckn: str) -> str | None:
    """A CKN is an even-length hexadecimal string of 2 to 64 digits."""
    if (not HEX_RE.fullmatch(ckn) or not facts.CKN_MIN_HEX_DIGITS <= len(ckn) <= facts.CKN_MAX_HEX_DIGITS
            or len(ckn) % 2):
        return "must be an even number (2-64) of hexadecimal digits (value not shown)"
    return None


def cak_problem(cak: str, cipher: str | None = None) -> str | None:
    """A CAK is exactly 32 hex digits for 128-bit ciphers and 64 for 256-bit ones
    (either, while the port's cipher is unknown).

    Azure pads a short key with zeros; a padded key is a weak key, so it is refused."""
    if cipher is None:
        if len(cak) not in set(CAK_HEX_DIGITS.values()):
            return "must be exactly 32 (128-bit ciphers) or 64 (256-bit ciphers) hexadecimal digits (value not shown)"
        return None
    want = CAK_HEX_DIGITS[cipher]
    if len(cak) != want:
        return f"must be exactly {want} hexadecimal digits for {cipher} (value not shown)"
    return None


def cak_format_problem(cak: str) -> str | None:
    """What can be checked before the port's cipher is known."""
    if not HEX_RE.fullmatch(cak):
        return "must contain only hexadecimal digits 0-9 and a-f (value not shown)"
    if len(set(cak.lower())) == 1:
        # All zeros is what a template or a padded key looks like: anyone could guess it.
        return "must not be one digit repeated (such as all zeros): that key is guessable (value not shown)"
    return cak_problem(cak)


def _key_rule(name: str, check):
    """A key's own rule, after the whitespace rule (one problem per key)."""
    return secret_rule(name, lambda key: whitespace_problem(key) or check(key))


class LinkKey(ConfigModel):
    """A pre-shared MACsec key for one link, as the customer's router holds it."""

    cak: Annotated[SecretStr, _key_rule("cak_format", cak_format_problem)]
    """Connectivity association key: 32 hex digits (128-bit ciphers) or 64 (256-bit ciphers), not one digit repeated."""
    ckn: Annotated[SecretStr, _key_rule("ckn_format", ckn_problem)]
    """Connectivity association key name: an even number (2-64) of hex digits."""


class PortKeys(ConfigModel):
    """Bring-your-own keys for both links of one port."""

    link1: LinkKey
    """The key of link1."""
    link2: LinkKey
    """The key of link2."""

    def plain(self) -> dict[str, dict[str, str]]:
        """The key values, for a component that wraps them as secrets at once. Never log."""
        return {
            link: {"cak": getattr(self, link).cak.get_secret_value(),
                   "ckn": getattr(self, link).ckn.get_secret_value()}
            for link in LINKS
        }

    def problems(self, macsec: "MacsecSettings | None") -> list[tuple[tuple[str, ...], str, str]]:
        """CAK length problems for each link's cipher (None: not known), as
        (path under this port, rule, message); never the value."""
        found = []
        for link in LINKS:
            key: LinkKey = getattr(self, link)
            cipher = macsec.for_link(link)[0] if macsec else None
            if problem := cak_problem(key.cak.get_secret_value(), cipher):
                found.append(((link, "cak"), "cak_length", problem))
        return found

    def cak_of(self, link: str) -> str:
        """The link's CAK, lower case (hex digits are compared without case). Never log."""
        return getattr(self, link).cak.get_secret_value().lower()

    def fingerprint(self, link: str) -> str:
        """A digest that changes when the link's key changes. It is only ever kept as a
        secret output (the keys themselves are in the state too, encrypted alike)."""
        key: LinkKey = getattr(self, link)
        material = f"{key.cak.get_secret_value().lower()}:{key.ckn.get_secret_value().lower()}"
        return hashlib.sha256(material.encode()).hexdigest()[:32]


def key_reuse_warnings(keys: Mapping[str, PortKeys], where: str = "macsecKeys",
                       across_ports_only: bool = False) -> list[str]:
    """One CAK on both links of a port, or on two ports: allowed (Azure does not mind),
    but one leaked key then opens more than one link. Names the places, never the key.
    ``keys`` by port name ("" for a component's one port); ``across_ports_only`` leaves
    a port's own two links to the component, which warns about them itself."""
    places: dict[str, list[tuple[str, str]]] = {}
    for port_name, port_keys in keys.items():
        for link in LINKS:
            places.setdefault(port_keys.cak_of(link), []).append((port_name, link))
    warnings = []
    for shared in places.values():
        one_port = len({port for port, _ in shared}) == 1
        if len(shared) < 2 or (across_ports_only and one_port):
            continue
        named = ", ".join(f"{where}.{port}.{link}.cak" if port else f"{where}.{link}.cak" for port, link in shared)
        scope = "both links of one port" if one_port else "more than one port"
        warnings.append(f"{named}: the same CAK is used on {scope}; a leaked key would open all of them: "
                        "give each link its own key")
    return [mask_key_material(w) for w in warnings]
