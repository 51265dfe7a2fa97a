"""The offline what-if: what the next deployment does to each resource and each link,
against the last deployment (a ``pulumi stack export``, ``--previous``).

Resources are matched by URN, as the engine matches them:

- ``create``: in this run, not in the export (an adopted resource is created in the stack
  by importing it: its entry says from which id);
- ``delete``: in the export, not in this run;
- ``update``: a changed input, named by its path (``links[0].macSecConfig.cipher``), never
  by its value; a secret input is named and marked ``(secret)``;
- ``replace``: a changed input that gives the resource another identity in Azure: one
  that is part of its ARM id (its name, its resource group, a scope; found by looking
  for the old value among the segments of the old id), its ``location``, the inputs the
  azure-native provider itself replaces on (a role assignment's principal and scope, a
  public IP's version, prefix and SKU) and any input of a ``random`` resource;
- ``same``: nothing changed.

Values that stand for other resources (ARM ids, Key Vault secret URLs) are compared by
the resource they name, not by their text: the mocks' ids are not Azure's. Such a value
changes when the resource it names is created or replaced (an id) or also updated (a
secret's versioned URL). A secret input the export keeps encrypted cannot be compared;
it counts as changed when the resources it depends on changed (a new key generation is
a new random resource), else as unchanged, and a note says how many were not compared.
This is this tool's reading: the real diff is the Pulumi CLI's (``pulumi preview``),
which the pipelines post next to it.

Every link of every port is one ``LinkLine`` (``port/link: before -> after``), from the
record the run exports and the export's, through the guard's own comparison
(``guard.link_changes``): ``DISRUPTIVE`` when the link goes down, followed by what the
change gate decided about it (``live_gate.py``: allowed, would refuse, not run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from expressroute_encryption.facts import LINKS
from expressroute_encryption.offline import wire

STACK_TYPE = "pulumi:pulumi:Stack"
NOT_RESOURCES = (STACK_TYPE, "pulumi:pulumi:StackReference")
# Inputs the azure-native provider replaces on besides its path parameters and location
# (pulumi-azure-native provider/pkg/gen/replacement.go, forceNewMap), for the types used here.
PROVIDER_REPLACES = {
    "azure-native:authorization:RoleAssignment": {"principalId", "scope"},
    "azure-native:network:PublicIPAddress": {"publicIPAddressVersion", "publicIPPrefix", "sku"},
}
MAX_FIELDS = 12


@dataclass
class ResourceChange:
    """What the next deployment does to one resource."""

    urn: str
    type: str
    name: str
    op: str
    fields: list[str] = field(default_factory=list)
    import_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"urn": self.urn, "op": self.op, "fields": self.fields}
        if self.import_id:
            entry["import"] = self.import_id
        return entry

    def to_line(self) -> str:
        what = f"{self.op:<8}{self.type.rsplit(':', 1)[-1]} {self.name}"
        if self.import_id:
            what += f" (import from {self.import_id})"
        return what + (f": {', '.join(self.fields)}" if self.fields else "")


@dataclass
class LinkLine:
    """One link of one port: its state before and after the next deployment."""

    port: str
    link: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    fields: list[str]
    disruptive: bool
    gate: str | None = None  # the change gate's decision about this link (None: it did not look)

    def to_dict(self) -> dict[str, Any]:
        return {"port": self.port, "link": self.link, "before": self.before, "after": self.after,
                "disruptive": self.disruptive, "fields": self.fields, "gate": self.gate}

    def to_line(self) -> str:
        line = f"{self.port}/{self.link}: {short_state(self.before)} -> {short_state(self.after)}"
        if self.disruptive:
            changed = ", ".join(f"{name} {self.before[name]} -> {self.after[name]}" for name in self.fields)
            line += f"  DISRUPTIVE ({changed})"
        if self.gate:
            line += f"; {self.gate}"
        return line


@dataclass
class WhatIf:
    changes: list[ResourceChange] = field(default_factory=list)
    links: list[LinkLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.op] = counts.get(change.op, 0) + 1
        return counts

    def lines(self, compared: bool) -> list[str]:
        """The text section: the resources that change (all of them are created without
        an export to compare with, so only the count is shown then), then every link."""
        counts = ", ".join(f"{n} {op}" for op, n in sorted(self.counts().items())) or "nothing"
        if not compared:
            return [f"  no PREVIOUS deployment: every resource is created ({counts})"]
        lines = [f"  {counts}"]
        lines += [f"  {change.to_line()}" for change in self.changes if change.op != "same"]
        return lines


def short_state(state: Mapping[str, Any] | None) -> str:
    """A link's state in a few words (never key material)."""
    if state is None:
        return "(none)"
    if not state.get("macsecEnabled"):
        return f"MACsec off, admin {state.get('adminState')}"
    return (f"MACsec on {state.get('cipher')} SCI {state.get('sciState')}, admin {state.get('adminState')}, "
            f"key {state.get('keyGeneration')} ({state.get('keySource')})")


