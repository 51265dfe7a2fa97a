"""Operating the estate: baseline alerts per link and peering, the vault's audit log, delete
locks, tags on every taggable resource, and the config that drives them."""

from __future__ import annotations

import inspect
import importlib

import pytest

from expressroute_encryption.alerts import CIRCUIT_ALERTS, PORT_ALERTS, alert_name
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.offline.preview import _monitoring_lines
from tests.helpers import (
    base_config, circuit, find, one, only_problem, plain_inputs, port, problems, run_stack, vpn_config,
)
from tests.test_alerts import EXPECTED

EMAILS = ["noc@example.com", "oncall@example.net"]
MONITORED = base_config(ports=[port(circuits=[circuit()])], monitoring={"alertEmails": EMAILS})


@pytest.fixture(scope="module")
def monitored():
    return run_stack(MONITORED)


def alert(run, owner: str, key: str) -> dict:
    return plain_inputs(one(run, "monitor:MetricAlert", f"{owner}-{key}"))


@pytest.mark.parametrize("key,metric,dimension,operator,threshold,aggregation,window,frequency,severity", EXPECTED,
                         ids=[row[0] for row in EXPECTED])
def test_each_alert_watches_its_metric_per_link_or_peering(monitored, key, metric, dimension, operator, threshold,
                                                           aggregation, window, frequency, severity):
    owner = "port-a" if dimension == "Link" else "ckt-1"
    rule = alert(monitored, owner, key)
    dynamic = threshold is None
    assert rule["criteria"]["odataType"] == ("Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria" if dynamic
                                             else "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria")
    [criterion] = rule["criteria"]["allOf"]
    assert (criterion["metricName"], criterion["operator"], criterion["timeAggregation"]) == (metric, operator, aggregation)
    if dynamic:
        assert criterion["criterionType"] == "DynamicThresholdCriterion" and "threshold" not in criterion
        assert (criterion["alertSensitivity"], criterion["failingPeriods"]) == (
            "Medium", {"numberOfEvaluationPeriods": 4, "minFailingPeriodsToAlert": 4})
    else:
        assert criterion["criterionType"] == "StaticThresholdCriterion"
        # The circuit of MONITORED is 5 Gbps: its throughput alerts fire at 80% of that.
        assert criterion["threshold"] == (4_000_000_000 if key.startswith("bits") else threshold)
    assert criterion["metricNamespace"] == ("Microsoft.Network/expressRoutePorts" if owner == "port-a"
                                            else "Microsoft.Network/expressRouteCircuits")
    # Split by the dimension: every link (peering, MSEE) is its own series, so an alert names it.
    assert criterion["dimensions"] == ([{"name": dimension, "operator": "Include", "values": ["*"]}] if dimension else [])
    assert (rule["windowSize"], rule["evaluationFrequency"], rule["severity"]) == (window, frequency, severity)
    assert rule["ruleName"] == f"{owner}-{key}" and rule["enabled"] is True and rule["autoMitigate"] is True
    owner_reg = one(monitored, "ExpressRoutePort" if owner == "port-a" else "ExpressRouteCircuit")
    assert rule["scopes"] == [owner_reg.id]


def test_throughput_alerts_follow_each_circuits_bandwidth():
    run = run_stack(base_config(ports=[port(bandwidthInGbps=100, macsec={"cipher": "GcmAesXpn256"}, circuits=[
        circuit(), circuit(name="ckt-2", bandwidthInGbps=40, privatePeering=None, authorizations=[])])],
        monitoring={"alertEmails": EMAILS, "alerts": {"bitsOutPerSecond": {"threshold": 50}}}))
    thresholds = {(owner, key): alert(run, owner, key)["criteria"]["allOf"][0]["threshold"]
                  for owner in ("ckt-1", "ckt-2") for key in ("bitsInPerSecond", "bitsOutPerSecond")}
    assert thresholds == {("ckt-1", "bitsInPerSecond"): 4e9, ("ckt-1", "bitsOutPerSecond"): 2.5e9,
                          ("ckt-2", "bitsInPerSecond"): 32e9, ("ckt-2", "bitsOutPerSecond"): 20e9}


