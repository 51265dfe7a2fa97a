"""Offline preview: ``python -m offline.preview [--stack dev] [--export FILE]``.

Runs the real program for ``Pulumi.<stack>.yaml`` against the Azure mocks and prints
the resource tree and a MACsec summary per port and link. No Azure credentials, no
Pulumi CLI, no network. Key values are never printed; with ``--export`` the run is
written as a ``pulumi stack export``-shaped file with secrets as secret markers.

The registered resources then go through the project's policy pack (``policy/``),
the same policies ``pulumi preview --policy-pack policy`` runs, and the results are
printed; ``--policy-config`` takes a policy pack config file.

Exit codes: 0 preview ran and no mandatory policy is violated, 1 a mandatory policy is
violated, 2 bad config, stack file or policy config (one line per problem).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_VIOLATION, EXIT_INPUT = 0, 1, 2


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
    from offline.wire import unwrap

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
    from offline.wire import unwrap

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
    from offline.wire import unwrap

    vpn = unwrap(stack_outputs).get("vpn")
    if not vpn:
        return []
    return [
        f"IPsec over the private peering of circuit {vpn.get('circuit')}: the on-premises device peers with "
        f"the VPN gateway's private address(es) {', '.join(vpn.get('vpnGatewayPrivateIps') or []) or '?'} "
        "(shared key: pulumi stack output vpnSharedKey --show-secrets)"
    ]


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
    from offline.harness import STACK_TYPE
    from offline.wire import redact

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
            "secrets_providers": {"type": "passphrase", "state": {"salt": "offline-preview"}},
            "resources": resources,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="offline.preview", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev", help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--export", metavar="FILE", help="write a stack-export-shaped file")
    parser.add_argument("--policy-config", metavar="FILE", help="policy pack config (as --policy-pack-config)")
    parser.add_argument("--project-dir", default=str(PROJECT_DIR), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    project_dir = Path(args.project_dir)

    from offline.stack_file import StackFileError, load_stack_file

    try:
        stack_file = load_stack_file(project_dir, args.stack)
    except StackFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    for note in stack_file.notes:
        print(f"note: {note}")

    import pulumi

    from offline.harness import run_program

    try:
        run = run_program(project_dir, stack_file.project, args.stack, stack_file.config, stack_file.secret_keys)
    except pulumi.RunError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT

    print(f"Offline preview of stack '{args.stack}' ({len(run.resources)} resources):")
    print("\n".join(_tree_lines(run)))
    print("\nMACsec:")
    print("\n".join(_macsec_lines(run.stack_outputs)) or "  (no ports)")
    for title, lines in (("Circuits", _circuit_lines(run.stack_outputs)), ("VPN", _vpn_lines(run.stack_outputs))):
        if lines:
            print(f"\n{title}:")
            print("\n".join(lines))
    if args.export:
        Path(args.export).write_text(json.dumps(export_document(run, args.stack, stack_file.project), indent=2))
        print(f"\nwrote {args.export} (secrets withheld)")

    from policy.expressroute_policy.checker import InputError, evaluate, load_config

    try:
        violations = evaluate(policy_resources(run), load_config(args.policy_config))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    mandatory = sum(v.level == "mandatory" for v in violations)
    print(f"\nPolicies (policy/): {mandatory} mandatory, {len(violations) - mandatory} advisory violation(s)")
    for violation in violations:
        print(f"  {violation.to_line()}")
    return EXIT_VIOLATION if mandatory else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
