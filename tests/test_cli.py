"""The ``expressroute-encryption`` command itself (cli.py): without the ``[tools]`` extra it says
in one line what to install; Ctrl-C (SIGINT) and SIGTERM end every subcommand with one line, exit
130 / 143 and leave no file behind (interrupts.py, output_files.py)."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from expressroute_encryption import cli
from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.offline.preview import EXPORT_MARKER
from tests.helpers import PROJECT_DIR, REPO

ADOPT_PORT = REPO / "tests" / "fixtures" / "adopt" / "port-arm.json"


# --- the [tools] extra -----------------------------------------------------------------------


def test_the_tools_modules_are_the_tools_extra_of_pyproject():
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["tools"]
    names = {requirement.split(">")[0].split("=")[0].split("<")[0].strip() for requirement in extra}
    assert names == set(cli.TOOLS_EXTRA.values())


@pytest.mark.parametrize("module", sorted(cli.TOOLS_EXTRA))
@pytest.mark.parametrize("argv", [["--help"], ["preview"], ["check-policy", "x.json"], []])
def test_without_the_tools_extra_the_command_says_what_to_install(capsys, monkeypatch, module, argv):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed: importing it fails
    assert cli.main(argv) == ExitCode.BAD_INPUT
    out, err = capsys.readouterr()
    assert out == "" and err == (f"expressroute-encryption: the offline tools need the [tools] extra "
                                 f"({cli.TOOLS_EXTRA[module]} not installed): pip install "
                                 "'expressroute-encryption[tools]'\n")


def test_with_the_tools_extra_help_works(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0 and "preview" in capsys.readouterr().out


# --- every subcommand: one line and 128 + the signal ------------------------------------------

# Arguments each subcommand parses (the signal comes before they are used).
SUBCOMMAND_ARGS = {
    "preview": [],
    "rotation-plan": [],
    "check-policy": ["export.json"],
    "bench": ["--runs", "1"],
    "adopt": ["--stack", "interrupted", "--port", str(ADOPT_PORT)],
    "config-reference": [],
    "policy-config": ["--stack", "dev"],
}


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", list(cli.SUBCOMMANDS))
def test_every_subcommand_stops_on_a_signal_with_one_line(capsys, monkeypatch, tmp_path, command, signum, code):
    """The signal reaches the process (this one) while the subcommand runs."""
    assert set(SUBCOMMAND_ARGS) == set(cli.SUBCOMMANDS)
    module = importlib.import_module(cli.SUBCOMMANDS[command][0])
    real_run = module.run

    def run_signalled(args, parser):
        os.kill(os.getpid(), signum)
        return real_run(args, parser)

    monkeypatch.setattr(module, "run", run_signalled)
    monkeypatch.chdir(tmp_path)
    previous_handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    assert cli.main([command, *SUBCOMMAND_ARGS[command]]) == code
    _, err = capsys.readouterr()
    name = "SIGINT (Ctrl-C)" if signum == signal.SIGINT else "SIGTERM"
    assert err == f"expressroute-encryption: stopped by {name}; no partial file left\n"
    assert list(tmp_path.iterdir()) == []
    assert {s: signal.getsignal(s) for s in previous_handlers} == previous_handlers  # given back


# --- real processes, stopped at the worst moment ----------------------------------------------

# Runs the command with one function paused on its NTH call: it touches MARKER and waits for GO (a
# signal the command holds back does not end the wait, as it would not end a slow disk write).
# TARGET is module.function or module.Class:method.
CHILD = textwrap.dedent("""
    import importlib, os, sys, time
    marker, go, target, nth, argv = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:]
    path, _, method = target.partition(":")
    module_name, _, name = path.rpartition(".")
    owner = importlib.import_module(module_name)
    if method:
        owner, name = getattr(owner, name), method
    real, calls = getattr(owner, name), []

    def paused(*args, **kwargs):
        calls.append(1)
        if len(calls) == nth:
            open(marker, "w").close()
            deadline = time.monotonic() + 60
            while not os.path.exists(go) and time.monotonic() < deadline:
                time.sleep(0.02)
        return real(*args, **kwargs)

    setattr(owner, name, paused)
    from expressroute_encryption.cli import main
    sys.exit(main(argv))