def test_one_action_group_mails_every_address_and_every_alert_uses_it(monitored):
    group = one(monitored, "monitor:ActionGroup")
    receivers = plain_inputs(group)["emailReceivers"]
    assert [r["emailAddress"] for r in receivers] == EMAILS
    alerts = find(monitored, "monitor:MetricAlert")
    assert len(alerts) == len(PORT_ALERTS) + len(CIRCUIT_ALERTS)
    assert all(plain_inputs(a)["actions"] == [{"actionGroupId": group.id}] for a in alerts)


@pytest.mark.parametrize("stage", ["encrypted", "reserved"])
def test_links_down_on_purpose_get_disabled_alerts_not_none(stage):
    circuits = [circuit()] if stage == "encrypted" else []
    run = run_stack(base_config(ports=[port(stage=stage, circuits=circuits)], monitoring={"alertEmails": EMAILS}))
    alerts = find(run, "monitor:MetricAlert")
    assert len(alerts) == len(PORT_ALERTS) + len(circuits) * len(CIRCUIT_ALERTS)
    assert all(plain_inputs(a)["enabled"] is False for a in alerts)
    # Going active switches the same alerts on (same names: nothing is replaced); the
    # traffic-at-zero ones only where circuits run.
    active = run_stack(base_config(ports=[port(circuits=circuits)], monitoring={"alertEmails": EMAILS}))
    assert {a.urn for a in find(active, "monitor:MetricAlert")} == {a.urn for a in alerts}
    enabled = {plain_inputs(a)["ruleName"] for a in find(active, "monitor:MetricAlert") if plain_inputs(a)["enabled"]}
    traffic = {"port-a-portBitsInPerSecond", "port-a-portBitsOutPerSecond"}
    assert enabled == {plain_inputs(a)["ruleName"] for a in alerts} - (set() if circuits else traffic)


def test_traffic_at_zero_alerts_wait_for_circuits_and_leave_drained_links_out():
    def traffic(run, key="portBitsInPerSecond"):
        found = alert(run, "port-a", key)
        return found["enabled"], found["criteria"]["allOf"][0]["dimensions"]

    no_circuits = run_stack(base_config(monitoring={"alertEmails": EMAILS}))
    assert traffic(no_circuits) == (False, [{"name": "Link", "operator": "Include", "values": ["*"]}])
    assert alert(no_circuits, "port-a", "lineProtocol")["enabled"] is True
    # A drained link is left out by name (link1/link2, as Microsoft documents the Link values):
    # the other link stays watched, and a misspelt value would leave the link watched, not unwatched.
    drained = run_stack(base_config(ports=[port(circuits=[circuit()])],
                                    monitoring={"alertEmails": EMAILS, "drainedLinks": {"port-a": ["link1"]}}))
    for key in ("portBitsInPerSecond", "portBitsOutPerSecond"):
        assert traffic(drained, key) == (True, [{"name": "Link", "operator": "Exclude", "values": ["link1"]}])
    # Every other alert keeps watching the drained link (the runbook watches lineProtocol).
    assert alert(drained, "port-a", "lineProtocol")["criteria"]["allOf"][0]["dimensions"][0]["operator"] == "Include"
    both = run_stack(base_config(ports=[port(circuits=[circuit()])],
                                 monitoring={"alertEmails": EMAILS, "drainedLinks": {"port-a": ["link2", "link1"]}}))
    assert traffic(both)[0] is False and alert(both, "port-a", "lineProtocol")["enabled"] is True


