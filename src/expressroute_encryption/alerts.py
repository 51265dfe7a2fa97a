"""The alert catalogue: every metric alert the stack puts on a Direct port or a circuit.

One table, read by the monitoring component (what it creates), the stack config (which
keys ``monitoring.alerts`` may override, and the range each threshold may take), the
policy pack (what a monitored port or circuit has), the offline preview (what it lists
per port) and the rotation runbook (which alert shows a link down). The rows are Azure
Monitor Baseline Alerts (AMBA), the ``expressRoutePorts`` and ``expressRouteCircuits``
sets, each naming its source fact (docs/azure-facts.md); where this product departs from
AMBA the row says so, and its fact is marked ``project``.

How the rules are shaped (docs/operations.md, "Alerts"):

- **One rule per metric per resource**, split by the dimension Microsoft documents for the
  metric (``Link`` on a port, ``PeeringType`` or ``DeviceRole`` on a circuit), with the
  value ``*``: Azure evaluates every link (peering, MSEE) as its own time series and a
  fired alert names the one that crossed the threshold. ExpressRoute ports and circuits do
  not take multi-resource rules, so a rule per resource is the fewest there can be.
- **Light levels** are compared as the Minimum (too low) or Maximum (too high) over the
  window: where Azure reports the lanes of an optic separately (``Lane``, "not supported
  on all deployments"), the weakest or strongest lane decides, so one weak lane is not
  averaged away; where it does not, the link's own reading does. No rule filters on
  ``Lane``, so a deployment without it is watched all the same.
- **Traffic at zero** (``PortBitsIn/OutPerSecond`` < 1) means something only on a link
  that should carry traffic: those rules (``traffic``) are enabled only on an active port
  with circuits, and leave out the links the operator marked drained
  (``monitoring.drainedLinks``: a ``Link`` filter ``Exclude``), at severity 1.
- **Circuit throughput** (``BitsIn/OutPerSecond``) fires above a share of the circuit's
  bandwidth per MSEE (``DeviceRole``): AMBA's static threshold is a placeholder, so the
  threshold is ``threshold`` percent (80) of ``bandwidthInGbps`` (``per_bandwidth``).
- **QoS drops** use AMBA's dynamic threshold (``dynamic``): Azure learns the usual drop
  rate and fires on a deviation.

Each static threshold has a ``Scale``: the values its metric takes, which bound what an
override can mean (``threshold_problem``).

This module imports nothing from the Azure SDK: the config check and the policy pack run
without it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Optional

from .arm import CIRCUIT_TYPE, PORT_TYPE
from .facts import PORT_SPEEDS_GBPS

BITS_PER_GBPS = 1_000_000_000


def minutes(duration: str) -> int:
    """Minutes in one of the durations a metric alert accepts (``facts.ALERT_WINDOW_SIZES``:
    PT5M -> 5, PT1H -> 60, P1D -> 1440)."""
    if duration == "P1D":
        return 1440
    value, unit = int(duration[2:-1]), duration[-1]
    return value * 60 if unit == "H" else value


def _number(value: float) -> str:
    """A threshold as people read it: 0.9, -10, 100,000,000,000."""
    return f"{value:,.0f}" if 1e6 <= abs(value) < 1e15 else f"{value:g}"


@dataclass(frozen=True)
class Scale:
    """The values a metric takes: a static threshold outside them makes an alert that
    always fires or never does."""

    low: float
    high: float
    unit: str
    meaning: str

    def describe(self) -> str:
        return f"{_number(self.low)} to {_number(self.high)}{self.unit}"


# fact: metric-erp-state-0-1
STATE = Scale(0, 1, "", "1 while up (enabled), 0 while down (disabled)")
# fact: metric-erc-percent
PERCENT = Scale(0, 100, " %", "a percentage")
# fact: project-light-level-range
DBM = Scale(-40, 10, " dBm", "optical power; -40 dBm is no light at all")
# fact: erd-port-options
PORT_BITS = Scale(0, max(PORT_SPEEDS_GBPS) * BITS_PER_GBPS, " bits/s", "at most the line rate of the largest port")
# fact: er-circuit-bandwidth-per-link
BANDWIDTH_SHARE = Scale(0, 100, " % of the circuit's bandwidthInGbps",
                        "each link of a circuit carries up to its bandwidth")


@dataclass(frozen=True)
class DynamicThreshold:
    """A dynamic threshold: Azure learns the metric's usual pattern and fires on a
    deviation (``sensitivity``) in ``failing_periods`` of the last ``evaluation_periods``
    windows. It fires no alert before it has three days of data."""

    sensitivity: Literal["Low", "Medium", "High"]
    evaluation_periods: int
    failing_periods: int


@dataclass(frozen=True)
class AlertRule:
    """One metric alert: what it watches and when it fires.

    ``key`` names it in ``monitoring.alerts`` and ends the Azure name of the alert rule
    (``<port or circuit>-<key>``). ``threshold`` is in the metric's unit, a percentage of
    the circuit's bandwidth where ``per_bandwidth``, and None for a ``dynamic`` rule.
    ``dimension`` is the one the rule is split by (None: the resource as a whole)."""

    key: str
    target: Literal["port", "circuit"]
    metric: str
    dimension: Optional[str]
    operator: Literal["LessThan", "GreaterThan"]
    threshold: Optional[float]
    aggregation: Literal["Average", "Minimum", "Maximum"]
    window: str
    frequency: str
    severity: int
    fact: str
    meaning: str
    scale: Optional[Scale] = None
    dynamic: Optional[DynamicThreshold] = None
    per_bandwidth: bool = False
    traffic: bool = False

    @property
    def namespace(self) -> str:
        return PORT_TYPE if self.target == "port" else CIRCUIT_TYPE

    @property
    def source(self) -> str:
        """Where the rule comes from, for its description in Azure."""
        return "Azure Monitor Baseline Alerts" if self.fact.startswith("amba-") else "expressroute-encryption"

    def condition(self) -> str:
        """``LineProtocol Average < 0.9 per Link over PT5M``, for docs and summaries."""
        sign = "<" if self.operator == "LessThan" else ">"
        if self.dynamic is not None:
            limit = (f"a dynamic threshold ({self.dynamic.sensitivity} sensitivity, "
                     f"{self.dynamic.failing_periods} of {self.dynamic.evaluation_periods} windows)")
        elif self.per_bandwidth:
            limit = f"{_number(self.threshold)}% of bandwidthInGbps"
        else:
            limit = _number(self.threshold)
        per = f" per {self.dimension}" if self.dimension else ""
        return f"{self.metric} {self.aggregation} {sign} {limit}{per} over {self.window}"

    def threshold_for(self, bandwidth_gbps: Optional[float] = None) -> Optional[float]:
        """The threshold Azure compares with: for a ``per_bandwidth`` rule, in bits per
        second of a circuit of ``bandwidth_gbps`` (None without it)."""
        if not self.per_bandwidth:
            return self.threshold
        if bandwidth_gbps is None:
            return None
        return bandwidth_gbps * BITS_PER_GBPS * self.threshold / 100

    def allowed_thresholds(self) -> str:
        """The thresholds that mean something, in words. A LessThan rule needs one above
        the metric's lowest value (else it never fires) and at most its highest; a
        GreaterThan rule the mirror image."""
        scale = self.scale
        if self.operator == "LessThan":
            return f"greater than {_number(scale.low)} and at most {_number(scale.high)}{scale.unit}"
        return f"at least {_number(scale.low)} and less than {_number(scale.high)}{scale.unit}"

    def threshold_problem(self, value: float) -> Optional[str]:
        """Why ``value`` cannot be this rule's threshold (None: it can)."""
        scale = self.scale
        if (scale.low < value <= scale.high) if self.operator == "LessThan" else (scale.low <= value < scale.high):
            return None
        return (f"must be {self.allowed_thresholds()} ({self.metric}: {scale.meaning}); {_number(value)} would "
                "make an alert that always fires or never does")

    def with_changes(self, **changes) -> "AlertRule":
        """This rule with other settings (an override)."""
        if "sensitivity" in changes:
            changes["dynamic"] = replace(self.dynamic, sensitivity=changes.pop("sensitivity"))
        return replace(self, **changes)


