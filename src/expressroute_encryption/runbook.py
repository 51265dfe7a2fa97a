"""The runbook: what the next ``pulumi up`` changes on each link, whether it drops the
link, and the steps in order around it (traffic, router, what to watch, the other link).

Printed by the ``rotation-plan`` subcommand (``offline/rotation_plan.py``) before a change,
and logged by the port component (``EncryptedDirectPort``) when its deployment changes a
link; the changes, warnings and refusals it names are the guard's (``guard.py``), the same
that ``pulumi up`` applies. Never contains key material: it says where to read a key.

The order of the steps, for every kind of change: Azure first, then the router. The link
goes down when Azure applies the change (during ``pulumi up``) and comes back once the
router matches. Doing Azure first means a ``pulumi up`` that fails or is refused leaves
both sides as they were, and it is the only possible order for a rotation of generated
keys, whose new key exists only once ``pulumi up`` has made it. What can be prepared is
prepared before: keys that exist already (generated keys are made from the port's first
deployment at ``reserved``, or the deployment that adopted it, MACsec on or not) and
bring-your-own keys are staged on the router before ``pulumi up``, so that the link is
down only for as long as it takes to activate them.

What shows the link is back: its line protocol (port metric ``LineProtocol``, dimension
``Link``), and ARP and BGP on the circuits of the port: Microsoft describes a MACsec key
mismatch as no ARP resolution at layer 2 and no BGP at layer 3 (fact:
macsec-mismatch-arp-bgp). The runbook names only the alerts this stack has on those
metrics, with their effective windows and frequencies (``monitoring.alerts`` overrides
included), and how long a stateful metric alert takes to resolve (fact:
alert-resolve-three-evaluations).

Before the runbook of a port, the rotation plan says what the change gate read of it and
decided (``live_gate.py``: the port and its metrics from ``--live-port``/``--metrics``
files offline), or that it was not run; its refusals are listed with the guard's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .alerts import LINK_DOWN_ALERT, AlertRule, alert_name
from .alerts import minutes as alert_minutes
from .config.stack import StackConfig
from .facts import ADMIN_ENABLED, ALERT_RESOLVE_EVALUATIONS, LINE_PROTOCOL_METRIC, LINK_DIMENSION, MACSEC_MISMATCH_METRICS
from .guard import OTHER_LINK, LinkChange, adopting_ports, change_problems, port_changes, rotation_warnings
from .record import Previous, previous_problems

DISRUPTIVE = "DISRUPTIVE: the link drops until your router matches"


@dataclass(frozen=True)
class Watch:
    """What shows that a port's changed link is back.

    ``circuits``: the circuits on the port (None: not known, as in the port component);
    ``port_alerts`` and ``circuit_alerts``: the alert rules this stack has on the port's
    line protocol and on its circuits' ARP and BGP availability, with their effective
    settings (empty: the stack has none; None: not known); ``alerts_enabled``: whether
    those alerts are enabled after this deployment (only on an ``active`` port)."""

    circuits: tuple[str, ...] | None = None
    port_alerts: tuple[AlertRule, ...] | None = None
    circuit_alerts: tuple[AlertRule, ...] | None = None
    alerts_enabled: bool = True


def stack_watch(config: StackConfig, port) -> Watch:
    """The ``Watch`` of one port of the stack config: its circuits, and the alerts the
    monitoring component creates for it (none without ``monitoring.alertEmails``)."""
    circuits = tuple(circuit.name for circuit in port.circuits)
    monitoring = config.monitoring
    if monitoring is None or not monitoring.alert_emails:
        return Watch(circuits, (), (), port.stage == "active")
    return Watch(
        circuits,
        tuple(rule for rule in monitoring.rules("port") if rule.metric == LINE_PROTOCOL_METRIC),
        tuple(rule for rule in monitoring.rules("circuit") if rule.metric in MACSEC_MISMATCH_METRICS),
        port.stage == "active",
    )


def rotation_plan(config: StackConfig, previous: Previous, stack: str, azure=None, gate=None, *,
                  history_known: bool = False) -> str:
    """The runbook for the next ``pulumi up``: what changes on each link, whether it
    drops the link, and the steps in order. ``azure``: per port this deployment adopts,
    what Azure shows of its links (the refusals compare with it); ``gate``: what the
    change gate read and decided (``live_gate.GateReport``; its refusals, when enforced,
    are the next ``pulumi up``'s too); ``history_known``: ``previous`` is the stack's real
    last deployment (a PREVIOUS file), so a first deployment's refusals are refusals.
    Never contains key material."""
    lines = [f"MACsec rotation plan for stack '{stack}'"]
    if previous.is_first_deployment:
        lines.append("No previous deployment: this is a first deployment; nothing to rotate.")
    blocked = change_problems(config, previous, updating=history_known, azure=azure)
    if gate is not None and gate.refuses(updating=True):
        blocked += gate.problems
    if previous_problems(previous):
        lines.append("\nThe next `pulumi up` will be refused:")
        return "\n".join(lines + [f"  {problem}" for problem in blocked])
    changes = port_changes(config, previous)
    adopting = adopting_ports(config, previous)
    for port in config.ports:
        lines.append(f"\nport {port.name} (stage {port.stage}):")
        if port.name in adopting:
            lines.append("  adopted by this deployment: its links stay as Azure has them, and are recorded so")
        for change in changes[port.name]:
            what = ", ".join(change.changes) if change.changes else "no change"
            flag = DISRUPTIVE if change.disruptive else "not disruptive"
            lines.append(f"  {change.link}: {what} ({flag})")
        lines += port_runbook(stack, port.name, changes[port.name],
                              live=previous.port(port.name).get("stage") == "active",
                              allow_both_links=port.macsec.allow_both_links, byo=port.name in config.macsec_keys,
                              watch=stack_watch(config, port))
        if gate is not None:
            lines += [f"  {line}" for line in gate.port_lines(port.name)]
    if gate is not None and (mode := gate.mode_line()):
        lines.append(f"\n{mode}")
    if warnings := rotation_warnings(config, previous):
        lines.append("\nWarnings:")
        lines += [f"  {warning}" for warning in warnings]
    if blocked:
        lines.append("\nThe next `pulumi up` will be refused:")
        lines += [f"  {problem}" for problem in blocked]
    return "\n".join(lines)


def port_runbook(stack: str, port: str, changes: list[LinkChange], *, live: bool, allow_both_links: bool,
                 byo: bool, watch: Watch) -> list[str]:
    """The runbook lines of one port: for the one link that changes, for both in one
    deployment (a port without traffic, or a planned outage), or none."""
    pending = [c for c in changes if c.disruptive]
    if not pending:
        return []
    if len(pending) == 2 and live and not allow_both_links:
        return ["  no runbook: this change is refused (see below)"]
    if len(pending) == 1:
        return _one_link(stack, port, pending[0], live, byo, watch)
    return _both_links(stack, port, pending, live, byo, watch)


# --- the steps ---------------------------------------------------------------------------


def _numbered(title: str, steps: list[str]) -> list[str]:
    return [f"  {title}"] + [f"    {n}. {step}" for n, step in enumerate(steps, start=1)]


def _keys_output(stack: str, port: str, link: str) -> str:
    return f"pulumi stack output macsecKeys --show-secrets --json --stack {stack}  (field \"{port}\".{link})"


def _prepare(stack: str, port: str, change: LinkChange, byo: bool) -> tuple[str | None, str]:
    """(what to prepare on the router before ``pulumi up``, what to do on it right after)."""
    link, after = change.link, change.after
    settings = f"cipher {after['cipher']}, SCI {after['sciState']}"
    if not after["macsecEnabled"]:
        return None, f"leave your router's {link} as it is"
    if change.enables_with_existing_keys:
        source = (f"the one in macsecKeys.{port}.{link} of the stack config (bring-your-own: you hold it)" if byo else
                  f"{_keys_output(stack, port, link)}; they exist already: keys are made for every link, MACsec on or "
                  "not, from the port's first deployment (at reserved) or the deployment that adopted it")
        return (f"stage {link}'s key on your router without activating it ({settings}): {source}",
                f"activate MACsec on your router's {link}")
    if change.new_key and byo:
        return (f"stage the new key on your router's {link} without activating it ({settings}): bring-your-own, "
                f"you hold it (macsecKeys.{port}.{link} of the stack config)",
                f"activate the new key on your router's {link}")
    if change.new_key:
        return (None, f"read {link}'s new CAK/CKN, which exist only now that `pulumi up` has made them: "
                      f"{_keys_output(stack, port, link)}; load them on your router's {link} ({settings})")
    if {"cipher", "sciState"} & set(change.fields):
        changed = ", ".join(f"{name} {after[name]}" for name in change.fields if name in ("cipher", "sciState"))
        return (f"stage {changed} for your router's {link} MACsec (the CAK/CKN stay the same)",
                f"activate {changed} on your router's {link}")
    return None, f"leave your router's {link} MACsec as it is (no new keys)"


def _down_and_up(change: LinkChange, router_step: int) -> tuple[str, str]:
    """(when the link goes down, when it comes back), for the ``pulumi up`` step and the
    router step (``router_step``: its number)."""
    link, after = change.link, change.after
    if after["adminState"] != ADMIN_ENABLED:
        if change.before and change.before["adminState"] == ADMIN_ENABLED:
            return (f"{link} goes DOWN when Azure admin-disables it, during this step", f"{link} stays down "
                    "(admin-disabled) until the port is active again")
        return (f"{link} stays admin-disabled: it carries nothing before or after this step",
                f"{link} comes up only when the port goes active")
    if change.fields == ["adminState"]:
        return (f"{link} comes UP when Azure admin-enables it, during this step, if your router's MACsec matches "
                "(a mismatch keeps it down: check its MACsec settings first)", f"{link} should be up")
    return (f"{link} goes DOWN when Azure applies the change, during this step, and stays down until step "
            f"{router_step}", f"{link} should come back UP as soon as both sides match (MKA session secured)")


def _one_link(stack: str, port: str, change: LinkChange, live: bool, byo: bool, watch: Watch) -> list[str]:
    link, other = change.link, OTHER_LINK[change.link]
    carries_traffic_after = change.after["adminState"] == ADMIN_ENABLED
    prepare, activate = _prepare(stack, port, change, byo)
    steps = [
        f"move traffic off {link} of {port} onto {other} (drain BGP on the {link} sessions) and check {other} "
        f"carries it; {link} is still up" if live else f"{link} carries no production traffic yet (the port was "
        "not active)",
    ]
    if prepare:
        steps.append(prepare)
    router_step = len(steps) + 2
    down, up = _down_and_up(change, router_step)
    steps.append(f"run `pulumi up` for stack {stack}; only {link} of {port} changes. {down}")
    steps.append(f"right after `pulumi up` has finished: {activate}. {up}")
    if carries_traffic_after:
        steps += _checks(port, [link], watch)
        if live:
            steps.append(f"move traffic back onto {link}")
    steps.append(f"repeat for {other} in a separate deployment if it needs the same change")
    title = f"runbook for {link}" + (" (turning MACsec on):" if "macsecEnabled" in change.fields else ":")
    return _numbered(title, steps)


def _both_links(stack: str, port: str, changes: list[LinkChange], live: bool, byo: bool,
                watch: Watch) -> list[str]:
    """Both links change in one deployment: a port without traffic yet, or a planned outage."""
    steps = [
        f"move all traffic off port {port} (both links drop: a planned outage)" if live
        else f"port {port} carries no production traffic yet (it was not active)",
    ]
    prepared = [(change, *_prepare(stack, port, change, byo)) for change in changes]
    steps += [prepare for _, prepare, _ in prepared if prepare]
    router_step = len(steps) + 2
    downs = [_down_and_up(change, router_step) for change in changes]
    steps.append(f"run `pulumi up` for stack {stack}; link1 and link2 of {port} change together. "
                 + "; ".join(down for down, _ in downs))
    steps.append("right after `pulumi up` has finished: " + "; ".join(activate for _, _, activate in prepared)
                 + ". " + "; ".join(up for _, up in downs))
    up_links = [c.link for c in changes if c.after["adminState"] == ADMIN_ENABLED]
    if up_links:
        steps += _checks(port, up_links, watch)
        if live:
            steps.append(f"move traffic back onto port {port}")
    else:
        steps.append(f"check the links of port {port} are admin-disabled and the traffic runs elsewhere")
    if live:
        steps.append("set allowBothLinks back to false")
    return _numbered("runbook for link1 and link2 (one deployment):", steps)


def _checks(port: str, links: list[str], watch: Watch) -> list[str]:
    """How to see the changed links are back, and how long the alerts take to resolve."""
    names = " and ".join(links)
    circuits = ("the circuits on this port" if watch.circuits is None
                else ", ".join(watch.circuits) if watch.circuits else None)
    metrics = [f"{LINE_PROTOCOL_METRIC} of port {port} (dimension {LINK_DIMENSION}: {names}) back at 1"]
    if circuits:
        metrics.append(f"{' and '.join(MACSEC_MISMATCH_METRICS)} of {circuits} back at 100% for every Peer (a "
                       "MACsec key mismatch shows as no ARP at layer 2 and no BGP at layer 3, while the line "
                       "protocol may look up)")
    steps = [f"check {names} is back: on your router the MKA session is secured and BGP is established; in Azure "
             f"Monitor {'; '.join(metrics)}"]
    steps.append(_alert_wait(port, names, watch))
    return steps


def _resolve_minutes(rule: AlertRule) -> int:
    """About how long a stateful metric alert takes to resolve once the metric is healthy:
    the evaluations without the condition it needs, one evaluation period each."""
    return ALERT_RESOLVE_EVALUATIONS * alert_minutes(rule.frequency)


def _alert_wait(port: str, links: str, watch: Watch) -> str:
    if watch.port_alerts is None or watch.circuit_alerts is None:
        return (f"if your stack has alerts on these metrics, wait until they have resolved before touching the "
                f"other link: a stateful metric alert resolves after {ALERT_RESOLVE_EVALUATIONS} consecutive "
                f"evaluations without its condition, so about {ALERT_RESOLVE_EVALUATIONS} times its evaluation "
                f"frequency ({_resolve_minutes(LINK_DOWN_ALERT)} minutes at {LINK_DOWN_ALERT.frequency}) after the "
                "metric is healthy again")
    alerts = [(alert_name(port, rule), rule) for rule in watch.port_alerts]
    alerts += [(alert_name(circuit, rule), rule) for circuit in watch.circuits or () for rule in watch.circuit_alerts]
    if not alerts:
        return ("this stack has no alerts on them (monitoring.alertEmails is not set): keep watching those "
                "metrics in Azure Monitor before touching the other link")
    if not watch.alerts_enabled:
        return (f"the alerts of port {port} and its circuits stay disabled until the port is active: watch "
                "those metrics in Azure Monitor instead")
    timing = "; ".join(
        f"{name} (evaluated every {rule.frequency} over {rule.window}): about {_resolve_minutes(rule)} minutes"
        for name, rule in alerts)
    return (f"wait until the alerts have resolved for {links} before touching the other link: they fire while "
            f"{links} is down, and a stateful metric alert resolves only after {ALERT_RESOLVE_EVALUATIONS} "
            "consecutive evaluations without its condition, counted once its window is healthy again: "
            f"{timing}")
