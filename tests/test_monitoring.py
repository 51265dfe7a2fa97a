"""Operating the estate: baseline alerts per link and peering, the vault's audit log, delete
locks, tags on every taggable resource, and the config that drives them."""

from __future__ import annotations

import inspect
import importlib

import pytest

from expressroute_encryption.alerts import ALERTS, CIRCUIT_ALERTS, PORT_ALERTS, alert_name
from expressroute_encryption.offline.preview import _monitoring_lines
from tests.helpers import (
    base_config, circuit, find, one, only_problem, plain_inputs, port, problems, run_stack, vpn_config,
)

EMAILS = ["noc@example.com", "oncall@example.net"]
MONITORED = base_config(ports=[port(circuits=[circuit()])], monitoring={"alertEmails": EMAILS})

# (key, metric, dimension, operator, threshold, aggregation, window, frequency, severity):
# Azure Monitor Baseline Alerts, split by the dimension Microsoft documents for the metric.
EXPECTED = [
    ("lineProtocol", "LineProtocol", "Link", "LessThan", 0.9, "Average", "PT5M", "PT5M", 0),
    ("adminState", "AdminState", "Link", "LessThan", 0.9, "Average", "PT5M", "PT5M", 1),
    ("rxLightLevelLow", "RxLightLevel", "Link", "LessThan", -10, "Average", "PT5M", "PT5M", 1),
    ("rxLightLevelHigh", "RxLightLevel", "Link", "GreaterThan", 0, "Average", "PT5M", "PT5M", 1),
    ("txLightLevelLow", "TxLightLevel", "Link", "LessThan", -10, "Average", "PT5M", "PT5M", 1),
    ("txLightLevelHigh", "TxLightLevel", "Link", "GreaterThan", 0, "Average", "PT5M", "PT5M", 1),
    ("portBitsInPerSecond", "PortBitsInPerSecond", "Link", "LessThan", 1, "Average", "PT5M", "PT5M", 0),
    ("portBitsOutPerSecond", "PortBitsOutPerSecond", "Link", "LessThan", 1, "Average", "PT5M", "PT5M", 0),
    ("bgpAvailability", "BgpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M", "PT1M", 0),
    ("arpAvailability", "ArpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M", "PT1M", 0),
]


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
    assert rule["criteria"]["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
    [criterion] = rule["criteria"]["allOf"]
    assert (criterion["metricName"], criterion["operator"], criterion["threshold"], criterion["timeAggregation"]) == \
        (metric, operator, threshold, aggregation)
    assert criterion["metricNamespace"] == ("Microsoft.Network/expressRoutePorts" if owner == "port-a"
                                            else "Microsoft.Network/expressRouteCircuits")
    # Split by the dimension: every link (peering) is its own series, so an alert names it.
    assert criterion["dimensions"] == [{"name": dimension, "operator": "Include", "values": ["*"]}]
    assert (rule["windowSize"], rule["evaluationFrequency"], rule["severity"]) == (window, frequency, severity)
    assert rule["ruleName"] == f"{owner}-{key}" and rule["enabled"] is True
    owner_reg = one(monitored, "ExpressRoutePort" if owner == "port-a" else "ExpressRouteCircuit")
    assert rule["scopes"] == [owner_reg.id]


def test_the_catalogue_is_the_table_above():
    assert [(r.key, r.metric, r.dimension, r.operator, r.threshold, r.aggregation, r.window, r.frequency, r.severity)
            for r in ALERTS] == EXPECTED


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
    # Going active switches the same alerts on (same names: nothing is replaced).
    active = run_stack(base_config(ports=[port(circuits=circuits)], monitoring={"alertEmails": EMAILS}))
    assert {a.urn for a in find(active, "monitor:MetricAlert")} == {a.urn for a in alerts}
    assert all(plain_inputs(a)["enabled"] is True for a in find(active, "monitor:MetricAlert"))


def test_overrides_change_one_alert_only():
    run = run_stack(base_config(monitoring={"alertEmails": EMAILS, "alerts": {
        "rxLightLevelLow": {"threshold": -12.5, "severity": 2, "windowSize": "PT15M"}}}))
    low = alert(run, "port-a", "rxLightLevelLow")
    assert (low["criteria"]["allOf"][0]["threshold"], low["severity"], low["windowSize"]) == (-12.5, 2, "PT15M")
    assert alert(run, "port-a", "rxLightLevelHigh")["criteria"]["allOf"][0]["threshold"] == 0


def test_the_vault_audit_log_goes_to_a_created_workspace_or_the_given_one(monitored):
    vault = one(monitored, "keyvault:Vault")
    setting = plain_inputs(one(monitored, "monitor:DiagnosticSetting"))
    assert setting["resourceUri"] == vault.id
    assert setting["logs"] == [{"category": "AuditEvent", "enabled": True}]
    assert setting["metrics"] == [{"category": "AllMetrics", "enabled": True}]
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
        "monitoring.alerts.bgpAvailability.severity: Input should be less than or equal to 4",
    ]
    assert only_problem(base_config(monitoring={"alerts": {"lineProtocol": {"evaluationFrequency": "PT15M"}}})) == (
        "monitoring.alerts.lineProtocol.evaluationFrequency: PT15M is longer than the window (PT5M); "
        "the window must be at least the evaluation frequency")
    assert only_problem(base_config(monitoring={"alerts": {"lineprotocol": {}}})).startswith(
        "monitoring.alerts.lineprotocol: unknown key (allowed: lineProtocol, adminState,")
    assert only_problem(base_config(tags={"costCenter": 4711})) == "tags.costCenter: Input should be a valid string"


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
                          "ckt-1-bgpAvailability, ckt-1-arpAvailability"]
    assert lines[6] == "vault kv-er-test: lock: do-not-delete (CanNotDelete); audit log: AuditEvent -> workspace log-kv-er-test"
    assert lines[7] == "alerts mail action group operations-operators (2 e-mail receiver(s))"


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
    assert {alert(run, "edge-1", rule.key)["enabled"] for rule in PORT_ALERTS} == {True}
    assert plain_inputs(one(run, "operationalinsights:Workspace"))["workspaceName"] == "log-ops"


def test_the_monitoring_component_refuses_unknown_arguments_with_their_path(tmp_path):
    from expressroute_encryption.config.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        run_monitoring(tmp_path, '"alert_email": ["x@example.com"], "circuits": [{"name": "c", "id": "i", "stage": "active"}],')
    assert str(info.value).startswith("ExpressRouteMonitoring 'ops': 3 problems; nothing was deployed:")
    assert info.value.problems[0] == "circuits[0].portStage: required"
    assert info.value.problems[1].startswith("circuits[0].stage: unknown key (allowed: name, id, port_stage)")
    assert info.value.problems[2].startswith("alert_email: unknown key (allowed: alert_emails, ")
