"""``changeGate``: how the live change gate (``live_gate.py``) treats a disruptive link
change: enforced, reported only, or off for a stated reason; and how far back and how
strictly it reads the traffic.

Before ``pulumi up`` changes a link disruptively (key, MACsec on/off, cipher, SCI, admin
state), the gate reads the port from Azure and the last minutes of its and its circuits'
metrics, and lets the change go ahead only once the traffic has moved to the other link
(docs/operations.md, "The change gate").
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field

from .operations import has_control_character
from .rules import ConfigModel, Int, Number, cross_rule, rule

GATE_MODES = ("enforce", "warn", "off")
ENFORCE, WARN, OFF = GATE_MODES

# Bounds, with their reasons in the field docstrings.
LOOKBACK_MINUTES = (15, 1440)
DEFAULT_LOOKBACK_MINUTES = 60
DEFAULT_DRAIN_THRESHOLD_PERCENT = 5.0
MAX_DRAIN_THRESHOLD_PERCENT = 50.0
MAX_REASON_LENGTH = 500


def reason_problem(text: str) -> str | None:
    """A reason is printed on every run, on one line: words, no control characters."""
    if not text.strip():
        return "must say why (it is printed on every run)"
    if has_control_character(text):
        return "must be one line without control characters (a line break, tab or escape)"
    return None


class ChangeGateSettings(ConfigModel):
    """The change gate: before a disruptive link change, Azure's port and the last
    ``lookbackMinutes`` of its metrics must show the traffic on the other link."""

    mode: Literal[GATE_MODES] = ENFORCE
    """`enforce` (default): `pulumi up` refuses a disruptive link change unless the other link is admin-enabled, up and carrying the port's traffic, the link to change has drained, every circuit peering on the port still has a session up, and Azure matches the last deployment's record; `pulumi preview` reports what `pulumi up` would decide. `warn`: the same checks, reported only (for a port whose metrics cannot be read). `off`: no check at all, only with a `reason`, which is printed on every run."""
    reason: Optional[Annotated[str, Field(max_length=MAX_REASON_LENGTH), rule("gate_reason", reason_problem)]] = None
    """Why the gate is relaxed (`mode: warn` or `off`; required with `off`): printed on every run, so the exception stays visible until it is removed."""
    lookback_minutes: Annotated[Int, Field(ge=LOOKBACK_MINUTES[0], le=LOOKBACK_MINUTES[1])] = DEFAULT_LOOKBACK_MINUTES
    """How far back the gate reads the metrics (15-1440 minutes, default 60): the port's peak traffic over this window is what `drainThresholdPercent` is a share of. An hour covers the drain that precedes a maintenance window; at least 15 minutes, so the peak is more than the last few samples; at most a day (1440 one-minute samples per series)."""
    drain_threshold_percent: Annotated[Number, Field(gt=0, le=MAX_DRAIN_THRESHOLD_PERCENT)] = DEFAULT_DRAIN_THRESHOLD_PERCENT
    """A link counts as drained when, over the last 5 minutes, it carries at most this share (percent, above 0 and at most 50; default 5) of the port's peak traffic over the lookback, and at most this share of the port's traffic at each of those minutes (the other link carries the rest). 5%: a BGP drain moves practically all traffic within minutes; what stays is control traffic and stragglers, and a change then drops at most that. Traffic below 1 Mbps counts as none."""

    @cross_rule("mode", "reason")
    def _reason_with_relaxed_modes(self):
        if self.mode == OFF and self.reason is None:
            yield ("reason",), "gate_reason", "required with mode: off: say why the gate is off (it is printed on every run)"
        elif self.mode == ENFORCE and self.reason is not None:
            yield ("reason",), "gate_reason", ("only with mode: warn or off (it says why the gate is relaxed); remove it "
                                               "now that the gate is enforced")
