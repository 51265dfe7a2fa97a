"""Offline preview: ``expressroute-encryption preview [--stack dev] [--export FILE]``.

Runs the real program for ``Pulumi.<stack>.yaml`` against the Azure mocks and prints
the resource tree and a MACsec summary per port and link. No Azure credentials, no
Pulumi CLI, no network. Key values are never printed; with ``--export`` the run is
written as a ``pulumi stack export``-shaped file with secrets as secret markers.

The registered resources then go through the project's policy pack (``policy/``),
the same policies ``pulumi preview --policy-pack policy`` runs, and the results are
printed; ``--policy-config`` takes a policy pack config file.

``--project-dir`` previews another Pulumi project the same way (e.g. the programs under
``examples/``), and ``--stack-output STACK=FILE`` answers its stack references to other
stacks from their `pulumi stack export` files.

``--json`` prints one JSON object instead (stack, exitCode, errors, notes, resource
counts, policy results), for a pipeline to post on a pull request; the exit code is the
same in both modes. Output never carries colour codes.

Exit codes: 0 preview ran and no mandatory policy is violated, 1 a mandatory policy is
violated, 2 bad config, stack file or policy config (one line per problem).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from expressroute_encryption.exit_codes import ExitCode

EXIT_OK, EXIT_VIOLATION, EXIT_INPUT = ExitCode.OK, ExitCode.REFUSED, ExitCode.BAD_INPUT


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
    from expressroute_encryption.offline.wire import unwrap

    lines = []
    for port, info in sorted((unwrap(stack_outputs).get("ports") or {}).items()):
        lines.append(f"port {port}: stage {info.get('stage')}")
        for link, s in sorted((info.get("links") or {}).items()):
            state = "MACsec on" if s.get("macsecEnabled") else "MACsec not applied yet"
            lines.append(
                f"  {link}: {state}, cipher {s.get('cipher')}, SCI {s.get('sciState')}, "
                f"admin {s.get('adminState')}, key generation {s.get('keyGeneration')} "
                f"({s.get('keySource')}), secrets {s.get('cakSecretName')} / {s.get('cknSecretName')}"
            )
    return lines


def _circuit_lines(stack_outputs: dict[str, Any]) -> list[str]:
    from expressroute_encryption.offline.wire import unwrap

    outputs = unwrap(stack_outputs)
    port_names = {info.get("id"): name for name, info in (outputs.get("ports") or {}).items()}
    lines = []
    for name, info in sorted((outputs.get("circuits") or {}).items()):
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
    from expressroute_encryption.alerts import ALERT_KEYS
    from expressroute_encryption.policy.azure import CIRCUIT, DIAGNOSTIC_SETTING, METRIC_ALERT, PORT, VAULT

    def azure_name(reg) -> str:
        return reg.outputs.get("name") or reg.name

    owners = {reg.id.lower(): reg for reg in run.resources if reg.type in (PORT, CIRCUIT, VAULT) and reg.id}
    alerts: dict[str, list[tuple[str, bool]]] = {}
    locks: dict[str, list[str]] = {}
    audit: dict[str, list[str]] = {}
    action_groups = []
    for reg in run.resources:
        if reg.type == METRIC_ALERT:
            for scope in reg.inputs.get("scopes") or []:
                alerts.setdefault(str(scope).lower(), []).append((reg.inputs.get("ruleName", reg.name),
                                                                  reg.inputs.get("enabled") is not False))
        elif reg.type == "azure-native:authorization:ManagementLockByScope":
            locks.setdefault(str(reg.inputs.get("scope", "")).lower(), []).append(
                f"{reg.inputs.get('lockName', reg.name)} ({reg.inputs.get('level')})")
        elif reg.type == DIAGNOSTIC_SETTING:
            categories = [log.get("category") for log in reg.inputs.get("logs") or [] if log.get("enabled")]
            workspace = str(reg.inputs.get("workspaceId") or "?").rsplit("/", 1)[-1]
            audit.setdefault(str(reg.inputs.get("resourceUri", "")).lower(), []).append(
                f"{', '.join(categories) or 'no logs'} -> workspace {workspace}")
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
            lines.append(f"{indent}alerts disabled (links down on purpose until the port is active): {', '.join(off)}")
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


def policy_resources(run) -> list[dict[str, Any]]:
    """The registrations in the stack-export shape the policy checker reads."""
    return [
        {
            "urn": reg.urn, "type": reg.type, "name": reg.name, "custom": reg.custom,
            "inputs": reg.inputs, "outputs": reg.outputs, "parent": reg.parent,
            "protect": reg.protect, "dependencies": reg.dependencies,
        }
        for reg in run.resources
    ]


def export_document(run, stack: str, project: str) -> dict[str, Any]:
    """The run as a ``pulumi stack export`` (version 3) document, secrets redacted."""
    from expressroute_encryption.offline.harness import STACK_TYPE
    from expressroute_encryption.offline.wire import redact

    resources = []
    for reg in run.registrations:
        entry: dict[str, Any] = {
            "urn": reg.urn,
            "custom": reg.custom,
            "type": reg.type,
        }
        if reg.custom:
            entry["id"] = reg.id
        entry["inputs"] = redact(reg.inputs)
        entry["outputs"] = redact(run.stack_outputs if reg.type == STACK_TYPE else reg.outputs)
        if reg.parent:
            entry["parent"] = reg.parent
        if reg.protect:
            entry["protect"] = True
        if reg.dependencies:
            entry["dependencies"] = reg.dependencies
        resources.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "magic": "",
                "version": "offline-preview",
            },
            # Secrets are withheld, not encrypted: no provider could decrypt them.
            "secrets_providers": {"type": "offline-preview"},
            "resources": resources,
        },
    }


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
    exit_code: int = EXIT_OK

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
            "policy": {
                "mandatory": mandatory,
                "advisory": len(self.violations) - mandatory,
                "violations": [v.to_dict() for v in self.violations],
            },
        }

    def to_text(self) -> tuple[str, str]:
        """(stdout, stderr)."""
        out = [f"note: {note}" for note in self.notes] + [f"warning: {w}" for w in self.warnings]
        for title, lines in self.sections.items():
            if lines:
                out += [f"{title}:" if not out else f"\n{title}:", *lines]
        if not self.errors:
            mandatory = sum(v.level == "mandatory" for v in self.violations)
            out.append(f"\nPolicies (policy/): {mandatory} mandatory, {len(self.violations) - mandatory} advisory violation(s)")
            out += [f"  {v.to_line()}" for v in self.violations]
        return "\n".join(out), "\n".join(self.errors)


def referenced_stack_outputs(stack_outputs: dict[str, str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Outputs of other stacks, for the program's stack references to them: stack name ->
    `pulumi stack export` file. Secret outputs that cannot be read offline (see
    ``offline.previous``) are answered as unknown secrets, as a preview shows values not
    known yet, and a note names them. Raises PreviousError for an unreadable file."""
    from pulumi.runtime.rpc import UNKNOWN

    from expressroute_encryption.offline import wire
    from expressroute_encryption.offline.previous import load_previous

    answers, notes = {}, []
    for name, path in stack_outputs.items():
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
                previous: str | None = None, stack_outputs: dict[str, str] | None = None) -> Report:
    """Preview ``stack`` offline: config, program (against ``previous``, a stack export
    of the last deployment, or as a new stack; and ``stack_outputs``, stack name -> export
    file, for stack references to other stacks), export, policies."""
    from expressroute_encryption.offline.previous import PreviousDeployment, PreviousError, load_previous
    from expressroute_encryption.offline.stack_file import StackFileError, load_stack_file
    from expressroute_encryption.policy.checker import InputError, evaluate, load_config

    report = Report(stack)
    try:
        stack_file = load_stack_file(project_dir, stack)
        config = load_config(policy_config)
        last = load_previous(previous) if previous else PreviousDeployment()
        others, other_notes = referenced_stack_outputs(stack_outputs or {})
    except (StackFileError, InputError, PreviousError) as exc:
        report.errors.append(f"error: {exc}")
        report.exit_code = EXIT_INPUT
        return report
    report.notes += stack_file.notes + last.notes + other_notes
    if not previous:
        report.notes.append("no PREVIOUS deployment given: previewed as a new stack (no MACsec change guard)")

    import pulumi

    from expressroute_encryption.offline.harness import run_program
    from expressroute_encryption.offline.mocks import AzureMocks, UnansweredStackReference

    try:
        with _program_warnings() as warnings:
            run = run_program(project_dir, stack_file.project, stack, stack_file.config, stack_file.secret_keys,
                              mocks=AzureMocks(previous_outputs=last.outputs, stack_outputs=others))
        report.warnings = warnings
    except UnansweredStackReference as exc:
        report.errors.append(f"error: {exc}")
        report.exit_code = EXIT_INPUT
        return report
    except pulumi.RunError as exc:
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
        "Monitoring": _monitoring_lines(run),
    }
    if export:
        Path(export).write_text(json.dumps(export_document(run, stack, stack_file.project), indent=2))
        report.sections["Export"] = [f"wrote {export} (secrets withheld)"]
    report.violations = evaluate(policy_resources(run), config)
    if any(v.level == "mandatory" for v in report.violations):
        report.exit_code = EXIT_VIOLATION
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``preview`` subcommand's options."""
    parser.add_argument("--stack", default="dev", help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--export", metavar="FILE", help="write a stack-export-shaped file")
    parser.add_argument("--policy-config", metavar="FILE", help="policy pack config (as --policy-pack-config)")
    parser.add_argument("--previous", metavar="FILE", help="`pulumi stack export` of the last deployment (default: a new stack)")
    parser.add_argument("--json", action="store_true", help="print one JSON summary (for pipelines) instead of text")
    parser.add_argument("--project-dir", default=".",
                        help="the Pulumi project to preview (default: the current directory), e.g. examples/encrypted-port-from-code")
    parser.add_argument("--stack-output", metavar="STACK=FILE", action="append", default=[],
                        help="answer the program's stack reference to STACK (org/project/stack) from FILE, "
                             "a `pulumi stack export` of that stack; repeatable")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``preview`` subcommand; returns its exit code."""
    stack_outputs = {}
    for spec in args.stack_output:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            parser.error(f"--stack-output {spec}: expected STACK=FILE")
        stack_outputs[name] = path
    report = run_preview(args.stack, Path(args.project_dir), args.export, args.policy_config, args.previous,
                         stack_outputs)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        out, err = report.to_text()
        if out:
            print(out)
        if err:
            print(err, file=sys.stderr)
    return report.exit_code
