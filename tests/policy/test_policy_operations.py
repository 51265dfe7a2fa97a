"""The operations policies: both links on, no oversubscription, alerts on every port and circuit, and the
vault's audit log. Each starts from a compliant baseline and breaks one thing."""

import copy

import pytest
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE
from tests.policy.policy_builders import (
    CIRCUIT,
    PORT,
    VAULT,
    arm_id,
    port,
    port_outputs,
    resource_violations,
    stack_resource,
    stack_violations,
    urn,
    vault,
)

from expressroute_encryption.alerts import CIRCUIT_ALERTS, PORT_ALERTS
from expressroute_encryption.policy.azure import DIAGNOSTIC_SETTING, METRIC_ALERT
from expressroute_encryption.policy.operations import (
    keyvault_audit_logs,
    port_admin_state_enabled,
    port_monitored,
    port_not_oversubscribed,
)
from expressroute_encryption.policy.pack import POLICY_NAMES

PORT_ID = arm_id("Microsoft.Network/expressRoutePorts", "erp-weu-1")
CIRCUIT_ID = arm_id("Microsoft.Network/expressRouteCircuits", "er-circuit")
VAULT_ID = arm_id("Microsoft.KeyVault/vaults", "kv-macsec")
GROUP_ID = arm_id("microsoft.insights/actionGroups", "operators")
WORKSPACE_ID = arm_id("Microsoft.OperationalInsights/workspaces", "log-macsec")


def test_the_policies_are_in_the_pack():
    assert {"expressroute-port-admin-state-enabled", "expressroute-port-not-oversubscribed",
            "expressroute-port-monitored", "keyvault-audit-logs"} <= set(POLICY_NAMES)


class TestAdminStateEnabled:
    @pytest.mark.parametrize("props", [port("active"), port("encrypted"), port("reserved")],
                             ids=["active", "encrypted-both-down", "reserved-no-links"])
    def test_both_enabled_or_both_deliberately_down_passes(self, props):
        assert resource_violations(port_admin_state_enabled, PORT, props) == []

    def test_one_link_disabled_on_a_port_in_service_is_flagged(self):
        props = port("active")
        props["links"][1]["adminState"] = "Disabled"
        [message] = resource_violations(port_admin_state_enabled, PORT, props)
        assert "link1" in message and "link2" in message and "no redundancy" in message

    def test_arm_outputs_shape_is_read_too(self):
        props = port_outputs("active")
        props["links"] = [{"name": "link1", "properties": {"adminState": "Enabled"}},
                          {"name": "link2", "properties": {"adminState": "Disabled"}}]
        assert len(resource_violations(port_admin_state_enabled, PORT, props)) == 1

    def test_unknown_admin_state_is_not_judged(self):
        props = port("active")
        props["links"][1]["adminState"] = UNKNOWN_STRING_VALUE
        assert resource_violations(port_admin_state_enabled, PORT, props) == []


def circuit(size: float, name: str = "er-circuit", port_id: str = PORT_ID):
    return stack_resource(CIRCUIT, name, {
        "circuitName": name, "bandwidthInGbps": size, "expressRoutePort": {"id": port_id},
        "sku": {"name": "Premium_MeteredData", "tier": "Premium", "family": "MeteredData"},
    })


class TestNotOversubscribed:
    def test_circuits_within_the_port_pass(self):
        resources = [stack_resource(PORT, "port", port_outputs()), circuit(5, "a"), circuit(5, "b")]
        assert stack_violations(port_not_oversubscribed, resources) == []

    def test_circuits_beyond_the_port_are_flagged_on_the_port(self):
        resources = [stack_resource(PORT, "port", port_outputs()), circuit(10, "a"), circuit(5, "b")]
        [(where, message)] = stack_violations(port_not_oversubscribed, resources)
        assert where == urn(PORT, "port") and "15 Gbps on a 10 Gbps port" in message

    def test_circuits_on_another_port_do_not_count(self):
        other = PORT_ID.replace("erp-weu-1", "erp-weu-2")
        resources = [stack_resource(PORT, "port", port_outputs()), circuit(10, "a"), circuit(10, "b", other)]
        assert stack_violations(port_not_oversubscribed, resources) == []

    def test_port_id_unknown_during_preview_is_followed_through_the_dependency(self):
        the_port = stack_resource(PORT, "port", port())
        resources = [the_port, *(stack_resource(CIRCUIT, n, {"bandwidthInGbps": 10, "expressRoutePort": {"id": UNKNOWN_STRING_VALUE}},
                                                (the_port,)) for n in ("a", "b"))]
        assert len(stack_violations(port_not_oversubscribed, resources)) == 1


