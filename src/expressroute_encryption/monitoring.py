"""Operating the estate: alerts on every link, peering and circuit, the vault's audit log,
and the stack's tags.

- ``ExpressRouteMonitoring``: one action group mailing the operators, the baseline
  metric alerts of ``alerts.py`` on each port and circuit, and the vault's diagnostic
  setting sending its audit log (every read of a MACsec key) and metrics to a Log
  Analytics workspace (an existing one, or one it creates), in the resource-specific
  table ``AZKVAuditLogs``.
- ``tag_resources``: a stack transformation putting the stack's tags on every resource
  that takes tags.

The delete locks are ``locks.py``'s ``ResourceLocks``. A lock on the vault covers this
component's diagnostic setting (an extension resource of the vault): deleting it while
the lock is on fails, which the change guard (``guard.py``, delete locks) refuses ahead.
"""

import functools
from typing import Mapping, Optional, Sequence

import pulumi
from pulumi_azure_native import monitor, operationalinsights

from .alerts import (
    VAULT_LOG_CATEGORY,
    VAULT_LOG_DESTINATION_TYPE,
    VAULT_METRIC_CATEGORY,
    AlertRule,
    alert_name,
)
from .component_args import ExpressRouteMonitoringArgs
from .config.inputs import ExpressRouteMonitoringInputs, validate_args
from .facts import LINKS, SOFT_DELETE_RETENTION_DAYS
from .tokens import component_options, type_token

# fact: metric-alert-criteria-types
STATIC_CRITERIA = "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
DYNAMIC_CRITERIA = "Microsoft.Azure.Monitor.MultipleResourceMultipleMetricCriteria"
# Azure Monitor shows this in every notification's subject; 12 characters at most.
ACTION_GROUP_SHORT_NAME = "ExpressRoute"
# The audit log of the keys: kept as long as a deleted key is (the vault's maximum soft-delete retention).
WORKSPACE_RETENTION_DAYS = SOFT_DELETE_RETENTION_DAYS[1]


