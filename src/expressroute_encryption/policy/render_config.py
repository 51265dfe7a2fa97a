"""``expressroute-encryption policy-config``: a stack's policy config as the Pulumi CLI takes it.

    expressroute-encryption policy-config --stack prod [--project-dir D] [--config FILE] [--output OUT]

Reads ``policy-config.<stack>.json`` in the project folder (or ``--config FILE``), checks it as
``check-policy`` does (the pack's config schemas, an exemption at most one year ahead, one entry
per port), and prints, or writes to OUT, the document for ``pulumi preview``/``up
--policy-pack-config``: the stack's one ``exemptPorts`` list under each of the three policies
that take it (``pack_config``). A stack without a policy config gets ``{}`` (every policy at its
own level), so a pipeline can always pass the flag. The pipelines run this before the offline
gate and give both the gate and the Pulumi CLI the same OUT.

OUT is written whole or not at all (a temporary file renamed over it) and is never one of the
inputs: not the policy config read, nor a file named like a stack's (``Pulumi.<stack>.yaml``,
``policy-config.<stack>.json``). Exit codes: 0 written; 2 bad input (one ``error:`` line per
problem, nothing written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
from fnmatch import fnmatch
from pathlib import Path

from ..exit_codes import ExitCode
from ..config.namespace import stack_name_problem
from ..printable import one_line
from . import pack_config
from .checker import InputError, load_config

# Names of the files a stack is made of: inputs, never an output.
INPUT_NAMES = ("Pulumi.*.yaml", "Pulumi.*.yml", "Pulumi.yaml", pack_config.FILE_NAME.format(stack="*"))


def source(stack: str, project_dir: Path, given: str | None) -> Path | None:
    """The policy config to render: ``given``, else the stack's own file when there is one."""
    if given is not None:
        return Path(given)
    return pack_config.existing_stack_file(project_dir, stack)


def output_problem(output: Path, source_path: Path | None) -> str | None:
    """Why OUT must not be written, or None."""
    if output.name in ("", ".", "..") or output.is_dir():
        return f"--output {one_line(output)}: not a file name"
    if any(fnmatch(output.name, pattern) for pattern in INPUT_NAMES):
        return f"--output {one_line(output)}: is named like a stack's own file (an input); choose another name"
    if source_path is not None and output.exists() and source_path.exists():
        with contextlib.suppress(OSError):
            if os.path.samefile(output, source_path):
                return f"--output {one_line(output)}: is the policy config it is rendered from; choose another file"
    if not output.parent.is_dir():
        return f"--output {one_line(output)}: the folder {one_line(output.parent)} does not exist"
    return None


def write_atomically(output: Path, text: str) -> None:
    """``text`` into ``output``, whole or not at all. Raises OSError."""
    fd, temporary = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, output)
        temporary = None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def render(stack: str, project_dir: Path, given: str | None = None) -> tuple[dict, str]:
    """(the CLI's policy pack config for ``stack``, a note saying where it came from).
    Raises InputError."""
    if problem := stack_name_problem(stack):
        raise InputError(f"--stack: {problem}")
    path = source(stack, project_dir, given)
    if path is None:
        return {}, (f"no {pack_config.FILE_NAME.format(stack=one_line(stack))}: every policy at its own level, "
                    "no exemptions")
    config = load_config(str(path)) or {}
    return config, f"rendered {one_line(path)} for --policy-pack-config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``policy-config`` subcommand's options."""
    parser.add_argument("--stack", required=True, help="stack name: reads policy-config.<stack>.json")
    parser.add_argument("--project-dir", default=".", help="where the stack's files are (default: the current directory)")
    parser.add_argument("--config", metavar="FILE", help="render FILE instead of policy-config.<stack>.json")
    parser.add_argument("--output", metavar="OUT", help="write the result to OUT (default: print it)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``policy-config`` subcommand; returns its exit code."""
    try:
        config, note = render(args.stack, Path(args.project_dir), args.config)
    except InputError as error:
        print("\n".join(f"policy-config: error: {one_line(line)}" for line in str(error).splitlines()),
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    text = json.dumps(config, indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        print(f"policy-config: {note}", file=sys.stderr)
        return ExitCode.OK
    output = Path(args.output)
    problem = output_problem(output, source(args.stack, Path(args.project_dir), args.config))
    if problem is None:
        try:
            write_atomically(output, text)
        except OSError as exc:
            problem = f"--output {one_line(output)}: cannot write: {exc.strerror or type(exc).__name__}"
    if problem:
        print(f"policy-config: error: {problem}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    print(f"policy-config: {note}: wrote {one_line(output)}", file=sys.stderr)
    return ExitCode.OK
