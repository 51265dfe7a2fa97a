"""Offline preview: ``expressroute-encryption preview [--stack dev] [--export FILE]``.

Runs the real program for ``Pulumi.<stack>.yaml`` against the Azure mocks and prints
the resource tree and a MACsec summary per port and link. No Azure credentials, no
Pulumi CLI, no network. Key values are never printed; with ``--export`` the run is
written as a ``pulumi stack export``-shaped file with secrets as secret markers.

The registered resources then go through the project's policy pack (``policy/``),
the same policies ``pulumi preview --policy-pack policy`` runs, and the results are
printed; ``--policy-config`` takes a policy pack config file, whose port exemptions
(``exemptPorts``) are printed on every run (``exemption: ...`` lines). Without it, the
stack's own ``policy-config.<stack>.json`` is used when there is one, and a note says so;
an exemption naming a port the stack does not have is a warning (``offline/brownfield.py``,
also for ``--vault`` and the keys of an adopted port).

``--project-dir`` previews another Pulumi project the same way (e.g. the programs under
``examples/``), and ``--stack-output STACK=FILE`` answers its stack references to other
stacks from their `pulumi stack export` files. ``--live-port FILE`` answers the program's
read of a port it adopts (``az network express-route port show``; repeatable); without
it, a port of this project's stack config is answered as the config describes it, and a
note says so.

The change gate (``live_gate.py``) runs in the program as on ``pulumi preview``: a preview
reports what ``pulumi up`` would decide, it never refuses. Offline it reads the port of a
disruptive link change from ``--live-port`` and the metrics of the port and its circuits
from ``--metrics FILE`` (repeatable: ``az monitor metrics list``, or the REST body); the
"Change gate" section says what it read and decided per port, or that it was not run
(and which file it lacks), and the what-if names the decision next to each disruptive
link (JSON: ``gate``, ``links[].gate``). ``rotation-plan`` takes the same files and exits
1 when the next ``pulumi up`` would be refused.

With ``--previous``, the what-if (``offline/whatif.py``) lists what the next deployment
does to every resource (create, update, replace, delete, same) and every link of every
port (before -> after, DISRUPTIVE when it goes down); without it every resource is
created. A consumer program's ``ConfigError`` (a component's arguments) is printed as
its problem lines, exit 2, as the stack's own config errors are.

``--export FILE`` writes only a new file or an export this command wrote before (its
``writtenBy`` marker), never the stack file, the PREVIOUS file, a policy config or any
other file; it writes a temporary file next to FILE and renames it, so FILE is whole or
absent, and only when the preview ran (exit 0 or 1). When the run fails (exit 2), an
export of an earlier run at FILE is removed, so no stale file claims a success.

The text lists mandatory violations one per line, in full, and advisories one line per
policy with the Azure type and name of each resource it concerns; ``--verbose`` prints
every violation in full (its resource's URN and what to change). ``--json`` is the same
with or without it.

``--json`` prints one JSON object instead (stack, exitCode, errors, notes, resource
counts, policy results, the what-if's ``changes`` and ``links``), for a pipeline to post
on a pull request; the exit code is the
same in both modes, and JSON mode prints exactly one JSON object whatever happens. Output
never carries colour codes, and the same input gives byte-identical output (set
``SOURCE_DATE_EPOCH`` to pin the export's timestamp too).

Exit codes: 0 preview ran and no mandatory policy is violated, 1 a mandatory policy is
violated, 2 bad config, stack file or policy config (one line per problem).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.output_files import write_atomically
from expressroute_encryption.printable import one_line
from expressroute_encryption.offline.live_port import add_live_port_argument, add_metrics_argument

EXIT_OK, EXIT_VIOLATION, EXIT_INPUT = ExitCode.OK, ExitCode.REFUSED, ExitCode.BAD_INPUT

# Top-level field of every export this command writes: the one kind of existing file it
# may overwrite.
EXPORT_MARKER = "expressroute-encryption preview --export"
# Exports bigger than this are not ours (the bench's 200-port estate exports ~10 MiB).
MAX_EXPORT_BYTES = 256 * 1024 * 1024
# Resources named on a grouped advisory line; the rest are counted.
MAX_NAMES = 6


def _tree_lines(run) -> list[str]:
    by_parent: dict[str, list] = {}
    for reg in run.registrations:
        by_parent.setdefault(reg.parent, []).append(reg)
    lines = []

    def walk(parent: str, depth: int) -> None:
        for reg in sorted(by_parent.get(parent, []), key=lambda r: (r.type, r.name)):
            lines.append(f"{'  ' * depth}{reg.type}  {reg.name}" + ("  [protected]" if reg.protect else ""))
            walk(reg.urn, depth + 1)

    walk("", 0)
    return lines


def _macsec_lines(stack_outputs: dict[str, Any]) -> list[str]:
    from expressroute_encryption.link_state import describe
    from expressroute_encryption.offline.wire import unwrap
    from expressroute_encryption.record import Previous

    record = Previous.from_outputs(unwrap(stack_outputs))
    lines = []
    for port in sorted(record.ports):
        stage = record.port(port).get("stage")
        lines.append(f"port {port}: stage {stage}")
        for link, s in sorted(record.links(port).items()):
            lines.append(f"  {link}: {describe(s, stage)}")
        if stage in NEXT_STEP:
            lines.append(f"  next: {NEXT_STEP[stage]}")
    return lines


# What a port's stage leaves to do before the next deployment (the README's "A new port,
# end to end"): a first run says where it goes from here.
NEXT_STEP = {
    "reserved": "download the port's LOA (az network express-route port generate-loa), order the cross-connects, "
                "load each link's CAK/CKN on your routers (pulumi stack output macsecKeys --show-secrets --json), "
                "then set the port's stage to encrypted",
    "encrypted": "check the MACsec sessions on your routers, then set the port's stage to active; circuits may be "
                 "added now",
}


def _circuit_lines(stack_outputs: dict[str, Any]) -> list[str]:
    from expressroute_encryption.offline.wire import unwrap
    from expressroute_encryption.record import Previous

    outputs = unwrap(stack_outputs)
    record = Previous.from_outputs(outputs)
    port_names = {record.port(name).get("id"): name for name in record.ports}
    lines = []
    for name, info in sorted(record.circuits.items()):
        port = port_names.get(info.get("expressRoutePortId"), "?")
        peerings = ", ".join(
            f"{kind} VLAN {p.get('vlanId')} AS {p.get('peerAsn')}"
            for kind, p in sorted((info.get("peerings") or {}).items())
        ) or "no peerings"
        auths = ", ".join(sorted((outputs.get("authorizationKeys") or {}).get(name) or {})) or "none"
        lines.append(f"circuit {name} on port {port}: {info.get('bandwidthInGbps')} Gbps; {peerings}; authorizations: {auths}")
    return lines


def _vpn_lines(stack_outputs: dict[str, Any]) -> list[str]:
    from expressroute_encryption.offline.wire import unwrap

    vpn = unwrap(stack_outputs).get("vpn")
    if not vpn:
        return []
    return [
        f"IPsec ({vpn.get('mode')}) over the private peering of circuit {vpn.get('circuit')}: the on-premises device peers with "
        f"the VPN gateway's private address(es) {', '.join(vpn.get('vpnGatewayPrivateIps') or []) or '?'} "
        "(shared key: pulumi stack output vpnSharedKey --show-secrets)"
    ]


def _monitoring_lines(run) -> list[str]:
    """Per port (and its circuits): the alerts it has, enabled or not, and its delete lock;
    then the vault's lock and where its audit log goes. Read from the registrations, so it
    shows what the program created, not what the config asked for."""
    from expressroute_encryption.alerts import ALERT_KEYS, VAULT_AUDIT_TABLE, VAULT_LOG_DESTINATION_TYPE
    from expressroute_encryption.policy.azure import CIRCUIT, DIAGNOSTIC_SETTING, METRIC_ALERT, PORT, VAULT

    def azure_name(reg) -> str:
        return reg.outputs.get("name") or reg.name

    owners = {reg.id.lower(): reg for reg in run.resources if reg.type in (PORT, CIRCUIT, VAULT) and reg.id}
    alerts: dict[str, list[tuple[str, bool]]] = {}
    left_out: dict[str, dict[str, list[str]]] = {}
    locks: dict[str, list[str]] = {}
    audit: dict[str, list[str]] = {}
    action_groups = []
    for reg in run.resources:
        if reg.type == METRIC_ALERT:
            for scope in reg.inputs.get("scopes") or []:
                alerts.setdefault(str(scope).lower(), []).append((reg.inputs.get("ruleName", reg.name),
                                                                  reg.inputs.get("enabled") is not False))
                for criterion in (reg.inputs.get("criteria") or {}).get("allOf") or []:
                    for dimension in criterion.get("dimensions") or []:
                        if dimension.get("operator") == "Exclude":
                            left_out.setdefault(str(scope).lower(), {}).setdefault(
                                ", ".join(dimension.get("values") or []), []).append(reg.inputs.get("ruleName", reg.name))
        elif reg.type == "azure-native:authorization:ManagementLockByScope":
            locks.setdefault(str(reg.inputs.get("scope", "")).lower(), []).append(
                f"{reg.inputs.get('lockName', reg.name)} ({reg.inputs.get('level')})")
        elif reg.type == DIAGNOSTIC_SETTING:
            categories = [log.get("category") for log in reg.inputs.get("logs") or [] if log.get("enabled")]
            workspace = str(reg.inputs.get("workspaceId") or "?").rsplit("/", 1)[-1]
            table = (VAULT_AUDIT_TABLE if reg.inputs.get("logAnalyticsDestinationType") == VAULT_LOG_DESTINATION_TYPE
                     else "AzureDiagnostics")
            audit.setdefault(str(reg.inputs.get("resourceUri", "")).lower(), []).append(
                f"{', '.join(categories) or 'no logs'} -> workspace {workspace} (table {table})")
        elif reg.type == "azure-native:monitor:ActionGroup":
            receivers = len(reg.inputs.get("emailReceivers") or [])
            action_groups.append(f"alerts mail action group {azure_name(reg)} ({receivers} e-mail receiver(s))")

    def catalogue_order(alert: tuple[str, bool]) -> int:
        key = alert[0].rsplit("-", 1)[-1]
        return ALERT_KEYS.index(key) if key in ALERT_KEYS else len(ALERT_KEYS)

    def describe(owner_id: str, indent: str) -> list[str]:
        own = sorted(alerts.get(owner_id, []), key=catalogue_order)
        on = [name for name, enabled in own if enabled]
        off = [name for name, enabled in own if not enabled]
        lines = [f"{indent}lock: {', '.join(locks.get(owner_id, [])) or 'none'}"]
        if not own:
            lines.append(f"{indent}alerts: none")
        if on:
            lines.append(f"{indent}alerts enabled: {', '.join(on)}")
        if off:
            why = ("links down on purpose until the port is active" if not on
                   else "no traffic expected: no circuits yet, or both links drained")
            lines.append(f"{indent}alerts disabled ({why}): {', '.join(off)}")
        for links, names in sorted(left_out.get(owner_id, {}).items()):
            lines.append(f"{indent}drained {links}: left out of {', '.join(sorted(names, key=lambda n: catalogue_order((n, True))))}")
        return lines

    lines = []
    ports = sorted((reg for reg in owners.values() if reg.type == PORT), key=azure_name)
    for port in ports:
        lines.append(f"port {azure_name(port)}:")
        lines += describe(port.id.lower(), "  ")
        for circuit in sorted((reg for reg in owners.values() if reg.type == CIRCUIT
                               and str((reg.inputs.get("expressRoutePort") or {}).get("id", "")).lower() == port.id.lower()),
                              key=azure_name):
            lines.append(f"  circuit {azure_name(circuit)}:")
            lines += describe(circuit.id.lower(), "    ")
    for vault in sorted((reg for reg in owners.values() if reg.type == VAULT), key=azure_name):
        lines.append(f"vault {azure_name(vault)}: lock: {', '.join(locks.get(vault.id.lower(), [])) or 'none'}; "
                     f"audit log: {'; '.join(audit.get(vault.id.lower(), [])) or 'none (set monitoring)'}")
    return lines + action_groups


def _resource_names(run) -> dict[str, str]:
    """URN -> the resource's Azure type and name as a grouped advisory names it
    (``ExpressRoutePort er-direct-ams-1``); its Pulumi name while Azure's is not known."""
    from expressroute_encryption.policy.azure import azure_name

    return {reg.urn: f"{reg.type.rsplit(':', 1)[-1]} "
                     f"{azure_name(reg.type, reg.inputs) or reg.outputs.get('name') or reg.name}"
            for reg in run.resources}


