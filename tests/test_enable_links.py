"""Turning MACsec on for a live port, link by link (issue 16, second half): ``macsec.<link>.enabled``."""

from __future__ import annotations

import copy
import subprocess
import sys

import pulumi
import pytest

from expressroute_encryption import link_state as ls
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import BYO_CAK, BYO_CKN, base_config, find, one, plain_inputs, port, project_copy, run_stack
from tests.test_adopt import OFF, adopted_config, run
from tests.test_change_guard import plan
from tests.test_rotation import refused

LINK1_ON = {"cipher": "GcmAes256", "link2": {"enabled": False}}


def live_config(macsec=OFF, **changes):
    return base_config(ports=[port(macsec=copy.deepcopy(macsec), **changes)])


def links_sent(result) -> dict:
    return {link["name"]: link for link in plain_inputs(one(result, "network:ExpressRoutePort"))["links"]}


@pytest.fixture(scope="module")
def adopted():
    """The deployment that adopts a live unencrypted port, and the next one with the same config."""
    first = run(adopted_config())
    return first, run(adopted_config(), previous=first.stack_outputs)


@pytest.fixture(scope="module")
def unencrypted():
    """A live port of this stack with MACsec off on both links."""
    return run_stack(live_config())


# --- what a link with enabled: false gets ------------------------------------------------


@pytest.mark.parametrize("stage", ["encrypted", "active"])
def test_the_link_state_follows_enabled_per_link_and_the_admin_state_the_stage(stage):
    settings = parse_stack_config(live_config(macsec=LINK1_ON, stage=stage)).ports[0]
    states = {link: ls.link_state(settings, link, ls.GENERATED) for link in ("link1", "link2")}
    assert states["link1"]["macsecEnabled"] is True and states["link2"]["macsecEnabled"] is False
    admin = "Enabled" if stage == "active" else "Disabled"
    assert states["link1"]["adminState"] == states["link2"]["adminState"] == admin


def test_a_live_unencrypted_port_gets_admin_enabled_links_without_macsec(unencrypted):
    links = links_sent(unencrypted)
    assert links == {"link1": {"name": "link1", "adminState": "Enabled"},
                     "link2": {"name": "link2", "adminState": "Enabled"}}
    # The identity stays (harmless), and each link's keys are made all the same.
    assert plain_inputs(one(unencrypted, "network:ExpressRoutePort"))["identity"]["type"] == "UserAssigned"
    assert {r.name for r in find(unencrypted, "keyvault:Secret")} == {
        f"port-a-{link}-{kind}" for link in ("link1", "link2") for kind in ("cak", "ckn")}
    keys = unwrap(unencrypted.stack_outputs["macsecKeys"])["port-a"]
    assert set(keys) == {"link1", "link2"} and all(len(keys[link]["cak"]) == 64 for link in keys)


def test_only_the_disabled_link_goes_without_macsec():
    links = links_sent(run_stack(live_config(macsec=LINK1_ON)))
    assert links["link1"]["macSecConfig"]["cipher"] == "GcmAes256" and "macSecConfig" not in links["link2"]


def test_a_reserved_port_still_sends_no_links():
    assert "links" not in plain_inputs(one(run_stack(live_config(stage="reserved")), "network:ExpressRoutePort"))


# --- adopting a live unencrypted port changes nothing ---------------------------------------


def test_adopting_and_the_next_deployment_change_nothing_on_the_links(adopted):
    first, second = adopted
    assert one(first, "network:ExpressRoutePort").ignore_changes == ["identity", "links"]
    # The next deployment applies links as Azure has them: admin-enabled, no MACsec settings.
    assert links_sent(second) == links_sent(first) == {
        "link1": {"name": "link1", "adminState": "Enabled"}, "link2": {"name": "link2", "adminState": "Enabled"}}
    text = plan(adopted_config(), first)
    assert "  link1: no change (not disruptive)" in text and "  link2: no change (not disruptive)" in text
    assert "refused" not in text


def test_adopting_a_port_with_macsec_on_a_link_still_needs_its_keys():
    values = adopted_config()
    values["ports"][0]["macsec"] = {"cipher": "GcmAes256", "link2": {"enabled": False}}
    with pytest.raises(pulumi.RunError) as info:
        run(values)
    assert "is adopted with MACsec on link1" in str(info.value)


