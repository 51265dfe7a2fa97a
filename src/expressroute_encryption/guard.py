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
  port back to ``reserved``), adopting a port whose keys it would replace, removing a
  live port or a circuit with peerings without a ``decommission`` entry, and vault
  settings Azure cannot change back;
- fails closed: a record it cannot compare with is refused (``record.previous_problems``).

What a link's state is, and how an older record compares, is ``link_state.py``; the
runbook for an allowed change is ``runbook.py``. Pure functions over the config and the
record: no Pulumi or Azure SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .adoption import adoption_problems
from .config.errors import format_loc
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
)
from .record import (
    Previous,
    key_fingerprints,
    key_vault_state,
    previous_problems,
    recorded_circuit_lock,
    recorded_vault_lock,
)

OTHER_LINK = dict(zip(LINKS, reversed(LINKS)))
# Stages in which a port exists in Azure with MACsec on its links (a reserved port has no
# link settings yet, and carries nothing).
LIVE_STAGES = ("encrypted", "active")


def key_source(config: StackConfig, port: str) -> str:
    """Where the port's keys come from: ``macsecKeys`` (bring-your-own) or generated."""
    return BRING_YOUR_OWN if port in config.macsec_keys else GENERATED


def planned_links(config: StackConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """Per port and link, what this deployment will apply (the ``ports[].links`` shape,
    without the secret names and URLs)."""
    return {
        port.name: {link: link_state(port, link, key_source(config, port.name)) for link in LINKS}
        for port in config.ports
    }


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


def port_changes(config: StackConfig, previous: Previous) -> dict[str, list[LinkChange]]:
    """Per port, the change of each link against the last deployment."""
    planned = planned_links(config)
    result = {}
    for port in config.ports:
        before = previous.links(port.name)
        result[port.name] = [link_change(link, before.get(link), planned[port.name][link]) for link in LINKS]
    return result


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
        where = format_loc(("ports", i, "stage"))
        if before is None and port.stage != "reserved" and port.import_id is None:  # adopted ports exist already
            problems.append(
                f"{where}: port '{port.name}' is new: create it with stage: reserved first (Azure ignores link "
                "settings in the request that creates a port, so MACsec would never be applied), then move "
                "it to encrypted in the next deployment"
            )
        elif before is not None and before.get("stage") != "reserved" and port.stage == "reserved":
            problems.append(
                f"{where}: port '{port.name}' cannot go back to reserved: Azure keeps the link settings a "
                "request leaves out, so MACsec and the links would stay as they are while the stack recorded "
                "them as off; keep it encrypted (links admin-disabled) or active"
            )
    return problems


def first_deployment_warnings(config: StackConfig, previous: Previous) -> list[str]:
    """On a stack's first deployment, ports created past ``reserved`` (and not adopted with
    ``importId``): Azure ignores or refuses link settings in the request that creates a
    port (fact: erport-links-after-create). ``pulumi up`` refuses them
    (``first_deployment_problems``); a preview, which cannot tell whether the stack was
    deployed before when it is offline without PREVIOUS, warns."""
    if not previous.is_first_deployment:
        return []
    return [
        f"port '{port.name}' is deployed for the first time at stage {port.stage}: if the port does not exist "
        "in Azure yet, deploy it as reserved first; Azure ignores link settings when it creates a port"
        for port in config.ports if port.stage != "reserved" and port.import_id is None
    ]


def first_deployment_problems(config: StackConfig, previous: Previous) -> list[str]:
    """On the first ``pulumi up`` of a stack, a port that is not adopted starts ``reserved``."""
    if not previous.is_first_deployment:
        return []
    return [
        f"{format_loc(('ports', i, 'stage'))}: port '{port.name}' is new and would be created at stage {port.stage}, "
        "but Azure ignores or refuses link settings in the request that creates a port: deploy it with stage: "
        "reserved first, then move it to encrypted and active in later deployments (to adopt a port that already "
        "exists in Azure, give its importId instead)"
        for i, port in enumerate(config.ports) if port.stage != "reserved" and port.import_id is None
    ]


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


def change_problems(config: StackConfig, previous: Previous, *, updating: bool) -> list[str]:
    """Every reason to refuse this deployment against the last one, as config-error lines:
    unsafe stage and MACsec changes, removals and vault changes, adopting a port whose keys
    the stack would replace and, on an update (``updating``), a new port created past
    ``reserved``. A preview cannot always know the history (offline without PREVIOUS): for
    it that last one is a warning (``change_warnings``)."""
    problems = rotation_problems(config, previous) + adoption_problems(config, previous) + lock_problems(config, previous)
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
        problems += _unannounced_key_changes(i, port.name, config, previous, fingerprints_now)
        problems += _macsec_turned_off(i, port, changes[port.name])
        if previous.port(port.name).get("stage") != "active" or port.macsec.allow_both_links:
            continue
        if all(change.disruptive for change in changes[port.name]):
            problems.append(_both_links_problem(i, port.name, changes[port.name], port.stage))
    return problems


def _macsec_turned_off(i: int, port, changes: list[LinkChange]) -> list[str]:
    """A link that had MACsec and gets ``enabled: false``: refused (fail closed).

    Microsoft turns MACsec off by clearing the link's CAK/CKN secret identifiers; this
    program sends a link with ``enabled: false`` without ``macSecConfig``, and Azure is not
    documented to clear settings a request leaves out, so the link could keep MACsec while
    the stack records it as off. fact: macsec-disable"""
    if port.stage == "reserved":  # going back to reserved is refused by lifecycle_problems
        return []
    return [
        f"{format_loc(('ports', i, 'macsec', c.link, 'enabled'))}: {c.link} of port '{port.name}' has MACsec "
        "since the last deployment and this update turns it off; this program does not turn MACsec off (Microsoft "
        "does it by clearing the CAK/CKN secret identifiers, which a link without MACsec settings is not "
        f"documented to do). Keep enabled: true; if the router's {c.link} does not come up after enabling, load "
        "the link's key on the router (see make rotation-plan) rather than turning MACsec off"
        for c in changes if c.before is not None and c.before["macsecEnabled"] and not c.after["macsecEnabled"]
    ]


def _both_links_problem(i: int, port: str, changes: list[LinkChange], stage: str) -> str:
    """Why one deployment may not change both links of a live port, and the way forward:
    one link at a time where the setting is per link, a planned outage where it is not."""
    detail = "; ".join(f"{c.link}: {', '.join(c.changes)}" for c in changes)
    allow = format_loc(("ports", i, "macsec", "allowBothLinks"))
    outage = (f"move all traffic off this port's circuits, then set {allow}: true for this one deployment and "
              "back to false afterwards")
    fields = {name for c in changes for name in c.fields}
    if "adminState" in fields:
        return (
            f"{format_loc(('ports', i, 'stage'))}: port '{port}' is active and stage {stage} admin-disables both "
            f"links at once ({detail}). The stage applies to the whole port, so this cannot be done one link at a "
            f"time: {outage}"
        )
    if all("keySource" in c.fields for c in changes):
        before, after = changes[0].before["keySource"], changes[0].after["keySource"]
        return (
            f"{format_loc(('ports', i, 'macsec'))}: port '{port}' is active and switches from {before} to {after} "
            f"keys, which gives both links new keys at once ({detail}). The key source applies to the whole port "
            f"(macsecKeys holds both links), so this cannot be done one link at a time: plan it as a full outage: "
            f"{outage}"
        )
    if all(turns_macsec_on(c.before, c.after) for c in changes):
        return (
            f"{format_loc(('ports', i, 'macsec'))}: port '{port}' is active and this update turns MACsec on for "
            f"both link1 and link2 ({detail}), which would drop both links at once. Enable one link per deployment: "
            f"keep {format_loc(('ports', i, 'macsec', 'link2', 'enabled'))}: false while link1 is enabled (move "
            "traffic to link2, load link1's keys on the router, pulumi up, check the MKA session and BGP), then "
            f"link2 the same way (make rotation-plan prints the steps); or, for a planned full outage, set {allow}: "
            "true"
        )
    return (
        f"{format_loc(('ports', i, 'macsec'))}: port '{port}' is active and this update changes MACsec on both "
        f"link1 and link2 ({detail}), which would drop both links at once. Change one link per deployment: first "
        "only link1 (move traffic to link2, update the router's link1, pulumi up, check the MACsec session), then "
        f"link2 the same way; or, for a planned full outage, set {allow}: true"
    )


def rotation_warnings(config: StackConfig, previous: Previous) -> list[str]:
    """Changes that are allowed but that the operator should see before ``pulumi up``:
    named in the preview, the rotation plan and the ``pulumi up`` log."""
    if previous.is_first_deployment or previous_problems(previous):
        return []
    warnings = []
    changes = port_changes(config, previous)
    for i, port in enumerate(config.ports):
        before = previous.port(port.name)
        for change in changes[port.name]:
            if change.before is None:
                continue
            old, new = change.before["keyGeneration"], change.after["keyGeneration"]
            if isinstance(old, int) and abs(new - old) > 1:
                warnings.append(f"{format_loc(('ports', i, 'macsec', 'keyGeneration', change.link))}: "
                                + _generation_jump(old, new, key_source(config, port.name)))
        sources = {c.before["keySource"] for c in changes[port.name] if c.before is not None}
        now = key_source(config, port.name)
        if before.get("stage") in LIVE_STAGES and sources and sources != {now}:
            warnings.append(
                f"{format_loc(('ports', i, 'macsec'))}: port '{port.name}' switches from {', '.join(sorted(sources))} "
                f"to {now} keys while {before.get('stage')}: both links get new keys in this deployment, and each "
                "link drops until its router has the new key"
            )
        if port.macsec.allow_both_links:
            allow = format_loc(("ports", i, "macsec", "allowBothLinks"))
            if before.get("allowBothLinks"):
                warnings.append(
                    f"{allow}: still true from the last deployment, so the one-link-at-a-time guard stays off for "
                    f"port '{port.name}': set it back to false once the planned outage is over"
                )
            elif not all(change.disruptive for change in changes[port.name]):
                warnings.append(
                    f"{allow}: true, but this update does not change both links of port '{port.name}': set it back "
                    "to false, so the guard protects the next change"
                )
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


def _unannounced_key_changes(i: int, port: str, config: StackConfig, previous: Previous,
                             now: dict[str, dict[str, str]]) -> list[str]:
    """A bring-your-own key may only change together with its link's keyGeneration."""
    if port not in now:
        return []
    before_prints = previous.fingerprints.get(port) or {}
    before_links = previous.links(port)
    problems = []
    for link in LINKS:
        generation = getattr(config.ports[i].macsec.key_generation, link)
        recorded = recorded_link_state(before_links.get(link) or {})
        if (link in before_prints and before_prints[link] != now[port][link]
                and recorded["keyGeneration"] == generation):
            problems.append(
                f"{format_loc(('ports', i, 'macsec', 'keyGeneration', link))}: the bring-your-own key of "
                f"{link} changed but its keyGeneration is still {generation}; raise it to {generation + 1} "
                "to confirm this link's rotation (key values are never shown)"
            )
    return problems


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
