"""The ``expressroute-encryption`` command: every offline tool of the product, one entry point.

    expressroute-encryption preview        [--stack dev] [--previous F] [--export F] [--policy-config F] [--json]
    expressroute-encryption rotation-plan  [--stack dev] [--previous F]
    expressroute-encryption check-policy   FILE [--config F] [--json]
    expressroute-encryption bench          [--runs 5] [--check]
    expressroute-encryption adopt          --stack S --port F [--circuits F] [--vault F] [--exempt-until D] [--project-dir D]
    expressroute-encryption config-reference [--check FILE | --write FILE]   (docs/config-reference.md)
    expressroute-encryption policy-config  --stack S [--project-dir D] [--config F] [--output F]

Each subcommand lives in its own module (``add_arguments`` and ``run``); this file only
wires them together. Exit codes are the same for all (``ExitCode``): 0 ok, 1 refused (a
mandatory policy is violated, the next ``pulumi up`` would be refused, a benchmark target
missed with ``--check``), 2 bad input (config, stack file, export, policy config or
arguments; also the ``[tools]`` extra not installed, said in one line), 130 and 143
stopped by Ctrl-C or SIGTERM (one line, no partial file left: ``interrupts``). Nothing
here needs Azure credentials, the Pulumi CLI or a network.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import signal
import sys
from collections.abc import Sequence

from expressroute_encryption import interrupts
from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.printable import tolerate_any_encoding

# subcommand -> (module with add_arguments/run, one-line help)
SUBCOMMANDS = {
    "preview": ("expressroute_encryption.offline.preview",
                "run the stack program offline against Azure mocks, with the policy pack"),
    "rotation-plan": ("expressroute_encryption.offline.rotation_plan",
                      "what the next pulumi up changes per link, and the runbook"),
    "check-policy": ("expressroute_encryption.policy.checker",
                     "the policy pack over a stack export or a pulumi preview --json file"),
    "bench": ("expressroute_encryption.bench.run",
              "time the offline preview and policy check (docs/performance.md)"),
    "adopt": ("expressroute_encryption.adopt",
              "write Pulumi.<stack>.yaml for an existing port from Azure's JSON (az ... show)"),
    "config-reference": ("expressroute_encryption.config_reference",
                         "the config table of docs/config-reference.md, from the schema (--check, --write)"),
    "policy-config": ("expressroute_encryption.policy.render_config",
                      "a stack's policy-config.<stack>.json as pulumi --policy-pack-config takes it"),
}


# The `[tools]` extra of pyproject.toml, by import name: what the command needs beyond the
# components' own dependencies (a plain `pip install expressroute-encryption` has none of it).
TOOLS_EXTRA = {"pulumi_policy": "pulumi-policy", "yaml": "PyYAML", "cryptography": "cryptography"}
INSTALL_TOOLS = "pip install 'expressroute-encryption[tools]'"


def missing_tools() -> list[str]:
    """The distributions of the ``[tools]`` extra that are not installed."""
    return [distribution for module, distribution in TOOLS_EXTRA.items() if importlib.util.find_spec(module) is None]


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad arguments already; keep its message to one line."""

    def error(self, message: str):  # noqa: D401 - argparse's signature
        self.print_usage(sys.stderr)
        self.exit(ExitCode.BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser(argv: Sequence[str] | None = None) -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The command's parser. Given ``argv``, only the subcommand it names gets its options
    (and its module imported): the others' modules load the SDKs, which a preview that stops
    at a config error never needs. Without ``argv``, every subcommand gets them."""
    chosen = None
    if argv is not None:
        # The top-level parser takes no option but --help: the first other word names the subcommand.
        chosen = next((word for word in argv if not word.startswith("-")), None)
    parser = _Parser(prog="expressroute-encryption", description="Offline tools for MACsec-encrypted ExpressRoute Direct: preview, rotation plan, policy check, benchmark.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    subparsers = {}
    for name, (module, summary) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        if chosen is None or name == chosen:
            importlib.import_module(module).add_arguments(sub)
        subparsers[name] = sub
    return parser, subparsers


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the subcommand, return its exit code."""
    tolerate_any_encoding()  # a name or reason in any script prints on any terminal
    if missing := missing_tools():
        # Before argparse (which imports every subcommand, --help included): one line, not a traceback.
        print(f"expressroute-encryption: the offline tools need the [tools] extra ({', '.join(missing)} "
              f"not installed): {INSTALL_TOOLS}", file=sys.stderr)
        return int(ExitCode.BAD_INPUT)
    with interrupts.handled():
        try:
            return _run(argv)
        except KeyboardInterrupt as stop:  # interrupts.Interrupted, or a Ctrl-C before the handler was set
            if not isinstance(stop, interrupts.Interrupted):
                stop = interrupts.Interrupted(signal.SIGINT)
            print(f"expressroute-encryption: stopped by {stop.description}; no partial file left", file=sys.stderr)
            return stop.exit_code


def _run(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, subparsers = build_parser(argv)
    args = parser.parse_args(argv)
    module = importlib.import_module(SUBCOMMANDS[args.command][0])
    try:
        return int(module.run(args, subparsers[args.command]))
    except BrokenPipeError:
        # The reader went away (`... | head`): no traceback, and not "ok" either, since the
        # result was not all shown (fail closed: 1).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.REFUSED)


if __name__ == "__main__":
    sys.exit(main())
