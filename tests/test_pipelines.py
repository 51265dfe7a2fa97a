"""The pipeline examples (.github/workflows, pipelines/) and the machine-readable summaries they post.

The workflow and pipeline files are checked by real validators installed from requirements-dev.txt:
actionlint (with shellcheck on every `run:` script) and check-jsonschema with its vendored
GitHub workflow and Azure Pipelines schemas, run with any network access made to fail. Each
validator is also shown a broken copy, so a validator that checks nothing fails here too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import PROJECT_DIR, dev_config, dev_live_config, live_dev_project, project_copy

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
AZURE_PIPELINES = sorted((PROJECT_DIR / "pipelines").glob("*.yml")) + sorted(
    (PROJECT_DIR / "pipelines" / "templates").glob("*.yml"))
SHELL_SCRIPTS = sorted((PROJECT_DIR / "pipelines").glob("*.sh"))
BIN = Path(sys.executable).parent  # the test virtualenv (.venv-test), where requirements-dev.txt installs the tools
ANSI = re.compile(r"\x1b\[")
# Any attempt to reach the network (e.g. a schema download) fails fast instead of passing by luck.
NO_NETWORK = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
              "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "NO_PROXY": ""}
AZURE_SCHEMA_ARGS = ["--builtin-schema", "vendor.azure-pipelines",
                     "--data-transform", "azure-pipelines", "--regex-variant", "nonunicode"]


def tool(name: str) -> str:
    path = shutil.which(name, path=str(BIN))
    assert path, f"{name} is not installed in {BIN}: run `make test` (it is pinned in requirements-dev.txt)"
    return path


def run(*args: str, cwd: Path = PROJECT_DIR, env: dict | None = None, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": f"{BIN}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), **(env or {})})


def load_yaml(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the `on:` key as a boolean
        document["on"] = document.pop(True)
    return document


# --- validators on the checked-in files -------------------------------------------------------

def test_pipeline_files_exist():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "pull-request.yml", "pulumi-stack.yml"]
    assert {p.relative_to(PROJECT_DIR).as_posix() for p in AZURE_PIPELINES} == {
        "pipelines/deploy.yml", "pipelines/pull-request.yml",
        "pipelines/templates/pulumi-stack.yml", "pipelines/templates/setup.yml"}


def test_github_workflows_pass_actionlint_with_shellcheck():
    tool("shellcheck")  # actionlint runs it on `run:` scripts when it is on PATH
    result = run(tool("actionlint"), "-no-color", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    (tmp_path / ".git").mkdir()  # actionlint resolves local reusable workflows from the repository root
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for path in WORKFLOWS:
        shutil.copy(path, workflows)
    deploy = workflows / "deploy.yml"
    deploy.write_text(deploy.read_text()
                      .replace("      stack: prod\n", "      stak: prod\n")
                      .replace("run: make test", "run: make test STACK=$GITHUB_REF_NAME"))
    result = run(tool("actionlint"), "-no-color", cwd=tmp_path)
    assert result.returncode == 1
    assert 'input "stak" is not defined in "./.github/workflows/pulumi-stack.yml" reusable workflow' in result.stdout
    assert "SC2086" in result.stdout  # shellcheck really ran


def test_workflows_and_pipelines_match_the_vendored_schemas_offline():
    github = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                 *map(str, WORKFLOWS), env=NO_NETWORK)
    assert github.returncode == 0, github.stdout + github.stderr
    azure = run(tool("check-jsonschema"), *AZURE_SCHEMA_ARGS, *map(str, AZURE_PIPELINES), env=NO_NETWORK)
    assert azure.returncode == 0, azure.stdout + azure.stderr


def test_the_schemas_reject_broken_copies(tmp_path):
    workflow = tmp_path / "deploy.yml"
    workflow.write_text((PROJECT_DIR / ".github/workflows/deploy.yml").read_text().replace("runs-on:", "run-on:"))
    github = run(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow), env=NO_NETWORK)
    assert github.returncode == 1 and "run-on" in github.stdout

    template = tmp_path / "pulumi-stack.yml"
    template.write_text((PROJECT_DIR / "pipelines/templates/pulumi-stack.yml").read_text()
                        .replace("scriptType: bash", "scriptType: zsh"))
    azure = run(tool("check-jsonschema"), *AZURE_SCHEMA_ARGS, str(template), env=NO_NETWORK)
    assert azure.returncode == 1 and "zsh" in azure.stdout


def test_pipeline_shell_scripts_pass_shellcheck():
    result = run(tool("shellcheck"), *map(str, SHELL_SCRIPTS))
    assert result.returncode == 0, result.stdout
    assert {p.name for p in SHELL_SCRIPTS} == {"offline-checks.sh", "azure-devops-env.sh"}


# --- what the pipelines do --------------------------------------------------------------------

def all_pipeline_text() -> str:
    return "\n".join(p.read_text() for p in WORKFLOWS + AZURE_PIPELINES + SHELL_SCRIPTS)


def test_no_long_lived_credentials_anywhere():
    text = all_pipeline_text()
    for forbidden in ("secrets.", "client-secret", "creds:", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE",
                      "ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET", "servicePrincipalKey", "AZURE_STORAGE_KEY"):
        assert forbidden not in text, forbidden
    stack = load_yaml(PROJECT_DIR / ".github/workflows/pulumi-stack.yml")
    assert stack["permissions"]["id-token"] == "write"
    assert stack["env"]["ARM_USE_OIDC"] == "true"
    logins = [s for job in stack["jobs"].values() for s in job["steps"] if s.get("uses", "").startswith("azure/login@")]
    assert len(logins) == 2 and all(set(s["with"]) == {"client-id", "tenant-id", "subscription-id"} for s in logins)
    azure_cli_tasks = re.findall(r"task: AzureCLI@2\n(?:.*\n){0,6}?\s+addSpnToEnvironment: true",
                                 (PROJECT_DIR / "pipelines/templates/pulumi-stack.yml").read_text())
    assert len(azure_cli_tasks) == 2


def pulumi_action_steps(job: str) -> list[dict]:
    """The steps of a job of pulumi-stack.yml that run a Pulumi command through pulumi/actions."""
    steps = load_yaml(PROJECT_DIR / ".github/workflows/pulumi-stack.yml")["jobs"][job]["steps"]
    return [s for s in steps if s.get("uses", "").startswith("pulumi/actions@") and "command" in s.get("with", {})]


def test_every_pulumi_command_uses_the_policy_pack_and_plain_output():
    commands = re.findall(r"^\s*(?:run: )?(pulumi (?:preview|up) .*)$", all_pipeline_text(), re.M)
    assert len(commands) == 3  # up in each CI system, preview in Azure Pipelines (GitHub: pulumi/actions)
    for command in commands:
        assert "--policy-pack policy" in command and "--color never" in command and "--non-interactive" in command
        # The stack's policy config, as offline-checks.sh rendered (and checked) it just before.
        assert '--policy-pack-config "$OUT_DIR/policy-pack-config-$STACK_NAME.json"' in command
    assert sum(" --yes" in c for c in commands) == 2
    (preview,) = pulumi_action_steps("preview")
    assert preview["with"]["command"] == "preview" and preview["with"]["policyPacks"] == "policy"
    assert preview["with"]["color"] == "never" and preview["with"]["diff"] is True


def test_the_real_preview_is_posted_on_the_pull_request_next_to_the_what_if():
    (preview,) = pulumi_action_steps("preview")
    assert preview["uses"] == "pulumi/actions@v7.0.0"
    assert preview["with"]["comment-on-pr"] == "${{ github.event_name == 'pull_request' }}"
    assert load_yaml(PROJECT_DIR / ".github/workflows/pulumi-stack.yml")["jobs"]["preview"]["permissions"] == {
        "contents": "read", "id-token": "write", "pull-requests": "write"}
    # A called workflow cannot ask for more than its caller grants: both callers grant it.
    assert load_yaml(PROJECT_DIR / ".github/workflows/pull-request.yml")["jobs"]["preview"]["permissions"][
        "pull-requests"] == "write"
    assert all(job["permissions"]["pull-requests"] == "write"
               for job in load_yaml(PROJECT_DIR / ".github/workflows/deploy.yml")["jobs"].values() if "uses" in job)
    template = (PROJECT_DIR / "pipelines/templates/pulumi-stack.yml").read_text()
    assert '| tee "$OUT_DIR/pulumi-preview-$STACK_NAME.txt"' in template
    assert '--ado-thread "$summary" --pulumi-preview "$preview"' in template


def test_update_plans_are_behind_a_parameter_that_is_off():
    stack = load_yaml(PROJECT_DIR / ".github/workflows/pulumi-stack.yml")
    assert stack["on"]["workflow_call"]["inputs"]["update-plan"]["default"] is False
    assert "EXPERIMENTAL" in stack["on"]["workflow_call"]["inputs"]["update-plan"]["description"]
    (preview,) = pulumi_action_steps("preview")
    assert preview["with"]["plan"] == "${{ inputs.update-plan && 'plan.json' || '' }}"
    assert "--plan plan.json" in stack["jobs"]["up"]["steps"][-1]["run"]
    template = load_yaml(PROJECT_DIR / "pipelines/templates/pulumi-stack.yml")
    assert next(p for p in template["parameters"] if p["name"] == "updatePlan")["default"] == "false"
    text = (PROJECT_DIR / "pipelines/templates/pulumi-stack.yml").read_text()
    assert '--save-plan "$OUT_DIR/plan-$STACK_NAME.json"' in text and '--plan "$PIPELINE_WORKSPACE/plan-' in text
    deploy = load_yaml(PROJECT_DIR / "pipelines/deploy.yml")
    assert next(p for p in deploy["parameters"] if p["name"] == "updatePlan")["default"] == "false"


def test_github_pull_request_and_main_branch_flow():
    stack = load_yaml(PROJECT_DIR / ".github/workflows/pulumi-stack.yml")
    preview_runs = [s.get("run") or f"{s.get('uses', '').split('@')[0]} {s.get('with', {}).get('command', '')}"
                    for s in stack["jobs"]["preview"]["steps"]]
    order = ["pulumi stack export", "pipelines/offline-checks.sh", "make -s rotation-plan", "pulumi/actions preview"]
    positions = [next(i for i, r in enumerate(preview_runs) if marker in r) for marker in order]
    assert positions == sorted(positions)
    up = stack["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}" and up["needs"] == "preview" and up["if"] == "inputs.deploy"
    assert "pulumi up" in up["steps"][-1]["run"]
    assert "pipelines/offline-checks.sh" in up["steps"][-2]["run"]  # the rotation guard again, just before `up`

    pull_request = load_yaml(PROJECT_DIR / ".github/workflows/pull-request.yml")
    assert list(pull_request["on"]) == ["pull_request"]
    assert pull_request["jobs"]["test"]["steps"][-1]["run"] == "make test"
    preview = pull_request["jobs"]["preview"]
    assert preview["uses"] == "./.github/workflows/pulumi-stack.yml" and "deploy" not in preview["with"]

    deploy = load_yaml(PROJECT_DIR / ".github/workflows/deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert deploy["jobs"]["prod"]["needs"] == "dev"
    for name in ("dev", "prod"):
        job = deploy["jobs"][name]
        assert job["with"] == {"stack": name, "deploy": True}
        assert job["concurrency"] == {"group": f"pulumi-{name}", "cancel-in-progress": False}



def test_the_smoke_job_runs_the_smoke_tests_on_the_newest_sdks_in_the_declared_ranges(tmp_path):
    """The job's own script picks pulumi's and pulumi-policy's ranges from pyproject.toml
    (run here on a copy: the specs it would install, nothing else), upgrades to the newest
    within them, and runs the tests marked smoke."""
    import tomllib

    job = load_yaml(PROJECT_DIR / ".github/workflows/pull-request.yml")["jobs"]["smoke-newest-sdks"]
    install, smoke = job["steps"][-2]["run"], job["steps"][-1]["run"]
    assert install.startswith("make venv\n") and "pip install --upgrade -r newest-sdks.txt" in install
    assert smoke == ".venv/bin/python -m pytest -m smoke"
    script = install.split("<<'EOF'\n", 1)[1].split("\nEOF\n", 1)[0]
    shutil.copy(PROJECT_DIR / "pyproject.toml", tmp_path)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]
    declared = {spec.split(">")[0]: spec for spec in project["dependencies"] + project["optional-dependencies"]["tools"]}
    assert result.stdout.splitlines() == [declared["pulumi"], declared["pulumi-policy"]]
    assert "<" in declared["pulumi"] and "<" in declared["pulumi-policy"], "a range with no upper bound"
    markers = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    assert any(marker.startswith("smoke:") for marker in markers)

def test_azure_pipelines_flow():
    template = load_yaml(PROJECT_DIR / "pipelines/templates/pulumi-stack.yml")
    preview, only_when_deploying = template["jobs"]
    (up,) = only_when_deploying["${{ if eq(parameters.deploy, true) }}"]
    assert preview["job"] == "preview" and up["deployment"] == "up" and up["dependsOn"] == "preview"
    assert up["environment"] == "${{ parameters.environment }}"
    script = preview["steps"][1]["inputs"]["inlineScript"]
    assert script.index("pulumi stack export") < script.index("offline-checks.sh") < script.index("pulumi preview")
    deploy = load_yaml(PROJECT_DIR / "pipelines/deploy.yml")
    assert deploy["trigger"]["branches"]["include"] == ["main"] and deploy["pr"] == "none"
    pull_request = load_yaml(PROJECT_DIR / "pipelines/pull-request.yml")
    assert pull_request["trigger"] == "none" and pull_request["pr"]["branches"]["include"] == ["main"]


def test_stacks_in_the_pipelines_exist_and_the_cli_matches_the_sdk_pin():
    stacks = [load_yaml(PROJECT_DIR / ".github/workflows/pull-request.yml")["jobs"]["preview"]["strategy"]["matrix"]["stack"],
              [s["name"] for s in load_yaml(PROJECT_DIR / "pipelines/pull-request.yml")["parameters"][0]["default"]],
              [s["name"] for s in load_yaml(PROJECT_DIR / "pipelines/deploy.yml")["parameters"][0]["default"]]]
    for names in stacks:
        assert names == ["dev", "prod"]
        assert all((PROJECT_DIR / f"Pulumi.{name}.yaml").exists() for name in names)
    sdk = re.search(r"^pulumi==(\S+)$", (PROJECT_DIR / "requirements.txt").read_text(), re.M).group(1)
    assert load_yaml(PROJECT_DIR / ".github/workflows/pulumi-stack.yml")["env"]["PULUMI_VERSION"] == sdk
    assert load_yaml(PROJECT_DIR / "pipelines/templates/setup.yml")["parameters"][0]["default"] == sdk


def test_actions_are_pinned_to_versions():
    uses = [u for p in WORKFLOWS for u in re.findall(r"uses: (\S+)", p.read_text())]
    assert uses
    for action in uses:
        assert action.startswith("./") or re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", action), action


# --- the offline commands' JSON summaries -----------------------------------------------------

def preview(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess:
    return run(sys.executable, "-m", "expressroute_encryption.cli", "preview", *args, cwd=cwd)


@pytest.fixture(scope="module")
def dev_preview(tmp_path_factory):
    """`expressroute-encryption preview --stack dev --json --export FILE`: (summary, export path)."""
    export = tmp_path_factory.mktemp("dev") / "preview-export.json"
    result = preview("--stack", "dev", "--json", "--export", str(export))
    assert result.returncode == 0, result.stderr
    assert not ANSI.search(result.stdout + result.stderr)
    return json.loads(result.stdout), export


def test_preview_json_has_resource_counts_policy_results_and_no_errors(dev_preview):
    summary, _ = dev_preview
    assert summary["stack"] == "dev" and summary["exitCode"] == 0 and summary["errors"] == []
    assert summary["resources"] == 14 == sum(summary["resourceTypes"].values())
    assert summary["resourceTypes"]["azure-native:network:ExpressRoutePort"] == 1
    assert summary["resourceTypes"]["azure-native:keyvault:Secret"] == 4
    policy = summary["policy"]
    assert (policy["mandatory"], policy["advisory"]) == (0, 3) and len(policy["violations"]) == 3
    assert {tuple(sorted(v)) for v in policy["violations"]} == {("level", "message", "policy", "urn")}
    # dev (a reserved port) is unprotected (its port and identity) and unmonitored (its port).
    assert {v["policy"] for v in policy["violations"]} == {"critical-resources-protected", "expressroute-port-monitored"}


def test_checker_json_on_the_preview_export(dev_preview):
    summary, export = dev_preview
    result = run(sys.executable, "-m", "expressroute_encryption.cli", "check-policy", str(export), "--json")
    assert result.returncode == 0, result.stderr
    checked = json.loads(result.stdout)
    assert checked["format"] == "stack export" and checked["policyPack"] == "expressroute-encryption-policies"
    assert checked["resources"] == summary["resources"]
    assert (checked["mandatory"], checked["advisory"]) == (0, 3)
    assert sorted(map(json.dumps, checked["violations"])) == sorted(map(json.dumps, summary["policy"]["violations"]))
    text = run(sys.executable, "-m", "expressroute_encryption.cli", "check-policy", str(export))
    assert text.returncode == 0 and not ANSI.search(text.stdout + text.stderr)


def test_config_error_exits_2_in_json_mode_too_with_the_errors_in_the_json(tmp_path):
    config = dev_config()
    config["expressroute-encryption:ports"][0]["macsec"]["cipher"] = "GcmAesXpn256"
    config["expressroute-encryption:keyVault"]["name"] = "kv--bad"
    project = project_copy(tmp_path, "bad", {"config": config})
    text = preview("--stack", "bad", "--project-dir", str(project))
    as_json = preview("--stack", "bad", "--project-dir", str(project), "--json")
    assert text.returncode == as_json.returncode == 2
    for result in (text, as_json):
        assert "Traceback" not in result.stdout + result.stderr
        assert not ANSI.search(result.stdout + result.stderr)
    summary = json.loads(as_json.stdout)
    assert summary["exitCode"] == 2 and summary["resources"] == 0 and summary["policy"]["violations"] == []
    assert summary["errors"][0] == "stack config: 2 problems; nothing was deployed:"
    assert sorted(e.split(":")[0].strip() for e in summary["errors"][1:]) == ["keyVault.name", "ports[0].macsec.cipher"]
    assert summary["errors"] == text.stderr.strip().splitlines()  # the same lines as in text mode


def test_both_link_macsec_change_fails_the_pull_request_check(tmp_path):
    """The PR pipeline's command: make preview STACK=<env> PREVIOUS=<last deployment> JSON=1."""
    last_deployment = tmp_path / "last.json"  # as `pulumi stack export` would give it: the dev port, active
    deployed = preview("--stack", "dev", "--project-dir", str(live_dev_project(tmp_path / "live")),
                       "--export", str(last_deployment))
    assert deployed.returncode == 0, deployed.stderr
    config = dev_live_config()
    config["expressroute-encryption:ports"][0]["macsec"]["keyGeneration"] = {"link1": 2, "link2": 2}
    project = project_copy(tmp_path, "dev", {"config": config})
    result = preview("--stack", "dev", "--project-dir", str(project), "--previous", str(last_deployment), "--json")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["exitCode"] == 2 and summary["resources"] == 0
    assert summary["errors"][0].startswith("MACsec change refused")
    assert any("link1" in e and "link2" in e for e in summary["errors"][1:])


