"""Rotation plan: ``expressroute-encryption rotation-plan [--stack dev] [--previous FILE]``.

Prints, for each port, what the next ``pulumi up`` will change on each link against the
last deployment (a ``pulumi stack export`` file; without it the stack is treated as
new), whether the change drops the link, and the ordered runbook. It never prints key
values. A port the next deployment adopts (``importId``) is compared with Azure's links:
``--live-port FILE`` (``az network express-route port show``; repeatable), else with the
config, and a note says so. The change gate (``live_gate.py``) runs on the same
``--live-port`` files and on ``--metrics FILE`` (repeatable: the port's and each circuit's
metrics, as ``az monitor metrics list`` prints them): the plan says per port what it read
and decided, or that it was not run and which file it lacks. Exit codes: 0 the plan is
safe to apply, 1 the next ``pulumi up`` would be refused (both links of a live port, an
unannounced key change, a live port or circuit removed without a ``decommission`` entry,
a port changed by the deployment that adopts it, the enforced change gate on the files
given), 2 bad input (including an export of another stack, or one whose ``ports`` output
cannot be read or compared with, and a ``--live-port`` file that cannot be read).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.offline.live_port import add_live_port_argument, add_metrics_argument


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``rotation-plan`` subcommand's options."""
    parser.add_argument("--stack", default="dev", help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--previous", metavar="FILE", help="`pulumi stack export` of the last deployment")
    parser.add_argument("--project-dir", default=".", help="the Pulumi project (default: the current directory)")
    add_live_port_argument(parser)
    add_metrics_argument(parser)


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``rotation-plan`` subcommand; returns its exit code."""

    from expressroute_encryption.config.errors import ConfigError
    from expressroute_encryption.config.loading import stack_config_from
    from expressroute_encryption.guard import change_problems
    from expressroute_encryption.link_state import azure_link_states
    from expressroute_encryption.record import Previous, previous_problems
    from expressroute_encryption.runbook import rotation_plan
    from expressroute_encryption.live_gate import run_gate
    from expressroute_encryption.offline.live_port import (
        FileReads, LivePortError, adopted_ports, load_live_ports, load_metrics_files,
    )
    from expressroute_encryption.offline.previous import PreviousDeployment, PreviousError, load_previous
    from expressroute_encryption.offline.stack_file import StackFileError, load_stack_file
    from expressroute_encryption.offline.wire import unwrap

    try:
        stack_file = load_stack_file(Path(args.project_dir), args.stack)
        last = (load_previous(args.previous, args.stack, stack_file.project) if args.previous
                else PreviousDeployment())
        live = load_live_ports(args.live_port)
        metrics = load_metrics_files(args.metrics)
        # The stack file's key leaves were checked by load_stack_file, as in the preview.
        config = stack_config_from(stack_file.config, stack_file.secret_keys)
    except (StackFileError, PreviousError, LivePortError) as exc:
        # One line per problem, each marked, as the preview prints them.
        print("\n".join(f"error: {line}" for line in str(exc).splitlines()), file=sys.stderr)
        return ExitCode.BAD_INPUT
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return ExitCode.BAD_INPUT
    for note in stack_file.notes + last.notes:
        print(f"note: {note}")
    outputs = unwrap(last.outputs)
    previous = Previous.from_outputs(outputs)
    if unusable := previous_problems(previous):
        # A last deployment the guard cannot read is bad input, as in the preview (exit 2).
        print("\n".join(f"error: previous deployment: {line}" for line in unusable), file=sys.stderr)
        return ExitCode.BAD_INPUT
    adopted, live_notes = adopted_ports(config, previous, live)
    for note in live_notes:
        print(f"note: {note}")
    azure = {port.name: azure_link_states(adopted[port.name.lower()])
             for port in config.ports if port.name.lower() in adopted}
    # With PREVIOUS the history is known, so what `pulumi up` refuses on a first deployment
    # (a port created past reserved) is refused here too; without it, it is only a warning.
    updating = args.previous is not None
    blocked = change_problems(config, previous, updating=updating, azure=azure)
    # The gate runs only where the guard lets the change through, as in the program.
    gate = None if blocked else run_gate(config, previous, FileReads(config.resource_group_name, live, metrics))
    print(rotation_plan(config, previous, args.stack, azure, gate, history_known=updating))
    return ExitCode.REFUSED if blocked or (gate and gate.refuses(updating=True)) else ExitCode.OK
