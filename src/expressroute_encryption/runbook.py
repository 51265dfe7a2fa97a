"""The runbook: what the next ``pulumi up`` changes on each link, whether it drops the
link, and the steps in order around it (traffic, router, alert, the other link).

Printed by the ``rotation-plan`` subcommand (``offline/rotation_plan.py``) before a change;
the changes, warnings and refusals it names are the guard's (``guard.py``), the same that
``pulumi up`` applies. Never contains key material: it says where to read a key.
"""

from __future__ import annotations

from .alerts import LINK_DOWN_ALERT, alert_name
from .config.stack import StackConfig
from .guard import OTHER_LINK, LinkChange, port_changes, rotation_problems, rotation_warnings
from .record import Previous, previous_problems


def rotation_plan(config: StackConfig, previous: Previous, stack: str) -> str:
    """The runbook for the next ``pulumi up``: what changes on each link, whether it
    drops the link, and the steps in order. Never contains key material."""
    lines = [f"MACsec rotation plan for stack '{stack}'"]
    if previous.is_first_deployment:
        lines.append("No previous deployment: this is a first deployment; nothing to rotate.")
    blocked = rotation_problems(config, previous)
    if previous_problems(previous):
        lines.append("\nThe next `pulumi up` will be refused:")
        return "\n".join(lines + [f"  {problem}" for problem in blocked])
    changes = port_changes(config, previous)
    for port in config.ports:
        lines.append(f"\nport {port.name} (stage {port.stage}):")
        for change in changes[port.name]:
            what = ", ".join(change.changes) if change.changes else "no change"
            flag = "DISRUPTIVE: the link drops until your router matches" if change.disruptive else "not disruptive"
            lines.append(f"  {change.link}: {what} ({flag})")
        pending = [c for c in changes[port.name] if c.disruptive]
        live = previous.port(port.name).get("stage") == "active"
        byo = port.name in config.macsec_keys
        if len(pending) == 1:
            lines += _runbook(stack, port.name, pending[0], live, byo)
        elif pending and live and not port.macsec.allow_both_links:
            lines.append("  no runbook: this change is refused (see below)")
        elif pending:
            lines += _runbook_both_links(stack, port.name, pending, live, byo)
    if warnings := rotation_warnings(config, previous):
        lines.append("\nWarnings:")
        lines += [f"  {warning}" for warning in warnings]
    if blocked:
        lines.append("\nThe next `pulumi up` will be refused:")
        lines += [f"  {problem}" for problem in blocked]
    return "\n".join(lines)


def _router_step(stack: str, port: str, change: LinkChange, byo: bool) -> str:
    """What to set on the router's side of one link: new keys only when the key changes."""
    link = change.link
    if change.new_key:
        read_keys = (
            "take the new CAK/CKN from your key store (bring-your-own keys are not exported)"
            if byo else
            f"read the new CAK/CKN after `pulumi up` has generated them with: "
            f"pulumi stack output macsecKeys --show-secrets --json --stack {stack}  (field \"{port}\".{link})"
        )
        return f"load the new MACsec settings on your router's {link}: {read_keys}"
    settings = [f"{name} {change.after[name]}" for name in change.fields if name in ("cipher", "sciState")]
    if settings:
        return f"set {', '.join(settings)} on your router's {link} MACsec (the CAK/CKN stay the same)"
    return (f"leave your router's {link} MACsec as it is (no new keys): Azure sets the link's admin state to "
            f"{change.after['adminState']}")


