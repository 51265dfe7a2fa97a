"""Safe MACsec changes: compare each link with the last deployment, guard live ports,
and write the runbook.

Changing a link's key, cipher or SCI state, or turning MACsec or the link itself on or
off, drops that link until the customer's router matches: there is no fallback.
Microsoft's advice is one link at a time, after moving traffic to the other link. So:

- every deployment exports, per port and link, what it applied (``ports`` output) and,
  for bring-your-own keys, a secret fingerprint of the key (``macsecKeyFingerprints``);
- the next deployment reads them back (a stack reference to its own stack) before it
  registers anything, and refuses to change both links of a port that was ``active``
  unless ``macsec.allowBothLinks`` says this is a planned full outage;
- a bring-your-own key that changed while its ``keyGeneration`` did not is refused, so
  every key change is visible as a generation change without exporting the key;
- removing a live port, or a circuit with peerings, needs a ``decommission`` entry;
- it fails closed: a last deployment it cannot read or compare stops the update with
  the fix, and only a stack with no outputs at all is a first deployment.

What a link's state is, and how an older record compares, is ``link_state.py``.
Pure functions over plain data (plus the reader of the stack reference): no Azure SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .alerts import LINK_DOWN_ALERT, alert_name
from .config.errors import format_loc
from .config.stack import StackConfig
from .facts import LINKS
from .link_state import (
    BRING_YOUR_OWN,
    GENERATED,
    LINK_STATE_VERSION,
    changes_key,
    differences,
    link_state,
    new_key_material,
    recorded_link_state,
    recorded_version,
    turns_macsec_on,
)

OTHER_LINK = {"link1": "link2", "link2": "link1"}
# Stages in which a port exists in Azure with MACsec on its links (a reserved port has no
# link settings yet, and carries nothing).
LIVE_STAGES = ("encrypted", "active")


# The stack outputs the guard reads back from the last deployment, and the field of
# ``Previous`` each fills: the real path (``read_last_deployment``) and the offline plan
# read the same list.
GUARD_OUTPUTS = {"ports": "ports", "macsecKeyFingerprints": "fingerprints", "circuits": "circuits",
                 "keyVault": "key_vault"}


@dataclass
class Previous:
    """What the last deployment applied: the ``ports`` stack output, the bring-your-own
    key fingerprints (empty where there are none, or they could not be read offline), and
    the ``circuits`` output (to notice a circuit with peerings that is removed)."""

    ports: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, Any] = field(default_factory=dict)
    circuits: dict[str, Any] = field(default_factory=dict)
    # The vault settings Azure fixes once set (the ``keyVault`` output); empty before it existed.
    key_vault: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> "Previous":
        """The last deployment from its stack outputs (plain values). An output it lacks is
        empty; a ``ports`` output of another shape is kept, for ``previous_problems`` to refuse."""
        return cls(ports=outputs.get("ports", {}),
                   **{field: outputs.get(key) or {} for key, field in GUARD_OUTPUTS.items() if key != "ports"})

    @property
    def is_first_deployment(self) -> bool:
        """No ports recorded at all (a ``ports`` output of another shape is not "none")."""
        return isinstance(self.ports, Mapping) and not self.ports

    def port(self, name: str) -> Mapping[str, Any]:
        """One port of the last deployment ({} when it had none of that name)."""
        info = self.ports.get(name) if isinstance(self.ports, Mapping) else None
        return info if isinstance(info, Mapping) else {}


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


def key_fingerprints(config: StackConfig) -> dict[str, dict[str, str]]:
    """Secret output: per port with bring-your-own keys, a fingerprint per link."""
    return {
        port: {link: keys.fingerprint(link) for link in LINKS}
        for port, keys in config.macsec_keys.items()
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
        before = previous.port(port.name).get("links") or {}
        result[port.name] = [link_change(link, before.get(link), planned[port.name][link]) for link in LINKS]
    return result


def previous_problems(previous: Previous) -> list[str]:
    """An earlier ``ports`` output the guard cannot compare with: refused, not skipped,
    because skipping would let a change through unguarded (fail closed)."""
    if not isinstance(previous.ports, Mapping):
        return ["ports: the last deployment's `ports` output is not a map of ports: the MACsec change guard "
                "cannot compare with it; check the stack's outputs with `pulumi stack output ports --json`"]
    problems = []
    for name, info in previous.ports.items():
        version = recorded_version(info) if isinstance(info, Mapping) else None
        links = info.get("links") if isinstance(info, Mapping) else None
        if version is None or not isinstance(links, Mapping) or not all(
                isinstance(links.get(link), Mapping) for link in LINKS):
            problems.append(
                f"ports: the last deployment's `ports` output for port '{name}' is not in the shape this program "
                "writes (links link1 and link2, a whole linkStateVersion): the MACsec change guard cannot compare "
                "with it; check `pulumi stack output ports --json`"
            )
        elif version > LINK_STATE_VERSION:
            problems.append(
                f"ports: port '{name}' was last deployed by a newer version of this program (link state version "
                f"{version}; this one knows up to {LINK_STATE_VERSION}), whose link settings this version cannot "
                "compare: deploy with that version or a later one"
            )
    return problems


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


def key_vault_state(config: StackConfig) -> dict[str, Any]:
    """The ``keyVault`` stack output: the vault settings Azure does not let a deployment
    change back (fact: kv-purge-protection-irreversible, kv-retention-7-90-immutable)."""
    vault = config.key_vault
    if vault.existing_id is not None:
        return {"existingId": vault.existing_id}
    return {"purgeProtection": vault.purge_protection, "softDeleteRetentionDays": vault.soft_delete_retention_days}


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
    before_links = previous.port(port).get("links") or {}
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


def rotation_plan(config: StackConfig, previous: Previous, stack: str) -> str:
    """The runbook for the next ``pulumi up``: what changes on each link, whether it
    drops the link, and the steps in order. Never contains key material."""
    lines = [f"MACsec rotation plan for stack '{stack}'"]
    if previous.is_first_deployment:
        lines.append("No previous deployment: this is a first deployment; nothing to rotate.")
    blocked = rotation_problems(config, previous)
    if previous_problems(previous):
        lines.append("\nThe next `pulumi up` will be refused:")
        return "\n".join(lines + [f"  {problem}" for problem in blocked])
    changes = port_changes(config, previous)
    for port in config.ports:
        lines.append(f"\nport {port.name} (stage {port.stage}):")
        for change in changes[port.name]:
            what = ", ".join(change.changes) if change.changes else "no change"
            flag = "DISRUPTIVE: the link drops until your router matches" if change.disruptive else "not disruptive"
            lines.append(f"  {change.link}: {what} ({flag})")
        pending = [c for c in changes[port.name] if c.disruptive]
        live = previous.port(port.name).get("stage") == "active"
        byo = port.name in config.macsec_keys
        if len(pending) == 1:
            lines += _runbook(stack, port.name, pending[0], live, byo)
        elif pending and live and not port.macsec.allow_both_links:
            lines.append("  no runbook: this change is refused (see below)")
        elif pending:
            lines += _runbook_both_links(stack, port.name, pending, live, byo)
    if warnings := rotation_warnings(config, previous):
        lines.append("\nWarnings:")
        lines += [f"  {warning}" for warning in warnings]
    if blocked:
        lines.append("\nThe next `pulumi up` will be refused:")
        lines += [f"  {problem}" for problem in blocked]
    return "\n".join(lines)


def _router_step(stack: str, port: str, change: LinkChange, byo: bool) -> str:
    """What to set on the router's side of one link: new keys only when the key changes."""
    link = change.link
    if change.new_key:
        read_keys = (
            "take the new CAK/CKN from your key store (bring-your-own keys are not exported)"
            if byo else
            f"read the new CAK/CKN after `pulumi up` has generated them with: "
            f"pulumi stack output macsecKeys --show-secrets --json --stack {stack}  (field \"{port}\".{link})"
        )
        return f"load the new MACsec settings on your router's {link}: {read_keys}"
    settings = [f"{name} {change.after[name]}" for name in change.fields if name in ("cipher", "sciState")]
    if settings:
        return f"set {', '.join(settings)} on your router's {link} MACsec (the CAK/CKN stay the same)"
    return (f"leave your router's {link} MACsec as it is (no new keys): Azure sets the link's admin state to "
            f"{change.after['adminState']}")