def metric_alert(name: str, scope: str, metric: str, operator: str, *, enabled: bool = True, actions=True):
    props = {
        "ruleName": name, "scopes": [scope], "enabled": enabled, "severity": 0,
        "criteria": {"odataType": "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
                     "allOf": [{"criterionType": "StaticThresholdCriterion", "name": name, "metricName": metric,
                                "operator": operator, "threshold": 0, "timeAggregation": "Average"}]},
    }
    if actions:
        props["actions"] = [{"actionGroupId": GROUP_ID}]
    return stack_resource(METRIC_ALERT, name, props)


def monitored_stack(*, port_props=None, skip=(), **alert_options):
    """A port and a circuit with every baseline alert (compliant), minus the alert keys in ``skip``."""
    resources = [stack_resource(PORT, "port", port_outputs() if port_props is None else port_props),
                 stack_resource(CIRCUIT, "circuit", {"id": CIRCUIT_ID, "bandwidthInGbps": 5,
                                                     "expressRoutePort": {"id": PORT_ID}})]
    for rules, scope in ((PORT_ALERTS, PORT_ID), (CIRCUIT_ALERTS, CIRCUIT_ID)):
        resources += [metric_alert(rule.key, scope, rule.metric, rule.operator, **alert_options)
                      for rule in rules if rule.key not in skip]
    return resources


class TestMonitored:
    def test_every_baseline_alert_present_passes(self):
        assert stack_violations(port_monitored, monitored_stack()) == []

    def test_a_missing_port_alert_is_named(self):
        [(where, message)] = stack_violations(port_monitored, monitored_stack(skip={"rxLightLevelHigh"}))
        assert where == urn(PORT, "port") and "no metric alert for RxLightLevel GreaterThan" in message

    def test_a_missing_circuit_alert_is_named(self):
        [(where, message)] = stack_violations(port_monitored, monitored_stack(skip={"bgpAvailability"}))
        assert where == urn(CIRCUIT, "circuit") and "BgpAvailability LessThan" in message

    def test_no_alerts_at_all_flags_the_port_and_the_circuit(self):
        resources = [r for r in monitored_stack() if r.resource_type != METRIC_ALERT]
        assert {where for where, _ in stack_violations(port_monitored, resources)} == {
            urn(PORT, "port"), urn(CIRCUIT, "circuit")}

    def test_alerts_without_an_action_group_are_flagged(self):
        found = stack_violations(port_monitored, monitored_stack(actions=False))
        assert len(found) == 2 and all("without an action group" in message for _, message in found)

    def test_disabled_alerts_pass_while_the_links_are_down_but_not_once_in_service(self):
        assert stack_violations(port_monitored, monitored_stack(port_props=port("encrypted"), enabled=False)) == []
        found = stack_violations(port_monitored, monitored_stack(enabled=False))
        assert any(where == urn(PORT, "port") and "admin-enabled but these alerts are disabled" in message
                   for where, message in found)

    def test_traffic_alerts_may_wait_for_circuits_but_not_once_circuits_run(self):
        traffic = {"portBitsInPerSecond", "portBitsOutPerSecond"}
        resources = [r for r in monitored_stack() if r.resource_type != CIRCUIT]
        for alert in resources:
            if alert.name in traffic:
                alert.props["enabled"] = False
        assert stack_violations(port_monitored, resources) == []
        with_circuit = monitored_stack()
        for alert in with_circuit:
            if alert.name in traffic:
                alert.props["enabled"] = False
        [(where, message)] = stack_violations(port_monitored, with_circuit)
        assert where == urn(PORT, "port") and message.count("portBits") == 2 and "are disabled" in message

    def test_a_dynamic_threshold_alert_counts(self):
        resources = monitored_stack()
        qos = next(r for r in resources if r.name == "qosDropBitsInPerSecond")
        assert qos.props["criteria"]["allOf"][0]["operator"] == "GreaterThan"
        qos.props["criteria"] = {
            "odataType": "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria",
            "allOf": [{"criterionType": "DynamicThresholdCriterion", "name": "qos", "metricName": "QosDropBitsInPerSecond",
                       "operator": "GreaterThan", "alertSensitivity": "Medium", "timeAggregation": "Average",
                       "failingPeriods": {"numberOfEvaluationPeriods": 4, "minFailingPeriodsToAlert": 4}}]}
        assert stack_violations(port_monitored, resources) == []
        [(where, message)] = stack_violations(port_monitored, monitored_stack(skip={"qosDropBitsOutPerSecond"}))
        assert where == urn(CIRCUIT, "circuit") and "QosDropBitsOutPerSecond GreaterThan" in message

    def test_scopes_unknown_during_preview_are_followed_through_the_dependency(self):
        the_port = stack_resource(PORT, "port", port())
        alerts = [stack_resource(METRIC_ALERT, rule.key, {
            "scopes": UNKNOWN_ARRAY_VALUE, "actions": [{"actionGroupId": GROUP_ID}],
            "criteria": {"allOf": [{"metricName": rule.metric, "operator": rule.operator}]}}, (the_port,))
            for rule in PORT_ALERTS]
        assert stack_violations(port_monitored, [the_port, *alerts]) == []