def _runbook(stack: str, port: str, change: LinkChange, live: bool, byo: bool) -> list[str]:
    if change.enables_with_existing_keys:
        return _runbook_enable(stack, port, change, live, byo)
    other = OTHER_LINK[change.link]
    link = change.link
    carries_traffic_after = change.after["adminState"] == "Enabled"
    steps = [
        f"move traffic off {link} of {port} onto {other} (drain BGP on the {link} sessions); "
        f"check {other} carries it" if live else f"{link} carries no production traffic yet (port was not active)",
        f"run `pulumi up` for stack {stack}; only {link} of {port} changes",
        _router_step(stack, port, change, byo),
        f"check the MACsec session on {link} is up (MKA secured, no CKN/cipher mismatch) and BGP is established"
        if carries_traffic_after else f"check {other} carries the traffic and {link} is admin-disabled",
        f"move traffic back onto {link}" if carries_traffic_after else f"leave {link} without traffic",
        f"repeat for {other} in a separate deployment",
    ]
    if byo and change.new_key:
        steps[1], steps[2] = (
            f"load the new key on your router's {link} (bring-your-own: you hold it)",
            f"run `pulumi up` for stack {stack}; only {link} of {port} changes",
        )
    lines = [f"  runbook for {link}:"] + [f"    {n}. {step}" for n, step in enumerate(steps, start=1)]
    # The baseline alert that shows the changed link down, and how long it must stay quiet
    # (one evaluation window) before the link counts as stable: after step 4 and step 6.
    alert, window = alert_name(port, LINK_DOWN_ALERT), LINK_DOWN_ALERT.window
    lines.insert(5, (
        f"       watch alert {alert} (LineProtocol, dimension Link: {link}); it fires while {link} is down "
        f"and resolves by itself once the line protocol is up" + ("" if live else
        " (its alerts stay disabled until the port is active: watch the LineProtocol metric in Azure Monitor)")))
    lines.append(
        f"       wait until {alert} has stayed resolved for {link} for at least {window} (one alert window; "
        f"longer if you set monitoring.alerts.lineProtocol.windowSize) before touching {other}")
    return lines


def _runbook_enable(stack: str, port: str, change: LinkChange, live: bool, byo: bool) -> list[str]:
    """Turning MACsec on for a link that had ``enabled: false`` and keeps its keys: the router
    gets the key first, then Azure (the link is down in between, so it carries no traffic)."""
    link, other = change.link, OTHER_LINK[change.link]
    enabled = f"macsec.{link}.enabled: true"
    steps = [
        f"move traffic off {link} of {port} onto {other} (drain BGP on the {link} sessions); check {other} carries it"
        if live else f"{link} carries no production traffic yet (port was not active)",
    ]
    if byo:
        steps += [
            f"load the key on your router's {link}: the one in macsecKeys.{port}.{link} of the stack config "
            "(bring-your-own: you hold it; set it with pulumi config set --secret --path if it is not there yet)",
        ]
    else:
        steps += [
            f"read {link}'s keys: pulumi stack output macsecKeys --show-secrets --json --stack {stack}  "
            f"(field \"{port}\".{link}); they exist already: keys are made for every link, MACsec on or not, "
            "since the deployment that adopted (or created) the port",
            f"load them on your router's {link} (cipher {change.after['cipher']}, SCI {change.after['sciState']})",
        ]
    steps += [
        f"with {enabled} in the stack config, run `pulumi up` for stack {stack}; only {link} of {port} changes",
    ]
    if change.after["adminState"] == "Enabled":
        steps += [f"check the MACsec session on {link} is up (MKA secured, no CKN/cipher mismatch) and BGP is "
                  "established", f"move traffic back onto {link}"]
    else:
        steps += [f"the port is not active: {link} stays admin-disabled; the MACsec session comes up with the "
                  "stage active"]
    steps.append(f"repeat for {other} in a separate deployment (set macsec.{other}.enabled: true then)")
    return [f"  runbook for {link} (turning MACsec on):"] + [f"    {n}. {step}" for n, step in enumerate(steps, start=1)]


def _runbook_both_links(stack: str, port: str, changes: list[LinkChange], live: bool, byo: bool) -> list[str]:
    """Both links change in one deployment: a port without traffic yet, or a planned outage."""
    steps = [
        f"move all traffic off port {port} (both links drop: a planned outage)" if live
        else f"port {port} carries no production traffic yet (it was not active)",
    ]
    if byo and any(c.new_key for c in changes):
        steps.append("load the new keys on your router's link1 and link2 (bring-your-own: you hold them)")
    steps.append(f"run `pulumi up` for stack {stack}; link1 and link2 of {port} change together")
    steps += [_router_step(stack, port, c, byo) for c in changes if not (byo and c.new_key)]
    if all(c.after["adminState"] == "Enabled" for c in changes):
        steps.append("check the MACsec sessions on link1 and link2 are up (MKA secured) and BGP is established")
        if live:
            steps.append(f"move traffic back onto port {port}")
    else:
        steps.append(f"check the links of port {port} are admin-disabled and the traffic runs elsewhere")
    if live:
        steps.append("set allowBothLinks back to false")
    return ["  runbook for link1 and link2 (one deployment):"] + [
        f"    {n}. {step}" for n, step in enumerate(steps, start=1)]