def _runbook(stack: str, port: str, change: LinkChange, live: bool, byo: bool) -> list[str]:
    if change.enables_with_existing_keys:
        return _runbook_enable(stack, port, change, live, byo)
    other = OTHER_LINK[change.link]
    link = change.link
    carries_traffic_after = change.after["adminState"] == "Enabled"
    steps = [
        f"move traffic off {link} of {port} onto {other} (drain BGP on the {link} sessions); "
        f"check {other} carries it" if live else f"{link} carries no production traffic yet (port was not active)",
        f"run `pulumi up` for stack {stack}; only {link} of {port} changes",
        _router_step(stack, port, change, byo),
        f"check the MACsec session on {link} is up (MKA secured, no CKN/cipher mismatch) and BGP is established"
        if carries_traffic_after else f"check {other} carries the traffic and {link} is admin-disabled",
        f"move traffic back onto {link}" if carries_traffic_after else f"leave {link} without traffic",
        f"repeat for {other} in a separate deployment",
    ]
    if byo and change.new_key:
        steps[1], steps[2] = (
            f"load the new key on your router's {link} (bring-your-own: you hold it)",
            f"run `pulumi up` for stack {stack}; only {link} of {port} changes",
        )
    lines = [f"  runbook for {link}:"] + [f"    {n}. {step}" for n, step in enumerate(steps, start=1)]
    # The baseline alert that shows the changed link down, and how long it must stay quiet
    # (one evaluation window) before the link counts as stable: after step 4 and step 6.
    alert, window = alert_name(port, LINK_DOWN_ALERT), LINK_DOWN_ALERT.window
    lines.insert(5, (
        f"       watch alert {alert} (LineProtocol, dimension Link: {link}); it fires while {link} is down "
        f"and resolves by itself once the line protocol is up" + ("" if live else
        " (its alerts stay disabled until the port is active: watch the LineProtocol metric in Azure Monitor)")))
    lines.append(
        f"       wait until {alert} has stayed resolved for {link} for at least {window} (one alert window; "
        f"longer if you set monitoring.alerts.lineProtocol.windowSize) before touching {other}")
    return lines