def _port(key, metric, operator, threshold, aggregation, severity, fact, meaning, scale, **extra) -> AlertRule:
    return AlertRule(key, "port", metric, "Link", operator, threshold, aggregation, "PT5M", "PT5M", severity, fact,
                     meaning, scale, **extra)


# fact: metric-alert-multi-resource (one rule per metric per port or circuit: the fewest there can be)
ALERTS: tuple[AlertRule, ...] = (
    # fact: amba-erp-lineprotocol (AMBA alerts.yaml threshold 0.9; its ARM template says 1)
    _port("lineProtocol", "LineProtocol", "LessThan", 0.9, "Average", 0, "amba-erp-lineprotocol",
          "a link's line protocol is down (no layer-2 signal, or a MACsec mismatch)", STATE),
    # fact: metric-erp-adminstate (not in AMBA: same shape as LineProtocol; APRL wants both links enabled)
    _port("adminState", "AdminState", "LessThan", 0.9, "Average", 1, "metric-erp-adminstate",
          "a link was admin-disabled (the physical port is off)", STATE),
    # fact: amba-erp-rxlight-low (Minimum rather than AMBA's Average: the weakest lane decides)
    _port("rxLightLevelLow", "RxLightLevel", "LessThan", -10, "Minimum", 1, "amba-erp-rxlight-low",
          "received light below -10 dBm on a link or one of its lanes (dirty or failing optic, bad patch)", DBM),
    # fact: amba-erp-rxlight-high (Maximum: the strongest lane decides)
    _port("rxLightLevelHigh", "RxLightLevel", "GreaterThan", 0, "Maximum", 1, "amba-erp-rxlight-high",
          "received light above 0 dBm on a link or one of its lanes (receiver overload)", DBM),
    # fact: amba-erp-txlight-low
    _port("txLightLevelLow", "TxLightLevel", "LessThan", -10, "Minimum", 1, "amba-erp-txlight-low",
          "transmitted light below -10 dBm on a link or one of its lanes (failing optic)", DBM),
    # fact: amba-erp-txlight-high
    _port("txLightLevelHigh", "TxLightLevel", "GreaterThan", 0, "Maximum", 1, "amba-erp-txlight-high",
          "transmitted light above 0 dBm on a link or one of its lanes", DBM),
    # fact: amba-erp-bitsin, project-traffic-at-zero (severity 1, only where traffic is expected)
    _port("portBitsInPerSecond", "PortBitsInPerSecond", "LessThan", 1, "Average", 1, "amba-erp-bitsin",
          "no traffic into Azure on a link that should carry some", PORT_BITS, traffic=True),
    # fact: amba-erp-bitsout, project-traffic-at-zero
    _port("portBitsOutPerSecond", "PortBitsOutPerSecond", "LessThan", 1, "Average", 1, "amba-erp-bitsout",
          "no traffic out of Azure on a link that should carry some", PORT_BITS, traffic=True),
    # fact: amba-erc-bgp
    AlertRule("bgpAvailability", "circuit", "BgpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M",
              "PT1M", 0, "amba-erc-bgp", "BGP sessions of a peering below 90% available", PERCENT),
    # fact: amba-erc-arp
    AlertRule("arpAvailability", "circuit", "ArpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M",
              "PT1M", 0, "amba-erc-arp", "ARP towards the peers of a peering below 90% available", PERCENT),
    # fact: amba-erc-qosdrop (the metric has no dimension)
    AlertRule("qosDropBitsInPerSecond", "circuit", "QosDropBitsInPerSecond", None, "GreaterThan", None, "Average",
              "PT5M", "PT5M", 2, "amba-erc-qosdrop", "more ingress traffic dropped than usual (rate limiting, QoS)",
              dynamic=DynamicThreshold("Medium", 4, 4)),
    # fact: amba-erc-qosdrop
    AlertRule("qosDropBitsOutPerSecond", "circuit", "QosDropBitsOutPerSecond", None, "GreaterThan", None, "Average",
              "PT5M", "PT5M", 2, "amba-erc-qosdrop", "more egress traffic dropped than usual (rate limiting, QoS)",
              dynamic=DynamicThreshold("Medium", 4, 4)),
    # fact: amba-erc-bits, project-circuit-bits-threshold (80% of the bandwidth per MSEE)
    AlertRule("bitsInPerSecond", "circuit", "BitsInPerSecond", "DeviceRole", "GreaterThan", 80, "Average", "PT5M",
              "PT1M", 2, "amba-erc-bits", "traffic into Azure on one link of the circuit near its bandwidth",
              BANDWIDTH_SHARE, per_bandwidth=True),
    # fact: amba-erc-bits, project-circuit-bits-threshold
    AlertRule("bitsOutPerSecond", "circuit", "BitsOutPerSecond", "DeviceRole", "GreaterThan", 80, "Average", "PT5M",
              "PT1M", 2, "amba-erc-bits", "traffic out of Azure on one link of the circuit near its bandwidth",
              BANDWIDTH_SHARE, per_bandwidth=True),
)

