"""offline/rotation_plan.py: ``expressroute-encryption rotation-plan`` as an operator runs it: in a
process of its own on a stack with its own keys (decrypted or not, never printing a key), on the
VPN stacks, and with a stack file error marked on every line; in-process, a first deployment that
PREVIOUS makes known is refused as `pulumi up` refuses it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from expressroute_encryption.cli import main
from tests.helpers import BYO_CAK, BYO_CKN, PROJECT_DIR, STACK_PASSPHRASE, byo_stack, project_copy


@pytest.mark.parametrize("passphrase", [True, False], ids=["decrypted", "not-decrypted"])
def test_the_rotation_plan_runs_on_a_stack_with_its_own_keys(tmp_path, stack_encrypter, passphrase):
    """The runbook is what an operator reads before a link change on a bring-your-own-key
    stack: the plan must run there, decrypted or not, without printing a key."""
    project = project_copy(tmp_path, "byo", {"encryptionsalt": stack_encrypter.state(),
                                             "config": byo_stack(stack_encrypter.encrypt)})
    env = {"PATH": "/usr/bin:/bin", **({"PULUMI_CONFIG_PASSPHRASE": STACK_PASSPHRASE} if passphrase else {})}
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "rotation-plan", "--stack", "byo",
                             "--project-dir", str(project)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "MACsec rotation plan for stack 'byo'" in result.stdout
    assert BYO_CAK not in result.stdout + result.stderr and BYO_CKN not in result.stdout + result.stderr


@pytest.mark.parametrize("stack", ["vpn", "vwan"])
def test_the_rotation_plan_runs_on_the_vpn_stacks(stack):
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "rotation-plan", "--stack", stack],
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"MACsec rotation plan for stack '{stack}'" in result.stdout


def test_the_rotation_plan_marks_every_line_of_a_stack_file_error(tmp_path, stack_encrypter):
    config = byo_stack(stack_encrypter.encrypt)
    for link in ("link1", "link2"):
        config["expressroute-encryption:macsecKeys"]["er-direct-ams-dev"][link]["ckn"] = BYO_CKN
    project = project_copy(tmp_path, "byo", {"encryptionsalt": stack_encrypter.state(), "config": config})
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "rotation-plan", "--stack", "byo",
                             "--project-dir", str(project)], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "PULUMI_CONFIG_PASSPHRASE": STACK_PASSPHRASE})
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 2
    assert all(line.startswith("error: Pulumi.byo.yaml: macsecKeys.er-direct-ams-dev.link") for line in lines)
    assert BYO_CKN not in result.stderr


def _first_deployment_export(path, stack: str) -> str:
    """A `pulumi stack export` of a stack that was never deployed: its stack resource, no outputs."""
    path.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": [{
        "urn": f"urn:pulumi:{stack}::expressroute-encryption::pulumi:pulumi:Stack::expressroute-encryption-{stack}",
        "custom": False, "type": "pulumi:pulumi:Stack", "inputs": {}, "outputs": {}}]}}))
    return str(path)


def test_a_known_first_deployment_of_a_port_past_reserved_is_refused(tmp_path, capsys):
    """PREVIOUS says the stack was never deployed, and prod's ports are past `reserved`:
    `pulumi up` refuses them, so the plan says so and exits 1, as the gate needs."""
    previous = _first_deployment_export(tmp_path / "never.json", "prod")
    code = main(["rotation-plan", "--stack", "prod", "--project-dir", str(PROJECT_DIR), "--previous", previous])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "The next `pulumi up` will be refused:" in out
    assert "ports[0].stage: port 'er-direct-ams-1' is new and would be created at stage active" in out


def test_without_previous_a_port_past_reserved_is_not_refused(capsys):
    """Without PREVIOUS the history is unknown: the plan runs as for a new stack and exits 0."""
    code = main(["rotation-plan", "--stack", "prod", "--project-dir", str(PROJECT_DIR)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "will be refused" not in out
