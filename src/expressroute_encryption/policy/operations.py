"""Policies for operating an ExpressRoute Direct estate: both links on, no oversubscription, alerts on
every port and circuit, and the audit log of the vault holding the MACsec keys.

All advisory: they follow the Azure Proactive Resiliency Library (APRL) recommendations for
ExpressRoute Direct and Azure Monitor Baseline Alerts (AMBA), which Azure does not enforce. The alerts
they look for are the catalogue in ``expressroute_encryption/alerts.py``, the same table the stack
creates its alerts from.
"""

from collections.abc import Sequence

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..alerts import CIRCUIT_ALERTS, PORT_ALERTS, TRAFFIC_METRICS, VAULT_LOG_CATEGORY, AlertRule
from .azure import (
    ARM_TYPES,
    CIRCUIT,
    DIAGNOSTIC_SETTING,
    METRIC_ALERT,
    PORT,
    VAULT,
    arm_name,
    azure_name,
    display_name,
)
from .macsec import bandwidth_gbps
from .macsec_vaults import MacsecVaults
from .props import UNKNOWN, elements, equals_ignoring_case, get, has_entries, is_present, number, text
from .resources import ResourcePolicy, applies_to, depended_on, of_type, points_at

APRL_ERD = "https://azure.github.io/Azure-Proactive-Resiliency-Library-v2/azure-resources/Network/expressRoutePorts"
AMBA_ERD = "https://azure.github.io/azure-monitor-baseline-alerts/services/Network/expressRoutePorts/"
KV_LOGGING = "https://learn.microsoft.com/azure/key-vault/general/logging"


def admin_states(props) -> list[tuple[str, object]]:
    """(link name, adminState) for each link in the port's properties (inputs or outputs)."""
    links = get(props, "links")
    if links is UNKNOWN:
        return []
    found = []
    for index, link in enumerate(elements(links)):
        name = text(get(link, "name")) or f"link{index + 1}"
        # Inputs carry adminState on the link, ARM outputs under properties.
        state = get(link, "adminState")
        if state is None:
            state = get(link, "properties", "adminState")
        found.append((name, state))
    return found


