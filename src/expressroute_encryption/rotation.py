"""Safe MACsec changes: compare each link with the last deployment, guard live ports,
and write the runbook.

Changing a link's key, cipher or SCI state, or turning MACsec or the link itself on or
off, drops that link until the customer's router matches: there is no fallback.
Microsoft's advice is one link at a time, after moving traffic to the other link. So:

- every deployment exports, per port and link, what it applied (``ports`` output) and,
  for bring-your-own keys, a secret fingerprint of the key (``macsecKeyFingerprints``);
- the next deployment reads them back (a stack reference to its own stack) before it
  registers anything, and refuses to change both links of a port that was ``active``
  unless ``macsec.allowBothLinks`` says this is a planned full outage;
- a bring-your-own key that changed while its ``keyGeneration`` did not is refused, so
  every key change is visible as a generation change without exporting the key.

Pure functions over plain data (plus one reader of the stack reference): no Azure SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from .alerts import LINK_DOWN_ALERT, alert_name
from .config import LINKS, StackConfig, format_loc

# Link settings whose change drops the link until the router matches.
DISRUPTIVE = ("macsecEnabled", "adminState", "cipher", "sciState", "keyGeneration", "keySource")
OTHER_LINK = {"link1": "link2", "link2": "link1"}


@dataclass
class Previous:
    """What the last deployment applied: the ``ports`` stack output, and the bring-your-own
    key fingerprints (empty where there are none, or they could not be read offline)."""

    ports: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, Any] = field(default_factory=dict)

    @property
    def is_first_deployment(self) -> bool:
        return not self.ports


def planned_links(config: StackConfig) -> dict[str, dict[str, dict[str, Any]]]:
    """Per port and link, what this deployment will apply (the ``ports[].links`` shape)."""
    planned = {}
    for port in config.ports:
        byo = port.name in config.macsec_keys
        planned[port.name] = {}
        for link in LINKS:
            cipher, sci = port.macsec.for_link(link)
            planned[port.name][link] = {
                "macsecEnabled": port.stage != "reserved",
                "adminState": "Enabled" if port.stage == "active" else "Disabled",
                "cipher": cipher,
                "sciState": sci,
                "keyGeneration": getattr(port.macsec.key_generation, link),
                "keySource": "bringYourOwn" if byo else "generated",
            }
    return planned


def key_fingerprints(config: StackConfig) -> dict[str, dict[str, str]]:
    """Secret output: per port with bring-your-own keys, a fingerprint per link."""
    return {
        port: {link: keys.fingerprint(link) for link in LINKS}
        for port, keys in config.macsec_keys.items()
    }


@dataclass
class LinkChange:
    link: str
    changes: list[str]

    @property
    def disruptive(self) -> bool:
        return bool(self.changes)


def link_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> list[str]:
    """What changes on one link, in words ('cipher GcmAes128 -> GcmAes256')."""
    if not before:
        return []
    if not before.get("macsecEnabled") and not after["macsecEnabled"]:
        return [f"adminState {before.get('adminState')} -> {after['adminState']}"] if (
            before.get("adminState", "Disabled") != after["adminState"]) else []
    return [
        f"{key} {before.get(key)} -> {after[key]}"
        for key in DISRUPTIVE
        if before.get(key) != after[key]
    ]


def port_changes(config: StackConfig, previous: Previous) -> dict[str, list[LinkChange]]:
    """Per port, the change of each link against the last deployment."""
    planned = planned_links(config)
    result = {}
    for port in config.ports:
        before = (previous.ports.get(port.name) or {}).get("links") or {}
        result[port.name] = [
            LinkChange(link, link_changes(before.get(link), planned[port.name][link])) for link in LINKS
        ]
    return result


def lifecycle_problems(config: StackConfig, previous: Previous) -> list[str]:
    """Stage changes Azure would silently not carry out.

    Azure ignores link settings in the request that creates a port, so a port new to a
    deployed stack must start ``reserved``; and it keeps link settings that a request
    leaves out, so a port cannot go back to ``reserved`` once its links were set."""
    if previous.is_first_deployment:
        return []
    problems = []
    for i, port in enumerate(config.ports):
        before = previous.ports.get(port.name)
        where = format_loc(("ports", i, "stage"))
        if before is None and port.stage != "reserved":
            problems.append(
                f"{where}: port '{port.name}' is new: create it with stage: reserved first (Azure ignores link "
                "settings in the request that creates a port, so MACsec would never be applied), then move "
                "it to encrypted in the next deployment"
            )
        elif before is not None and before.get("stage") != "reserved" and port.stage == "reserved":
            problems.append(
                f"{where}: port '{port.name}' cannot go back to reserved: Azure keeps the link settings a "
                "request leaves out, so MACsec and the links would stay as they are while the stack recorded "
                "them as off; keep it encrypted (links admin-disabled) or active"
            )
    return problems


def first_deployment_warnings(config: StackConfig, previous: Previous) -> list[str]:
    """On a stack's first deployment, ports created past ``reserved``: fine if they already
    exist in Azure (imported or adopted), but a port created now ignores its link settings."""
    if not previous.is_first_deployment:
        return []
    return [
        f"port '{port.name}' is deployed for the first time at stage {port.stage}: if the port does not exist "
        "in Azure yet, deploy it as reserved first; Azure ignores link settings when it creates a port"
        for port in config.ports if port.stage != "reserved"
    ]


def rotation_problems(config: StackConfig, previous: Previous) -> list[str]:
    """Config-error lines for unsafe stage and MACsec changes (none on a first deployment)."""
    if previous.is_first_deployment:
        return []
    problems = lifecycle_problems(config, previous)
    fingerprints_now = key_fingerprints(config)
    changes = port_changes(config, previous)
    for i, port in enumerate(config.ports):
        before = previous.ports.get(port.name) or {}
        problems += _unannounced_key_changes(i, port.name, config, previous, fingerprints_now)
        by_link = {c.link: c for c in changes[port.name]}
        if before.get("stage") != "active" or port.macsec.allow_both_links:
            continue
        if all(by_link[link].disruptive for link in LINKS):
            detail = "; ".join(f"{link}: {', '.join(by_link[link].changes)}" for link in LINKS)
            problems.append(
                f"{format_loc(('ports', i, 'macsec'))}: port '{port.name}' is active and this update changes "
                f"MACsec on both link1 and link2 ({detail}), which would drop both links at once. Change one "
                "link per deployment: first only link1 (move traffic to link2, update the router's link1, "
                "pulumi up, check the MACsec session), then link2 the same way; or, for a planned full outage, "
                f"set {format_loc(('ports', i, 'macsec', 'allowBothLinks'))}: true"
            )
    return problems


def _unannounced_key_changes(i: int, port: str, config: StackConfig, previous: Previous,
                             now: dict[str, dict[str, str]]) -> list[str]:
    """A bring-your-own key may only change together with its link's keyGeneration."""
    if port not in now:
        return []
    before_prints = previous.fingerprints.get(port) or {}
    before_links = (previous.ports.get(port) or {}).get("links") or {}
    problems = []
    for link in LINKS:
        generation = getattr(config.ports[i].macsec.key_generation, link)
        if (link in before_prints and before_prints[link] != now[port][link]
                and (before_links.get(link) or {}).get("keyGeneration") == generation):
            problems.append(
                f"{format_loc(('ports', i, 'macsec', 'keyGeneration', link))}: the bring-your-own key of "
                f"{link} changed but its keyGeneration is still {generation}; raise it to {generation + 1} "
                "to confirm this link's rotation (key values are never shown)"
            )
    return problems