# --- the guard: one link per deployment on a live port ---------------------------------------


def test_enabling_one_link_of_a_live_port_passes_with_the_keys_made_before(adopted):
    _, second = adopted
    values = adopted_config()
    values["ports"][0]["macsec"] = copy.deepcopy(LINK1_ON)
    third = run(values, previous=second.stack_outputs)
    links = links_sent(third)
    recorded = unwrap(second.stack_outputs["ports"])["port-a"]["links"]["link1"]
    # The link points at the secrets that existed before: the keys read from macsecKeys are the ones used.
    assert links["link1"]["macSecConfig"]["cakSecretIdentifier"] == recorded["cakSecretUri"]
    assert links["link1"]["macSecConfig"]["cknSecretIdentifier"] == recorded["cknSecretUri"]
    assert "macSecConfig" not in links["link2"]
    assert (unwrap(third.stack_outputs["macsecKeys"])["port-a"]["link1"]
            == unwrap(second.stack_outputs["macsecKeys"])["port-a"]["link1"])


def test_the_runbook_reads_the_generated_keys_before_the_deployment(unencrypted):
    text = plan(live_config(macsec=LINK1_ON), unencrypted)
    assert "  link1: macsecEnabled False -> True (DISRUPTIVE: the link drops until your router matches)" in text
    assert "  link2: no change (not disruptive)" in text
    steps = text.split("runbook for link1 (turning MACsec on):\n", 1)[1].splitlines()
    assert steps[0] == "    1. move traffic off link1 of port-a onto link2 (drain BGP on the link1 sessions); check link2 carries it"
    assert steps[1].startswith("    2. read link1's keys: pulumi stack output macsecKeys --show-secrets --json --stack prod  "
                               "(field \"port-a\".link1); they exist already")
    assert steps[2] == "    3. load them on your router's link1 (cipher GcmAes256, SCI Disabled)"
    assert steps[3] == ("    4. with macsec.link1.enabled: true in the stack config, run `pulumi up` for stack prod; "
                        "only link1 of port-a changes")
    assert steps[4].startswith("    5. check the MACsec session on link1 is up (MKA secured")
    assert "BGP is established" in steps[4]
    assert steps[5] == "    6. move traffic back onto link1"
    assert steps[6] == "    7. repeat for link2 in a separate deployment (set macsec.link2.enabled: true then)"


def test_the_runbook_with_bring_your_own_keys_loads_the_router_first():
    keys = {"port-a": {link: {"cak": BYO_CAK, "ckn": BYO_CKN} for link in ("link1", "link2")}}
    before = run_stack({**live_config(), "macsecKeys": keys}, secret_keys=("macsecKeys",))
    text = plan({**live_config(macsec=LINK1_ON), "macsecKeys": keys}, before)
    steps = text.split("runbook for link1 (turning MACsec on):\n", 1)[1].splitlines()
    assert steps[1].startswith("    2. load the key on your router's link1: the one in macsecKeys.port-a.link1")
    assert steps[2].startswith("    3. with macsec.link1.enabled: true in the stack config, run `pulumi up`")
    assert BYO_CAK not in text and BYO_CKN not in text


def test_enabling_both_links_of_a_live_port_is_refused_naming_allow_both_links(unencrypted):
    message = refused(live_config(macsec={"cipher": "GcmAes256"}), unencrypted)
    assert "ports[0].macsec: port 'port-a' is active and this update turns MACsec on for both link1 and link2" in message
    assert "ports[0].macsec.allowBothLinks: true" in message
    assert "keep ports[0].macsec.link2.enabled: false while link1 is enabled" in message
    assert "no runbook: this change is refused" in plan(live_config(macsec={"cipher": "GcmAes256"}), unencrypted)


def test_allow_both_links_enables_both_in_one_deployment(unencrypted):
    result = run_stack(live_config(macsec={"cipher": "GcmAes256", "allowBothLinks": True}), previous=unencrypted)
    assert all("macSecConfig" in link for link in links_sent(result).values())