# --- pipelines/offline-checks.sh and pipelines/pr_summary.py ----------------------------------

def offline_checks(tmp_path: Path, stack: str, **env: str) -> subprocess.CompletedProcess:
    return run("bash", str(PROJECT_DIR / "pipelines/offline-checks.sh"), stack, env={"OUT_DIR": str(tmp_path), **env})


def test_offline_checks_script_writes_the_summaries(tmp_path):
    result = offline_checks(tmp_path, "dev")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "offline-preview-dev.json", "policy-check-dev.json", "policy-pack-config-dev.json", "preview-export-dev.json",
        "summary-dev.md"]
    assert json.loads((tmp_path / "policy-pack-config-dev.json").read_text()) == {}  # dev has no policy config
    assert json.loads((tmp_path / "offline-preview-dev.json").read_text())["resources"] == 14
    assert json.loads((tmp_path / "policy-check-dev.json").read_text())["resources"] == 14
    summary = (tmp_path / "summary-dev.md").read_text()
    assert summary.startswith("### Stack `dev`: offline checks passed (exit 0)")
    assert "| policy pack | 0 mandatory, 3 advisory violation(s) |" in summary
    assert summary.strip() in result.stdout  # also readable in the job log
    assert not ANSI.search(result.stdout + result.stderr)


