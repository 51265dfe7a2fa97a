"""The change guard: this config against the last deployment's record, before anything
is registered.

Changing a link's key, cipher or SCI state, or turning MACsec or the link itself on or
off, drops that link until the customer's router matches: there is no fallback.
Microsoft's advice is one link at a time, after moving traffic to the other link. So the
guard, comparing each link with the record (``record.py``) that the last deployment left:

- refuses to change both links of a port that was ``active`` unless
  ``macsec.allowBothLinks`` says this is a planned full outage;
- refuses a bring-your-own key that changed while its ``keyGeneration`` did not, so
  every key change is visible as a generation change without exporting the key;
- refuses stage changes Azure would not carry out (a new port past ``reserved``, a
  port back to ``reserved``), adopting a port whose keys it would replace or whose links
  the config describes otherwise than Azure has them (adopt first, change in the next
  deployment), removing a live port or a circuit with peerings without a
  ``decommission`` entry, and vault settings Azure cannot change back;
- fails closed: a record it cannot compare with is refused (``record.previous_problems``).

The rules about one port take the port's settings, where they are (``Loc``: ``ports[i]``
of the stack config, or an ``EncryptedDirectPort``'s own arguments) and the port's
entry of the record, so the stack program (``change_problems``) and the port component
(``component_problems``) apply the same ones. What a link's state is, and how an older
record compares, is ``link_state.py``; the runbook for an allowed change is
``runbook.py``. Pure functions over the config and the record: no Pulumi or Azure SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

from .adoption import adopting_ports, adoption_problems
from .config.errors import format_loc
from .config.ports import PortSettings
from .config.stack import StackConfig
from .facts import LINKS
from .link_state import (
    BRING_YOUR_OWN,
    GENERATED,
    changes_key,
    differences,
    link_state,
    new_key_material,
    recorded_link_state,
    turns_macsec_on,
    with_azure_fields,
)
from .record import (
    Previous,
    key_fingerprints,
    key_vault_state,
    port_record_problems,
    previous_problems,
    recorded_circuit_lock,
    recorded_vault_lock,
)

OTHER_LINK = dict(zip(LINKS, reversed(LINKS)))
# Stages in which a port exists in Azure with MACsec on its links (a reserved port has no
# link settings yet, and carries nothing).
LIVE_STAGES = ("encrypted", "active")


class Loc(NamedTuple):
    """Where one port's settings are, to name them in a problem line: ``ports[i]`` of the
    stack config (camelCase keys), or an ``EncryptedDirectPort``'s own arguments
    (``prefix`` empty, ``snake``: the Python names its other problems use)."""

    prefix: tuple = ()
    snake: bool = False

    def __call__(self, *parts: str | int) -> str:
        if self.snake:
            parts = tuple(re.sub(r"(?<=[a-z])(?=[A-Z])", "_", part).lower() if isinstance(part, str) else part
                          for part in parts)
        return format_loc((*self.prefix, *parts))


def stack_loc(i: int) -> Loc:
    return Loc(("ports", i))


COMPONENT_LOC = Loc((), snake=True)


def key_source(config: StackConfig, port: str) -> str:
    """Where the port's keys come from: ``macsecKeys`` (bring-your-own) or generated."""
    return BRING_YOUR_OWN if port in config.macsec_keys else GENERATED


def planned_port_links(port: PortSettings, source: str) -> dict[str, dict[str, Any]]:
    """Per link, what this deployment applies to one port (``link_state``)."""
    return {link: link_state(port, link, source) for link in LINKS}