ALERT_KEYS = tuple(rule.key for rule in ALERTS)
PORT_ALERTS = tuple(rule for rule in ALERTS if rule.target == "port")
CIRCUIT_ALERTS = tuple(rule for rule in ALERTS if rule.target == "circuit")
# The alert to watch while one link is changed (rotation runbook).
LINK_DOWN_ALERT = next(rule for rule in ALERTS if rule.key == "lineProtocol")
# The metrics of the traffic-at-zero rules (off on a port without circuits).
TRAFFIC_METRICS = frozenset(rule.metric for rule in ALERTS if rule.traffic)


def opposite_pairs(rules=ALERTS) -> list[tuple[AlertRule, AlertRule]]:
    """(too low, too high) rules on the same metric: the low threshold must stay below the
    high one, or one of the two always fires."""
    return [(low, high) for low in rules for high in rules
            if low.metric == high.metric and low.target == high.target and low.operator == "LessThan"
            and high.operator == "GreaterThan" and low.scale is not None and high.scale is not None]


# fact: kv-diag-auditevent, kv-diag-allmetrics
VAULT_LOG_CATEGORY = "AuditEvent"
VAULT_METRIC_CATEGORY = "AllMetrics"
# fact: kv-diag-dedicated
# Resource-specific tables (AZKVAuditLogs) rather than AzureDiagnostics.
VAULT_LOG_DESTINATION_TYPE = "Dedicated"
VAULT_AUDIT_TABLE = "AZKVAuditLogs"


def alert_name(owner: str, rule: AlertRule) -> str:
    """The Azure name of the alert rule ``rule`` on the port or circuit ``owner``."""
    return f"{owner}-{rule.key}"