def _runbook_enable(stack: str, port: str, change: LinkChange, live: bool, byo: bool) -> list[str]:
    """Turning MACsec on for a link that had ``enabled: false`` and keeps its keys: the router
    gets the key first, then Azure (the link is down in between, so it carries no traffic)."""
    link, other = change.link, OTHER_LINK[change.link]
    enabled = f"macsec.{link}.enabled: true"
    steps = [
        f"move traffic off {link} of {port} onto {other} (drain BGP on the {link} sessions); check {other} carries it"
        if live else f"{link} carries no production traffic yet (port was not active)",
    ]
    if byo:
        steps += [
            f"load the key on your router's {link}: the one in macsecKeys.{port}.{link} of the stack config "
            "(bring-your-own: you hold it; set it with pulumi config set --secret --path if it is not there yet)",
        ]
    else:
        steps += [
            f"read {link}'s keys: pulumi stack output macsecKeys --show-secrets --json --stack {stack}  "
            f"(field \"{port}\".{link}); they exist already: keys are made for every link, MACsec on or not, "
            "since the deployment that adopted (or created) the port",
            f"load them on your router's {link} (cipher {change.after['cipher']}, SCI {change.after['sciState']})",
        ]
    steps += [
        f"with {enabled} in the stack config, run `pulumi up` for stack {stack}; only {link} of {port} changes",
    ]
    if change.after["adminState"] == "Enabled":
        steps += [f"check the MACsec session on {link} is up (MKA secured, no CKN/cipher mismatch) and BGP is "
                  "established", f"move traffic back onto {link}"]
    else:
        steps += [f"the port is not active: {link} stays admin-disabled; the MACsec session comes up with the "
                  "stage active"]
    steps.append(f"repeat for {other} in a separate deployment (set macsec.{other}.enabled: true then)")
    return [f"  runbook for {link} (turning MACsec on):"] + [f"    {n}. {step}" for n, step in enumerate(steps, start=1)]