def test_offline_checks_script_keeps_the_exit_codes(tmp_path):
    strict = tmp_path / "policy-config.json"
    strict.write_text(json.dumps({"critical-resources-protected": "mandatory"}))
    violation = offline_checks(tmp_path / "strict", "dev", POLICY_CONFIG=str(strict))
    assert violation.returncode == 1  # `make` alone would have said 2
    assert json.loads((tmp_path / "strict/policy-check-dev.json").read_text())["mandatory"] == 2
    assert "offline checks failed: mandatory policy violation (exit 1)" in violation.stdout

    missing = offline_checks(tmp_path / "missing", "nope")
    assert missing.returncode == 2
    assert "error: Pulumi.nope.yaml: no such file (is the stack name right?)" in missing.stdout
    assert not (tmp_path / "missing/policy-check-nope.json").exists()


def load_pr_summary():
    spec = importlib.util.spec_from_file_location("pr_summary", PROJECT_DIR / "pipelines/pr_summary.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pr_summary_statuses_and_escaping(tmp_path):
    pr_summary = load_pr_summary()
    markdown, status = pr_summary.summarize("dev", str(tmp_path / "absent.json"))
    assert status == 2 and "not written" in markdown

    preview_file = tmp_path / "preview.json"
    preview_file.write_text(json.dumps({
        "stack": "dev", "exitCode": 0, "errors": [], "notes": [], "resources": 1,
        "resourceTypes": {"azure-native:network:ExpressRoutePort": 1},
        "policy": {"mandatory": 0, "advisory": 1, "violations": [
            {"level": "advisory", "policy": "p", "urn": "urn:pulumi:dev::x::t::port", "message": "a | b `c`"}]}}))
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps({"resources": 1, "mandatory": 1, "advisory": 0, "violations": []}))
    markdown, status = pr_summary.summarize("dev", str(preview_file), str(policy_file))
    assert status == 1  # the preview passed, the policy check did not
    row = next(line for line in markdown.splitlines() if line.startswith("| advisory"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 5 and "a \\| b 'c'" in row

    (tmp_path / "summary.md").write_text(markdown)
    result = run(sys.executable, str(PROJECT_DIR / "pipelines/pr_summary.py"), "--ado-thread", str(tmp_path / "summary.md"))
    thread = json.loads(result.stdout)
    assert thread["status"] == 4 and thread["comments"] == [
        {"parentCommentId": 0, "content": markdown.strip(), "commentType": 1}]


def test_operations_doc_is_linked_and_names_only_files_that_exist():
    doc = (PROJECT_DIR / "docs/operations.md").read_text()
    assert "[docs/operations.md](docs/operations.md)" in (PROJECT_DIR / "README.md").read_text()
    named = set(re.findall(r"`((?:\.github/workflows|pipelines)/[\w./-]+\.(?:yml|sh|py))`", doc))
    assert {"pipelines/offline-checks.sh", "pipelines/pr_summary.py", ".github/workflows/pulumi-stack.yml"} <= named
    assert [name for name in named if not (PROJECT_DIR / name).exists()] == []
    for command in ("pulumi login \"azblob://", "--secrets-provider \"azurekeyvault://",
                    "pulumi stack change-secrets-provider", "pulumi stack output macsecKeys --show-secrets"):
        assert command in doc, command


def test_the_pull_request_summary_shows_the_exemptions(tmp_path):
    line = "exemption: expressroute-port-macsec-required: port port-a exempt until 2027-03-31 (migration)"
    preview_file = tmp_path / "preview.json"
    preview_file.write_text(json.dumps({
        "stack": "prod", "exitCode": 0, "errors": [], "notes": [], "resources": 1, "resourceTypes": {},
        "policy": {"exemptions": [line], "mandatory": 0, "advisory": 0, "violations": []}}))
    markdown, status = load_pr_summary().summarize("prod", str(preview_file))
    assert status == 0 and f"- {line}" in markdown.splitlines()


def test_offline_checks_render_the_stack_policy_config_once_for_the_gate_and_pulumi(tmp_path):
    """One exemptPorts list at the top level: rendered under the three policies, and that
    rendered file is what the gate checks (and the workflows hand to pulumi)."""
    import datetime

    until = (datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=30)).isoformat()
    short = tmp_path / "policy-config.dev.json"
    short.write_text(json.dumps({"exemptPorts": [{"name": "er-direct-ams-dev", "expires": until, "reason": "CHG-1"}]}))
    result = offline_checks(tmp_path / "out", "dev", POLICY_CONFIG=str(short))
    assert result.returncode == 0, result.stdout + result.stderr
    rendered = json.loads((tmp_path / "out/policy-pack-config-dev.json").read_text())
    assert set(rendered) == {"expressroute-port-macsec-required", "expressroute-circuit-on-encrypted-port",
                             "expressroute-port-macsec-exemption"}
    assert all(entry["exemptPorts"][0]["expires"] == until for entry in rendered.values())
    preview_summary = json.loads((tmp_path / "out/offline-preview-dev.json").read_text())
    assert f"exemption: expressroute-port-macsec-required: port er-direct-ams-dev exempt until {until} (CHG-1)" in \
        preview_summary["policy"]["exemptions"]
    checked = json.loads((tmp_path / "out/policy-check-dev.json").read_text())
    assert checked["policyConfig"].endswith("policy-pack-config-dev.json") and checked["exemptions"]


def test_offline_checks_refuse_an_exemption_the_cli_schema_refuses(tmp_path):
    bad = tmp_path / "policy-config.dev.json"
    bad.write_text(json.dumps({"exemptPorts": [{"name": "er-direct-ams-dev", "expires": "2027-W13-3"}]}))
    result = offline_checks(tmp_path / "out", "dev", POLICY_CONFIG=str(bad))
    assert result.returncode == 2
    assert not (tmp_path / "out/policy-pack-config-dev.json").exists()
    summary = json.loads((tmp_path / "out/offline-preview-dev.json").read_text())
    assert any("exemptPorts[0].expires must be a date written YYYY-MM-DD" in e for e in summary["errors"])


def test_the_pull_request_summary_shows_the_what_if_and_each_link(tmp_path):
    preview_file = tmp_path / "preview.json"
    port = "urn:pulumi:prod::expressroute-encryption::expressroute-encryption:index:EncryptedDirectPort$"
    state = {"macsecEnabled": True, "adminState": "Enabled", "cipher": "GcmAes256", "sciState": "Disabled",
             "keySource": "generated"}
    preview_file.write_text(json.dumps({
        "stack": "prod", "exitCode": 0, "errors": [], "notes": [], "resources": 3, "resourceTypes": {},
        "policy": {"exemptions": [], "mandatory": 0, "advisory": 0, "violations": []},
        "changes": [
            {"urn": port + "azure-native:network:ExpressRoutePort::port-a", "op": "update",
             "fields": ["links[0].macSecConfig.cakSecretIdentifier"]},
            {"urn": port + "azure-native:keyvault:Secret::port-a-link1-cak", "op": "update",
             "fields": ["properties.value (secret)"]},
            {"urn": port + "random:index/randomBytes:RandomBytes::port-a-link1-cak-gen1", "op": "same", "fields": []}],
        "links": [
            {"port": "port-a", "link": "link1", "before": {**state, "keyGeneration": 1},
             "after": {**state, "keyGeneration": 2}, "disruptive": True, "fields": ["keyGeneration"]},
            {"port": "port-a", "link": "link2", "before": {**state, "keyGeneration": 1},
             "after": {**state, "keyGeneration": 1}, "disruptive": False, "fields": []}]}))
    markdown, status = load_pr_summary().summarize("prod", str(preview_file))
    assert status == 0
    lines = markdown.splitlines()
    assert ("**What-if against the last deployment** (offline; `pulumi preview` shows the real diff): 1 same, "
            "2 update") in lines
    assert "| update | ExpressRoutePort port-a | links[0].macSecConfig.cakSecretIdentifier |" in lines
    assert "| update | Secret port-a-link1-cak | properties.value (secret) |" in lines
    assert not any("RandomBytes" in line for line in lines)  # what stays the same is only counted
    assert "- `port-a/link1`: key generation 1 -> 2 (**disruptive**)" in lines
    assert "- `port-a/link2`: no change" in lines


def test_the_azure_devops_thread_carries_the_real_preview_after_the_summary(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("### Stack `prod`: offline checks passed (exit 0)\n")
    log = tmp_path / "pulumi-preview.txt"
    log.write_text("Previewing update (prod)\n ~ azure-native:network:ExpressRoutePort port-a update [diff: ~links]\n"
                   "```\nResources:\n    ~ 1 to update\n")
    result = run(sys.executable, str(PROJECT_DIR / "pipelines/pr_summary.py"), "--ado-thread", str(summary),
                 "--pulumi-preview", str(log))
    content = json.loads(result.stdout)["comments"][0]["content"]
    assert content.startswith("### Stack `prod`: offline checks passed (exit 0)")
    assert "#### `pulumi preview --policy-pack policy --diff` (the real diff)" in content
    assert "~ azure-native:network:ExpressRoutePort port-a update [diff: ~links]" in content
    assert content.count("```") == 2  # the log's own fence cannot close the block early