def test_drained_links_name_ports_of_the_stack():
    assert only_problem(base_config(monitoring={"drainedLinks": {"port-b": ["link1"]}})) == (
        "monitoring.drainedLinks.port-b: no port of that name (port-a); list drained links under a port's name")
    assert problems(base_config(monitoring={"drainedLinks": {"port-a": ["link1", "link1"], "port-c": ["link3"]}})) == [
        "monitoring.drainedLinks.port-c[0]: Input should be 'link1' or 'link2'"]
    assert only_problem(base_config(monitoring={"drainedLinks": {"port-a": ["link1", "link1"]}})) == (
        "monitoring.drainedLinks.port-a[1]: link1 is listed twice")


def test_overrides_change_one_alert_only():
    run = run_stack(base_config(ports=[port(circuits=[circuit()])], monitoring={"alertEmails": EMAILS, "alerts": {
        "rxLightLevelLow": {"threshold": -12.5, "severity": 2, "windowSize": "PT15M"},
        "qosDropBitsOutPerSecond": {"sensitivity": "Low", "windowSize": "PT15M"}}}))
    low = alert(run, "port-a", "rxLightLevelLow")
    assert (low["criteria"]["allOf"][0]["threshold"], low["severity"], low["windowSize"]) == (-12.5, 2, "PT15M")
    assert alert(run, "port-a", "rxLightLevelHigh")["criteria"]["allOf"][0]["threshold"] == 0
    qos = alert(run, "ckt-1", "qosDropBitsOutPerSecond")
    assert (qos["criteria"]["allOf"][0]["alertSensitivity"], qos["windowSize"]) == ("Low", "PT15M")
    assert alert(run, "ckt-1", "qosDropBitsInPerSecond")["criteria"]["allOf"][0]["alertSensitivity"] == "Medium"


def test_the_vault_audit_log_goes_to_a_created_workspace_or_the_given_one(monitored):
    vault = one(monitored, "keyvault:Vault")
    setting = plain_inputs(one(monitored, "monitor:DiagnosticSetting"))
    assert setting["resourceUri"] == vault.id
    assert setting["logs"] == [{"category": "AuditEvent", "enabled": True}]
    assert setting["metrics"] == [{"category": "AllMetrics", "enabled": True}]
    # Resource-specific tables: AZKVAuditLogs, where the docs send users, not AzureDiagnostics.
    assert setting["logAnalyticsDestinationType"] == "Dedicated"
    workspace = one(monitored, "operationalinsights:Workspace")
    assert setting["workspaceId"] == workspace.id and workspace.protect
    given = ("/subscriptions/0000/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/central")
    run = run_stack(base_config(monitoring={"logAnalyticsWorkspaceId": given}))
    assert find(run, "operationalinsights:Workspace") == []
    assert plain_inputs(one(run, "monitor:DiagnosticSetting"))["workspaceId"] == given
    # monitoring without alertEmails: the audit log, no alerts.
    assert find(run, "monitor:MetricAlert") == [] and find(run, "monitor:ActionGroup") == []


def test_no_monitoring_creates_nothing_of_it(dev_run):
    for kind in ("monitor:MetricAlert", "monitor:ActionGroup", "monitor:DiagnosticSetting",
                 "operationalinsights:Workspace"):
        assert find(dev_run, kind) == []


def lock_scopes(run) -> set[str]:
    return {plain_inputs(lock)["scope"] for lock in find(run, "authorization:ManagementLockByScope")}


def test_locks_are_on_by_default_on_the_vault_ports_and_circuits(monitored):
    expected = {one(monitored, t).id for t in ("keyvault:Vault", "ExpressRoutePort", "ExpressRouteCircuit")}
    assert lock_scopes(monitored) == expected
    for lock in find(monitored, "authorization:ManagementLockByScope"):
        assert plain_inputs(lock)["level"] == "CanNotDelete" and plain_inputs(lock)["lockName"] == "do-not-delete"
        # Pulumi must be able to remove a lock (locks: false, decommissioning).
        assert not lock.protect


@pytest.mark.parametrize("settings", [{"locks": False}, {"protect": False}], ids=["locks-false", "protect-false"])
def test_no_locks_when_turned_off_or_unprotected(settings):
    assert lock_scopes(run_stack(base_config(ports=[port(circuits=[circuit()])], **settings))) == set()


