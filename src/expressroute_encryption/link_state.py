"""What one link of a Direct port gets from a deployment: the rotation guard's memory.

Every deployment exports, per port and link, the settings it applied (the ``links`` of
each port in the ``ports`` stack output); the next deployment compares its own plan with
them, link by link. This module is the one place that says what those settings are, so
the port component, the rotation guard, the offline preview and the rotation plan all
read and write the same thing.

Adding a field: add a row to ``FIELDS`` with the value that deployments made before the
field existed had applied (its ``default``), and raise ``LINK_STATE_VERSION``. A field
missing from an older deployment's output then compares as its default, so adding one
does not make every unchanged live port look changed on both links (and be refused); a
deployment made by a newer version of this program, whose fields this one does not
know, is refused instead of compared on half its fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .config.ports import LinkMacsecOverride, PortSettings
from .facts import ADMIN_DISABLED, ADMIN_ENABLED, CAK_HEX_DIGITS, SCI_DEFAULT

# Version of the per-link state in the ``ports`` output (``ports.<port>.linkStateVersion``).
# Outputs written before the version existed carry the fields of version 1.
LINK_STATE_VERSION = 1

GENERATED, BRING_YOUR_OWN = "generated", "bringYourOwn"


def macsec_on(port: PortSettings, link: str) -> bool:
    """Whether ``link`` of ``port`` gets MACsec settings from this deployment: not while the
    port is reserved (Azure ignores link settings when it creates a port), and not on a link
    with ``macsec.<link>.enabled: false`` (an adopted live port, encrypted link by link)."""
    return port.stage != "reserved" and (getattr(port.macsec, link) or LinkMacsecOverride()).enabled


@dataclass(frozen=True)
class LinkField:
    """One setting a deployment applies to a link, and records in the ``ports`` output.

    ``value`` reads it from the port's settings for one link and the port's key source;
    ``default`` is what a deployment that did not record the field had applied."""

    name: str
    value: Callable[[PortSettings, str, str], Any]
    default: Any


# Every field drops the link when it changes: there is no unencrypted fallback, so the
# router must match the new cipher, SCI state or key (and a link that is turned off is off).
FIELDS: tuple[LinkField, ...] = (
    # A reserved port sends no link settings, a link with enabled: false no MACsec settings.
    LinkField("macsecEnabled", lambda port, link, source: macsec_on(port, link), default=False),
    # Only an active port's links are admin-enabled.
    LinkField("adminState", lambda port, link, source: ADMIN_ENABLED if port.stage == "active" else ADMIN_DISABLED,
              default=ADMIN_DISABLED),
    # No default cipher: a state without one compares as changed (None is never planned).
    LinkField("cipher", lambda port, link, source: port.macsec.for_link(link)[0], default=None),
    LinkField("sciState", lambda port, link, source: port.macsec.for_link(link)[1], default=SCI_DEFAULT),
    LinkField("keyGeneration", lambda port, link, source: getattr(port.macsec.key_generation, link), default=1),
    LinkField("keySource", lambda port, link, source: source, default=GENERATED),
)


def link_state(port: PortSettings, link: str, key_source: str) -> dict[str, Any]:
    """What ``link`` of ``port`` gets from this deployment (camelCase keys, as exported).

    ``key_source`` is ``generated`` or ``bringYourOwn`` (keys in ``macsecKeys``)."""
    return {field.name: field.value(port, link, key_source) for field in FIELDS}


def recorded_link_state(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """A link's state as an earlier deployment exported it, with every field this program
    knows: a field the deployment did not record reads as its default. Extra keys (the
    secret names and URLs) are dropped."""
    return {field.name: recorded.get(field.name, field.default) for field in FIELDS}


def differences(recorded: Mapping[str, Any], planned: Mapping[str, Any]) -> list[str]:
    """Names of the fields whose planned value differs from the recorded one (a field the
    record lacks compares as its default)."""
    before = recorded_link_state(recorded)
    return [field.name for field in FIELDS if before[field.name] != planned[field.name]]


def recorded_version(port_output: Mapping[str, Any]) -> int | None:
    """The link-state version of one port in an earlier ``ports`` output: 1 when absent
    (outputs from before the version was recorded), None when it is not a whole number."""
    version = port_output.get("linkStateVersion", 1)
    if isinstance(version, bool) or not isinstance(version, (int, float)) or version != int(version):
        return None
    return int(version)


def new_key_material(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether the link's CAK/CKN differ from the last deployment's.

    A new generation or key source is a new key; so is a cipher whose key length differs
    (generated keys are made at the cipher's full length, bring-your-own keys must match it).
    Keys are made for a link with ``enabled: false`` too, so a link that is only being
    turned on uses keys that exist already (readable before the deployment)."""
    return (
        before["keyGeneration"] != after["keyGeneration"]
        or before["keySource"] != after["keySource"]
        or CAK_HEX_DIGITS.get(before["cipher"]) != CAK_HEX_DIGITS.get(after["cipher"])
    )


def turns_macsec_on(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether the change turns MACsec on for the link (stage ``reserved`` to ``encrypted``,
    or ``enabled: false`` to ``true``)."""
    return not before["macsecEnabled"] and after["macsecEnabled"]


def changes_key(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether the change loads a new CAK/CKN on the link's router: new key material, or
    MACsec being turned on, which loads a key for the first time."""
    return new_key_material(before, after) or turns_macsec_on(before, after)


def describe(state: Mapping[str, Any], stage: str | None = None) -> str:
    """One line for the MACsec summary of the offline preview (never key material).
    ``stage`` is the port's: a link without MACsec on a port past ``reserved`` is one
    with ``enabled: false``."""
    s = recorded_link_state(state)
    if s["macsecEnabled"]:
        on = "MACsec on"
    elif stage not in (None, "reserved"):
        on = "MACsec off (enabled: false)"
    else:
        on = "MACsec not applied yet"
    return (
        f"{on}, cipher {s['cipher']}, SCI {s['sciState']}, admin {s['adminState']}, "
        f"key generation {s['keyGeneration']} ({s['keySource']}), "
        f"secrets {state.get('cakSecretName')} / {state.get('cknSecretName')}"
    )
