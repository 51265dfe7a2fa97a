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

from .arm import parse_secret_url
from .config.ports import LinkMacsecOverride, PortSettings
from .facts import (
    ADMIN_DISABLED, ADMIN_ENABLED, ADMIN_STATES, CAK_HEX_DIGITS, CIPHERS, LINKS, SCI_DEFAULT, SCI_STATES,
)

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


# --- what Azure shows of a link ------------------------------------------------------------
#
# Azure reports a link's admin state and MACsec settings (``az network express-route port
# show``, the REST GET, ``network.get_express_route_port``), but not what only the stack
# knows: the key generation and where the keys come from. On the deployment that adopts a
# port, these fields are the "before" of the guard and the record that deployment writes.

# fact: erport-read-links
# The fields of ``FIELDS`` Azure shows (the rest are the stack's own).
AZURE_FIELDS = ("macsecEnabled", "adminState", "cipher", "sciState")


class AzureLinkError(ValueError):
    """Azure's description of a port's links cannot be read. ``path`` names the field
    (``links[link1].macSecConfig.cipher``); the message never repeats a value (a key pasted
    in the wrong place must not be printed)."""

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message
        super().__init__(f"{path}: {message}")


def azure_link_state(link: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The link-state fields Azure shows for one link, from the link as Azure describes it
    with its properties at the top level (the az CLI shape): ``macsecEnabled`` (both the
    CAK and the CKN secret identifier set: Microsoft turns MACsec off by clearing them,
    fact: macsec-disable), ``adminState`` and, with MACsec on, ``cipher`` and ``sciState``
    (absent: Disabled). Raises AzureLinkError naming the field that cannot be read."""
    where = f"links[{name}]"
    admin = link.get("adminState")
    if admin not in ADMIN_STATES:
        raise AzureLinkError(f"{where}.adminState", f"expected one of {', '.join(ADMIN_STATES)}")
    config = link.get("macSecConfig")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise AzureLinkError(f"{where}.macSecConfig", "expected an object")
    identifiers = {}
    for kind in ("cakSecretIdentifier", "cknSecretIdentifier"):
        value = config.get(kind)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or parse_secret_url(value) is None:
            raise AzureLinkError(f"{where}.macSecConfig.{kind}", "not a Key Vault secret URL "
                                 "(https://<vault>.vault.azure.net/secrets/<name>/<version>); value not shown")
        identifiers[kind] = value
    if len(identifiers) == 1:
        missing = ({"cakSecretIdentifier", "cknSecretIdentifier"} - set(identifiers)).pop()
        raise AzureLinkError(f"{where}.macSecConfig.{missing}", "missing while the other secret identifier is set")
    state: dict[str, Any] = {"macsecEnabled": bool(identifiers), "adminState": admin}
    if identifiers:
        cipher, sci = config.get("cipher"), config.get("sciState") or SCI_DEFAULT
        if cipher not in CIPHERS:
            raise AzureLinkError(f"{where}.macSecConfig.cipher", f"expected one of {', '.join(CIPHERS)}")
        if sci not in SCI_STATES:
            raise AzureLinkError(f"{where}.macSecConfig.sciState", f"expected one of {', '.join(SCI_STATES)}")
        state.update(cipher=cipher, sciState=sci)
    return state


def azure_link_states(port: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``azure_link_state`` of each link of a port as Azure describes it (``links``: a list
    of link1 and link2, each with its properties at the top level)."""
    links = port.get("links")
    if not isinstance(links, list) or not all(isinstance(link, Mapping) for link in links):
        raise AzureLinkError("links", "expected a list of link1 and link2")
    by_name = {link.get("name"): link for link in links}
    if set(by_name) != set(LINKS):
        raise AzureLinkError("links", "expected link1 and link2")
    return {name: azure_link_state(by_name[name], name) for name in LINKS}


def with_azure_fields(planned: Mapping[str, Any], azure: Mapping[str, Any]) -> dict[str, Any]:
    """A link's state as it really is: the fields Azure shows from Azure, the others (key
    generation and source) from this deployment. With MACsec off in Azure the cipher and
    SCI state stay this deployment's: the keys it makes are for them."""
    return {**planned, **{name: azure[name] for name in AZURE_FIELDS if name in azure}}


def as_azure_link(name: str, state: Mapping[str, Any], secret_urls: tuple[str, str]) -> dict[str, Any]:
    """One link as Azure would describe it with ``state`` applied (the az CLI shape), its
    MACsec settings pointing at ``secret_urls`` (CAK, CKN): the inverse of
    ``azure_link_state``."""
    link: dict[str, Any] = {"name": name, "adminState": state["adminState"]}
    if state["macsecEnabled"]:
        link["macSecConfig"] = {"cipher": state["cipher"], "sciState": state["sciState"],
                                "cakSecretIdentifier": secret_urls[0], "cknSecretIdentifier": secret_urls[1]}
    return link
