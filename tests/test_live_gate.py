"""live_gate.py: before a link changes disruptively, Azure's port and the last minutes of the port's
and its circuits' metrics. The change goes ahead on ``pulumi up`` only when the other link is
admin-enabled, up and carrying the port's traffic, the link to change has drained, every peering
keeps a session up and Azure matches the record; each refusal is one line with the figures read,
never a key, and nothing is registered. Tested through the real program, as ``pulumi up`` runs it."""

from __future__ import annotations

import copy

import pulumi
import pytest

from expressroute_encryption.config.changegate import ChangeGateSettings
from expressroute_encryption.live_gate import (
    NOISE_FLOOR_BPS, GatedPort, LiveReadError, check_port, circuit_reading, rate, share,
)
from expressroute_encryption.live_metrics import parse_metrics
from tests.gate_helpers import (
    END, GBPS, circuit_metrics, drained, gate_run, healthy, ids, live_from_record, port_metrics, rotate_link1,
    with_circuit,
)
from tests.helpers import BYO_CAK, BYO_CKN, byo, find, only_problem, run_stack


@pytest.fixture(scope="module")
def first():
    """An active port with one circuit, deployed: the last deployment's record."""
    return run_stack(with_circuit())


def refusal(first, live=None, metrics=None, values=None) -> str:
    """The message of ``pulumi up``'s refusal of rotating link1 after ``first``."""
    with pytest.raises(pulumi.RunError) as info:
        gate_run(values or rotate_link1(with_circuit()), first, live or live_from_record(first),
                 healthy(first) if metrics is None else metrics)
    message = str(info.value)
    assert message.startswith("MACsec change refused by the change gate: ")
    assert "nothing was deployed" in message
    return message


def traffic(first, **port_kwargs) -> list:
    """The port's metrics as given, and the circuits' as healthy."""
    port_id, circuits = ids(first)
    return [parse_metrics(port_metrics(port_id, **port_kwargs), "port.json"),
            *(parse_metrics(circuit_metrics(cid), "circuit.json") for cid in circuits)]


# --- the change goes ahead --------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["rest", "az"])
def test_a_drained_link_with_the_other_carrying_the_traffic_changes(first, shape):
    run, mocks = gate_run(rotate_link1(with_circuit()), first, live_from_record(first), healthy(first, shape=shape))
    assert find(run, "network:ExpressRoutePort")
    (port,) = mocks.gate_report.ports
    assert port.decision == "allowed" and port.problems == []
    lines = mocks.gate_report.lines(updating=True)
    assert lines[0] == "change gate: port 'port-a' (link1): allowed"
    read = "\n".join(lines)
    assert "peak 16 Gbps (in + out, both links)" in read
    assert "link1, last 5 minutes: at most 4 Mbps (0.025% of the peak" in read
    assert "link2, last 5 minutes: at most 15.8 Gbps" in read and "LineProtocol at least 1" in read
    assert "circuit ckt-1 AzurePrivatePeering, last 5 minutes (lowest): Primary Arp 100%, Bgp 100%" in read


def test_an_idle_port_changes_traffic_below_the_noise_floor_is_none(first):
    small = NOISE_FLOOR_BPS / 4  # both links: BGP and BFD only
    run, mocks = gate_run(rotate_link1(with_circuit()), first, live_from_record(first),
                          traffic(first, link1=small, link2=small))
    assert mocks.gate_report.ports[0].decision == "allowed"


def test_a_first_deployment_and_an_unchanged_port_are_not_gated(first):
    _, mocks = gate_run(with_circuit(), None, dry_run=True)  # a preview of a first deployment
    assert mocks.gate_report.ports == []
    _, mocks = gate_run(with_circuit(), first)  # the same config again: no link changes
    assert mocks.gate_report.ports == []


# --- each refusal ------------------------------------------------------------------------------