@applies_to(PORT)
def require_both_links_enabled(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """An active port has both links admin-enabled (APRL 60077378-7cb1-4b35-89bb-393884d9921d).

    A port counts as active once one of its links is admin-enabled (Azure starts billing then): the
    other one is then either forgotten or switched off, and the port runs without redundancy. A port
    with both links disabled (ordered, or encrypted but not yet in service) is deliberately down and
    passes; so does one whose links are unknown.
    """
    states = admin_states(args.props)
    if any(state is UNKNOWN for _, state in states):
        return
    enabled = [name for name, state in states if equals_ignoring_case(state, "Enabled")]
    disabled = [name for name, state in states if not equals_ignoring_case(state, "Enabled")]
    if enabled and (disabled or len(enabled) < 2):
        off = " and ".join(disabled) or "its second link"
        report_violation(
            f"ExpressRoute port '{args.name}' is in service on {' and '.join(enabled)} but {off} "
            f"{'are' if len(disabled) > 1 else 'is'} not admin-enabled: the port has no redundancy. Set "
            "adminState to Enabled on both links once both are cabled and encrypted.")


class _Index:
    """``points_at`` over many references at once: ports or circuits by lowercase ARM id, and those
    without an id yet by type and name (then resource group), so that matching thousands of alerts stays
    linear. A reference that is unknown during preview is followed through the referrer's dependencies."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = resources
        self.by_id: dict[str, PolicyResource] = {}
        self.by_name: dict[tuple[str, str], list[PolicyResource]] = {}
        for resource in resources:
            own_id = text(get(resource.props, "id"))
            if own_id:
                self.by_id[own_id.lower()] = resource
            elif name := azure_name(resource.resource_type, resource.props):
                self.by_name.setdefault((ARM_TYPES[resource.resource_type], name.lower()), []).append(resource)
        self.arm_types = {arm_type for arm_type, _ in self.by_name}

    def find(self, reference, referrer: PolicyResource) -> PolicyResource | None:
        if reference is UNKNOWN:
            return depended_on(referrer, self.resources)
        wanted = text(reference)
        if not wanted:
            return None
        if found := self.by_id.get(wanted.lower()):
            return found
        for arm_type in self.arm_types:
            name = arm_name(wanted, arm_type)
            candidates = self.by_name.get((arm_type, name.lower())) if name else None
            if candidates:
                return next((c for c in candidates if points_at(wanted, c)), None)
        return None


def check_not_oversubscribed(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """The circuits on a port add up to at most the port's bandwidth (APRL
    0bee356b-7348-4799-8cab-0c71ffe13018).

    Azure accepts up to twice the port's bandwidth (the stack config refuses more); but if one link
    fails while the circuits use their full capacity, the other cannot carry the load."""
    ports = _Index(of_type(args.resources, PORT))
    totals: dict[str, float] = {}
    by_urn = {port.urn: port for port in ports.resources}
    for circuit in of_type(args.resources, CIRCUIT):
        port = ports.find(get(circuit.props, "expressRoutePort", "id"), circuit)
        size = number(get(circuit.props, "bandwidthInGbps"))
        if port is not None and size is not None:
            totals[port.urn] = totals.get(port.urn, 0) + size
    for urn, total in totals.items():
        port = by_urn[urn]
        bandwidth = bandwidth_gbps(port.props)
        if bandwidth is not None and total > bandwidth:
            report_violation(
                f"ExpressRoute port '{port.name}' carries circuits adding up to {total:g} Gbps on a {bandwidth:g} Gbps "
                "port: if one link fails, the other cannot carry them. Keep the circuits within the port's "
                "bandwidth, or move some to another port.", urn)


def _alert_signature(alert: PolicyResource) -> tuple[set[tuple[str, str]], bool, bool]:
    # Static and dynamic criteria alike name the metric and the operator.
    """(metric, operator) pairs an alert watches, whether it is enabled, whether it notifies anyone."""
    watched = set()
    for criterion in elements(get(alert.props, "criteria", "allOf")):
        metric, operator = text(get(criterion, "metricName")), text(get(criterion, "operator"))
        if metric and operator:
            watched.add((metric.lower(), operator.lower()))
    enabled = get(alert.props, "enabled")
    actions = get(alert.props, "actions")
    return watched, enabled is not False, actions is UNKNOWN or has_entries(actions)


def _missing(rules: Sequence[AlertRule], watched: set[tuple[str, str]]) -> list[str]:
    return [f"{rule.metric} {rule.operator}" for rule in rules
            if (rule.metric.lower(), rule.operator.lower()) not in watched]


def _carrying_circuits(ports: _Index, circuits: Sequence[PolicyResource]) -> set[str]:
    """URNs of the ports some circuit of the stack runs on."""
    found = set()
    for circuit in circuits:
        if (port := ports.find(get(circuit.props, "expressRoutePort", "id"), circuit)) is not None:
            found.add(port.urn)
    return found


def check_monitored(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every port and circuit has the baseline metric alerts (APRL 55815823-d588-4cb7-a5b8-ae581837356e,
    Azure Monitor Baseline Alerts), each sending to an action group; a port with a link in service has
    its alerts enabled, except the traffic-at-zero ones while no circuit runs on it (a link without
    circuits carries no traffic)."""
    ports, circuits = of_type(args.resources, PORT), of_type(args.resources, CIRCUIT)
    if not ports and not circuits:
        return
    targets = _Index([*ports, *circuits])
    carrying = _carrying_circuits(_Index(ports), circuits)
    watched: dict[str, set[tuple[str, str]]] = {}
    silent: dict[str, list[str]] = {}
    disabled: dict[str, list[tuple[str, set[tuple[str, str]]]]] = {}
    for alert in of_type(args.resources, METRIC_ALERT):
        signature, enabled, notifies = _alert_signature(alert)
        scopes = get(alert.props, "scopes")
        for scope in [UNKNOWN] if scopes is UNKNOWN else elements(scopes):
            target = targets.find(scope, alert)
            if target is None:
                continue
            watched.setdefault(target.urn, set()).update(signature)
            if not notifies:
                silent.setdefault(target.urn, []).append(alert.name)
            if not enabled:
                disabled.setdefault(target.urn, []).append((alert.name, signature))
    traffic = {metric.lower() for metric in TRAFFIC_METRICS}
    for resource, rules, kind in [*((p, PORT_ALERTS, "port") for p in ports),
                                  *((c, CIRCUIT_ALERTS, "circuit") for c in circuits)]:
        problems = []
        if missing := _missing(rules, watched.get(resource.urn, set())):
            problems.append(f"no metric alert for {', '.join(missing)}")
        if resource.urn in silent:
            problems.append(f"alerts without an action group: {', '.join(sorted(silent[resource.urn]))}")
        in_service = kind == "port" and any(equals_ignoring_case(s, "Enabled") for _, s in admin_states(resource.props))
        off = [name for name, signature in disabled.get(resource.urn, [])
               if resource.urn in carrying or not signature or any(metric not in traffic for metric, _ in signature)]
        if in_service and off:
            problems.append(f"a link is admin-enabled but these alerts are disabled: {', '.join(sorted(off))}")
        if problems:
            report_violation(
                f"ExpressRoute {kind} '{resource.name}' is not monitored as Azure Monitor Baseline Alerts recommend: "
                f"{'; '.join(problems)}. Set monitoring.alertEmails in the stack config to create them.",
                resource.urn)


