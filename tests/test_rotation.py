"""Safe MACsec changes: one link at a time on live ports (issue 6)."""

from __future__ import annotations

import json
import subprocess
import sys

import pulumi
import pytest

from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.rotation import Previous, rotation_plan
from expressroute_encryption.offline.wire import is_secret, unwrap
from tests.helpers import BYO_CAK, BYO_CKN, PROJECT_DIR, base_config, dev_config, find, one, plain_inputs, port, project_copy, run_stack


def macsec(**changes):
    settings = {"cipher": "GcmAes256"}
    settings.update(changes)
    return settings


def deployed(stage="active", **port_changes):
    """A previous deployment of BASE's port at ``stage``."""
    return run_stack(base_config(ports=[port(stage=stage, **port_changes)]))


@pytest.fixture(scope="module")
def live():
    return deployed("active")


def refused(values, previous, **kw) -> str:
    with pytest.raises(pulumi.RunError) as info:
        run_stack(values, previous=previous, **kw)
    return str(info.value)


def test_first_deployment_has_nothing_to_compare():
    run = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 5, "link2": 7}))]))
    assert find(run, "ExpressRoutePort")


def test_rotating_link1_only_passes_and_changes_only_link1(live):
    after = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))]), previous=live)
    before_links, after_links = (plain_inputs(one(r, "ExpressRoutePort"))["links"] for r in (live, after))
    assert before_links[1] == after_links[1]
    assert before_links[0]["macSecConfig"]["cakSecretIdentifier"] != after_links[0]["macSecConfig"]["cakSecretIdentifier"]
    changed = {r.name for r in after.resources if find(live, r.type.split(":")[-1], r.name)
               and plain_inputs(r) != plain_inputs(one(live, r.type.split(":")[-1], r.name))}
    assert changed == {"port-a-link1-cak", "port-a-link1-ckn", "port-a"}
    assert {r.name for r in find(after, "RandomBytes")} - {r.name for r in find(live, "RandomBytes")} == {
        "port-a-link1-cak-gen2", "port-a-link1-ckn-gen2"}


def test_rotating_both_links_of_an_active_port_is_refused_before_anything_is_registered(live, monkeypatch):
    from expressroute_encryption.offline import harness

    registered = []
    original = harness.RecordingMonitor.RegisterResource
    monkeypatch.setattr(harness.RecordingMonitor, "RegisterResource",
                        lambda self, req: registered.append(req.type) or original(self, req))
    message = refused(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2, "link2": 2}))]), live)
    assert registered == ["pulumi:pulumi:Stack"]
    lines = message.splitlines()
    assert lines[0] == "MACsec change refused: 1 problem; nothing was deployed:"
    assert lines[1].strip().startswith(
        "ports[0].macsec: port 'port-a' is active and this update changes MACsec on both link1 and link2 "
        "(link1: keyGeneration 1 -> 2; link2: keyGeneration 1 -> 2)"
    )
    assert "first only link1" in message and "then link2" in message
    assert "ports[0].macsec.allowBothLinks: true" in message


def test_allow_both_links_overrides_the_guard(live):
    run = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2, "link2": 2}, allowBothLinks=True))]),
                    previous=live)
    assert [link["adminState"] for link in plain_inputs(one(run, "ExpressRoutePort"))["links"]] == ["Enabled", "Enabled"]


@pytest.mark.parametrize("stage", ["reserved", "encrypted"])
def test_ports_without_traffic_are_not_guarded(stage):
    previous = deployed(stage)
    run = run_stack(base_config(ports=[port(stage="active", macsec=macsec(cipher="GcmAes128", keyGeneration={"link1": 2, "link2": 2}))]),
                    previous=previous)
    assert find(run, "ExpressRoutePort")


def test_cipher_change_is_disruptive_on_both_links(live):
    message = refused(base_config(ports=[port(macsec=macsec(cipher="GcmAes128"))]), live)
    assert "(link1: cipher GcmAes256 -> GcmAes128; link2: cipher GcmAes256 -> GcmAes128)" in message


