"""The alert catalogue: every metric alert the stack puts on a Direct port or a circuit.

One table, read by the monitoring component (what it creates), the stack config (which
keys ``monitoring.alerts`` may override), the policy pack (what a monitored port or
circuit has) and the offline preview (what it lists per port). Thresholds, windows,
frequencies and severities are those of Azure Monitor Baseline Alerts (AMBA), the
``expressRoutePorts`` and ``expressRouteCircuits`` sets; each row names its source
(docs/azure-facts.md).

AMBA's rules watch the whole resource. Here each alert is split by the dimension
Microsoft documents for the metric (``Link`` on a port, ``PeeringType`` on a circuit),
with the value ``*``: Azure evaluates every link (every peering) as its own time series
and a fired alert names the one that crossed the threshold. Microsoft documents the
dimension names but not their values, so no value is guessed: an alert filtered on a
misspelt value would never fire.

This module imports nothing from the Azure SDK: the config check runs before it loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .arm import CIRCUIT_TYPE, PORT_TYPE


def minutes(duration: str) -> int:
    """Minutes in one of the durations a metric alert accepts (``facts.ALERT_WINDOW_SIZES``:
    PT5M -> 5, PT1H -> 60, P1D -> 1440)."""
    if duration == "P1D":
        return 1440
    value, unit = int(duration[2:-1]), duration[-1]
    return value * 60 if unit == "H" else value


@dataclass(frozen=True)
class AlertRule:
    """One metric alert: what it watches and when it fires.

    ``key`` names it in ``monitoring.alerts`` and ends the Azure name of the alert rule
    (``<port or circuit>-<key>``)."""

    key: str
    target: Literal["port", "circuit"]
    metric: str
    dimension: str
    operator: Literal["LessThan", "GreaterThan"]
    threshold: float
    aggregation: Literal["Average", "Minimum", "Maximum"]
    window: str
    frequency: str
    severity: int
    fact: str
    meaning: str

    @property
    def namespace(self) -> str:
        return PORT_TYPE if self.target == "port" else CIRCUIT_TYPE

    def condition(self) -> str:
        """``LineProtocol Average < 0.9 per Link over PT5M``, for docs and summaries."""
        sign = "<" if self.operator == "LessThan" else ">"
        return f"{self.metric} {self.aggregation} {sign} {self.threshold:g} per {self.dimension} over {self.window}"


ALERTS: tuple[AlertRule, ...] = (
    # fact: amba-erp-lineprotocol (AMBA alerts.yaml threshold 0.9; its ARM template says 1)
    AlertRule("lineProtocol", "port", "LineProtocol", "Link", "LessThan", 0.9, "Average", "PT5M", "PT5M", 0,
              "amba-erp-lineprotocol", "a link's line protocol is down (no layer-2 signal, or a MACsec mismatch)"),
    # fact: metric-erp-adminstate (not in AMBA: same shape as LineProtocol; APRL wants both links enabled)
    AlertRule("adminState", "port", "AdminState", "Link", "LessThan", 0.9, "Average", "PT5M", "PT5M", 1,
              "metric-erp-adminstate", "a link was admin-disabled (the physical port is off)"),
    # fact: amba-erp-rxlight-low
    AlertRule("rxLightLevelLow", "port", "RxLightLevel", "Link", "LessThan", -10, "Average", "PT5M", "PT5M", 1,
              "amba-erp-rxlight-low", "received light below -10 dBm (dirty or failing optic, bad patch)"),
    # fact: amba-erp-rxlight-high
    AlertRule("rxLightLevelHigh", "port", "RxLightLevel", "Link", "GreaterThan", 0, "Average", "PT5M", "PT5M", 1,
              "amba-erp-rxlight-high", "received light above 0 dBm (receiver overload)"),
    # fact: amba-erp-txlight-low
    AlertRule("txLightLevelLow", "port", "TxLightLevel", "Link", "LessThan", -10, "Average", "PT5M", "PT5M", 1,
              "amba-erp-txlight-low", "transmitted light below -10 dBm (failing optic)"),
    # fact: amba-erp-txlight-high
    AlertRule("txLightLevelHigh", "port", "TxLightLevel", "Link", "GreaterThan", 0, "Average", "PT5M", "PT5M", 1,
              "amba-erp-txlight-high", "transmitted light above 0 dBm"),
    # fact: amba-erp-bitsin
    AlertRule("portBitsInPerSecond", "port", "PortBitsInPerSecond", "Link", "LessThan", 1, "Average", "PT5M", "PT5M",
              0, "amba-erp-bitsin", "no traffic into Azure on a link"),
    # fact: amba-erp-bitsout
    AlertRule("portBitsOutPerSecond", "port", "PortBitsOutPerSecond", "Link", "LessThan", 1, "Average", "PT5M",
              "PT5M", 0, "amba-erp-bitsout", "no traffic out of Azure on a link"),
    # fact: amba-erc-bgp
    AlertRule("bgpAvailability", "circuit", "BgpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M",
              "PT1M", 0, "amba-erc-bgp", "BGP sessions of a peering below 90% available"),
    # fact: amba-erc-arp
    AlertRule("arpAvailability", "circuit", "ArpAvailability", "PeeringType", "LessThan", 90, "Average", "PT5M",
              "PT1M", 0, "amba-erc-arp", "ARP towards the peers of a peering below 90% available"),
)

ALERT_KEYS = tuple(rule.key for rule in ALERTS)
PORT_ALERTS = tuple(rule for rule in ALERTS if rule.target == "port")
CIRCUIT_ALERTS = tuple(rule for rule in ALERTS if rule.target == "circuit")
# The alert to watch while one link is changed (rotation runbook).
LINK_DOWN_ALERT = next(rule for rule in ALERTS if rule.key == "lineProtocol")

# fact: kv-diag-auditevent, kv-diag-allmetrics
VAULT_LOG_CATEGORY = "AuditEvent"
VAULT_METRIC_CATEGORY = "AllMetrics"


def alert_name(owner: str, rule: AlertRule) -> str:
    """The Azure name of the alert rule ``rule`` on the port or circuit ``owner``."""
    return f"{owner}-{rule.key}"