def _logs_audit_events(setting: PolicyResource) -> bool:
    """Whether a diagnostic setting sends the AuditEvent category (or the audit/allLogs group)
    somewhere."""
    destination = any(is_present(get(setting.props, key))
                      for key in ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId"))
    for log in elements(get(setting.props, "logs")):
        if get(log, "enabled") is False:
            continue
        if equals_ignoring_case(get(log, "category"), VAULT_LOG_CATEGORY) or \
                text(get(log, "categoryGroup")) in ("audit", "allLogs"):
            return destination
    return False


def check_vault_audit_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every Key Vault of the stack holding a port's MACsec keys (``macsec_vaults``; other vaults are not
    this pack's business) has a diagnostic setting sending its ``AuditEvent`` log to a workspace,
    storage account or event hub: each read of a MACsec key is recorded."""
    macsec = MacsecVaults(args.resources)
    vaults = [vault for vault in of_type(args.resources, VAULT) if macsec.port_of(vault) is not None]
    if not vaults:
        return
    audited = set()
    index = _Index(vaults)
    for setting in of_type(args.resources, DIAGNOSTIC_SETTING):
        if not _logs_audit_events(setting):
            continue
        reference = get(setting.props, "resourceUri")
        if reference is None:  # outputs: the setting's own id hangs off the vault's
            name = arm_name(get(setting.props, "id"), ARM_TYPES[VAULT])
            vault = next((v for v in vaults if name and (azure_name(VAULT, v.props) or "").lower() == name.lower()), None)
        else:
            vault = index.find(reference, setting)
        if vault is not None:
            audited.add(vault.urn)
    for vault in vaults:
        if vault.urn not in audited:
            report_violation(
                f"Key Vault {display_name(VAULT, vault.props, vault.name)} holds the MACsec keys of ExpressRoute port "
                f"{display_name(PORT, macsec.port_of(vault).props, macsec.port_of(vault).name)} but has no diagnostic "
                f"setting sending its {VAULT_LOG_CATEGORY} log anywhere: reads of the keys are not recorded. Add a "
                f"diagnostic setting on the vault with the {VAULT_LOG_CATEGORY} category (or the audit group) and a "
                "Log Analytics workspace, storage account or event hub (in this project's stack: set monitoring in "
                "the stack config).",
                vault.urn)


# fact: aprl-erd-admin-state
port_admin_state_enabled = ResourcePolicy(
    name="expressroute-port-admin-state-enabled",
    description="An ExpressRoute Direct port in service has both links admin-enabled (APRL).",
    validate=require_both_links_enabled,
    enforcement_level=EnforcementLevel.ADVISORY,
    url=APRL_ERD,
)

# fact: aprl-erd-not-oversubscribed
port_not_oversubscribed = StackValidationPolicy(
    name="expressroute-port-not-oversubscribed",
    description="The circuits on an ExpressRoute Direct port add up to at most its bandwidth (APRL).",
    validate=check_not_oversubscribed,
    enforcement_level=EnforcementLevel.ADVISORY,
    url=APRL_ERD,
)

# fact: aprl-erd-monitoring
port_monitored = StackValidationPolicy(
    name="expressroute-port-monitored",
    description="ExpressRoute Direct ports and their circuits have the Azure Monitor Baseline Alerts, "
                "with an action group.",
    validate=check_monitored,
    enforcement_level=EnforcementLevel.ADVISORY,
    url=AMBA_ERD,
)

# fact: kv-diag-auditevent
keyvault_audit_logs = StackValidationPolicy(
    name="keyvault-audit-logs",
    description="Key Vaults send their AuditEvent log to a workspace (every read of a key is recorded).",
    validate=check_vault_audit_logs,
    enforcement_level=EnforcementLevel.ADVISORY,
    url=KV_LOGGING,
)

POLICIES = [port_admin_state_enabled, port_not_oversubscribed, port_monitored, keyvault_audit_logs]