def policy_resources(run) -> list[dict[str, Any]]:
    """The registrations in the stack-export shape the policy checker reads, by URN: the
    order the program's tasks happen to register in varies from run to run, and the
    violations are reported in this order."""
    return [
        {
            "urn": reg.urn, "type": reg.type, "name": reg.name, "custom": reg.custom,
            "inputs": reg.inputs, "outputs": reg.outputs, "parent": reg.parent,
            "protect": reg.protect, "dependencies": sorted(reg.dependencies),
        }
        for reg in sorted(run.resources, key=lambda reg: reg.urn)
    ]


def _stable_order(registrations: list) -> list:
    """The registrations in an order that does not depend on task scheduling, and that a
    stack export needs: every parent and dependency before the resources that name it.
    (Kahn's algorithm, taking the smallest URN whenever there is a choice.)"""
    import heapq

    by_urn = {reg.urn: reg for reg in registrations}
    waiting_on = {reg.urn: {u for u in (reg.parent, *reg.dependencies) if u in by_urn and u != reg.urn}
                  for reg in registrations}
    needed_by: dict[str, list[str]] = {}
    for urn, needs in waiting_on.items():
        for need in needs:
            needed_by.setdefault(need, []).append(urn)
    ready = [urn for urn, needs in waiting_on.items() if not needs]
    heapq.heapify(ready)
    ordered = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for other in needed_by.get(urn, []):
            waiting_on[other].discard(urn)
            if not waiting_on[other]:
                heapq.heappush(ready, other)
    # A cycle cannot come from the SDK; keep anything left in registration order all the same.
    done = {reg.urn for reg in ordered}
    return ordered + [reg for reg in registrations if reg.urn not in done]


