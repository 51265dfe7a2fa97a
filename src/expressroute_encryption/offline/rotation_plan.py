"""Rotation plan: ``expressroute-encryption rotation-plan [--stack dev] [--previous FILE]``.

Prints, for each port, what the next ``pulumi up`` will change on each link against the
last deployment (a ``pulumi stack export`` file; without it the stack is treated as
new), whether the change drops the link, and the ordered runbook. It never prints key
values. Exit codes: 0 the plan is safe to apply, 1 the next ``pulumi up`` would be
refused (both links of a live port, an unannounced key change, a live port or circuit
removed without a ``decommission`` entry), 2 bad input (including an export of another
stack, or one whose ``ports`` output cannot be read or compared with).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from expressroute_encryption.exit_codes import ExitCode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``rotation-plan`` subcommand's options."""
    parser.add_argument("--stack", default="dev", help="stack name (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--previous", metavar="FILE", help="`pulumi stack export` of the last deployment")
    parser.add_argument("--project-dir", default=".", help="the Pulumi project (default: the current directory)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``rotation-plan`` subcommand; returns its exit code."""

    from expressroute_encryption.config.errors import ConfigError
    from expressroute_encryption.config.loading import stack_config_from
    from expressroute_encryption.guard import rotation_problems
    from expressroute_encryption.record import Previous, previous_problems
    from expressroute_encryption.runbook import rotation_plan
    from expressroute_encryption.offline.previous import PreviousDeployment, PreviousError, load_previous
    from expressroute_encryption.offline.stack_file import StackFileError, load_stack_file
    from expressroute_encryption.offline.wire import unwrap

    try:
        stack_file = load_stack_file(Path(args.project_dir), args.stack)
        last = (load_previous(args.previous, args.stack, stack_file.project) if args.previous
                else PreviousDeployment())
        # The stack file's key leaves were checked by load_stack_file, as in the preview.
        config = stack_config_from(stack_file.config, stack_file.secret_keys)
    except (StackFileError, PreviousError) as exc:
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
    print(rotation_plan(config, previous, args.stack))
    return ExitCode.REFUSED if rotation_problems(config, previous) else ExitCode.OK