# --- resources -----------------------------------------------------------------------------


def _is_resource(entry: Mapping[str, Any]) -> bool:
    kind = str(entry.get("type", ""))
    return kind not in NOT_RESOURCES and not kind.startswith("pulumi:providers:") and not entry.get("external") \
        and not entry.get("delete")


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


class _References:
    """Values that name another resource or one of its computed outputs, by the resource's
    URN: ARM ids (``id``), Key Vault secret URLs (``version``: by the vault and secret names
    of a Secret resource) and other outputs the resource computed itself (``output``: a
    gateway's private address, say), so that the mocks' values and Azure's compare alike."""

    def __init__(self, resources: Iterable[tuple[str, str, Mapping[str, Any], Any]]) -> None:
        self.ids: dict[str, str] = {}
        self.secrets: dict[tuple[str, str], str] = {}
        self.computed: dict[str, str | None] = {}
        for urn, resource_id, inputs, outputs in resources:
            if resource_id:
                self.ids[resource_id.lower()] = urn
            vault, name = inputs.get("vaultName"), inputs.get("secretName")
            if isinstance(vault, str) and isinstance(name, str):
                self.secrets[(vault.lower(), name.lower())] = urn
            given = set(_strings(inputs))
            for value in _strings(outputs):
                if value not in given and _distinctive(value):
                    # A value two resources compute names neither.
                    self.computed[value] = urn if self.computed.get(value, urn) == urn else None

    def normalize(self, value: Any) -> Any:
        """``value`` with each reference replaced by ``("ref", urn, kind)``."""
        from expressroute_encryption.arm import parse_secret_url

        if wire.is_secret(value):
            if "value" in value:
                return ("secret", self.normalize(value["value"]))
            return ("secret", None)  # kept encrypted by the export
        if isinstance(value, Mapping):
            return {k: self.normalize(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.normalize(v) for v in value]
        if isinstance(value, str):
            if value.lower() in self.ids:
                return ("ref", self.ids[value.lower()], "id")
            url = parse_secret_url(value)
            if url is not None and (url.vault.lower(), url.name.lower()) in self.secrets:
                return ("ref", self.secrets[(url.vault.lower(), url.name.lower())], "version")
            if self.computed.get(value):
                return ("ref", self.computed[value], "output")
        return value


def _strings(value: Any) -> Iterable[str]:
    """The plain (not secret) strings in a value."""
    if wire.is_secret(value):
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _distinctive(value: str) -> bool:
    """A computed value that can stand for its resource: long, with digits or separators
    (not a state word such as Succeeded)."""
    return len(value) >= 7 and any(not c.isalpha() for c in value)


def _diff(before: Any, after: Any, path: str, ops: Mapping[str, str], deps_changed: bool,
          found: list[tuple[str, bool]], unknown: list[str]) -> None:
    """Append (path, secret) for every leaf that differs."""
    if isinstance(before, tuple) and before[:1] == ("secret",) or isinstance(after, tuple) and after[:1] == ("secret",):
        inner_before = before[1] if isinstance(before, tuple) and before[:1] == ("secret",) else before
        inner_after = after[1] if isinstance(after, tuple) and after[:1] == ("secret",) else after
        if inner_before is None or inner_after is None:
            unknown.append(path)
            if deps_changed:
                found.append((path, True))
        elif _differs(inner_before, inner_after, ops):
            found.append((path, True))
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            _diff(before.get(key), after.get(key), f"{path}.{key}" if path else key, ops, deps_changed, found, unknown)
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after)):
            _diff(b, a, f"{path}[{i}]", ops, deps_changed, found, unknown)
        return
    if _differs(before, after, ops):
        found.append((path, False))