def _sorted_keys(value: Any) -> Any:
    """Objects with their keys sorted, as Go writes a map (the SDK's order varies)."""
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def export_document(run, stack: str, project: str) -> dict[str, Any]:
    """The run as a ``pulumi stack export`` (version 3) document, secrets redacted."""
    from expressroute_encryption.offline.harness import STACK_TYPE
    from expressroute_encryption.offline.wire import redact

    resources = []
    for reg in _stable_order(run.registrations):
        entry: dict[str, Any] = {
            "urn": reg.urn,
            "custom": reg.custom,
            "type": reg.type,
        }
        if reg.custom:
            entry["id"] = reg.id
        entry["inputs"] = _sorted_keys(redact(reg.inputs))
        entry["outputs"] = _sorted_keys(redact(run.stack_outputs if reg.type == STACK_TYPE else reg.outputs))
        if reg.parent:
            entry["parent"] = reg.parent
        if reg.protect:
            entry["protect"] = True
        if reg.dependencies:
            entry["dependencies"] = sorted(reg.dependencies)
        if reg.additional_secret_outputs:
            entry["additionalSecretOutputs"] = reg.additional_secret_outputs
        resources.append(entry)
    return {
        "version": 3,
        "writtenBy": EXPORT_MARKER,
        "deployment": {
            "manifest": {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(_export_time())),
                "magic": "",
                "version": "offline-preview",
            },
            # Secrets are withheld, not encrypted: no provider could decrypt them.
            "secrets_providers": {"type": "offline-preview"},
            "resources": resources,
        },
    }