def planned_links(config: StackConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """Per port and link, what this deployment will apply (the ``ports[].links`` shape,
    without the secret names and URLs)."""
    return {port.name: planned_port_links(port, key_source(config, port.name)) for port in config.ports}


@dataclass
class LinkChange:
    """What changes on one link against the last deployment."""

    link: str
    before: dict[str, Any] | None  # the recorded state, every field filled; None for a new port
    after: dict[str, Any]
    fields: list[str]  # names of the fields that change

    @property
    def changes(self) -> list[str]:
        """In words: 'cipher GcmAes128 -> GcmAes256'."""
        return [f"{name} {self.before[name]} -> {self.after[name]}" for name in self.fields]

    @property
    def disruptive(self) -> bool:
        return bool(self.fields)

    @property
    def new_key(self) -> bool:
        """The router's link needs a new CAK/CKN."""
        return self.disruptive and changes_key(self.before, self.after)

    @property
    def enables_with_existing_keys(self) -> bool:
        """MACsec is turned on with keys made by an earlier deployment (a link that had
        ``enabled: false``): they can be loaded on the router before ``pulumi up``."""
        return (self.disruptive and turns_macsec_on(self.before, self.after)
                and not new_key_material(self.before, self.after))


def link_change(link: str, recorded: Mapping[str, Any] | None, planned: dict[str, Any]) -> LinkChange:
    """Compare one link with the last deployment. Every field drops the link when it
    changes, except that a link without MACsec before and after only changes admin state."""
    if not isinstance(recorded, Mapping):
        return LinkChange(link, None, planned, [])
    before = recorded_link_state(recorded)
    fields = differences(recorded, planned)
    if not before["macsecEnabled"] and not planned["macsecEnabled"]:
        fields = [name for name in fields if name == "adminState"]
    return LinkChange(link, before, planned, fields)


def link_changes(recorded_links: Mapping[str, Any], planned: Mapping[str, dict[str, Any]]) -> list[LinkChange]:
    """The change of each link of one port: its recorded links against the planned ones.
    The one comparison behind the guard, the runbook and the offline what-if."""
    recorded_links = recorded_links if isinstance(recorded_links, Mapping) else {}
    return [link_change(link, recorded_links.get(link), planned[link]) for link in LINKS]


def port_changes(config: StackConfig, previous: Previous) -> dict[str, list[LinkChange]]:
    """Per port, the change of each link against the last deployment."""
    planned = planned_links(config)
    return {port.name: link_changes(previous.links(port.name), planned[port.name]) for port in config.ports}


# --- rules about one port ------------------------------------------------------------------


def new_port_problem(port: PortSettings, loc: Loc) -> str:
    """A port the last deployment of a deployed stack did not have, past ``reserved``."""
    return (
        f"{loc('stage')}: port '{port.name}' is new: create it with stage: reserved first (Azure ignores link "
        "settings in the request that creates a port, so MACsec would never be applied), then move "
        "it to encrypted in the next deployment"
    )


def first_deployment_problem(port: PortSettings, loc: Loc) -> str:
    """A port created past ``reserved`` on the first ``pulumi up``."""
    return (
        f"{loc('stage')}: port '{port.name}' is new and would be created at stage {port.stage}, "
        "but Azure ignores or refuses link settings in the request that creates a port: deploy it with stage: "
        "reserved first, then move it to encrypted and active in later deployments (to adopt a port that already "
        "exists in Azure, give its importId instead)"
    )


def first_deployment_warning(port: PortSettings) -> str:
    return (f"port '{port.name}' is deployed for the first time at stage {port.stage}: if the port does not exist "
            "in Azure yet, deploy it as reserved first; Azure ignores link settings when it creates a port")


def back_to_reserved_problem(port: PortSettings, loc: Loc, record: Mapping[str, Any]) -> list[str]:
    """A port cannot go back to ``reserved`` once its links were set: Azure keeps the link
    settings a request leaves out."""
    if record.get("stage") == "reserved" or port.stage != "reserved":
        return []
    return [
        f"{loc('stage')}: port '{port.name}' cannot go back to reserved: Azure keeps the link settings a "
        "request leaves out, so MACsec and the links would stay as they are while the stack recorded "
        "them as off; keep it encrypted (links admin-disabled) or active"
    ]


def adoption_link_problems(port: PortSettings, loc: Loc, source: str,
                           azure: Mapping[str, Mapping[str, Any]] | None) -> list[str]:
    """On the deployment that adopts a port: a link the config describes otherwise than
    Azure has it (MACsec on or off, cipher, SCI, admin state). That deployment keeps
    Azure's links (``ignore_changes``) and records them; a change in the same deployment
    would be judged against a record that is not what is live, so it is refused: one
    line per port, adopt first, change in the next deployment."""
    if azure is None:
        return []
    planned = planned_port_links(port, source)
    changes = [link_change(link, with_azure_fields(planned[link], azure[link]), planned[link]) for link in LINKS]
    detail = "; ".join(f"{c.link}: {', '.join(c.changes)}" for c in changes if c.disruptive)
    if not detail:
        return []
    return [
        f"{loc('macsec')}: port '{port.name}' is adopted by this deployment and the config changes its links from "
        f"what Azure has ({detail}): adopt the port first with its links as they are in Azure (stage and "
        f"{loc('macsec', '<link>', 'enabled')}, cipher and SCI as Azure has them; `make adopt` writes them), then "
        "make the change in the next deployment (one link at a time on a live port)"
    ]


def macsec_turned_off_problems(port: PortSettings, loc: Loc, changes: list[LinkChange]) -> list[str]:
    """A link that had MACsec and gets ``enabled: false``: refused (fail closed).

    Microsoft turns MACsec off by clearing the link's CAK/CKN secret identifiers; this
    program sends a link with ``enabled: false`` without ``macSecConfig``, and Azure is not
    documented to clear settings a request leaves out, so the link could keep MACsec while
    the stack records it as off. fact: macsec-disable"""
    if port.stage == "reserved":  # going back to reserved is refused on its own
        return []
    return [
        f"{loc('macsec', c.link, 'enabled')}: {c.link} of port '{port.name}' has MACsec "
        "since the last deployment and this update turns it off; this program does not turn MACsec off (Microsoft "
        "does it by clearing the CAK/CKN secret identifiers, which a link without MACsec settings is not "
        f"documented to do). Keep enabled: true; if the router's {c.link} does not come up after enabling, load "
        "the link's key on the router (see make rotation-plan) rather than turning MACsec off"
        for c in changes if c.before is not None and c.before["macsecEnabled"] and not c.after["macsecEnabled"]
    ]


def both_links_problems(port: PortSettings, loc: Loc, record: Mapping[str, Any],
                        changes: list[LinkChange]) -> list[str]:
    """Both links of a port that was ``active`` change in one deployment, without
    ``allowBothLinks``: Microsoft's advice is one link at a time, after moving the traffic
    to the other link (fact: macsec-one-link-at-a-time)."""
    if record.get("stage") != "active" or port.macsec.allow_both_links:
        return []
    if not all(change.disruptive for change in changes):
        return []
    return [_both_links_problem(port.name, loc, changes, port.stage)]


def _both_links_problem(port: str, loc: Loc, changes: list[LinkChange], stage: str) -> str:
    """Why one deployment may not change both links of a live port, and the way forward:
    one link at a time where the setting is per link, a planned outage where it is not."""
    detail = "; ".join(f"{c.link}: {', '.join(c.changes)}" for c in changes)
    allow = loc("macsec", "allowBothLinks")
    outage = (f"move all traffic off this port's circuits, then set {allow}: true for this one deployment and "
              "back to false afterwards")
    fields = {name for c in changes for name in c.fields}
    if "adminState" in fields:
        return (
            f"{loc('stage')}: port '{port}' is active and stage {stage} admin-disables both "
            f"links at once ({detail}). The stage applies to the whole port, so this cannot be done one link at a "
            f"time: {outage}"
        )
    if all("keySource" in c.fields for c in changes):
        before, after = changes[0].before["keySource"], changes[0].after["keySource"]
        return (
            f"{loc('macsec')}: port '{port}' is active and switches from {before} to {after} "
            f"keys, which gives both links new keys at once ({detail}). The key source applies to the whole port "
            f"(macsecKeys holds both links), so this cannot be done one link at a time: plan it as a full outage: "
            f"{outage}"
        )
    if all(turns_macsec_on(c.before, c.after) for c in changes):
        return (
            f"{loc('macsec')}: port '{port}' is active and this update turns MACsec on for "
            f"both link1 and link2 ({detail}), which would drop both links at once. Enable one link per deployment: "
            f"keep {loc('macsec', 'link2', 'enabled')}: false while link1 is enabled (move "
            "traffic to link2, load link1's keys on the router, pulumi up, check the MKA session and BGP), then "
            f"link2 the same way (make rotation-plan prints the steps); or, for a planned full outage, set {allow}: "
            "true"
        )
    return (
        f"{loc('macsec')}: port '{port}' is active and this update changes MACsec on both "
        f"link1 and link2 ({detail}), which would drop both links at once. Change one link per deployment: first "
        "only link1 (move traffic to link2, update the router's link1, pulumi up, check the MACsec session), then "
        f"link2 the same way; or, for a planned full outage, set {allow}: true"
    )


def unannounced_key_change_problems(port: PortSettings, loc: Loc, recorded_links: Mapping[str, Any],
                                    before: Mapping[str, Any], now: Mapping[str, str]) -> list[str]:
    """A bring-your-own key may only change together with its link's keyGeneration
    (``before`` and ``now``: per link the key fingerprint of the last deployment and of
    this one)."""
    problems = []
    for link in LINKS:
        generation = getattr(port.macsec.key_generation, link)
        recorded = recorded_link_state(recorded_links.get(link) or {})
        if link in before and link in now and before[link] != now[link] and recorded["keyGeneration"] == generation:
            problems.append(
                f"{loc('macsec', 'keyGeneration', link)}: the bring-your-own key of "
                f"{link} changed but its keyGeneration is still {generation}; raise it to {generation + 1} "
                "to confirm this link's rotation (key values are never shown)"
            )
    return problems


def port_warnings(port: PortSettings, loc: Loc, record: Mapping[str, Any], changes: list[LinkChange],
                  source: str) -> list[str]:
    """Allowed changes of one port the operator should see before ``pulumi up``: a key
    generation that jumps, a key source switched on a live port, ``allowBothLinks`` left on."""
    warnings = []
    for change in changes:
        if change.before is None:
            continue
        old, new = change.before["keyGeneration"], change.after["keyGeneration"]
        if isinstance(old, int) and abs(new - old) > 1:
            warnings.append(f"{loc('macsec', 'keyGeneration', change.link)}: " + _generation_jump(old, new, source))
    sources = {c.before["keySource"] for c in changes if c.before is not None}
    if record.get("stage") in LIVE_STAGES and sources and sources != {source}:
        warnings.append(
            f"{loc('macsec')}: port '{port.name}' switches from {', '.join(sorted(sources))} "
            f"to {source} keys while {record.get('stage')}: both links get new keys in this deployment, and each "
            "link drops until its router has the new key"
        )
    if port.macsec.allow_both_links:
        allow = loc("macsec", "allowBothLinks")
        if record.get("allowBothLinks"):
            warnings.append(
                f"{allow}: still true from the last deployment, so the one-link-at-a-time guard stays off for "
                f"port '{port.name}': set it back to false once the planned outage is over"
            )
        elif not all(change.disruptive for change in changes):
            warnings.append(
                f"{allow}: true, but this update does not change both links of port '{port.name}': set it back "
                "to false, so the guard protects the next change"
            )
    return warnings


def _generation_jump(old: int, new: int, source: str) -> str:
    """Why a key generation should move one step at a time. Generated keys keep only the
    generation before the current one (see direct_port._random_hex), which is what a
    roll-back restores."""
    if source != GENERATED:
        return (f"jumps from {old} to {new}: the generation counts bring-your-own key changes one by one; "
                "move it one step per rotation")
    if new > old:
        return (f"jumps from {old} to {new}: only generations {new - 1} and {new} are kept, so moving back to "
                f"{old} would not restore the key your router has now; move it one step per rotation")
    return (f"goes back from {old} to {new}: only generation {old - 1} is kept for a roll-back, so {new} gets a "
            "new random key, not one your router had; move it one step at a time")


# --- the port component's guard --------------------------------------------------------------


def component_problems(port: PortSettings, record: Mapping[str, Any], *, source: str, adopting: bool,
                       azure: Mapping[str, Mapping[str, Any]] | None, updating: bool) -> list[str]:
    """The refusals about one port that an ``EncryptedDirectPort`` applies itself, against
    ``record`` (its entry of the last deployment's ``ports`` output, {} when the last
    deployment did not have it): the same rules as the stack program's, with the paths
    of the component's arguments. A port the record does not have may be the first of a
    new stack, so past ``reserved`` it is refused on ``pulumi up`` only, as the stack
    program does on a first deployment.

    The bring-your-own key check needs the keys' values: the component runs
    ``unannounced_key_change_problems`` once they resolve."""
    loc = COMPONENT_LOC
    if record and (problems := port_record_problems(port.name, record)):
        return problems
    if not record:
        if adopting:
            return adoption_link_problems(port, loc, source, azure) + _adoption_key_problems(port, loc, source)
        return [first_deployment_problem(port, loc)] if updating and port.stage != "reserved" else []
    changes = link_changes(record.get("links") or {}, planned_port_links(port, source))
    return (back_to_reserved_problem(port, loc, record) + macsec_turned_off_problems(port, loc, changes)
            + both_links_problems(port, loc, record, changes))


def component_warnings(port: PortSettings, record: Mapping[str, Any], *, source: str) -> list[str]:
    """What an ``EncryptedDirectPort`` logs before its deployment, though it is allowed (a
    port new to the record is the stack's to warn about: only it knows the stack's history)."""
    if not record:
        return []
    changes = link_changes(record.get("links") or {}, planned_port_links(port, source))
    return port_warnings(port, COMPONENT_LOC, record, changes, source)


def _adoption_key_problems(port: PortSettings, loc: Loc, source: str) -> list[str]:
    """The component's form of ``adoption.adoption_problems``: adopting with MACsec on a
    link whose keys would be replaced by generated ones."""
    links = [link for link in LINKS if link_state(port, link, source)["macsecEnabled"]]
    if not links or source != GENERATED:
        return []
    return [
        f"{loc('macsec')}: port '{port.name}' is adopted with MACsec on {' and '.join(links)}, and this component "
        "would replace the keys the routers use now with keys it generates, dropping those links; pass the keys in "
        f"use as {loc('keys')} (secrets), or, where a link has no MACsec in Azure, set "
        f"{loc('macsec', '<link>', 'enabled')}: false"
    ]


# --- the stack program's guard ---------------------------------------------------------------


def lifecycle_problems(config: StackConfig, previous: Previous) -> list[str]:
    """Stage changes Azure would silently not carry out.

    Azure ignores link settings in the request that creates a port, so a port new to a
    deployed stack must start ``reserved``; and it keeps link settings that a request
    leaves out, so a port cannot go back to ``reserved`` once its links were set."""
    if previous.is_first_deployment:
        return []
    problems = []
    for i, port in enumerate(config.ports):
        before = previous.ports.get(port.name)
        if before is None and port.stage != "reserved" and port.import_id is None:  # adopted ports exist already
            problems.append(new_port_problem(port, stack_loc(i)))
        elif before is not None:
            problems += back_to_reserved_problem(port, stack_loc(i), before)
    return problems


def first_deployment_warnings(config: StackConfig, previous: Previous) -> list[str]:
    """On a stack's first deployment, ports created past ``reserved`` (and not adopted with
    ``importId``): Azure ignores or refuses link settings in the request that creates a
    port (fact: erport-links-after-create). ``pulumi up`` refuses them
    (``first_deployment_problems``); a preview, which cannot tell whether the stack was
    deployed before when it is offline without PREVIOUS, warns."""
    if not previous.is_first_deployment:
        return []
    return [first_deployment_warning(port) for port in config.ports
            if port.stage != "reserved" and port.import_id is None]


def first_deployment_problems(config: StackConfig, previous: Previous) -> list[str]:
    """On the first ``pulumi up`` of a stack, a port that is not adopted starts ``reserved``."""
    if not previous.is_first_deployment:
        return []
    return [first_deployment_problem(port, stack_loc(i))
            for i, port in enumerate(config.ports) if port.stage != "reserved" and port.import_id is None]


def key_vault_problems(config: StackConfig, previous: Previous) -> list[str]:
    """Vault changes Azure cannot make, against the last deployment: purge protection cannot
    be turned off once on, and the soft-delete retention is fixed when the vault is created.
    Refused here, instead of a perpetual diff or an Azure error half-way through an update."""
    before, now = previous.key_vault, key_vault_state(config)
    if not isinstance(before, Mapping) or "existingId" in before or "existingId" in now:
        return []
    problems = []
    if before.get("purgeProtection") is True and now["purgeProtection"] is False:
        problems.append(
            "keyVault.purgeProtection: was on in the last deployment and cannot be turned off (Azure: \"Enabling this "
            "functionality is irreversible\"); set it back to true")
    retention = before.get("softDeleteRetentionDays")
    if retention is not None and retention != now["softDeleteRetentionDays"]:
        problems.append(
            f"keyVault.softDeleteRetentionDays: the vault was created with {retention} days, and Azure fixes the "
            f"retention when a vault is created (\"Once set, the retention policy interval cannot be changed\"); "
            f"set it back to {retention}")
    return problems


def removal_problems(config: StackConfig, previous: Previous) -> list[str]:
    """A live port, or a circuit with peerings, that is gone from the config: deleting it
    takes down a physical port or a circuit's BGP sessions, so it needs a ``decommission``
    entry naming it."""
    allowed = {(entry.kind, entry.name) for entry in config.decommission}
    ports = {port.name for port in config.ports}
    circuits = {circuit.name for port in config.ports for circuit in port.circuits}
    problems = []
    for name in previous.ports:
        stage = previous.port(name).get("stage")
        if name not in ports and stage in LIVE_STAGES and ("port", name) not in allowed:
            problems.append(
                f"ports: port '{name}' was {stage} in the last deployment and is no longer in ports[]: this update "
                "would delete a live physical port with its keys. To remove it, list it under decommission "
                f"(- port: {name}) and run pulumi up (lift the port's protect and delete locks first); otherwise "
                "put it back in ports[]"
            )
    for name, info in previous.circuits.items():
        peerings = info.get("peerings") if isinstance(info, Mapping) else None
        if name not in circuits and peerings and ("circuit", name) not in allowed:
            problems.append(
                f"ports[].circuits: circuit '{name}' has peerings ({', '.join(sorted(peerings))}) in the last "
                "deployment and is no longer in the config: this update would delete it and drop its BGP sessions. "
                f"To remove it, list it under decommission (- circuit: {name}) and run pulumi up (lift its protect "
                "and delete locks first); otherwise put it back"
            )
    return problems


def adopted_links_problems(config: StackConfig, previous: Previous,
                           azure: Mapping[str, Mapping[str, Mapping[str, Any]]] | None) -> list[str]:
    """``adoption_link_problems`` for every port this deployment adopts, against ``azure``:
    per adopted port and link, what Azure shows of it (``link_state.azure_link_state``)."""
    if azure is None:
        return []
    adopting = adopting_ports(config, previous)
    return [problem for i, port in enumerate(config.ports) if port.name in adopting
            for problem in adoption_link_problems(port, stack_loc(i), key_source(config, port.name),
                                                  azure.get(port.name))]


def change_problems(config: StackConfig, previous: Previous, *, updating: bool,
                    azure: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None) -> list[str]:
    """Every reason to refuse this deployment against the last one, as config-error lines:
    unsafe stage and MACsec changes, removals and vault changes, adopting a port whose keys
    the stack would replace or whose links the config describes otherwise than Azure
    (``azure``: per adopted port and link, what Azure shows) and, on an update
    (``updating``), a new port created past ``reserved``. A preview cannot always know the
    history (offline without PREVIOUS): for it that last one is a warning
    (``change_warnings``)."""
    problems = (rotation_problems(config, previous) + adoption_problems(config, previous)
                + adopted_links_problems(config, previous, azure)
                + lock_problems(config, previous))
    return problems + (first_deployment_problems(config, previous) if updating else [])


def change_warnings(config: StackConfig, previous: Previous) -> list[str]:
    """What the operator should see before this deployment, though it is allowed."""
    return first_deployment_warnings(config, previous) + rotation_warnings(config, previous)


def rotation_problems(config: StackConfig, previous: Previous) -> list[str]:
    """Config-error lines for unsafe stage and MACsec changes and removals (none on a
    first deployment)."""
    if previous.is_first_deployment:
        return []
    if problems := previous_problems(previous):
        return problems
    problems = (lifecycle_problems(config, previous) + removal_problems(config, previous)
                + key_vault_problems(config, previous))
    fingerprints_now = key_fingerprints(config)
    changes = port_changes(config, previous)
    for i, port in enumerate(config.ports):
        loc, record = stack_loc(i), previous.port(port.name)
        if port.name in fingerprints_now:
            problems += unannounced_key_change_problems(port, loc, previous.links(port.name),
                                                        previous.fingerprints.get(port.name) or {},
                                                        fingerprints_now[port.name])
        problems += macsec_turned_off_problems(port, loc, changes[port.name])
        problems += both_links_problems(port, loc, record, changes[port.name])
    return problems


def rotation_warnings(config: StackConfig, previous: Previous) -> list[str]:
    """Changes that are allowed but that the operator should see before ``pulumi up``:
    named in the preview, the rotation plan and the ``pulumi up`` log."""
    if previous.is_first_deployment or previous_problems(previous):
        return []
    warnings = []
    changes = port_changes(config, previous)
    for i, port in enumerate(config.ports):
        warnings += port_warnings(port, stack_loc(i), previous.port(port.name), changes[port.name],
                                  key_source(config, port.name))
    removed = {("port", name) for name in previous.ports if name not in {p.name for p in config.ports}}
    removed |= {("circuit", name) for name in previous.circuits
                if name not in {c.name for p in config.ports for c in p.circuits}}
    for j, entry in enumerate(config.decommission):
        if (entry.kind, entry.name) not in removed:
            warnings.append(
                f"{format_loc(('decommission', j))}: {entry.kind} '{entry.name}' is not removed by this update (it "
                "is still configured, or was not in the last deployment): remove the entry, so that it cannot let a "
                "later removal through by accident"
            )
    return warnings


# --- delete locks ---------------------------------------------------------------------------
# A CanNotDelete lock blocks every delete Azure Resource Manager would carry out under it,
# this program's own included: a circuit's peerings and authorizations (children), the
# vault's diagnostic setting (an extension resource) and the role assignments at its scope
# (facts lock-cannotdelete-semantics, lock-extension-resources, lock-rbac-delete-blocked).
# Pulumi deletes at the end of an update, after the creates, and orders a delete only
# after what depends on the deleted resource; a lock and a child of the same resource do
# not depend on each other. So a delete is refused when a lock covers it in the last
# deployment (lifting it in the same update may come too late) or in this one (a new lock
# is created before the delete): the way through is to lift the lock in one deployment
# and make the change in the next. A record made before the lock record existed counts
# every vault and circuit as locked (record.recorded_vault_lock, recorded_circuit_lock).

LIFT_LOCKS = ("lift the lock first: set locks: false and run pulumi up (that removes the delete locks and changes "
              "nothing else), make this change in the next deployment, then remove locks: false")


def lock_problems(config: StackConfig, previous: Previous) -> list[str]:
    """Config-error lines for deletes a delete lock would block: removing ``monitoring``
    or the vault's role assignment, switching vaults, removing a circuit's peering or
    authorization, or a circuit with either, under a lock (none on a first deployment)."""
    if previous.is_first_deployment:
        return []
    return _vault_lock_problems(config, previous) + _circuit_lock_problems(config, previous)


def _vault_lock_problems(config: StackConfig, previous: Previous) -> list[str]:
    before = recorded_vault_lock(previous)
    vault = config.key_vault
    under = [what for what, present in (("the port identity's role assignment", before["roleAssignment"]),
                                        ("the audit log's diagnostic setting", before["auditLog"])) if present]
    now, then = vault.existing_id or vault.name, before["vault"]
    if isinstance(then, str) and then.lower() != now.lower():
        if not (before["locked"] and under):
            return []
        where = "keyVault.existingId" if vault.existing_id else "keyVault.name"
        return [f"{where}: the last deployment's vault {then} was locked, and moving to {now} deletes "
                f"{' and '.join(under)} on it under that lock, which Azure refuses; {LIFT_LOCKS}"]
    if not (before["locked"] or config.vault_locked):
        return []
    problems = []
    if before["auditLog"] and config.monitoring is None:
        problems.append(
            "monitoring: removing it deletes the vault's audit-log diagnostic setting, an extension resource that "
            f"inherits the vault's delete lock, so Azure refuses the delete; {LIFT_LOCKS}")
    if before["roleAssignment"] and vault.authorization != "rbac":
        problems.append(
            "keyVault.authorization: switching from rbac deletes the port identity's role assignment (Key Vault "
            f"Secrets User) on the vault, and a delete lock on the vault blocks deleting role assignments at its "
            f"scope; {LIFT_LOCKS}")
    return problems


def _circuit_lock_problems(config: StackConfig, previous: Previous) -> list[str]:
    configured = {circuit.name: ((i, "circuits", j), circuit)
                  for i, port in enumerate(config.ports) for j, circuit in enumerate(port.circuits)}
    problems = []
    for name, info in previous.circuits.items():
        before = recorded_circuit_lock(previous, name)
        recorded = info.get("peerings") if isinstance(info, Mapping) else None
        recorded = list(recorded) if isinstance(recorded, Mapping) else []
        if not (before["locked"] or (name in configured and config.locks_enabled)):
            continue
        if name not in configured:
            children = (before["peerings"] if before["peerings"] is not None else recorded) + before["authorizations"]
            if children:
                problems.append(
                    f"ports[].circuits: removing circuit '{name}' deletes its peerings and authorizations "
                    f"({', '.join(children)}), which inherit the circuit's delete lock, and Pulumi may delete them "
                    f"before the lock; {LIFT_LOCKS}")
            continue
        loc, circuit = configured[name]
        peerings = [key for key, _ in circuit.peerings()]
        if before["peerings"] is None:  # an older record: only the number of peerings is known
            gone = [f"{len(recorded) - len(peerings)} of {', '.join(recorded)}"] if len(recorded) > len(peerings) else []
        else:
            gone = [key for key in before["peerings"] if key not in peerings]
        gone += [f"authorization {auth}" for auth in before["authorizations"] if auth not in circuit.authorizations]
        if gone:
            problems.append(
                f"{format_loc(('ports', *loc))}: removing {', '.join(gone)} from circuit '{name}' deletes it under "
                f"the circuit's delete lock (peerings and authorizations inherit it), which Azure refuses; {LIFT_LOCKS}")
    return problems