class ExpressRouteMonitoring(pulumi.ComponentResource):
    """Baseline alerts on the ports and circuits, and the Key Vault's audit log.

    Azure constraints and guidance encoded here:
    - Alerts follow Azure Monitor Baseline Alerts (the catalogue, ``alerts.py``), one rule
      per metric per port or circuit (neither takes multi-resource rules), split by the
      metric's documented dimension (``Link``, ``PeeringType``, ``DeviceRole``) so an
      alert names the link, peering or MSEE.
    - A port before ``active`` has its links down on purpose: its alerts, and those of
      its circuits, exist but are disabled, and switch on when the port goes active. Its
      traffic-at-zero alerts also wait for circuits (a port without any carries no
      traffic), and leave out the links in ``drained_links``.
    - A circuit's throughput alerts fire at a share of its ``bandwidth_in_gbps``; its QoS
      drop alerts have a dynamic threshold (``MultipleResourceMultipleMetricCriteria``,
      the only criteria that take one).
    - The vault's diagnostic setting sends the ``AuditEvent`` log (each secret read) and
      ``AllMetrics`` to Log Analytics, into resource-specific tables (``Dedicated``:
      ``AZKVAuditLogs`` in the public cloud) rather than ``AzureDiagnostics``.
    """

    alert_names: dict[str, list[str]]
    """Per port or circuit name: the names of its alert rules (plain data, known before deployment)."""
    action_group_id: pulumi.Output[Optional[str]]
    """ARM id of the action group (None without alert e-mails)."""
    workspace_id: pulumi.Output[str]
    """The Log Analytics workspace receiving the vault's audit log."""

    def __init__(self, name: str, args: ExpressRouteMonitoringArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None:
        settings = validate_args(ExpressRouteMonitoringInputs, args, source=f"ExpressRouteMonitoring '{name}'")
        super().__init__(type_token("ExpressRouteMonitoring"), name, None,
                         component_options("ExpressRouteMonitoring", opts))
        rg = settings.resource_group_name
        child = pulumi.ResourceOptions(parent=self)

        if settings.log_analytics_workspace_id:
            workspace_id = pulumi.Output.from_input(settings.log_analytics_workspace_id)
        else:
            workspace_id = operationalinsights.Workspace(
                f"{name}-logs",
                resource_group_name=rg,
                workspace_name=settings.workspace_name,
                sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
                retention_in_days=WORKSPACE_RETENTION_DAYS,
                opts=pulumi.ResourceOptions(parent=self, protect=settings.protect),
            ).id
        monitor.DiagnosticSetting(
            f"{name}-vault-audit",
            name="macsec-key-audit",
            resource_uri=settings.vault_id,
            workspace_id=workspace_id,
            logs=[monitor.DiagnosticsLogSettingsArgs(category=VAULT_LOG_CATEGORY, enabled=True)],
            metrics=[monitor.DiagnosticsMetricSettingsArgs(category=VAULT_METRIC_CATEGORY, enabled=True)],
            log_analytics_destination_type=VAULT_LOG_DESTINATION_TYPE,
            opts=child,
        )

        alert_names: dict[str, list[str]] = {}
        action_group_id: pulumi.Output[Optional[str]] = pulumi.Output.from_input(None)
        if settings.alert_emails:
            action_group = monitor.ActionGroup(
                f"{name}-operators",
                resource_group_name=rg,
                action_group_name=f"{name}-operators",
                group_short_name=ACTION_GROUP_SHORT_NAME,
                enabled=True,
                location="Global",
                email_receivers=[
                    monitor.MicrosoftCommonEmailReceiverArgs(
                        name=f"operator-{i}", email_address=address, use_common_alert_schema=True)
                    for i, address in enumerate(settings.alert_emails, start=1)
                ],
                opts=child,
            )
            action_group_id = action_group.id
            alert = functools.partial(self._alert, rg=rg, action_group_id=action_group.id)
            for port in settings.ports:
                drained = sorted(set(settings.drained_links.get(port.name, ())))
                # A link carries traffic only once the port is active, has circuits and
                # the link is not drained: the traffic-at-zero alerts watch only those.
                carries = port.stage == "active" and port.carries_circuits and len(drained) < len(LINKS)
                alert_names[port.name] = [
                    alert(port.name, port.id, rule, rule.threshold, carries if rule.traffic else port.stage == "active",
                          excluded=drained if rule.traffic else ())
                    for rule in settings.rules("port")
                ]
            for circuit in settings.circuits:
                rules = [rule for rule in settings.rules("circuit")
                         if not rule.per_bandwidth or circuit.bandwidth_in_gbps is not None]
                alert_names[circuit.name] = [
                    alert(circuit.name, circuit.id, rule, rule.threshold_for(circuit.bandwidth_in_gbps),
                          circuit.port_stage == "active")
                    for rule in rules
                ]

        # Names only, as plain data: an Output of a nested summary would cost an Output per leaf,
        # thousands in a large estate. What each alert watches is in alerts.py and in Azure.
        self.alert_names = alert_names
        self.action_group_id = action_group_id
        self.workspace_id = workspace_id
        self.register_outputs({"action_group_id": self.action_group_id, "workspace_id": self.workspace_id})

    def _alert(self, owner: str, owner_id: pulumi.Input[str], rule: AlertRule, threshold: Optional[float],
               enabled: bool, excluded: Sequence[str] = (), *, rg: pulumi.Input[str],
               action_group_id: pulumi.Input[str]) -> str:
        """One metric alert on one port or circuit, split by the rule's dimension (leaving
        out the values in ``excluded``); returns its name."""
        name = alert_name(owner, rule)
        monitor.MetricAlert(
            name,
            resource_group_name=rg,
            rule_name=name,
            description=f"{owner}: {rule.meaning} ({rule.condition()}; {rule.source})",
            location="global",
            scopes=[owner_id],
            enabled=enabled,
            severity=rule.severity,
            window_size=rule.window,
            evaluation_frequency=rule.frequency,
            # Resolves by itself once the link or peering is back, so a runbook can wait for it.
            auto_mitigate=True,
            # Criteria and actions in their ARM (wire) form: the SDK sends plain dicts as they are,
            # which spares converting nested Args objects for each of the hundreds of alerts of a
            # large estate (docs/performance.md).
            criteria=criteria(rule, threshold, excluded),
            actions=[{"actionGroupId": action_group_id}],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return name


def criteria(rule: AlertRule, threshold: Optional[float], excluded: Sequence[str] = ()) -> dict:
    """The alert's criteria in ARM's wire form. A dynamic threshold only exists in the
    multiple-resource criteria (the single-resource one takes static criteria only), which
    a rule on one resource may use as well."""
    if rule.dimension is None:
        dimensions = []
    elif excluded:
        # Exclude, not Include of the other values: a misspelt value then leaves the link
        # watched (noisy) rather than silently unwatched.
        dimensions = [{"name": rule.dimension, "operator": "Exclude", "values": list(excluded)}]
    else:
        dimensions = [{"name": rule.dimension, "operator": "Include", "values": ["*"]}]
    criterion = {
        "name": rule.key,
        "metricNamespace": rule.namespace,
        "metricName": rule.metric,
        "operator": rule.operator,
        "timeAggregation": rule.aggregation,
        "dimensions": dimensions,
    }
    if rule.dynamic is None:
        return {"odataType": STATIC_CRITERIA,
                "allOf": [{"criterionType": "StaticThresholdCriterion", **criterion, "threshold": threshold}]}
    return {"odataType": DYNAMIC_CRITERIA, "allOf": [{
        "criterionType": "DynamicThresholdCriterion", **criterion,
        "alertSensitivity": rule.dynamic.sensitivity,
        "failingPeriods": {"numberOfEvaluationPeriods": rule.dynamic.evaluation_periods,
                           "minFailingPeriodsToAlert": rule.dynamic.failing_periods},
    }]}


def tag_resources(tags: Mapping[str, str]):
    """A stack transformation that gives every resource taking tags the stack's ``tags``,
    under the tags the resource sets itself (those win on a clash).

    azure-native resources list every input they accept in their properties, ``tags``
    included (None when unset), so "takes tags" needs no list of types."""
    stack_tags = dict(tags)

    def transformation(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        if not isinstance(args.resource, pulumi.CustomResource) or "tags" not in args.props:
            return None
        own = args.props["tags"]
        merged = (pulumi.Output.from_input(own).apply(lambda t: {**stack_tags, **(t or {})})
                  if isinstance(own, pulumi.Output) else {**stack_tags, **(own or {})})
        return pulumi.ResourceTransformationResult({**args.props, "tags": merged}, args.opts)

    return transformation
