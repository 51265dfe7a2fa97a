"""Operating the estate: ``tags`` and ``monitoring`` (alert e-mails, the vault's audit
log workspace, overrides of the baseline alerts of ``alerts.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
import unicodedata
from dataclasses import replace
from typing import Annotated, Optional

from pydantic import Field, create_model
from pydantic.alias_generators import to_snake

from .. import facts
from ..alerts import ALERTS, AlertRule, opposite_pairs
from ..alerts import minutes as alert_minutes
from ..arm import WORKSPACE_TYPE, arm_id_problem
from .literals import AlertSensitivity, EvaluationFrequency, LinkName, WindowSize
from .rules import ConfigModel, Int, Number, cross_rule, rule


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds a control character (a line break, a tab, an escape, ...)."""
    # fact: project-no-control-characters
    return any(unicodedata.category(c) == facts.CONTROL_CHARACTER_CATEGORY for c in text)


def tag_name_problem(name: str) -> str | None:
    """Azure tag names: up to 512 characters, none of < > % & \\ ? /; no control characters."""
    if not name or len(name) > facts.TAG_NAME_MAX_LENGTH or any(c in name for c in facts.TAG_NAME_FORBIDDEN_CHARACTERS):
        return (f"must be 1-{facts.TAG_NAME_MAX_LENGTH} characters without "
                f"{' '.join(facts.TAG_NAME_FORBIDDEN_CHARACTERS)} (Azure tag names)")
    return tag_value_problem(name)


def tag_value_problem(text: str) -> str | None:
    """Tag names and values: no control characters."""
    if has_control_character(text):
        return "must not hold control characters (a line break, tab or escape)"
    return None


# Tag values are strings of up to 256 characters (quote numbers in YAML: "1234"). Azure
# allows 50 tags per resource; the stack sets none of its own, so all 50 are the user's.
Tags = Annotated[dict[str, Annotated[str, Field(max_length=facts.TAG_VALUE_MAX_LENGTH),
                                     rule("tag_value", tag_value_problem)]],
                 Field(max_length=facts.MAX_TAGS)]

# A pragmatic address check (RFC 5322 allows more, Azure Monitor e-mail receivers do not need it):
# local part, '@', a domain of DNS labels with at least one dot.
EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)


def email_problem(address: str) -> str | None:
    if not EMAIL_RE.fullmatch(address) or ".." in address or address.split("@")[0].startswith("."):
        return "must be an e-mail address such as noc@example.com"
    return None


def workspace_id_problem(value: str) -> str | None:
    return arm_id_problem(value, WORKSPACE_TYPE, "a Log Analytics workspace")


# A threshold: any finite number (the range of each alert is checked with the catalogue).
Threshold = Annotated[Number, Field(allow_inf_nan=False)]


class _AlertTiming(ConfigModel):
    """What every baseline alert lets a stack change."""

    severity: Optional[Annotated[Int, Field(ge=facts.ALERT_SEVERITIES[0], le=facts.ALERT_SEVERITIES[1])]] = None
    """Alert severity, 0 (critical) to 4 (verbose)."""
    window_size: Optional[WindowSize] = None
    """Period the metric is aggregated over (ISO 8601 duration)."""
    evaluation_frequency: Optional[EvaluationFrequency] = None
    """How often the rule is evaluated; not longer than `windowSize`."""


class AlertOverride(_AlertTiming):
    """A baseline alert with another threshold, severity, window or frequency."""

    threshold: Optional[Threshold] = None
    """The value the metric is compared with, in the metric's unit (for `bitsInPerSecond`/`bitsOutPerSecond`: percent of the circuit's bandwidth); the range each alert allows is in its row."""


class DynamicAlertOverride(_AlertTiming):
    """A baseline alert with a dynamic threshold, with another sensitivity, severity,
    window or frequency (window and frequency PT5M to PT1H)."""

    sensitivity: Optional[AlertSensitivity] = None
    """How far the metric may stray from its learned pattern: `Low` fires least, `High` most."""


def _override_doc(alert: AlertRule) -> str:
    if alert.dynamic is not None:
        return (f"Override of `{alert.key}` ({alert.condition()}): `sensitivity`, `severity`, `windowSize` and "
                f"`evaluationFrequency` ({', '.join(facts.DYNAMIC_ALERT_WINDOW_SIZES)}).")
    return (f"Override of `{alert.key}` ({alert.condition()}): `threshold` {alert.allowed_thresholds()}, "
            "`severity`, `windowSize`, `evaluationFrequency`.")


def apply_override(alert: AlertRule, override: Optional[_AlertTiming]) -> AlertRule:
    """The catalogue's ``alert`` with the overridden settings."""
    if override is None:
        return alert
    changes = {
        "threshold": getattr(override, "threshold", None), "sensitivity": getattr(override, "sensitivity", None),
        "severity": override.severity, "window": override.window_size, "frequency": override.evaluation_frequency,
    }
    return alert.with_changes(**{k: v for k, v in changes.items() if v is not None})