def test_locks_can_be_on_without_protect():
    assert len(lock_scopes(run_stack(base_config(protect=False, locks=True)))) == 2  # vault and port


def test_tags_reach_every_resource_that_takes_tags():
    tags = {"costCenter": "4711", "owner": "network-engineering"}
    run = run_stack(base_config(ports=[port(circuits=[circuit()])], tags=tags,
                                monitoring={"alertEmails": EMAILS}))
    checked = set()
    for reg in run.resources:
        if not reg.custom:
            continue
        module, cls = reg.type.split(":")[1:]
        if reg.type.startswith("azure-native:"):
            resource_class = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), cls)
            takes_tags = "tags" in inspect.signature(resource_class._internal_init).parameters
        else:
            takes_tags = False
        if takes_tags:
            assert plain_inputs(reg).get("tags") == tags, reg.type
            assert reg.outputs.get("tags") == tags, reg.type
            checked.add(reg.type.split(":")[-1])
        else:
            assert "tags" not in reg.inputs, reg.type
    assert {"ResourceGroup", "Vault", "UserAssignedIdentity", "ExpressRoutePort", "ExpressRouteCircuit",
            "MetricAlert", "ActionGroup", "Workspace", "Secret"} <= checked


def test_no_tags_configured_leaves_resources_untagged(dev_run):
    assert not any("tags" in reg.inputs for reg in dev_run.resources)


def test_tags_on_the_vpn_gateways():
    run = run_stack({**vpn_config(), "tags": {"env": "test"}})
    for kind in ("VirtualNetworkGateway", "LocalNetworkGateway", "VirtualNetworkGatewayConnection", "VirtualNetwork"):
        assert all(plain_inputs(reg)["tags"] == {"env": "test"} for reg in find(run, f"network:{kind}")), kind


@pytest.mark.parametrize("emails,expected", [
    (["not-an-address"], "monitoring.alertEmails[0]: must be an e-mail address such as noc@example.com"),
    (["noc@example.com", "noc@localhost"], "monitoring.alertEmails[1]: must be an e-mail address such as noc@example.com"),
    (["noc@example.com", "a b@example.com"], "monitoring.alertEmails[1]: must be an e-mail address such as noc@example.com"),
    (["noc@example.com", "NOC@example.com"], "monitoring.alertEmails[1]: is listed twice"),
])
def test_bad_alert_emails_are_named_by_index(emails, expected):
    assert only_problem(base_config(monitoring={"alertEmails": emails})) == expected


def test_monitoring_problems_come_together_with_their_paths():
    found = problems(base_config(
        tags={"a/b": "x"},
        monitoring={"logAnalyticsWorkspaceId": "central",
                    "alerts": {"lineProtocol": {"evaluationFrequency": "PT15M"}, "bgpAvailability": {"severity": 7}}},
    ))
    assert found == [
        "tags.a/b: must be 1-512 characters without < > % & \\ ? / (Azure tag names)",
        "monitoring.logAnalyticsWorkspaceId: must be the ARM id of a Log Analytics workspace: /subscriptions/<id>/"
        "resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>",
        # A problem in one override never hides another's.
        "monitoring.alerts.lineProtocol.evaluationFrequency: PT15M is longer than the window (PT5M); "
        "the window must be at least the evaluation frequency",
        "monitoring.alerts.bgpAvailability.severity: Input should be less than or equal to 4",
    ]
    assert only_problem(base_config(monitoring={"alerts": {"lineprotocol": {}}})).startswith(
        "monitoring.alerts.lineprotocol: unknown key (allowed: lineProtocol, adminState,")
    assert only_problem(base_config(tags={"costCenter": 4711})) == "tags.costCenter: Input should be a valid string"


