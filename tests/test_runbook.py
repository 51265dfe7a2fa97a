"""runbook.py: the rotation plan an operator reads before ``pulumi up``: per link what changes
and whether it drops the link, the steps in order (Azure first, then the router; what can be
prepared, before), when the link goes down and comes back, what shows it is back (ARP, BGP,
line protocol), the alerts this stack really has with their effective timing, and never a key."""

from __future__ import annotations

import copy
import re

import pytest

from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.wire import unwrap
from expressroute_encryption.record import Previous
from expressroute_encryption.runbook import rotation_plan
from tests.helpers import (
    BYO_CAK,
    BYO_CKN,
    LINK1_ON,
    base_config,
    byo,
    circuit,
    find,
    live_config,
    macsec,
    plan,
    port,
    run_stack,
    with_ports,
)


def runbook(text: str) -> list[str]:
    """The numbered steps of a plan, stripped."""
    return [line.strip() for line in text.splitlines() if re.match(r"\d+\. ", line.strip())]


def step(text: str, words: str) -> str:
    (found,) = [s for s in runbook(text) if words in s]
    return found


MONITORED = {"alertEmails": ["noc@example.com"]}


def monitored(**monitoring) -> dict:
    """BASE's port with one circuit, and monitoring (alerts) on."""
    return base_config(ports=[port(circuits=[circuit()])], monitoring={**MONITORED, **monitoring})


def rotate_link1(values: dict) -> dict:
    values = copy.deepcopy(values)
    values["ports"][0]["macsec"]["keyGeneration"] = {"link1": 2}
    return values


@pytest.fixture(scope="module")
def live_monitored():
    return run_stack(monitored())


def test_a_first_deployment_has_nothing_to_rotate():
    text = rotation_plan(parse_stack_config(base_config()), Previous(), "prod")
    assert text.splitlines()[:2] == ["MACsec rotation plan for stack 'prod'",
                                     "No previous deployment: this is a first deployment; nothing to rotate."]
    assert "  link1: no change (not disruptive)" in text and not runbook(text) and "refused" not in text


def test_a_record_the_guard_cannot_compare_with_gives_only_the_refusal(live):
    text = plan(base_config(), with_ports(live, lambda ports: ports["port-a"].pop("links")))
    assert text.splitlines()[1:] == [
        "", "The next `pulumi up` will be refused:",
        "  ports: the last deployment's `ports` output for port 'port-a' is not in the shape this program writes "
        "(links link1 and link2, a whole linkStateVersion): the MACsec change guard cannot compare with it; check "
        "`pulumi stack output ports --json`"]


def test_generated_keys_are_rotated_azure_first_because_the_new_key_exists_only_after_pulumi_up(live):
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))]), live)
    assert "  link1: keyGeneration 1 -> 2 (DISRUPTIVE: the link drops until your router matches)" in text
    assert "  link2: no change (not disruptive)" in text
    steps = runbook(text)
    assert [s.split(" ", 2)[1] for s in steps] == ["move", "run", "right", "check", "this", "move", "repeat"]
    assert steps[0].endswith("check link2 carries it; link1 is still up")
    assert steps[1] == ("2. run `pulumi up` for stack prod; only link1 of port-a changes. link1 goes DOWN when "
                        "Azure applies the change, during this step, and stays down until step 3")
    assert steps[2].startswith("3. right after `pulumi up` has finished: read link1's new CAK/CKN, which exist only "
                               "now that `pulumi up` has made them: pulumi stack output macsecKeys --show-secrets "
                               "--json --stack prod  (field \"port-a\".link1); load them on your router's link1")
    assert steps[2].endswith("link1 should come back UP as soon as both sides match (MKA session secured)")
    keys = [unwrap(r.outputs["hex"]) for r in find(live, "RandomBytes")]
    assert not any(key in text for key in keys)
    assert "refused" not in text


def test_the_check_waits_for_arp_bgp_and_line_protocol_of_the_changed_link(live_monitored):
    check = step(plan(rotate_link1(monitored()), live_monitored), "check link1 is back")
    assert "LineProtocol of port port-a (dimension Link: link1) back at 1" in check
    assert "ArpAvailability and BgpAvailability of ckt-1 back at 100% for every Peer" in check
    assert "no ARP at layer 2 and no BGP at layer 3" in check


def test_only_the_alerts_the_stack_has_are_named_with_their_resolve_time(live_monitored):
    wait = step(plan(rotate_link1(monitored()), live_monitored), "wait until the alerts have resolved")
    assert "3 consecutive evaluations without its condition" in wait
    # The catalogue's defaults: LineProtocol every PT5M, ARP and BGP every PT1M.
    assert "port-a-lineProtocol (evaluated every PT5M over PT5M): about 15 minutes" in wait
    assert "ckt-1-arpAvailability (evaluated every PT1M over PT5M): about 3 minutes" in wait
    assert "ckt-1-bgpAvailability (evaluated every PT1M over PT5M): about 3 minutes" in wait
    assert "adminState" not in wait and "LightLevel" not in wait  # not what shows a MACsec change


def test_alert_overrides_give_the_effective_window_and_frequency(live_monitored):
    values = monitored(alerts={"lineProtocol": {"windowSize": "PT15M", "evaluationFrequency": "PT15M"}})
    wait = step(plan(rotate_link1(values), live_monitored), "wait until the alerts have resolved")
    assert "port-a-lineProtocol (evaluated every PT15M over PT15M): about 45 minutes" in wait


