"""The offline preview checks this project's stack config before it loads the SDK
(offline/stack_program.py): a config error is reported exactly as the program reports it,
and any other program is run as usual."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from expressroute_encryption.offline import stack_program
from tests.helpers import PROJECT_DIR, cli, dev_config, project_copy


def bad_project(tmp_path: Path, **edits) -> Path:
    config = dev_config()
    config["expressroute-encryption:ports"][0]["macsec"]["cipher"] = "GcmAesXpn256"
    config["expressroute-encryption:keyVault"]["name"] = "kv--bad"
    config["expressroute-encryption:portz"] = []
    config.update(edits)
    return project_copy(tmp_path, "bad", {"config": config})


def preview_both_ways(capsys, monkeypatch, *argv: str) -> tuple[tuple, tuple]:
    """The preview as it runs, and with the early check off (the program run as usual)."""
    early = cli(capsys, "preview", *argv)
    with monkeypatch.context() as patch:
        patch.setattr(stack_program, "config_problem", lambda *args: None)
        usual = cli(capsys, "preview", *argv)
    return early, usual


@pytest.mark.parametrize("mode", [(), ("--json",)])
def test_a_config_error_is_reported_as_the_program_reports_it(tmp_path, capsys, monkeypatch, mode):
    project = bad_project(tmp_path)
    early, usual = preview_both_ways(capsys, monkeypatch, "--stack", "bad", "--project-dir", str(project), *mode)
    assert early == usual
    code, out, err = early
    assert code == 2
    lines = json.loads(out)["errors"] if mode else err.splitlines()
    assert lines[0] == "stack config: 3 problems; nothing was deployed:"
    assert any(line.startswith("  ports[0].macsec.cipher: GcmAesXpn256 is not supported") for line in lines)


def test_the_notes_and_input_errors_come_as_before(tmp_path, capsys, monkeypatch):
    """An export target and a policy config are checked first, as before; their notes are kept."""
    project = bad_project(tmp_path)
    (project / "policy-config.bad.json").write_text(json.dumps({"all": "advisory"}))
    argv = ("--stack", "bad", "--project-dir", str(project), "--json", "--export", str(tmp_path / "out.json"))
    early, usual = preview_both_ways(capsys, monkeypatch, *argv)
    assert early == usual and early[0] == 2
    assert any(note.startswith("policy config: policy-config.bad.json") for note in json.loads(early[1])["notes"])
    (project / "policy-config.bad.json").write_text("{")
    early, usual = preview_both_ways(capsys, monkeypatch, *argv)
    assert early == usual and early[0] == 2
    assert json.loads(early[1])["errors"][0].startswith("error: CONFIG")


def test_a_config_error_loads_no_sdk(tmp_path):
    """What makes it fast: neither the Pulumi SDK, nor the policy SDK, nor azure-native."""
    project = bad_project(tmp_path)
    code = ("import sys\n"
            "from expressroute_encryption.cli import main\n"
            f"status = main(['preview', '--stack', 'bad', '--project-dir', {str(project)!r}])\n"
            "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'pulumi_policy', 'pulumi_azure_native'})\n"
            "print(status, loaded)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.stdout.splitlines()[-1] == "2 []", result.stderr


def test_only_this_projects_program_is_checked_early(tmp_path):
    assert stack_program.checks_config_first(PROJECT_DIR, "expressroute-encryption")
    assert not stack_program.checks_config_first(PROJECT_DIR, "another-project")
    assert not stack_program.checks_config_first(PROJECT_DIR / "examples" / "encrypted-port-from-code",
                                                 "expressroute-encryption")
    source = (PROJECT_DIR / "__main__.py").read_text()
    call = "from expressroute_encryption.program import run\n\nrun()\n"
    assert source.endswith(call)
    for changed in (
        source.replace(call, "print('hello')\n" + call),  # something happens first
        source.replace(call, "import os\n" + call),  # anything else at all
        source.replace("from expressroute_encryption.program import run", "from my_program import run"),
        source + "print('after')\n",
    ):
        (tmp_path / "__main__.py").write_text(changed)
        assert not stack_program.checks_config_first(tmp_path, "expressroute-encryption")
    (tmp_path / "__main__.py").write_text(source)
    assert stack_program.checks_config_first(tmp_path, "expressroute-encryption")
    # The template's program is the same file, so a project made from it is checked early too.
    template = PROJECT_DIR / "templates" / "expressroute-direct"
    assert stack_program.checks_config_first(template, "expressroute-encryption")


def test_the_program_checks_the_config_before_anything_else():
    """What the early check stands in for: program.run's first statement is the config check."""
    import ast
    import inspect

    from expressroute_encryption import program

    [first, *_] = ast.parse(inspect.getsource(program.run)).body[0].body[1:]  # after the docstring
    assert isinstance(first, ast.Try) and "load_stack_config()" in ast.unparse(first.body[0])


def test_config_from_the_environment_runs_the_program(tmp_path, monkeypatch):
    """The SDK adds PULUMI_CONFIG (and PULUMI_CONFIG_<KEY>) to what the program gets: the
    program then checks what it gets; the passphrase is not config."""
    project = bad_project(tmp_path)
    from expressroute_encryption.offline.stack_file import load_stack_file

    stack_file = load_stack_file(project, "bad")
    args = (project, stack_file.project, stack_file.config, stack_file.secret_keys)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not config")
    assert stack_program.config_problem(*args) is not None
    monkeypatch.setenv("PULUMI_CONFIG_AZURE_NATIVE_LOCATION", "westeurope")
    assert stack_program.config_problem(*args) is None
    monkeypatch.delenv("PULUMI_CONFIG_AZURE_NATIVE_LOCATION")
    monkeypatch.setenv("PULUMI_CONFIG", "{}")
    assert stack_program.config_problem(*args) is None