def _export_time() -> float:
    """Now, or SOURCE_DATE_EPOCH (reproducible builds) when it holds a whole number."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(epoch) if epoch.isdigit() and len(epoch) <= 12 else time.time()


class ExportError(Exception):
    """FILE of --export cannot or must not be written (message names it)."""


def _is_our_export(path: Path) -> bool:
    """Whether ``path`` is an export this command wrote: the marker, or (before it existed)
    the offline-preview manifest and secrets provider no `pulumi stack export` has."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_EXPORT_BYTES:
            return False
        document = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    if not isinstance(document, dict):
        return False
    if document.get("writtenBy") == EXPORT_MARKER:
        return True
    deployment = document.get("deployment")
    deployment = deployment if isinstance(deployment, dict) else {}
    manifest = deployment.get("manifest") if isinstance(deployment.get("manifest"), dict) else {}
    provider = deployment.get("secrets_providers") if isinstance(deployment.get("secrets_providers"), dict) else {}
    return manifest.get("version") == "offline-preview" and provider.get("type") == "offline-preview"


def _import_lines(run) -> list[str]:
    """One line per resource the deployment adopts (Pulumi's import option), and from which id."""
    return [
        f"import: {reg.type.rsplit(':', 1)[-1]} {reg.name} from {reg.import_id}"
        for reg in run.resources if reg.import_id
    ]


def _vault_properties(vault: dict[str, Any]) -> dict[str, Any]:
    """A flattened vault's properties (what the vault GET has under ``properties``)."""
    envelope = {"id", "name", "location", "type", "tags", "resourceGroup", "systemData", "etag"}
    return {k: v for k, v in vault.items() if k not in envelope}


def input_files(stack: str, project_dir: Path, policy_config: str | None, previous: str | None,
                stack_outputs: dict[str, str] | None, vault: str | None = None,
                gate_files: list[str] | None = None) -> dict[str, Path]:
    """What a preview reads, by what it is: --export never writes over any of them."""
    files = {
        "project file": project_dir / "Pulumi.yaml",
        "stack file": project_dir / f"Pulumi.{stack}.yaml",
        "program": project_dir / "__main__.py",
    }
    if previous:
        files["PREVIOUS file"] = Path(previous)
    if policy_config:
        files["policy config"] = Path(policy_config)
    if vault:
        files["vault file"] = Path(vault)
    for name, path in sorted((stack_outputs or {}).items()):
        files[f"stack output file of {name}"] = Path(path)
    for path in gate_files or []:
        files[f"--live-port/--metrics file {path}"] = Path(path)
    return files