def _differs(before: Any, after: Any, ops: Mapping[str, str]) -> bool:
    if isinstance(before, tuple) and isinstance(after, tuple) and before[:1] == after[:1] == ("ref",):
        if before[1] != after[1]:
            return True
        op = ops.get(after[1], "same")
        return op in ("create", "replace") or (after[2] != "id" and op == "update")
    if isinstance(before, (dict, list)) or isinstance(after, (dict, list)):
        return _structure(before) != _structure(after)
    return before != after


def _structure(value: Any) -> Any:
    """A value for comparison with references reduced to the resource they name."""
    if isinstance(value, tuple) and value[:1] == ("ref",):
        return value[:2]
    if isinstance(value, dict):
        return {k: _structure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_structure(v) for v in value]
    return value


def _replaces(kind: str, key: str, old: Any, old_id: str) -> bool:
    """Whether a change of the top-level input ``key`` replaces the resource (see the
    module docstring)."""
    if kind.startswith("random:") or key == "location" or key in PROVIDER_REPLACES.get(kind, ()):
        return True
    if not isinstance(old, str) or not old or not old_id:
        return False
    segments = [s.lower() for s in old_id.split("/") if s]
    value = [s.lower() for s in old.split("/") if s]
    return any(segments[i:i + len(value)] == value for i in range(len(segments) - len(value) + 1))


def resource_changes(run, previous: list[Mapping[str, Any]] | None) -> tuple[list[ResourceChange], list[str]]:
    """Every resource of ``run`` (and of the export that is gone) with what the next
    deployment does to it, in URN order; and the notes. Without ``previous`` every
    resource is ``create``."""
    current = [reg for reg in run.resources if _is_resource({"type": reg.type})]
    if previous is None:
        return [ResourceChange(reg.urn, reg.type, reg.name, "create", import_id=reg.import_id)
                for reg in sorted(current, key=lambda r: r.urn)], []
    before = {entry["urn"]: entry for entry in previous if isinstance(entry, Mapping) and "urn" in entry
              and _is_resource(entry)}
    now_refs = _References((reg.urn, reg.id, wire.unwrap(reg.inputs), reg.outputs) for reg in current)
    old_refs = _References((urn, str(entry.get("id") or ""), wire.unwrap(entry.get("inputs") or {}),
                            entry.get("outputs") or {}) for urn, entry in before.items())
    ops: dict[str, str] = {reg.urn: "same" for reg in current}
    results: dict[str, ResourceChange] = {}
    unknown_total: dict[str, list[str]] = {}
    # References make one resource's op depend on another's: settle them (an op only ever
    # moves from same to update or replace, so this ends).
    for _ in range(len(current) + 1):
        moved = False
        for reg in current:
            change = _change(reg, before.get(reg.urn), now_refs, old_refs, ops, unknown_total)
            if change.op != ops[reg.urn]:
                ops[reg.urn], moved = change.op, True
            results[reg.urn] = change
        if not moved:
            break
    for urn, entry in before.items():
        if urn not in results:
            results[urn] = ResourceChange(urn, str(entry.get("type")), _name(urn), "delete")
    notes = []
    if unknown_total:
        notes.append(f"{sum(len(v) for v in unknown_total.values())} secret input(s) of {len(unknown_total)} "
                     "resource(s) are encrypted in PREVIOUS and were not compared offline (export with "
                     "--show-secrets, or use a passphrase stack, to compare them); pulumi preview compares them")
    return [results[urn] for urn in sorted(results)], notes


