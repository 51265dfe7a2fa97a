"""Operating the estate: ``tags`` and ``monitoring`` (alert e-mails, the vault's audit
log workspace, overrides of the baseline alerts of ``alerts.py``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Annotated, Optional

from pydantic import Field, create_model
from pydantic.alias_generators import to_snake

from .. import facts
from ..alerts import ALERT_KEYS, ALERTS, AlertRule
from ..alerts import minutes as alert_minutes
from ..arm import WORKSPACE_TYPE, arm_id_problem
from .literals import EvaluationFrequency, WindowSize
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


class AlertOverride(ConfigModel):
    """A baseline alert with another threshold, severity, window or frequency."""

    threshold: Optional[Number] = None
    """The metric value the alert compares with (see the catalogue for each alert's operator)."""
    severity: Optional[Annotated[Int, Field(ge=facts.ALERT_SEVERITIES[0], le=facts.ALERT_SEVERITIES[1])]] = None
    """Alert severity, 0 (critical) to 4 (verbose)."""
    window_size: Optional[WindowSize] = None
    """Period the metric is aggregated over (ISO 8601 duration)."""
    evaluation_frequency: Optional[EvaluationFrequency] = None
    """How often the rule is evaluated; not longer than `windowSize`."""


# One optional override per alert of the catalogue (alerts.py), named as there.
AlertOverrides = create_model(
    "AlertOverrides",
    __base__=ConfigModel,
    __doc__="Overrides of the baseline alerts, by alert key (see README, Monitoring).",
    __module__=__name__,
    **{to_snake(key): (Optional[AlertOverride], Field(None, description=(
        f"Override of the baseline alert `{key}` (`threshold`, `severity`, `windowSize`, `evaluationFrequency`).")))
       for key in ALERT_KEYS},
)


def apply_override(alert: AlertRule, override: Optional[AlertOverride]) -> AlertRule:
    """The catalogue's ``alert`` with the overridden settings."""
    if override is None:
        return alert
    changes = {
        "threshold": override.threshold, "severity": override.severity,
        "window": override.window_size, "frequency": override.evaluation_frequency,
    }
    return replace(alert, **{k: v for k, v in changes.items() if v is not None})


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
    """Overrides of the baseline alerts' threshold, severity, window or frequency, by alert key."""

    @cross_rule("alert_emails")
    def _unique_emails(self):
        """Each address is one receiver of the action group; a second copy would mail twice."""
        seen = set()
        for i, address in enumerate(self.alert_emails or []):
            if address.lower() in seen:
                yield ("alert_emails", i), "duplicate_email", "is listed twice"
            seen.add(address.lower())

    @cross_rule("alerts")
    def _window_covers_frequency(self):
        """Azure Monitor evaluates a rule at most once per window: the window is at least
        as long as the evaluation frequency."""
        for alert in ALERTS:
            effective = apply_override(alert, getattr(self.alerts, to_snake(alert.key)))
            if alert_minutes(effective.frequency) > alert_minutes(effective.window):
                yield ("alerts", to_snake(alert.key), "evaluation_frequency"), "window_frequency", (
                    f"{effective.frequency} is longer than the window ({effective.window}); "
                    "the window must be at least the evaluation frequency")

    def rules(self, target: str) -> tuple[AlertRule, ...]:
        """The catalogue's alerts for a 'port' or a 'circuit', with this stack's overrides."""
        return tuple(
            apply_override(alert, getattr(self.alerts, to_snake(alert.key)))
            for alert in ALERTS if alert.target == target
        )