def diagnostic_setting(**changes):
    props = {"name": "macsec-key-audit", "resourceUri": VAULT_ID, "workspaceId": WORKSPACE_ID,
             "logs": [{"category": "AuditEvent", "enabled": True}],
             "metrics": [{"category": "AllMetrics", "enabled": True}]}
    props.update(changes)
    return props


def vault_outputs():
    props = copy.deepcopy(vault())
    props["id"] = VAULT_ID
    return props


class TestVaultAuditLogs:
    @pytest.mark.parametrize("setting", [
        diagnostic_setting(),
        diagnostic_setting(logs=[{"categoryGroup": "audit", "enabled": True}]),
        # Stack state: no resourceUri, the id hangs off the vault's.
        {"id": f"{VAULT_ID}/providers/microsoft.insights/diagnosticSettings/macsec-key-audit",
         "workspaceId": WORKSPACE_ID, "logs": [{"category": "AuditEvent", "enabled": True}]},
    ], ids=["inputs", "category-group", "outputs"])
    def test_audit_event_sent_to_a_workspace_passes(self, setting):
        resources = [stack_resource(VAULT, "kv", vault_outputs()), stack_resource(DIAGNOSTIC_SETTING, "audit", setting)]
        assert stack_violations(keyvault_audit_logs, resources) == []

    @pytest.mark.parametrize("setting", [
        None,
        diagnostic_setting(logs=[{"category": "AuditEvent", "enabled": False}]),
        diagnostic_setting(logs=[{"category": "AzurePolicyEvaluationDetails", "enabled": True}]),
        diagnostic_setting(workspaceId=None),
        diagnostic_setting(resourceUri=VAULT_ID.replace("kv-macsec", "kv-other")),
    ], ids=["none", "disabled", "other-category", "no-destination", "other-vault"])
    def test_vault_without_audit_log_is_flagged(self, setting):
        resources = [stack_resource(PORT, "port", port()), stack_resource(VAULT, "kv", vault_outputs())]
        if setting is not None:
            resources.append(stack_resource(DIAGNOSTIC_SETTING, "audit", setting))
        [(where, message)] = stack_violations(keyvault_audit_logs, resources)
        assert where == urn(VAULT, "kv") and "AuditEvent" in message
        # Azure names, and a fix that fits any stack (this project's config key only as such).
        assert message.startswith("Key Vault 'kv-macsec' holds the MACsec keys of ExpressRoute port 'erp-weu-1'")
        assert "Add a diagnostic setting on the vault" in message and "(in this project's stack: set monitoring" in message

    def test_a_vault_holding_no_ports_keys_is_not_this_packs_business(self):
        """An application's vault in a stack the pack is dropped into: no port reads keys from it."""
        resources = [stack_resource(PORT, "port", port(vault="kv-other")), stack_resource(VAULT, "kv", vault_outputs())]
        assert stack_violations(keyvault_audit_logs, resources) == []
        assert stack_violations(keyvault_audit_logs, [stack_resource(VAULT, "kv", vault_outputs())]) == []