def _change(reg, entry: Mapping[str, Any] | None, now_refs: _References, old_refs: _References,
            ops: Mapping[str, str], unknown_total: dict[str, list[str]]) -> ResourceChange:
    if entry is None:
        return ResourceChange(reg.urn, reg.type, reg.name, "create", import_id=reg.import_id)
    if not reg.custom:
        return ResourceChange(reg.urn, reg.type, reg.name, "same")
    old_inputs = dict(entry.get("inputs") or {})
    new_inputs = dict(reg.inputs)
    for key in reg.ignore_changes:
        old_inputs.pop(key, None)
        new_inputs.pop(key, None)
    deps_changed = set(entry.get("dependencies") or []) != set(reg.dependencies)
    found: list[tuple[str, bool]] = []
    unknown: list[str] = []
    _diff(old_refs.normalize(old_inputs), now_refs.normalize(new_inputs), "", ops, deps_changed, found, unknown)
    if unknown:
        unknown_total[reg.urn] = unknown
    if not found:
        return ResourceChange(reg.urn, reg.type, reg.name, "same")
    keys = {path.split(".", 1)[0].split("[", 1)[0] for path, _ in found}
    old_id = str(entry.get("id") or "")
    op = "replace" if any(_replaces(reg.type, key, wire.unwrap(old_inputs.get(key)), old_id) for key in keys) else "update"
    fields = sorted({f"{path} (secret)" if secret else path for path, secret in found})
    if len(fields) > MAX_FIELDS:
        fields = fields[:MAX_FIELDS] + [f"... {len(fields) - MAX_FIELDS} more"]
    return ResourceChange(reg.urn, reg.type, reg.name, op, fields)


# --- links ---------------------------------------------------------------------------------


def link_lines(current_outputs: Mapping[str, Any], previous_outputs: Mapping[str, Any] | None,
               gate=None) -> list[LinkLine]:
    """Every link of every port in this run's record and the export's: before -> after,
    by the guard's comparison, with the change gate's decision about a disruptive link
    (``gate``: the program's ``live_gate.GateReport``, None when it did not run)."""
    from expressroute_encryption.guard import link_changes
    from expressroute_encryption.link_state import recorded_link_state
    from expressroute_encryption.record import Previous

    now = Previous.from_outputs(wire.unwrap(dict(current_outputs)))
    then = Previous.from_outputs(wire.unwrap(dict(previous_outputs or {})))
    if not isinstance(now.ports, Mapping) or not isinstance(then.ports, Mapping):
        return []
    lines = []
    for port in sorted(set(now.ports) | set(then.ports)):
        if port not in now.ports:
            lines += [LinkLine(port, link, recorded_link_state(state), None, [], False)
                      for link, state in sorted(then.links(port).items()) if isinstance(state, Mapping)]
            continue
        planned = {link: recorded_link_state(now.links(port).get(link) or {}) for link in LINKS}
        for change in link_changes(then.links(port), planned):
            lines.append(LinkLine(port, change.link, change.before, change.after, change.fields, change.disruptive,
                                  gate.link_decision(port, change.link) if gate and change.disruptive else None))
    return lines


def what_if(run, previous_resources: list[Mapping[str, Any]] | None,
            previous_outputs: Mapping[str, Any] | None, gate=None) -> WhatIf:
    """The what-if of ``run`` against the export's resources and outputs (None: no export),
    each disruptive link with the change gate's decision (``gate``)."""
    changes, notes = resource_changes(run, previous_resources)
    return WhatIf(changes, link_lines(run.stack_outputs, previous_outputs, gate), notes)