def test_the_other_link_admin_disabled_in_azure_is_refused_and_named_as_drift(first):
    message = refusal(first, live=live_from_record(first, link2={"adminState": "Disabled"}))
    assert ("ports[0]: change gate: link2 of port 'port-a', which must carry the traffic while link1 changes, is "
            "admin Disabled in Azure: changing link1 now takes the whole port down") in message
    assert ("ports[0]: change gate: link2 of port 'port-a' is not what the last deployment left (admin state "
            "Disabled in Azure, Enabled in the record)") in message


def test_the_other_link_with_its_line_protocol_down_is_refused(first):
    down = [1.0] * 57 + [0.0] * 3
    message = refusal(first, metrics=traffic(first, link1=drained(4 * GBPS, 0), link2=drained(4 * GBPS, 7 * GBPS),
                                             line2=down))
    assert ("link2 of port 'port-a' is not up: its LineProtocol was as low as 0 in the last 5 minutes (up: 0.9 or "
            "more throughout): changing link1 now takes the whole port down; bring link2 up first") in message


def test_a_link_that_has_not_drained_is_refused_with_the_figures(first):
    message = refusal(first, metrics=traffic(first, link1=4 * GBPS, link2=4 * GBPS))
    assert ("link1 of port 'port-a' has not drained: it carried up to 8 Gbps in the last 5 minutes, 50.0% of the "
            "port's peak 16 Gbps over 60 minutes (drained: at most 5%, changeGate.drainThresholdPercent); move its "
            "traffic onto link2 (drain BGP on link1's sessions) and run again") in message
    assert "link2 of port 'port-a' does not carry the port's traffic yet" in message
    # What was read comes with the refusal.
    assert "change gate read for port 'port-a':" in message and "peak 16 Gbps" in message


def test_the_other_link_must_carry_the_traffic_now_not_only_against_the_peak(first):
    """A busy hour's peak makes a few percent of it a lot: at night link1 still carrying half the
    port's traffic has not drained, though it is under 5% of the day's peak."""
    quiet = [10 * GBPS] * 30 + [0.2 * GBPS] * 30
    message = refusal(first, metrics=traffic(first, link1=quiet, link2=quiet))
    assert "has not drained" not in message
    assert ("link2 of port 'port-a' does not carry the port's traffic yet: at 2026-03-01 09:59 UTC link1 still "
            "had 50.0% of it (400 Mbps of 800 Mbps; at most 5% may stay on the link to change)") in message


def test_a_peering_without_a_session_up_is_refused(first):
    port_id, (circuit_id,) = ids(first)
    down = {("AzurePrivatePeering", "Primary"): (100, [100] * 58 + [0, 0]),
            ("AzurePrivatePeering", "Secondary"): (0, 0)}
    metrics = [parse_metrics(port_metrics(port_id, link1=drained(4 * GBPS, 0), link2=drained(4 * GBPS, 8 * GBPS)),
                             "port.json"),
               parse_metrics(circuit_metrics(circuit_id, down), "circuit.json")]
    message = refusal(first, metrics=metrics)
    assert ("circuit 'ckt-1' AzurePrivatePeering on port 'port-a' has no session with ARP and BGP up (Primary Arp "
            "100%, Bgp 0%; Secondary Arp 0%, Bgp 0%; up: 90% or more throughout the last 5 minutes)") in message


def test_one_session_down_is_enough_which_peer_rides_which_link_is_not_documented(first):
    port_id, (circuit_id,) = ids(first)
    one_down = {("AzurePrivatePeering", "Primary"): (100, 0), ("AzurePrivatePeering", "Secondary"): (100, 100)}
    metrics = [parse_metrics(port_metrics(port_id, link1=drained(4 * GBPS, 0), link2=drained(4 * GBPS, 8 * GBPS)),
                             "port.json"), parse_metrics(circuit_metrics(circuit_id, one_down), "circuit.json")]
    run, mocks = gate_run(rotate_link1(with_circuit()), first, live_from_record(first), metrics)
    assert mocks.gate_report.ports[0].decision == "allowed"
    assert "(1 of 2 session(s) up)" in "\n".join(mocks.gate_report.lines())