def _runbook_both_links(stack: str, port: str, changes: list[LinkChange], live: bool, byo: bool) -> list[str]:
    """Both links change in one deployment: a port without traffic yet, or a planned outage."""
    steps = [
        f"move all traffic off port {port} (both links drop: a planned outage)" if live
        else f"port {port} carries no production traffic yet (it was not active)",
    ]
    if byo and any(c.new_key for c in changes):
        steps.append("load the new keys on your router's link1 and link2 (bring-your-own: you hold them)")
    steps.append(f"run `pulumi up` for stack {stack}; link1 and link2 of {port} change together")
    steps += [_router_step(stack, port, c, byo) for c in changes if not (byo and c.new_key)]
    if all(c.after["adminState"] == "Enabled" for c in changes):
        steps.append("check the MACsec sessions on link1 and link2 are up (MKA secured) and BGP is established")
        if live:
            steps.append(f"move traffic back onto port {port}")
    else:
        steps.append(f"check the links of port {port} are admin-disabled and the traffic runs elsewhere")
    if live:
        steps.append("set allowBothLinks back to false")
    return ["  runbook for link1 and link2 (one deployment):"] + [
        f"    {n}. {step}" for n, step in enumerate(steps, start=1)]


def whole_numbers(value: Any) -> Any:
    """Outputs travel as protobuf doubles: give whole numbers back their int type."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


# The guard reads its memory from the stack's own outputs. Pulumi CLIs before the fix
# of pulumi/pulumi#15754 (merged 2024-03-25, released in 3.112.0 as far as we could tell:
# the exact release is unverified) deleted every stack output when an update failed,
# so the next deployment looked like a first one and was not guarded.
# fact: pulumi-failed-update-outputs
MIN_PULUMI_CLI = "3.112.0"

# The fix for every way the self-reference can fail to resolve. fact: pulumi-diy-legacy-before-3.61
REFERENCE_FIX = (
    "check `pulumi stack ls` lists the stack as {name}; a self-managed (DIY) backend created by a Pulumi CLI "
    "before 3.61.0 keeps the legacy layout, which cannot resolve organization/<project>/<stack>: upgrade it with "
    "`pulumi state upgrade`"
)


def require_cli() -> None:
    """Refuse to run under a Pulumi CLI that may have dropped the outputs the guard reads.

    The check is the engine's own version check; a CLI too old to answer it is refused
    too (fail closed), with the same fix."""
    import pulumi

    try:
        pulumi.require_pulumi_version(f">={MIN_PULUMI_CLI}")
    except Exception as exc:  # the SDK raises plain Exceptions for both cases
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise pulumi.RunError(
            f"MACsec change guard: {reason}. The guard needs Pulumi CLI {MIN_PULUMI_CLI} or later, and one that "
            "can confirm its version (older CLIs deleted the stack outputs of a failed update, which are the "
            "guard's record of the links): install the Pulumi CLI version pinned as `pulumi` in requirements.txt"
        ) from None


async def read_last_deployment() -> Previous:
    """The stack's own last outputs, through a stack reference to itself.

    Fails closed: a stack with no outputs at all was never deployed (a first deployment);
    a reference that cannot be read, outputs without ``ports``, or a ``ports`` output that
    cannot be read stop the update with the fix, instead of passing it unguarded."""
    import pulumi

    require_cli()
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        ref = pulumi.StackReference(name)
        outputs = await ref.outputs.future()
        details = {key: await ref.get_output_details(key) for key in GUARD_OUTPUTS}
    except Exception as exc:  # any failure to read is a refusal, never a first deployment
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = (f"MACsec change guard: cannot read the last deployment through the stack reference {name} "
                   f"({reason}); nothing was deployed. {REFERENCE_FIX.format(name=name)}")
        # The engine may report its own failed read first and end the update: log the fix too.
        pulumi.log.error(message)
        raise pulumi.RunError(message) from None
    if not outputs:
        return Previous()

    read = {}
    for key, found in details.items():
        read[key] = whole_numbers(found.value if found.value is not None else found.secret_value)
        if key in outputs and not isinstance(read[key], Mapping):
            raise pulumi.RunError(
                f"MACsec change guard: the last deployment of {name} has a `{key}` output that cannot be read, so "
                "the guard cannot tell what the links have; nothing was deployed. Check `pulumi stack output "
                f"{key} --json --show-secrets` works with this stack's secrets provider"
            )
    if "ports" not in outputs:
        raise pulumi.RunError(
            f"MACsec change guard: the last deployment of {name} has outputs but no `ports` output, so the guard "
            "cannot tell what the links have; nothing was deployed. Check `pulumi stack output --json`; if the "
            "outputs were lost (a failed update on an older Pulumi CLI), restore the last good state from the "
            "stack's update history with `pulumi stack import`"
        )
    return Previous.from_outputs(read)