def export_target_problem(export: str, inputs: dict[str, Path]) -> str | None:
    """Why --export FILE must not be written, or None: its folder is missing or not
    writable, it is one of the inputs, or it exists and is not an export written here."""
    target = Path(export)
    folder = target.parent
    if not export or target.name in ("", ".", ".."):
        return f"--export {export}: not a file name"
    if not folder.is_dir():
        return f"--export {export}: the folder {folder} does not exist"
    for what, path in inputs.items():
        with contextlib.suppress(OSError):
            if target.exists() and path.exists() and os.path.samefile(target, path):
                return f"--export {export}: is the {what}; refusing to overwrite it (choose another file)"
    if target.is_dir():
        return f"--export {export}: is a folder"
    if (target.exists() or target.is_symlink()) and not _is_our_export(target):
        return (f"--export {export}: exists and is not an export this command wrote; refusing to "
                "overwrite it (remove it or choose another file)")
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--export {export}: cannot write into the folder {folder} (permission denied)"
    return None


def write_export(export: str, document: dict[str, Any], inputs: dict[str, Path]) -> None:
    """Write ``document`` to FILE atomically: a temporary file in the same folder, renamed
    over FILE once complete, so FILE is never half-written; the temporary file is removed
    on any failure. Raises ExportError."""
    problem = export_target_problem(export, inputs)  # again: the folder may have changed meanwhile
    if problem:
        raise ExportError(problem)
    try:
        write_atomically(Path(export), json.dumps(document, indent=2), overwrite=True)
    except OSError as exc:
        raise ExportError(f"--export {export}: cannot write: {exc.strerror or type(exc).__name__}") from None


def remove_stale_export(export: str, inputs: dict[str, Path]) -> str | None:
    """After a failed run: remove FILE if it is an export of an earlier run (and nothing
    else), so that no pipeline posts it as this run's result; returns a note."""
    target = Path(export)
    if export_target_problem(export, inputs) is not None or not target.is_file() or target.is_symlink():
        return None
    try:
        target.unlink()
    except OSError:
        return None
    return f"--export {export}: removed the export of an earlier run: this run failed and wrote none"


@dataclass
class Report:
    """What one offline preview found: printed as text, or as JSON for a pipeline."""

    stack: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=dict)
    resources: int = 0
    resource_types: dict[str, int] = field(default_factory=dict)
    violations: list[Any] = field(default_factory=list)
    exemptions: list[str] = field(default_factory=list)  # exemption: lines of the policy config
    exit_code: int = EXIT_OK
    export: str | None = None  # the file written by --export
    changes: list[dict[str, Any]] = field(default_factory=list)  # the what-if, per resource
    links: list[dict[str, Any]] = field(default_factory=list)  # the what-if, per link of every port
    # URN -> the resource's Azure type and name (`ExpressRoutePort er-ams-1`), for grouped advisories.
    resource_names: dict[str, str] = field(default_factory=dict)
    gate: list[str] = field(default_factory=list)  # what the change gate read and decided

    def to_json(self) -> dict[str, Any]:
        mandatory = sum(v.level == "mandatory" for v in self.violations)
        return {
            "stack": self.stack,
            "exitCode": self.exit_code,
            "errors": self.errors,
            "notes": self.notes,
            "warnings": self.warnings,
            "resources": self.resources,
            "resourceTypes": dict(sorted(self.resource_types.items())),
            "export": self.export,
            "changes": self.changes,
            "links": self.links,
            "gate": self.gate,
            "policy": {
                "exemptions": self.exemptions,
                "mandatory": mandatory,
                "advisory": len(self.violations) - mandatory,
                "violations": [v.to_dict() for v in self.violations],
            },
        }

    def to_text(self, verbose: bool = False) -> tuple[str, str]:
        """(stdout, stderr). Mandatory violations come one per line, in full; advisories one
        line per policy with the resources it concerns, unless ``verbose``."""
        out = [f"note: {note}" for note in self.notes] + [f"warning: {w}" for w in self.warnings] + self.exemptions
        for title, lines in self.sections.items():
            if lines:
                out += [f"{title}:" if not out else f"\n{title}:", *lines]
        if not self.errors:
            mandatory = sum(v.level == "mandatory" for v in self.violations)
            out.append(f"\nPolicies (policy/): {mandatory} mandatory, {len(self.violations) - mandatory} advisory violation(s)")
            if verbose:
                out += [f"  {v.to_line()}" for v in self.violations]
            else:
                out += [f"  {v.to_line()}" for v in self.violations if v.level == "mandatory"]
                out += [f"  {line}" for line in self.grouped_advisories()]
        return "\n".join(out), "\n".join(self.errors)

    def grouped_advisories(self) -> list[str]:
        """One line per advisory policy: how many resources, and which (by Azure type and name),
        then where the details are."""
        by_policy: dict[str, list[str]] = {}
        for v in self.violations:
            if v.level != "mandatory":
                names = by_policy.setdefault(v.policy, [])
                name = self.resource_names.get(v.urn, v.urn.rsplit("::", 1)[-1] if v.urn else "the stack")
                if name not in names:
                    names.append(name)
        lines = []
        for policy, names in by_policy.items():
            shown = ", ".join(names[:MAX_NAMES]) + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")
            lines.append(one_line(f"advisory: {policy}: {len(names)} resource{'s' if len(names) != 1 else ''}: {shown}"))
        if lines:
            lines.append("(what to change, with each resource's URN: --verbose, or make preview VERBOSE=1)")
        return lines