def rotation_plan(config: StackConfig, previous: Previous, stack: str) -> str:
    """The runbook for the next ``pulumi up``: what changes on each link, whether it
    drops the link, and the steps in order. Never contains key material."""
    lines = [f"MACsec rotation plan for stack '{stack}'"]
    if previous.is_first_deployment:
        lines.append("No previous deployment: this is a first deployment; nothing to rotate.")
    changes = port_changes(config, previous)
    blocked = rotation_problems(config, previous)
    for port in config.ports:
        lines.append(f"\nport {port.name} (stage {port.stage}):")
        pending = [c for c in changes[port.name] if c.disruptive]
        for change in changes[port.name]:
            what = ", ".join(change.changes) if change.changes else "no change"
            flag = "DISRUPTIVE: the link drops until your router matches" if change.disruptive else "not disruptive"
            lines.append(f"  {change.link}: {what} ({flag})")
        live = (previous.ports.get(port.name) or {}).get("stage") == "active"
        for change in pending:
            lines += _runbook(stack, port.name, change, live, config.macsec_keys.get(port.name) is not None)
    if blocked:
        lines.append("\nThe next `pulumi up` will be refused:")
        lines += [f"  {problem}" for problem in blocked]
    return "\n".join(lines)


def _runbook(stack: str, port: str, change: LinkChange, live: bool, byo: bool) -> list[str]:
    other = OTHER_LINK[change.link]
    link = change.link
    read_keys = (
        "take the new CAK/CKN from your key store (bring-your-own keys are not exported)"
        if byo else
        f"read the new CAK/CKN after `pulumi up` has generated them with: "
        f"pulumi stack output macsecKeys --show-secrets --json --stack {stack}  (field \"{port}\".{link})"
    )
    steps = [
        f"move traffic off {link} of {port} onto {other} (drain BGP on the {link} sessions); "
        f"check {other} carries it" if live else f"{link} carries no production traffic yet (port was not active)",
        f"run `pulumi up` for stack {stack}; only {link} of {port} changes",
        f"load the new MACsec settings on your router's {link}: {read_keys}",
        f"check the MACsec session on {link} is up (MKA secured, no CKN/cipher mismatch) and BGP is established",
        f"move traffic back onto {link}",
        f"repeat for {other} in a separate deployment",
    ]
    if byo:
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


def whole_numbers(value: Any) -> Any:
    """Outputs travel as protobuf doubles: give whole numbers back their int type."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


async def read_last_deployment() -> Previous:
    """The stack's own last outputs, through a stack reference to itself.

    A stack that has never been deployed has no outputs: that is a first deployment."""
    import pulumi

    ref = pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
    ports = await ref.get_output_details("ports")
    prints = await ref.get_output_details("macsecKeyFingerprints")
    return Previous(
        ports=whole_numbers(ports.value or ports.secret_value or {}),
        fingerprints=prints.secret_value or prints.value or {},
    )