def test_thresholds_with_no_meaning_are_refused_one_line_each_with_what_is_allowed():
    found = problems(base_config(monitoring={"alerts": {
        "lineProtocol": {"threshold": 7}, "bgpAvailability": {"threshold": -5},
        "portBitsInPerSecond": {"threshold": 1e308}, "arpAvailability": {"threshold": float("nan")},
        "txLightLevelLow": {"threshold": -1}, "txLightLevelHigh": {"threshold": -3},
        "bitsInPerSecond": {"threshold": 120}, "qosDropBitsInPerSecond": {"threshold": 5, "windowSize": "PT1M"},
    }}))
    assert found == [
        "monitoring.alerts.lineProtocol.threshold: must be greater than 0 and at most 1 (LineProtocol: 1 while up "
        "(enabled), 0 while down (disabled)); 7 would make an alert that always fires or never does",
        "monitoring.alerts.txLightLevelLow.threshold: -1 must be below txLightLevelHigh's threshold (-3); otherwise "
        "one of the two alerts always fires",
        "monitoring.alerts.portBitsInPerSecond.threshold: must be greater than 0 and at most 100,000,000,000 bits/s "
        "(PortBitsInPerSecond: at most the line rate of the largest port); 1e+308 would make an alert that always "
        "fires or never does",
        "monitoring.alerts.bgpAvailability.threshold: must be greater than 0 and at most 100 % (BgpAvailability: a "
        "percentage); -5 would make an alert that always fires or never does",
        "monitoring.alerts.arpAvailability.threshold: Input should be a finite number",
        "monitoring.alerts.qosDropBitsInPerSecond.threshold: unknown key (allowed: severity, windowSize, "
        "evaluationFrequency, sensitivity)",
        "monitoring.alerts.bitsInPerSecond.threshold: must be at least 0 and less than 100 % of the circuit's "
        "bandwidthInGbps (BitsInPerSecond: each link of a circuit carries up to its bandwidth); 120 would make an "
        "alert that always fires or never does",
    ]
    # A dynamic threshold takes windows of five minutes to an hour.
    assert only_problem(base_config(monitoring={"alerts": {"qosDropBitsOutPerSecond": {"windowSize": "PT6H"}}})) == (
        "monitoring.alerts.qosDropBitsOutPerSecond.windowSize: PT6H is not allowed for a dynamic threshold; use "
        "PT5M, PT15M, PT30M, PT1H")


def test_bad_monitoring_config_registers_nothing():
    with pytest.raises(Exception) as info:
        run_stack(base_config(monitoring={"alertEmails": ["nope"]}))
    assert "monitoring.alertEmails[0]" in str(info.value)


def test_preview_lists_alerts_and_locks_per_port():
    run = run_stack(base_config(ports=[port(stage="encrypted", circuits=[circuit()])],
                                monitoring={"alertEmails": EMAILS}))
    lines = _monitoring_lines(run)
    assert lines[0] == "port port-a:"
    assert lines[1] == "  lock: do-not-delete (CanNotDelete)"
    assert lines[2] == ("  alerts disabled (links down on purpose until the port is active): "
                        + ", ".join(alert_name("port-a", rule) for rule in PORT_ALERTS))
    assert lines[3:6] == ["  circuit ckt-1:", "    lock: do-not-delete (CanNotDelete)",
                          "    alerts disabled (links down on purpose until the port is active): "
                          + ", ".join(alert_name("ckt-1", rule) for rule in CIRCUIT_ALERTS)]
    assert lines[6] == ("vault kv-er-test: lock: do-not-delete (CanNotDelete); audit log: AuditEvent -> workspace "
                        "log-kv-er-test (table AZKVAuditLogs)")
    assert lines[7] == "alerts mail action group operations-operators (2 e-mail receiver(s))"