def referenced_stack_outputs(stack_outputs: dict[str, str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Outputs of other stacks, for the program's stack references to them: stack name ->
    `pulumi stack export` file. Secret outputs that cannot be read offline (see
    ``offline.previous``) are answered as unknown secrets, as a preview shows values not
    known yet, and a note names them. Raises PreviousError for an unreadable file."""
    from expressroute_encryption.offline import wire
    from expressroute_encryption.offline.previous import load_previous

    answers, notes = {}, []
    for name, path in stack_outputs.items():
        from expressroute_encryption.sdk_internals import UNKNOWN  # the SDK: only with stack outputs to answer

        exported = load_previous(path)
        unreadable = [key for key in exported.secret_names if key not in exported.outputs]
        answers[name] = {**exported.outputs, **{key: wire.secret(UNKNOWN) for key in unreadable}}
        if unreadable:
            notes.append(
                f"{path}: secret outputs of {name} ({', '.join(sorted(unreadable))}) cannot be read offline "
                "(the stack does not use the passphrase provider, or PULUMI_CONFIG_PASSPHRASE is not set): "
                "the program sees them as unknown secrets"
            )
    return answers, notes


@contextlib.contextmanager
def _program_warnings():
    """Collect what the program logs with pulumi.log.warn (the CLI would show it)."""
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collected.append(record.getMessage())

    logger = logging.getLogger("offline-preview")
    handler = Collect(level=logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield collected
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def run_preview(stack: str, project_dir: Path, export: str | None = None, policy_config: str | None = None,
                previous: str | None = None, stack_outputs: dict[str, str] | None = None,
                vault: str | None = None, live_ports: list[str] | None = None,
                metrics: list[str] | None = None) -> Report:
    """Preview ``stack`` offline: config, program (against ``previous``, a stack export
    of the last deployment, or as a new stack; and ``stack_outputs``, stack name -> export
    file, for stack references to other stacks; ``vault``, the JSON of ``az keyvault show``
    for the existing vault of ``keyVault.existingId``), policies, export. Never raises: anything
    unexpected is an error line (exit 2) naming only the exception's type, since its
    message may carry a value from the config. Without ``policy_config``, the stack's own
    ``policy-config.<stack>.json`` is used when there is one (``brownfield``). ``live_ports``
    and ``metrics``: the ``--live-port`` and ``--metrics`` files."""
    from expressroute_encryption.offline.brownfield import policy_config_for

    policy_config, found_notes = policy_config_for(stack, project_dir, policy_config)
    inputs = input_files(stack, project_dir, policy_config, previous, stack_outputs, vault,
                         [*(live_ports or []), *(metrics or [])])
    try:
        report = _preview(stack, project_dir, export, policy_config, previous, stack_outputs, inputs, vault,
                          live_ports or [], metrics or [])
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM (interrupts.py): as a failed run, no export is left at FILE
        if export:
            remove_stale_export(export, inputs)
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        report = Report(stack, exit_code=EXIT_INPUT, errors=[
            f"error: the offline preview failed unexpectedly ({type(exc).__name__}); nothing was deployed "
            "or written. This is a bug in the tool: please report it with the shape of the stack file "
            "(never its keys)"
        ])
    if export and report.exit_code == EXIT_INPUT and (note := remove_stale_export(export, inputs)):
        report.notes.append(note)
    report.notes[:0] = found_notes
    return report


class PolicyConfigError(Exception):
    """The policy config cannot be used (the checker's InputError, its lines kept)."""


def _policy_config(path: str | None) -> tuple[Any, list[str]]:
    """The checked policy config and its ``exemption:`` lines. Without one there are no
    exemptions, and the checker (which loads the policy SDK) is not needed yet."""
    if path is None:
        return None, []
    from expressroute_encryption.policy.checker import InputError, exemption_lines, load_config

    try:
        config = load_config(path)
    except InputError as error:
        raise PolicyConfigError(str(error)) from None
    return config, exemption_lines(config)


def _adopted_port_answers(stack_file, last, live: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The answers to the program's read of each port it adopts: the ``--live-port`` files,
    and for a port of this project's stack config without one, the port as the config
    describes it (with a note). A program whose config is not this project's (or is not
    valid: the program says why) gets the files only."""
    from expressroute_encryption.config.errors import ConfigError
    from expressroute_encryption.config.loading import stack_config_from
    from expressroute_encryption.config.namespace import NAMESPACE
    from expressroute_encryption.offline.live_port import adopted_ports
    from expressroute_encryption.offline.wire import unwrap
    from expressroute_encryption.record import Previous, previous_problems

    if not live and "importId" not in str(stack_file.config.get(f"{NAMESPACE}:ports", "")):
        return live, []  # nothing adopted: no need to read the config twice (a large estate's is slow)
    try:
        config = stack_config_from(stack_file.config, stack_file.secret_keys)
    except ConfigError:
        return live, []
    record = Previous.from_outputs(unwrap(last.outputs))
    if previous_problems(record):
        return live, []
    answers, notes = adopted_ports(config, record, live)
    return {**live, **answers}, notes


def _preview(stack: str, project_dir: Path, export: str | None, policy_config: str | None,
             previous: str | None, stack_outputs: dict[str, str] | None, inputs: dict[str, Path],
             vault: str | None = None, live_ports: list[str] = (), metrics: list[str] = ()) -> Report:
    from expressroute_encryption.azure_json import AzureJsonError, load_vault
    from expressroute_encryption.config.errors import ConfigError
    from expressroute_encryption.offline.live_port import LivePortError, load_live_ports, load_metrics_files
    from expressroute_encryption.offline.previous import PreviousDeployment, PreviousError, load_previous
    from expressroute_encryption.offline.stack_file import StackFileError, load_stack_file

    report = Report(stack)
    try:
        stack_file = load_stack_file(project_dir, stack)
        config, exemptions = _policy_config(policy_config)
        last = load_previous(previous, stack, stack_file.project) if previous else PreviousDeployment()
        others, other_notes = referenced_stack_outputs(stack_outputs or {})
        vault_state = load_vault(vault) if vault else None
        live = load_live_ports(live_ports)
        gate_metrics = load_metrics_files(metrics)
        problem = export_target_problem(export, inputs) if export is not None else None
        if problem:
            raise ExportError(problem)
        if not (project_dir / "__main__.py").is_file():
            raise StackFileError(f"{project_dir / '__main__.py'}: no such file: the program to preview "
                                 "(is --project-dir the Pulumi project's folder?)")
    except (StackFileError, PolicyConfigError, PreviousError, ExportError, AzureJsonError, LivePortError) as exc:
        report.errors += [f"error: {line}" for line in str(exc).splitlines()]
        report.exit_code = EXIT_INPUT
        return report
    from expressroute_encryption.offline import SUBSCRIPTION_ID, brownfield
    from expressroute_encryption.offline.stack_program import config_problem

    if vault_state is not None and (problems := brownfield.vault_file_problems(stack_file.config, vault_state, vault)):
        report.errors += [f"error: {problem}" for problem in problems]
        report.exit_code = EXIT_INPUT
        return report
    adopted, adopted_notes = _adopted_port_answers(stack_file, last, live)
    report.notes += stack_file.notes + last.notes + other_notes + adopted_notes + brownfield.vault_subscription_notes(
        stack_file.config, stack_file.config.get("azure-native:subscriptionId") or SUBSCRIPTION_ID)
    report.notes += brownfield.adoption_key_notes(stack_file.config, stack_file.secret_keys, last.outputs)
    report.exemptions = exemptions
    if not previous:
        report.notes.append("no PREVIOUS deployment given: previewed as a new stack (no MACsec change guard)")
    if (problem := config_problem(project_dir, stack_file.project, stack_file.config, stack_file.secret_keys)):
        # What this project's program stops with (its RunError's lines), without loading the SDK to run it.
        report.errors += str(problem).splitlines()
        report.exit_code = EXIT_INPUT
        return report

    import pulumi

    from expressroute_encryption.policy.checker import InputError, evaluate

    from expressroute_encryption.offline.harness import run_program
    from expressroute_encryption.offline.mocks import AzureMocks, UnansweredStackReference

    mocks = AzureMocks(previous_outputs=last.outputs, stack_outputs=others,
                       vaults={vault_state["name"]: _vault_properties(vault_state)} if vault_state else None,
                       live_ports=adopted, metrics=gate_metrics)
    try:
        with _program_warnings() as warnings:
            run = run_program(project_dir, stack_file.project, stack, stack_file.config, stack_file.secret_keys,
                              mocks=mocks)
        report.warnings = sorted(warnings)  # logged as the program's tasks run: no stable order
    except UnansweredStackReference as exc:
        report.errors.append(f"error: {exc}")
        report.exit_code = EXIT_INPUT
        return report
    except (pulumi.RunError, ConfigError) as exc:
        # A ConfigError reaches here from a program that builds the components itself and
        # lets their argument check fail: its problem lines, as the stack's config errors.
        report.errors += str(exc).splitlines()
        report.exit_code = EXIT_INPUT
        return report

    report.resources = len(run.resources)
    for reg in run.resources:
        report.resource_types[reg.type] = report.resource_types.get(reg.type, 0) + 1
    report.sections = {
        f"Offline preview of stack '{stack}' ({len(run.resources)} resources)": _tree_lines(run),
        "MACsec": _macsec_lines(run.stack_outputs) or ["  (no ports)"],
        "Circuits": _circuit_lines(run.stack_outputs),
        "VPN": _vpn_lines(run.stack_outputs),
        "Adopted (imported, not created; Pulumi refuses an import whose inputs differ from Azure)": _import_lines(run),
        "Monitoring": _monitoring_lines(run),
    }
    if mocks.gate_report is not None:
        report.gate = mocks.gate_report.lines()
        # Shown once, in its own section, rather than also among the program's warnings.
        report.warnings = [w for w in report.warnings if not w.startswith("change gate")]
        report.sections["Change gate (what `pulumi up` would decide now; docs/operations.md)"] = [
            f"  {line}" for line in report.gate]
    report.sections.update(_what_if_sections(run, last if previous else None, report, mocks.gate_report))
    try:
        checked = policy_resources(run)
        report.violations = evaluate(checked, config)
        report.resource_names = _resource_names(run)
        report.warnings += brownfield.exemption_warnings(checked, config)
        if export:
            write_export(export, export_document(run, stack, stack_file.project), inputs)
    except (InputError, ExportError) as exc:
        report.errors.append(f"error: {exc}")
        report.exit_code = EXIT_INPUT
        return report
    if export:
        report.export = export
        report.sections["Export"] = [f"wrote {export} (secrets withheld)"]
    if any(v.level == "mandatory" for v in report.violations):
        report.exit_code = EXIT_VIOLATION
    return report


def _what_if_sections(run, last, report: Report, gate=None) -> dict[str, list[str]]:
    """The what-if against ``last`` (the PREVIOUS export; None: a new stack) as text
    sections, and as the report's ``changes`` and ``links`` (with ``gate``'s decisions)."""
    from expressroute_encryption.offline.whatif import what_if

    result = what_if(run, last.resources if last else None, last.outputs if last else None, gate)
    report.changes = [change.to_dict() for change in result.changes]
    report.links = [line.to_dict() for line in result.links]
    report.notes += result.notes
    title = ("What-if against PREVIOUS (offline reading; `pulumi preview` shows the real diff)" if last
             else "What-if")
    return {title: result.lines(compared=last is not None),
            "Links (before -> after)": [f"  {line.to_line()}" for line in result.links]}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``preview`` subcommand's options."""
    parser.add_argument("--stack", default="dev", help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--export", metavar="FILE", help="write a stack-export-shaped file")
    parser.add_argument("--policy-config", metavar="FILE", help="policy pack config (as --policy-pack-config)")
    parser.add_argument("--previous", metavar="FILE", help="`pulumi stack export` of the last deployment (default: a new stack)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary (for pipelines) instead of text")
    parser.add_argument("--verbose", action="store_true",
                        help="text: every policy violation on its own line, with the resource's URN and what to change "
                             "(default: advisories one line per policy)")
    parser.add_argument("--project-dir", default=".",
                        help="the Pulumi project to preview (default: the current directory), e.g. examples/encrypted-port-from-code")
    parser.add_argument("--stack-output", metavar="STACK=FILE", action="append", default=[],
                        help="answer the program's stack reference to STACK (org/project/stack) from FILE, "
                             "a `pulumi stack export` of that stack; repeatable")
    parser.add_argument("--vault", metavar="FILE",
                        help="answer the program's read of the existing vault (keyVault.existingId) from FILE, the JSON "
                             "of az keyvault show (default: a vault set up as Microsoft's MACsec procedure asks)")
    add_live_port_argument(parser)
    add_metrics_argument(parser)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``preview`` subcommand; returns its exit code."""
    stack_outputs = {}
    for spec in args.stack_output:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            parser.error(f"--stack-output {spec}: expected STACK=FILE")
        stack_outputs[name] = path
    report = run_preview(args.stack, Path(args.project_dir), args.export, args.policy_config, args.previous,
                         stack_outputs, args.vault, args.live_port, args.metrics)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        out, err = report.to_text(verbose=args.verbose)
        if out:
            print(out)
        if err:
            print(err, file=sys.stderr)
    return report.exit_code