def test_cipher_change_staged_on_one_link_passes(live):
    run = run_stack(base_config(ports=[port(macsec=macsec(link1={"cipher": "GcmAes128"}))]), previous=live)
    links = plain_inputs(one(run, "ExpressRoutePort"))["links"]
    assert [link["macSecConfig"]["cipher"] for link in links] == ["GcmAes128", "GcmAes256"]
    assert plain_inputs(one(run, "RandomBytes", "port-a-link1-cak-gen1"))["length"] == 16
    assert plain_inputs(one(run, "RandomBytes", "port-a-link2-cak-gen1"))["length"] == 32


def test_sci_change_counts_too(live):
    message = refused(base_config(ports=[port(macsec=macsec(sciState="Enabled"))]), live)
    assert "sciState Disabled -> Enabled" in message


def test_taking_a_live_port_out_of_service_is_guarded(live):
    message = refused(base_config(ports=[port(stage="encrypted")]), live)
    assert "adminState Enabled -> Disabled" in message


def byo(cak=BYO_CAK, ckn=BYO_CKN, link2_cak=BYO_CAK):
    return {"port-a": {"link1": {"cak": cak, "ckn": ckn}, "link2": {"cak": link2_cak, "ckn": ckn}}}


@pytest.fixture(scope="module")
def live_byo():
    return run_stack(base_config(macsecKeys=byo()), secret_keys=("macsecKeys",))


def test_byo_key_change_without_generation_bump_is_refused(live_byo):
    new_cak = "ab" * 32
    message = refused(base_config(macsecKeys=byo(cak=new_cak)), live_byo, secret_keys=("macsecKeys",))
    assert "ports[0].macsec.keyGeneration.link1: the bring-your-own key of link1 changed but its keyGeneration is still 1; raise it to 2" in message
    assert new_cak not in message and BYO_CAK not in message


def test_byo_key_change_with_generation_bump_passes(live_byo):
    new_cak = "ab" * 32
    run = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))], macsecKeys=byo(cak=new_cak)),
                    previous=live_byo, secret_keys=("macsecKeys",))
    secret = one(run, "keyvault:Secret", "port-a-link1-cak")
    assert unwrap(secret.inputs["properties"])["value"] == new_cak


def test_byo_fingerprints_are_secret_and_follow_the_key(live_byo, dev_run):
    prints = live_byo.stack_outputs["macsecKeyFingerprints"]
    assert is_secret(prints)
    before = unwrap(prints)["port-a"]
    changed = run_stack(base_config(macsecKeys=byo(link2_cak="ab" * 32)), secret_keys=("macsecKeys",))
    now = unwrap(changed.stack_outputs["macsecKeyFingerprints"])["port-a"]
    assert now["link1"] == before["link1"] and now["link2"] != before["link2"]
    assert "macsecKeyFingerprints" not in dev_run.stack_outputs


def plan_for(values, previous_run):
    config = parse_stack_config(values)
    outputs = unwrap(previous_run.stack_outputs)
    return rotation_plan(config, Previous(ports=outputs["ports"], fingerprints={}), "prod")


def test_runbook_lists_the_steps_in_order_without_key_material(live):
    plan = plan_for(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))]), live)
    assert "  link1: keyGeneration 1 -> 2 (DISRUPTIVE: the link drops until your router matches)" in plan
    assert "  link2: no change (not disruptive)" in plan
    steps = [line.strip() for line in plan.splitlines() if line.strip()[:2] in {f"{n}." for n in range(1, 7)}]
    assert [s.split(" ", 2)[1] for s in steps] == ["move", "run", "load", "check", "move", "repeat"]
    assert "pulumi stack output macsecKeys --show-secrets --json --stack prod" in plan
    keys = [unwrap(r.outputs["hex"]) for r in find(live, "RandomBytes")]
    assert not any(key in plan for key in keys)
    assert "refused" not in plan


def test_byo_runbook_loads_the_key_before_the_update_and_never_shows_it(live_byo):
    new_cak = "ab" * 32
    config = parse_stack_config(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))],
                                            macsecKeys=byo(cak=new_cak)))
    outputs = unwrap(live_byo.stack_outputs)
    plan = rotation_plan(config, Previous(ports=outputs["ports"], fingerprints=outputs["macsecKeyFingerprints"]), "prod")
    steps = [line.strip() for line in plan.splitlines() if line.strip()[:2] in {f"{n}." for n in range(1, 7)}]
    assert steps[1].startswith("2. load the new key on your router's link1") and steps[2].startswith("3. run `pulumi up`")
    for secret in (new_cak, BYO_CAK, BYO_CKN):
        assert secret not in plan
    assert "refused" not in plan