def test_preview_names_traffic_alerts_waiting_for_circuits_and_drained_links():
    idle = _monitoring_lines(run_stack(base_config(monitoring={"alertEmails": EMAILS})))
    assert idle[3] == ("  alerts disabled (no traffic expected: no circuits yet, or both links drained): "
                       "port-a-portBitsInPerSecond, port-a-portBitsOutPerSecond")
    drained = _monitoring_lines(run_stack(base_config(
        ports=[port(circuits=[circuit()])], monitoring={"alertEmails": EMAILS, "drainedLinks": {"port-a": ["link2"]}})))
    assert "  drained link2: left out of port-a-portBitsInPerSecond, port-a-portBitsOutPerSecond" in drained


# --- the component from code: the same contract as the others ------------------------------

VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ops/providers/Microsoft.KeyVault/vaults/kv-ops"
PORT_ID = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ops/providers/"
           "Microsoft.Network/expressRoutePorts/edge-1")
MONITORING_PROGRAM = """
from expressroute_encryption import ExpressRouteMonitoring

ExpressRouteMonitoring("ops", {{
    "resource_group_name": "rg-ops", "vault_id": "{vault}", "workspace_name": "log-ops",
    "alert_emails": ["noc@example.com"], "ports": [{{"name": "edge-1", "id": "{port}", "stage": "active"}}],
    {extra}
}})
"""


def run_monitoring(tmp_path, extra: str = ""):
    from expressroute_encryption.offline.harness import run_program

    (tmp_path / "__main__.py").write_text(MONITORING_PROGRAM.format(vault=VAULT_ID, port=PORT_ID, extra=extra))
    return run_program(tmp_path, "platform-ops", "prod", {}, [])


def test_the_monitoring_component_works_from_code(tmp_path):
    run = run_monitoring(tmp_path)
    # A port given without carries_circuits is taken to carry some: every alert on.
    assert {alert(run, "edge-1", rule.key)["enabled"] for rule in PORT_ALERTS} == {True}
    assert plain_inputs(one(run, "operationalinsights:Workspace"))["workspaceName"] == "log-ops"


def test_a_circuit_given_without_its_bandwidth_gets_every_alert_but_throughput(tmp_path):
    circuit_id = PORT_ID.replace("expressRoutePorts/edge-1", "expressRouteCircuits/c-1")
    run = run_monitoring(tmp_path, f'"circuits": [{{"name": "c-1", "id": "{circuit_id}", "port_stage": "active"}}, '
                                   f'{{"name": "c-2", "id": "{circuit_id}2", "port_stage": "active", '
                                   '"bandwidth_in_gbps": 10}], "drained_links": {"edge-1": ["link2"]},')
    names = {plain_inputs(a)["ruleName"] for a in find(run, "monitor:MetricAlert")}
    assert {n for n in names if n.startswith("c-1-")} == {
        f"c-1-{rule.key}" for rule in CIRCUIT_ALERTS if not rule.per_bandwidth}
    assert alert(run, "c-2", "bitsInPerSecond")["criteria"]["allOf"][0]["threshold"] == 8e9
    assert alert(run, "edge-1", "portBitsOutPerSecond")["criteria"]["allOf"][0]["dimensions"][0]["operator"] == "Exclude"
    with pytest.raises(ConfigError) as info:
        run_monitoring(tmp_path, '"drained_links": {"edge-2": ["link1"]},')
    assert info.value.problems == ["drained_links.edge-2: no port of that name (edge-1); list drained links under a "
                                   "port's name"]


def test_the_monitoring_component_refuses_unknown_arguments_with_their_path(tmp_path):
    with pytest.raises(ConfigError) as info:
        run_monitoring(tmp_path, '"alert_email": ["x@example.com"], "circuits": [{"name": "c", "id": "i", "stage": "active"}],')
    assert str(info.value).startswith("ExpressRouteMonitoring 'ops': 3 problems; nothing was deployed:")
    assert info.value.problems[0] == "circuits[0].portStage: required"
    assert info.value.problems[1].startswith("circuits[0].stage: unknown key (allowed: name, id, port_stage, "
                                             "bandwidth_in_gbps)")
    assert info.value.problems[2].startswith("alert_email: unknown key (allowed: alert_emails, ")