@pytest.mark.parametrize("change, expected", [
    ({"macsecEnabled": False}, "MACsec off in Azure, on in the record"),
    ({"cipher": "GcmAes128"}, "cipher GcmAes128 in Azure, GcmAes256 in the record"),
    ({"sciState": "Enabled"}, "sciState Enabled in Azure, Disabled in the record"),
])
def test_drift_between_azure_and_the_record_is_refused_naming_the_field(first, change, expected):
    message = refusal(first, live=live_from_record(first, link2=change))
    assert f"ports[0]: change gate: link2 of port 'port-a' is not what the last deployment left ({expected})" in message
    assert "someone changed it outside this stack" in message


def test_a_secret_version_changed_by_hand_is_named_by_name_and_version_never_by_value(first):
    live = live_from_record(first)
    config = live["links"][0]["macSecConfig"]
    config["cakSecretIdentifier"] = config["cakSecretIdentifier"].rsplit("/", 1)[0] + "/" + "c" * 32
    message = refusal(first, live=live)
    assert f"CAK secret port-a-link1-cak/{'c' * 32} in Azure, port-a-link1-cak/" in message
    assert "https://" not in message.split("change gate read")[0]


def test_metrics_that_stopped_flowing_are_refused(first):
    stale = [4 * GBPS] * 45 + [None] * 15
    message = refusal(first, metrics=traffic(first, link1=stale, link2=stale))
    assert ("the newest LineProtocol value for link1 is from" not in message)
    assert ("ports[0]: change gate: the newest PortBitsIn/OutPerSecond value for link1 is from 2026-03-01 09:44 UTC, "
            "more than 10 minutes before 2026-03-01 10:00 UTC: the metrics are not flowing") in message


def test_a_link_without_series_and_a_circuit_without_values_are_refused(first):
    port_id, (circuit_id,) = ids(first)
    document = port_metrics(port_id, link1=drained(4 * GBPS, 0), link2=drained(4 * GBPS, 8 * GBPS))
    for metric in document["value"]:
        metric["timeseries"] = [s for s in metric["timeseries"] if s["metadatavalues"][0]["value"] != "link2"]
    empty = circuit_metrics(circuit_id)
    for metric in empty["value"]:
        metric["timeseries"] = []  # as Azure answers for a resource without data
    message = refusal(first, metrics=[parse_metrics(document, "port.json"), parse_metrics(empty, "circuit.json")])
    assert "no LineProtocol values for link2 of the port in port.json (split by Link, over the last 60 minutes)" in message
    assert ("circuit 'ckt-1' on port 'port-a' shows no ArpAvailability or BgpAvailability values in circuit.json"
            in message)


def test_link_names_in_the_metrics_compare_without_case(first):
    port_id, _ = ids(first)
    document = port_metrics(port_id, link1=drained(4 * GBPS, 0), link2=drained(4 * GBPS, 8 * GBPS))
    for metric in document["value"]:
        for entry in metric["timeseries"]:
            entry["metadatavalues"][0]["value"] = entry["metadatavalues"][0]["value"].capitalize()  # Link1
    run, mocks = gate_run(rotate_link1(with_circuit()), first, live_from_record(first),
                          [parse_metrics(document, "port.json"), *healthy(first)[1:]])
    assert mocks.gate_report.ports[0].decision == "allowed"


def test_keys_never_appear_in_what_the_gate_says():
    values = with_circuit()
    first = run_stack(values | {"macsecKeys": byo()}, secret_keys=("macsecKeys",))
    changed = rotate_link1(values)
    from expressroute_encryption.offline.harness import run_program
    from expressroute_encryption.offline.mocks import AzureMocks
    from tests.helpers import PROJECT_DIR, cli_config

    mocks = AzureMocks(previous_outputs=first.stack_outputs, live_ports={"port-a": live_from_record(first)},
                       metrics=traffic(first, link1=4 * GBPS, link2=4 * GBPS))
    with pytest.raises(pulumi.RunError) as info:
        run_program(PROJECT_DIR, "expressroute-encryption", "test",
                    cli_config(changed | {"macsecKeys": byo()}), ["expressroute-encryption:macsecKeys"],
                    mocks=mocks, dry_run=False)
    said = str(info.value) + "\n".join(mocks.gate_report.lines())
    assert "has not drained" in said
    assert BYO_CAK not in said and BYO_CKN not in said