def test_plan_shows_a_refusal(live):
    plan = plan_for(base_config(ports=[port(macsec=macsec(cipher="GcmAes128"))]), live)
    assert "The next `pulumi up` will be refused:" in plan


def make_stack_and_previous(tmp_path, generations):
    """A project copy whose dev stack raised key generations, and an export of the original dev."""
    previous = tmp_path / "previous.json"
    subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--stack", "dev", "--export", str(previous)],
                   cwd=PROJECT_DIR, check=True, capture_output=True)
    config = dev_config()
    config["expressroute-encryption:ports"][0]["macsec"]["keyGeneration"] = generations
    return project_copy(tmp_path / "project", "dev", {"config": config}), previous


@pytest.mark.parametrize("generations,code", [({"link1": 2, "link2": 1}, 0), ({"link1": 2, "link2": 2}, 1)])
def test_make_rotation_plan_and_preview_with_previous(tmp_path, generations, code):
    (tmp_path / "project").mkdir()
    project, previous = make_stack_and_previous(tmp_path, generations)
    plan = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "rotation-plan", "--stack", "dev", "--project-dir", str(project),
                           "--previous", str(previous)], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert plan.returncode == code, plan.stderr
    assert "port er-direct-ams-dev (stage active):" in plan.stdout
    preview = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--stack", "dev", "--project-dir", str(project),
                              "--previous", str(previous)], cwd=PROJECT_DIR, capture_output=True, text=True)
    assert preview.returncode == (0 if code == 0 else 2), preview.stderr
    assert "Traceback" not in preview.stderr
    if code:
        assert "MACsec change refused" in preview.stderr


def test_unreadable_previous_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "previous.json"
    bad.write_text("{not json")
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--previous", str(bad)],
                            cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: previous deployment: {bad}: not a `pulumi stack export` file"


# --- the port lifecycle against the last deployment ---------------------------------


def test_a_port_new_to_a_deployed_stack_must_start_reserved(live):
    values = base_config(ports=[port(), port(name="port-b")])
    message = refused(values, live)
    assert "ports[1].stage: port 'port-b' is new: create it with stage: reserved first" in message
    run = run_stack(base_config(ports=[port(), port(name="port-b", stage="reserved")]), previous=live)
    assert "links" not in plain_inputs(one(run, "ExpressRoutePort", "port-b"))


@pytest.mark.parametrize("stage", ["encrypted", "active"])
def test_a_port_cannot_go_back_to_reserved(stage):
    message = refused(base_config(ports=[port(stage="reserved")]), deployed(stage))
    assert "ports[0].stage: port 'port-a' cannot go back to reserved" in message


def test_reserved_port_may_go_straight_to_active():
    run = run_stack(base_config(ports=[port(stage="active")]), previous=deployed("reserved"))
    assert [link["adminState"] for link in plain_inputs(one(run, "ExpressRoutePort"))["links"]] == ["Enabled"] * 2


def test_first_deployment_past_reserved_is_warned_in_the_preview():
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--stack", "dev"], cwd=PROJECT_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert ("warning: port 'er-direct-ams-dev' is deployed for the first time at stage active: if the port "
            "does not exist in Azure yet, deploy it as reserved first") in result.stdout


def test_a_previous_export_the_guard_cannot_compare_with_is_bad_input_for_the_plan_too(tmp_path):
    """The preview and the plan agree: an unusable PREVIOUS is exit 2, not a refused change."""
    bad = tmp_path / "previous.json"
    bad.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": [{
        "urn": "urn:pulumi:dev::expressroute-encryption::pulumi:pulumi:Stack::expressroute-encryption-dev",
        "type": "pulumi:pulumi:Stack", "outputs": {"ports": {"er-direct-ams-dev": {"links": "x"}}}}]}}))
    for command in ("rotation-plan", "preview"):
        result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", command, "--previous", str(bad)],
                                cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
        assert result.returncode == 2, (command, result.stderr)
        assert "cannot compare" in result.stderr


def test_a_project_without_a_program_is_one_clean_error(tmp_path):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (tmp_path / name).write_text((PROJECT_DIR / name).read_text())
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--project-dir", str(tmp_path)],
                            cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().endswith("__main__.py: no such file: the program to preview "
                                          "(is --project-dir the Pulumi project's folder?)")
