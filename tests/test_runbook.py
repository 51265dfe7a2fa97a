"""runbook.py: the rotation plan an operator reads before ``pulumi up``: per link what changes
and whether it drops the link, the steps in order, the alert to watch, and never a key."""

from __future__ import annotations

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
    return [line.strip() for line in text.splitlines() if line.strip()[:2] in {f"{n}." for n in range(1, 9)}]


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


def test_runbook_lists_the_steps_in_order_without_key_material(live):
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))]), live)
    assert "  link1: keyGeneration 1 -> 2 (DISRUPTIVE: the link drops until your router matches)" in text
    assert "  link2: no change (not disruptive)" in text
    steps = [line.strip() for line in text.splitlines() if line.strip()[:2] in {f"{n}." for n in range(1, 7)}]
    assert [s.split(" ", 2)[1] for s in steps] == ["move", "run", "load", "check", "move", "repeat"]
    assert "pulumi stack output macsecKeys --show-secrets --json --stack prod" in text
    keys = [unwrap(r.outputs["hex"]) for r in find(live, "RandomBytes")]
    assert not any(key in text for key in keys)
    assert "refused" not in text


def test_rotation_runbook_names_the_link_alert_and_the_wait(live):
    lines = plan(base_config(ports=[port(macsec={"cipher": "GcmAes256", "keyGeneration": {"link1": 2}})]),
                 live).splitlines()
    check = next(i for i, line in enumerate(lines) if line.strip().startswith("4. check"))
    assert lines[check + 1].strip().startswith(
        "watch alert port-a-lineProtocol (LineProtocol, dimension Link: link1); it fires while link1 is down")
    assert lines[-1].strip() == (
        "wait until port-a-lineProtocol has stayed resolved for link1 for at least PT5M (one alert window; "
        "longer if you set monitoring.alerts.lineProtocol.windowSize) before touching link2")


def test_byo_runbook_loads_the_key_before_the_update_and_never_shows_it(live_byo):
    new_cak = "ab" * 32
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))], macsecKeys=byo(cak=new_cak)),
                live_byo)
    steps = [line.strip() for line in text.splitlines() if line.strip()[:2] in {f"{n}." for n in range(1, 7)}]
    assert steps[1].startswith("2. load the new key on your router's link1") and steps[2].startswith("3. run `pulumi up`")
    for secret in (new_cak, BYO_CAK, BYO_CKN):
        assert secret not in text
    assert "refused" not in text


def test_plan_shows_a_refusal(live):
    text = plan(base_config(ports=[port(macsec=macsec(cipher="GcmAes128"))]), live)
    assert "The next `pulumi up` will be refused:" in text


def test_a_refused_plan_gives_no_runbook_for_the_refused_port(live):
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2, "link2": 2}))]), live)
    assert "  no runbook: this change is refused (see below)" in text and not runbook(text)


def test_the_runbook_of_an_sci_change_loads_no_new_keys(live):
    steps = runbook(plan(base_config(ports=[port(macsec=macsec(link1={"sciState": "Enabled"}))]), live))
    assert steps[2] == "3. set sciState Enabled on your router's link1 MACsec (the CAK/CKN stay the same)"
    assert not any("load the new" in step or "macsecKeys" in step for step in steps)


def test_the_runbook_of_a_cipher_change_that_changes_the_key_length_loads_new_keys(live):
    steps = runbook(plan(base_config(ports=[port(macsec=macsec(link1={"cipher": "GcmAes128"}))]), live))
    assert steps[2].startswith("3. load the new MACsec settings on your router's link1")


def test_the_runbook_of_an_admin_state_change_loads_no_new_keys(live):
    text = plan(base_config(ports=[port(stage="encrypted", macsec=macsec(allowBothLinks=True))]), live)
    steps = runbook(text)
    assert "runbook for link1 and link2 (one deployment):" in text
    assert "leave your router's link1 MACsec as it is (no new keys): Azure sets the link's admin state to Disabled" \
        in " ".join(steps)
    assert not any("load the new" in step for step in steps)
    assert not any("only link1" in step for step in steps)


# --- turning MACsec on for one link of a live port ----------------------------------------


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