def _override_rule(alert: AlertRule):
    """The rules of one alert's override: a threshold the metric can cross both ways
    (alerts.py: each metric's scale), a window at least as long as the evaluation
    frequency (Azure evaluates a rule at most once per window) and, for a dynamic
    threshold, windows and frequencies of five minutes to an hour."""
    field = to_snake(alert.key)

    def check(self):
        override = getattr(self, field)
        if override is None:
            return
        effective = apply_override(alert, override)
        if getattr(override, "threshold", None) is not None:
            if problem := alert.threshold_problem(override.threshold):
                yield (field, "threshold"), "threshold_range", problem
        if alert.dynamic is not None:
            allowed = facts.DYNAMIC_ALERT_WINDOW_SIZES
            for key, value in (("window_size", effective.window), ("evaluation_frequency", effective.frequency)):
                if value not in allowed:
                    yield (field, key), "dynamic_window", (
                        f"{value} is not allowed for a dynamic threshold; use {', '.join(allowed)}")
        if alert_minutes(effective.frequency) > alert_minutes(effective.window):
            yield (field, "evaluation_frequency"), "window_frequency", (
                f"{effective.frequency} is longer than the window ({effective.window}); "
                "the window must be at least the evaluation frequency")

    return cross_rule(field)(check)


def _order_rule(low: AlertRule, high: AlertRule):
    """A 'too low' threshold below its 'too high' pair, or one of the two always fires."""
    low_field, high_field = to_snake(low.key), to_snake(high.key)

    def check(self):
        low_override, high_override = getattr(self, low_field), getattr(self, high_field)
        low_value = apply_override(low, low_override).threshold
        high_value = apply_override(high, high_override).threshold
        if low_value < high_value or low.threshold_problem(low_value) or high.threshold_problem(high_value):
            return
        blamed, other = ((low, high) if getattr(low_override, "threshold", None) is not None else (high, low))
        mine, theirs = (low_value, high_value) if blamed is low else (high_value, low_value)
        yield (to_snake(blamed.key), "threshold"), "threshold_order", (
            f"{mine:g} must be {'below' if blamed is low else 'above'} {other.key}'s threshold ({theirs:g}); "
            "otherwise one of the two alerts always fires")

    return cross_rule(low_field, high_field)(check)


# The rules of the overrides, one per alert (and per low/high pair): each runs on its own
# key, so a problem in one override never hides another's.
_OVERRIDE_RULES = {
    **{f"_override_{to_snake(alert.key)}": _override_rule(alert) for alert in ALERTS},
    **{f"_order_{to_snake(low.key)}": _order_rule(low, high) for low, high in opposite_pairs()},
}

# One optional override per alert of the catalogue (alerts.py), named as there.
AlertOverrides = create_model(
    "AlertOverrides",
    __base__=type("_AlertOverrideRules", (ConfigModel,), {"__module__": __name__, **_OVERRIDE_RULES}),
    __doc__="Overrides of the baseline alerts, by alert key (docs/operations.md, section 9).",
    __module__=__name__,
    **{to_snake(alert.key): (Optional[DynamicAlertOverride if alert.dynamic else AlertOverride],
                             Field(None, description=_override_doc(alert)))
       for alert in ALERTS},
)


def drained_link_problems(drained: dict[str, list[str]], ports: list[str]) -> Iterator:
    """``drainedLinks`` names ports of the stack (or of the component's ``ports``)."""
    for name in drained:
        if name not in ports:
            yield ("drained_links", name), "unknown_port", (
                f"no port of that name ({', '.join(sorted(ports)) or 'none are defined'}); list drained links "
                "under a port's name")


class MonitoringSettings(ConfigModel):
    """Alerts on every link and circuit peering, and the vault's audit log.

    With ``alertEmails`` the stack creates one action group and the baseline alerts
    (alerts.py); the vault's audit log goes to ``logAnalyticsWorkspaceId``, or to a
    workspace the stack creates."""

    alert_emails: Optional[Annotated[list[Annotated[str, rule("email", email_problem)]], Field(min_length=1)]] = None
    """E-mail addresses of the action group: with them, the stack creates the baseline alerts on every link and peering."""
    log_analytics_workspace_id: Optional[Annotated[str, rule("workspace_id", workspace_id_problem)]] = None
    """ARM id of an existing Log Analytics workspace for the vault's audit log; the stack creates one when absent."""
    alerts: AlertOverrides = Field(default_factory=AlertOverrides)
    """Overrides of the baseline alerts' threshold (or sensitivity), severity, window or frequency, by alert key."""
    drained_links: dict[str, list[LinkName]] = Field(default_factory=dict)
    """Links drained for a planned change, by port name (`{er-port-1: [link1]}`): the traffic-at-zero alerts (`portBitsInPerSecond`, `portBitsOutPerSecond`) leave them out (both links: turned off) until the entry is removed; every other alert keeps watching them."""

    @cross_rule("alert_emails")
    def _unique_emails(self):
        """Each address is one receiver of the action group; a second copy would mail twice."""
        seen = set()
        for i, address in enumerate(self.alert_emails or []):
            if address.lower() in seen:
                yield ("alert_emails", i), "duplicate_email", "is listed twice"
            seen.add(address.lower())

    @cross_rule("drained_links")
    def _links_drained_once(self):
        for port, links in self.drained_links.items():
            for i, link in enumerate(links):
                if link in links[:i]:
                    yield ("drained_links", port, i), "duplicate_link", f"{link} is listed twice"

    def rules(self, target: Optional[str] = None) -> tuple[AlertRule, ...]:
        """The catalogue's alerts (for a 'port' or a 'circuit', or all), with this stack's
        overrides: what the monitoring component creates and the runbook names."""
        return tuple(
            apply_override(alert, getattr(self.alerts, to_snake(alert.key)))
            for alert in ALERTS if target in (None, alert.target)
        )

    def alert_rule(self, key: str) -> AlertRule:
        """One alert of the catalogue, by key, with this stack's override."""
        return next(alert for alert in self.rules() if alert.key == key)