# --- unreadable: fail closed ------------------------------------------------------------------


class Unreadable:
    """Reads whose metrics call fails, as Azure Monitor does without access."""

    def __init__(self, live):
        self.live = live

    def port(self, name):
        return self.live

    def metrics(self, resource_id, query, lookback_minutes):
        raise LiveReadError("HttpResponseError: (AuthorizationFailed) The client does not have authorization")


def gated(first) -> GatedPort:
    from expressroute_encryption.config.loading import parse_stack_config
    from expressroute_encryption.live_gate import gated_ports
    from expressroute_encryption.offline.wire import unwrap
    from expressroute_encryption.record import Previous

    (port,) = gated_ports(parse_stack_config(rotate_link1(with_circuit())),
                          Previous.from_outputs(unwrap(first.stack_outputs)))
    return port


def test_metrics_that_cannot_be_read_refuse_the_change(first):
    result = check_port(gated(first), Unreadable(live_from_record(first)), ChangeGateSettings())
    assert result.decision == "refused"
    (problem,) = result.problems
    assert problem.startswith("ports[0]: change gate: the metrics of port 'port-a' or its circuits could not be read "
                              "from Azure Monitor (HttpResponseError: (AuthorizationFailed)")
    assert "Monitoring Reader" in problem and "changeGate.mode: warn" in problem


def test_a_port_that_cannot_be_read_refuses_the_change(first):
    class NoPort(Unreadable):
        def port(self, name):
            raise LiveReadError("ResourceNotFound")

    result = check_port(gated(first), NoPort(None), ChangeGateSettings())
    assert result.problems == [
        "ports[0]: change gate: port 'port-a' could not be read from Azure (ResourceNotFound), so the change cannot be "
        "checked: fix the access, or set changeGate.mode: warn with a reason for this deployment"]


# --- modes, previews, stages, planned outages ----------------------------------------------------


def test_a_preview_reports_what_pulumi_up_would_decide_and_registers_everything(first):
    metrics = traffic(first, link1=4 * GBPS, link2=4 * GBPS)
    run, mocks = gate_run(rotate_link1(with_circuit()), first, live_from_record(first), metrics, dry_run=True)
    assert find(run, "network:ExpressRoutePort")
    assert any(line.startswith("  `pulumi up` would refuse: ports[0]: change gate: link1 of port 'port-a' has not "
                               "drained") for line in mocks.gate_report.lines())


def test_mode_warn_reports_and_deploys_mode_off_says_why_on_every_run(first):
    metrics = traffic(first, link1=4 * GBPS, link2=4 * GBPS)
    warn = rotate_link1(with_circuit()) | {"changeGate": {"mode": "warn", "reason": "CHG-1234 metrics outage"}}
    run, mocks = gate_run(warn, first, live_from_record(first), metrics)
    assert find(run, "network:ExpressRoutePort")
    lines = mocks.gate_report.lines(updating=True)
    assert lines[0] == "change gate: mode warn (CHG-1234 metrics outage): its refusals are reported, not enforced"
    assert any(line.startswith("  not enforced (mode warn): ports[0]: change gate: link1") for line in lines)
    off = rotate_link1(with_circuit()) | {"changeGate": {"mode": "off", "reason": "CHG-99 planned"}}
    for values in (off, with_circuit() | {"changeGate": off["changeGate"]}):
        run, mocks = gate_run(values, first)
        assert mocks.gate_report.lines() == [
            "change gate: off (CHG-99 planned): disruptive link changes are not checked against Azure"]