def test_enabling_both_links_of_a_port_that_is_not_live_passes():
    encrypted = run_stack(live_config(stage="encrypted"))
    assert find(run_stack(live_config(macsec={"cipher": "GcmAes256"}, stage="encrypted"), previous=encrypted),
                "network:ExpressRoutePort")


def test_a_disabled_link_may_change_its_cipher_without_a_disruption(unencrypted):
    """Nothing is sent for MACsec on a disabled link, so its cipher is not a change yet."""
    values = live_config(macsec={**OFF, "cipher": "GcmAes128"})
    assert "  link1: no change (not disruptive)" in plan(values, unencrypted)


def test_turning_macsec_off_on_a_link_is_refused():
    encrypted = run_stack(live_config(macsec={"cipher": "GcmAes256"}))
    message = refused(live_config(macsec={"cipher": "GcmAes256", "link2": {"enabled": False}}), encrypted)
    assert message.count("this program does not turn MACsec off") == 1
    assert "ports[0].macsec.link2.enabled: link2 of port 'port-a' has MACsec since the last deployment" in message


# --- the preview shows which links are off ----------------------------------------------------


def test_the_preview_summary_says_macsec_off_per_link(tmp_path):
    doc = {"config": {"azure-native:location": "westeurope",
                      **{f"expressroute-encryption:{k}": v for k, v in live_config(macsec=LINK1_ON).items()}}}
    project = project_copy(tmp_path, "enable", doc)
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--stack", "enable",
                             "--project-dir", str(project)], capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr  # link2 unencrypted: the policy says so
    assert "  link1: MACsec on, cipher GcmAes256" in result.stdout
    assert ("  link2: MACsec off (enabled: false), cipher GcmAes256, SCI Disabled, admin Enabled, key generation 1 "
            "(generated), secrets port-a-link2-cak / port-a-link2-ckn") in result.stdout
    assert "expressroute-port-macsec-required" in result.stdout


def test_the_preview_prints_the_exemption_and_passes_until_it_expires(tmp_path, monkeypatch):
    import datetime
    import json

    from expressroute_encryption.offline.preview import run_preview
    from expressroute_encryption.policy import exemptions

    doc = {"config": {"azure-native:location": "westeurope",
                      **{f"expressroute-encryption:{k}": v for k, v in live_config().items()}}}
    project = project_copy(tmp_path, "enable", doc)
    entry = {"name": "port-a", "expires": "2027-03-31", "reason": "migration"}
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({policy: {"exemptPorts": [entry]} for policy in exemptions.TAKING_EXEMPTIONS}))

    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2027, 3, 31))
    report = run_preview("enable", project, policy_config=str(config))
    out, _ = report.to_text()
    assert report.exit_code == 0, out
    assert "exemption: expressroute-port-macsec-required: port port-a exempt until 2027-03-31 (migration)" in out
    assert report.to_json()["policy"]["exemptions"] == report.exemptions

    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2027, 4, 1))
    report = run_preview("enable", project, policy_config=str(config))
    out, _ = report.to_text()
    assert report.exit_code == 1
    assert "exemption: expressroute-port-macsec-required: port port-a: exemption expired on 2027-03-31" in out

    config.write_text(json.dumps({policy: {"exemptPorts": [{"name": "port-a", "expires": "2027-02-30"}]}
                                  for policy in exemptions.TAKING_EXEMPTIONS}))
    report = run_preview("enable", project, policy_config=str(config))
    assert report.exit_code == 2
    assert any("exemptPorts[0].expires must be a date written YYYY-MM-DD" in line for line in report.errors)


def test_the_pull_request_summary_shows_the_exemptions(tmp_path):
    import json

    from tests.test_pipelines import load_pr_summary

    line = "exemption: expressroute-port-macsec-required: port port-a exempt until 2027-03-31 (migration)"
    preview_file = tmp_path / "preview.json"
    preview_file.write_text(json.dumps({
        "stack": "prod", "exitCode": 0, "errors": [], "notes": [], "resources": 1, "resourceTypes": {},
        "policy": {"exemptions": [line], "mandatory": 0, "advisory": 0, "violations": []}}))
    markdown, status = load_pr_summary().summarize("prod", str(preview_file))
    assert status == 0 and f"- {line}" in markdown.splitlines()