""")


def stopped(tmp_path: Path, target: str, argv: list[str], signum: int,
            nth: int = 1) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run the command in a process of its own, send ``signum`` while ``target`` is paused, let it go on;
    the result, and the files in ``tmp_path`` while it was paused."""
    marker, go = tmp_path / "paused", tmp_path / "go"
    process = subprocess.Popen([sys.executable, "-c", CHILD, str(marker), str(go), target, str(nth), *argv],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command never reached the paused step"
        time.sleep(0.02)
    paused_with = sorted(path.name for path in tmp_path.iterdir() if path != marker)
    process.send_signal(signum)
    time.sleep(0.2)
    go.touch()
    out, err = process.communicate(timeout=120)
    marker.unlink()
    go.unlink()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), paused_with


def test_sigterm_while_the_export_is_put_in_place_leaves_no_file(tmp_path):
    """The temporary file (the whole export, mode 0600) is complete and about to be renamed: the
    signal keeps it from being put in place, and an earlier export at FILE goes too, as on any
    failed run."""
    export = tmp_path / "dev.json"
    export.write_text(json.dumps({"writtenBy": EXPORT_MARKER, "earlier": True}))
    result, paused_with = stopped(tmp_path, "os.replace",
                                  ["preview", "--project-dir", str(PROJECT_DIR), "--export", str(export)], signal.SIGTERM)
    assert len(paused_with) == 2 and paused_with[0].startswith(".dev.json.") and paused_with[0].endswith(".tmp")
    assert result.returncode == 143
    assert result.stderr == "expressroute-encryption: stopped by SIGTERM; no partial file left\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_sigint_while_the_program_runs_stops_it_cleanly(tmp_path):
    """Ctrl-C in the middle of the program (the fifth resource registered against the mocks)."""
    export = tmp_path / "dev.json"
    result, _ = stopped(tmp_path, "expressroute_encryption.offline.mocks.AzureMocks:new_resource",
                     ["preview", "--project-dir", str(PROJECT_DIR), "--export", str(export)], signal.SIGINT, nth=5)
    assert result.returncode == 130, result.stderr
    assert result.stderr == "expressroute-encryption: stopped by SIGINT (Ctrl-C); no partial file left\n"
    assert result.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("step", ["os.link", "os.fsync"])
def test_a_signal_while_adopt_writes_its_stack_file_leaves_none(tmp_path, step):
    result, paused_with = stopped(tmp_path, step, ["adopt", "--stack", "adopted", "--port", str(ADOPT_PORT),
                                                   "--project-dir", str(tmp_path)], signal.SIGINT)
    # The stack file (and the policy config with the port's exemption) whole in temporary files, about
    # to be linked into place, or the first still being written.
    assert paused_with and all(name.startswith(".") and name.endswith(".tmp") for name in paused_with)
    assert paused_with[0].startswith(".Pulumi.adopted.yaml.")
    assert result.returncode == 130, result.stderr
    assert result.stderr == "expressroute-encryption: stopped by SIGINT (Ctrl-C); no partial file left\n"
    assert list(tmp_path.iterdir()) == []


def test_a_second_signal_while_cleaning_up_lets_the_clean_up_finish(capsys, monkeypatch, tmp_path):
    module = importlib.import_module(cli.SUBCOMMANDS["preview"][0])
    cleaned = []

    def run_signalled(args, parser):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # impatient: Ctrl-C on top
            cleaned.append("all of it")

    monkeypatch.setattr(module, "run", run_signalled)
    assert cli.main(["preview"]) == ExitCode.TERMINATED == 143
    assert cleaned == ["all of it"]
    assert capsys.readouterr().err == "expressroute-encryption: stopped by SIGTERM; no partial file left\n"