def test_a_stack_without_monitoring_names_no_alert(live):
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))]), live)
    assert "-lineProtocol" not in text and "alert " not in text
    assert step(text, "no alerts").endswith(
        "this stack has no alerts on them (monitoring.alertEmails is not set): keep watching those metrics in "
        "Azure Monitor before touching the other link")


def test_alerts_of_a_port_that_is_not_active_after_the_change_are_disabled():
    values = base_config(ports=[port(stage="encrypted", circuits=[circuit()])], monitoring=MONITORED)
    before = run_stack(values)
    text = plan({**values, "ports": [port(stage="encrypted", circuits=[circuit()],
                                          macsec=macsec(keyGeneration={"link1": 2}))]}, before)
    # An admin-disabled link carries nothing: no check, no alert wait, but the steps still say so.
    assert "link1 stays admin-disabled" in text and not any("wait until the alerts" in s for s in runbook(text))


def test_bring_your_own_keys_are_staged_before_and_activated_after_pulumi_up(live_byo):
    new_cak = "ab" * 32
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))], macsecKeys=byo(cak=new_cak)),
                live_byo)
    steps = runbook(text)
    assert steps[1].startswith("2. stage the new key on your router's link1 without activating it")
    assert steps[2].startswith("3. run `pulumi up`") and "stays down until step 4" in steps[2]
    assert steps[3].startswith("4. right after `pulumi up` has finished: activate the new key on your router's link1")
    for secret in (new_cak, BYO_CAK, BYO_CKN):
        assert secret not in text
    assert "refused" not in text


def test_plan_shows_a_refusal(live):
    text = plan(base_config(ports=[port(macsec=macsec(cipher="GcmAes128"))]), live)
    assert "The next `pulumi up` will be refused:" in text


def test_a_refused_plan_gives_no_runbook_for_the_refused_port(live):
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2, "link2": 2}))]), live)
    assert "  no runbook: this change is refused (see below)" in text and not runbook(text)


def test_the_runbook_of_an_sci_change_stages_the_setting_and_loads_no_new_keys(live):
    steps = runbook(plan(base_config(ports=[port(macsec=macsec(link1={"sciState": "Enabled"}))]), live))
    assert steps[1] == "2. stage sciState Enabled for your router's link1 MACsec (the CAK/CKN stay the same)"
    assert steps[3].startswith("4. right after `pulumi up` has finished: activate sciState Enabled on your router's link1")
    assert not any("new CAK" in s or "macsecKeys" in s for s in steps)


def test_the_runbook_of_a_cipher_change_that_changes_the_key_length_loads_new_keys(live):
    steps = runbook(plan(base_config(ports=[port(macsec=macsec(link1={"cipher": "GcmAes128"}))]), live))
    assert "read link1's new CAK/CKN" in steps[2]


def test_taking_a_port_out_of_service_says_when_the_links_go_down(live):
    text = plan(base_config(ports=[port(stage="encrypted", macsec=macsec(allowBothLinks=True))]), live)
    steps = runbook(text)
    assert "runbook for link1 and link2 (one deployment):" in text
    assert "link1 goes DOWN when Azure admin-disables it, during this step" in steps[1]
    assert "leave your router's link1 MACsec as it is (no new keys)" in steps[2]
    assert steps[-1] == "5. set allowBothLinks back to false"


def test_bringing_an_encrypted_port_into_service_says_when_the_links_come_up():
    before = run_stack(base_config(ports=[port(stage="encrypted")]))
    steps = runbook(plan(base_config(ports=[port(stage="active")]), before))
    assert "link1 comes UP when Azure admin-enables it, during this step, if your router's MACsec matches" in steps[1]


# --- turning MACsec on for one link of a live port ----------------------------------------


def test_existing_generated_keys_are_read_and_staged_before_the_deployment(unencrypted):
    text = plan(live_config(macsec=LINK1_ON), unencrypted)
    assert "  link1: macsecEnabled False -> True (DISRUPTIVE: the link drops until your router matches)" in text
    steps = text.split("runbook for link1 (turning MACsec on):\n", 1)[1].splitlines()
    assert steps[0] == ("    1. move traffic off link1 of port-a onto link2 (drain BGP on the link1 sessions) and "
                        "check link2 carries it; link1 is still up")
    assert steps[1].startswith("    2. stage link1's key on your router without activating it (cipher GcmAes256, SCI "
                               "Disabled): pulumi stack output macsecKeys --show-secrets --json --stack prod  (field "
                               "\"port-a\".link1); they exist already: keys are made for every link, MACsec on or "
                               "not, from the port's first deployment (at reserved) or the deployment that adopted it")
    assert steps[2].startswith("    3. run `pulumi up` for stack prod; only link1 of port-a changes. link1 goes DOWN")
    assert steps[3].startswith("    4. right after `pulumi up` has finished: activate MACsec on your router's link1.")
    assert "check link1 is back" in steps[4]
    assert steps[-1] == "    8. repeat for link2 in a separate deployment if it needs the same change"


def test_turning_macsec_on_with_bring_your_own_keys_stages_the_held_key():
    keys = {"port-a": {link: {"cak": BYO_CAK, "ckn": BYO_CKN} for link in ("link1", "link2")}}
    before = run_stack({**live_config(), "macsecKeys": keys}, secret_keys=("macsecKeys",))
    text = plan({**live_config(macsec=LINK1_ON), "macsecKeys": keys}, before)
    steps = text.split("runbook for link1 (turning MACsec on):\n", 1)[1].splitlines()
    assert steps[1].startswith("    2. stage link1's key on your router without activating it")
    assert "the one in macsecKeys.port-a.link1 of the stack config (bring-your-own: you hold it)" in steps[1]
    assert BYO_CAK not in text and BYO_CKN not in text