@pytest.mark.parametrize("gate, expected", [
    ({"mode": "off"}, "changeGate.reason: required with mode: off: say why the gate is off (it is printed on every run)"),
    ({"reason": "left over"}, "changeGate.reason: only with mode: warn or off"),
    ({"mode": "off", "reason": "two\nlines"}, "changeGate.reason: must be one line without control characters"),
    ({"lookbackMinutes": 5}, "changeGate.lookbackMinutes: Input should be greater than or equal to 15"),
    ({"drainThresholdPercent": 0}, "changeGate.drainThresholdPercent: Input should be greater than 0"),
    ({"drainThresholdPercent": 60}, "changeGate.drainThresholdPercent: Input should be less than or equal to 50"),
    ({"mode": "enforced"}, "changeGate.mode: Input should be 'enforce', 'warn' or 'off'"),
    ({"window": 5}, "changeGate.window: unknown key (allowed: mode, reason, lookbackMinutes, drainThresholdPercent)"),
])
def test_the_gate_settings_are_checked(gate, expected):
    assert only_problem(with_circuit() | {"changeGate": gate}).startswith(expected)


def test_a_port_that_was_encrypted_needs_no_metrics_but_azure_must_match(first):
    encrypted = run_stack(with_circuit(stage="encrypted"))
    to_active = with_circuit()
    run, mocks = gate_run(to_active, encrypted, live_from_record(encrypted), [])
    (port,) = mocks.gate_report.ports
    assert port.decision == "allowed"
    assert any("the port was encrypted: its links are admin-disabled by this stack" in line for line in port.read)
    with pytest.raises(pulumi.RunError) as info:
        gate_run(to_active, encrypted, live_from_record(encrypted, link1={"adminState": "Enabled"}), [])
    assert ("link1 of port 'port-a' is not what the last deployment left (admin state Enabled in Azure, Disabled in "
            "the record)") in str(info.value)


def planned_outage(values):
    values = copy.deepcopy(values)
    values["ports"][0]["macsec"] = {**values["ports"][0]["macsec"], "allowBothLinks": True,
                                    "keyGeneration": {"link1": 2, "link2": 2}}
    return values


def test_a_planned_outage_needs_both_links_drained_not_the_sessions(first):
    port_id, (circuit_id,) = ids(first)
    down = {("AzurePrivatePeering", "Primary"): (0, 0), ("AzurePrivatePeering", "Secondary"): (0, 0)}
    quiet = [parse_metrics(port_metrics(port_id, link1=drained(4 * GBPS, 0), link2=drained(4 * GBPS, 0)), "port.json"),
             parse_metrics(circuit_metrics(circuit_id, down), "circuit.json")]
    run, mocks = gate_run(planned_outage(with_circuit()), first, live_from_record(first), quiet)
    assert mocks.gate_report.ports[0].decision == "allowed"
    busy = [parse_metrics(port_metrics(port_id, link1=drained(4 * GBPS, 0), link2=4 * GBPS), "port.json"), quiet[1]]
    with pytest.raises(pulumi.RunError) as info:
        gate_run(planned_outage(with_circuit()), first, live_from_record(first), busy)
    assert "link2 of port 'port-a' has not drained" in str(info.value)
    assert "move all traffic off the port first (a planned outage)" in str(info.value)
    assert "link1 of port 'port-a' has not drained" not in str(info.value)


# --- the pieces ---------------------------------------------------------------------------------


def test_rates_and_shares_read_as_people_read_them():
    assert [rate(v) for v in (9.81e9, 12.3e6, 4e3, 12)] == ["9.81 Gbps", "12.3 Mbps", "4 kbps", "12 bps"]
    assert [share(1, 4), share(1, 4000), share(0, 5), share(1, 0)] == ["25.0%", "0.025%", "0.0%", "n/a"]


def test_a_circuit_known_to_have_no_peerings_carries_nothing(first):
    port = gated(first)
    document = circuit_metrics(ids(first)[1][0])
    for metric in document["value"]:
        metric["timeseries"] = []
    empty = parse_metrics(document, "circuit.json")
    bare = GatedPort(port.index, port.name, port.stage, port.changes, port.record, port.circuits,
                     frozenset({"ckt-1"}), False)
    assert circuit_reading(empty, bare) == (["circuit ckt-1: no peerings, carries no traffic"], [])
    assert END.minute == 0  # the helpers' clock
