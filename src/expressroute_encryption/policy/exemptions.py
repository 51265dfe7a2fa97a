"""Time-limited exemptions from the MACsec-required policies, for ports being encrypted link by link.

An existing port adopted without MACsec (``macsec.<link>.enabled: false``) is reported as unencrypted
by ``expressroute-port-macsec-required`` and, once circuits run on it, by
``expressroute-circuit-on-encrypted-port``. While the links are encrypted one deployment at a time, a
stack may exempt named ports through the policy pack config, each until a date::

    "exemptPorts": [{"name": "er-direct-ams-1", "expires": "2027-03-31", "reason": "CHG-1234"}]

``name`` is the port's Azure name; ``expires`` is the last day (UTC) on which the exemption applies;
``reason`` is optional and printed with it. After that day the violation is back, saying when the
exemption expired. A policy only sees its own config, so the same list goes under both mandatory
policies and under the advisory ``expressroute-port-macsec-exemption``, which reports every
exemption on every ``pulumi preview --policy-pack``; the offline checker refuses lists that differ.
A list the policy cannot read grants no exemption (fail closed) and is reported as a violation.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, StackValidationArgs, StackValidationPolicy

from .azure import PORT, azure_name
from .props import is_sequence
from .resources import of_type

EXEMPT_PORTS = "exemptPorts"
MACSEC_REQUIRED = "expressroute-port-macsec-required"
CIRCUIT_ON_ENCRYPTED_PORT = "expressroute-circuit-on-encrypted-port"
EXEMPTION_REPORT = "expressroute-port-macsec-exemption"
# The policies that take ``exemptPorts``; the mandatory ones honour it.
EXEMPTING_POLICIES = (MACSEC_REQUIRED, CIRCUIT_ON_ENCRYPTED_PORT)
TAKING_EXEMPTIONS = (*EXEMPTING_POLICIES, EXEMPTION_REPORT)

DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"

# JSON schema of the property (the Pulumi CLI checks a --policy-pack-config against it).
SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "expires": {"type": "string", "pattern": DATE_PATTERN},
            "reason": {"type": "string"},
        },
        "required": ["name", "expires"],
        "additionalProperties": False,
    },
    "default": [],
    "description": ("Ports exempt until a date (YYYY-MM-DD, UTC, last day included) while they are "
                    "encrypted link by link: [{name, expires, reason}]. Give the same list to "
                    f"{', '.join(TAKING_EXEMPTIONS)}."),
}
CONFIG_SCHEMA = PolicyConfigSchema(properties={EXEMPT_PORTS: SCHEMA})


def today() -> datetime.date:
    """Today's date in UTC: an exemption applies up to and including its ``expires`` day.
    (Tests replace this function; nothing else changes the date the policies see.)"""
    return datetime.datetime.now(datetime.timezone.utc).date()


@dataclass(frozen=True)
class Exemption:
    """One exempt port: its Azure name, the last day the exemption applies, and why."""

    name: str
    expires: datetime.date
    reason: str = ""

    def applies(self, on: datetime.date) -> bool:
        return on <= self.expires

    def status(self, on: datetime.date) -> str:
        """'port X exempt until D (reason)' or 'port X: exemption expired on D (reason)'."""
        reason = f" ({self.reason})" if self.reason else ""
        if self.applies(on):
            return f"port {self.name} exempt until {self.expires.isoformat()}{reason}"
        return f"port {self.name}: exemption expired on {self.expires.isoformat()}, it no longer applies{reason}"


def read_exemptions(value: Any, where: str = EXEMPT_PORTS) -> tuple[list[Exemption], list[str]]:
    """The exemptions in a config value, and one problem per entry that cannot be read (named by
    its path under ``where``). No value means no exemptions."""
    if value is None:
        return [], []
    if not is_sequence(value):
        return [], [f"{where} must be a list of {{name, expires, reason}} objects"]
    exemptions, problems = [], []
    for index, entry in enumerate(value):
        path = f"{where}[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{path} must be an object with name, expires (YYYY-MM-DD) and an optional reason")
            continue
        found = []
        unknown = sorted(set(entry) - {"name", "expires", "reason"})
        if unknown:
            found.append(f"{path} has unknown keys {', '.join(map(str, unknown))}; allowed: name, expires, reason")
        name, expires, reason = entry.get("name"), entry.get("expires"), entry.get("reason", "")
        if not isinstance(name, str) or not name.strip():
            found.append(f"{path}.name is missing: give the port's Azure name")
        if not isinstance(reason, str):
            found.append(f"{path}.reason must be a string")
        day = _date(expires)
        if day is None:
            found.append(f"{path}.expires must be a date written YYYY-MM-DD (the last day the exemption applies)")
        if found:
            problems += found
        else:
            exemptions.append(Exemption(name.strip(), day, reason.strip()))
    seen: set[str] = set()
    for exemption in exemptions:
        if exemption.name.lower() in seen:
            problems.append(f"{where} names port {exemption.name} twice: give it one entry with one date")
        seen.add(exemption.name.lower())
    return exemptions, problems


def _date(value: Any) -> datetime.date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def configured(config: Any) -> tuple[list[Exemption], list[str]]:
    """The exemptions in one policy's config (``args.get_config()``)."""
    value = config.get(EXEMPT_PORTS) if isinstance(config, Mapping) else None
    return read_exemptions(value)


def exemption_for(exemptions: list[Exemption], name: str | None) -> Exemption | None:
    """The exemption of the port called ``name`` (its Azure name; Azure names ignore case)."""
    wanted = (name or "").lower()
    return next((exemption for exemption in exemptions if wanted and exemption.name.lower() == wanted), None)


def config_problem_message(policy: str, problems: list[str]) -> str:
    """A violation for a list the policy cannot read: no exemption applies."""
    return (f"The policy pack config of {policy} has an {EXEMPT_PORTS} list that cannot be read: "
            f"{'; '.join(problems)}. No exemption applies until it is fixed.")


def expired_note(exemption: Exemption | None, on: datetime.date) -> str:
    """What a violation adds for a port whose exemption has expired ('' otherwise)."""
    if exemption is None or exemption.applies(on):
        return ""
    return (f" The exemption of port {exemption.name} ({EXEMPT_PORTS}) expired on {exemption.expires.isoformat()}: "
            "it no longer applies.")


# --- the offline tools: check the lists agree, and print every exemption -------------------------


def pack_config_problems(properties: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Problems with the ``exemptPorts`` lists of a whole pack config (policy name -> its properties):
    an unreadable entry, or lists that differ between the policies that take them (under the Pulumi
    CLI each policy sees only its own list, and the advisory report shows only its own)."""
    problems, lists = [], {}
    for policy in TAKING_EXEMPTIONS:
        value = (properties.get(policy) or {}).get(EXEMPT_PORTS)
        exemptions, found = read_exemptions(value, f"{policy}.{EXEMPT_PORTS}")
        problems += found
        if value is not None:
            lists[policy] = sorted((e.name.lower(), e.expires, e.reason) for e in exemptions)
    if not problems and lists and (len(lists) < len(TAKING_EXEMPTIONS) or len({repr(v) for v in lists.values()}) > 1):
        problems.append(
            f"{EXEMPT_PORTS} must be the same list under {', '.join(TAKING_EXEMPTIONS)} (given under "
            f"{', '.join(lists)}): each policy sees only its own config, and {EXEMPTION_REPORT} shows the "
            "exemptions on every pulumi preview")
    return problems


def exemption_lines(properties: Mapping[str, Mapping[str, Any]], on: datetime.date | None = None) -> list[str]:
    """One line per exemption of each mandatory policy, for the offline checker and preview:
    'exemption: <policy>: port X exempt until D (reason)' (or that it expired)."""
    on = on or today()
    lines = []
    for policy in EXEMPTING_POLICIES:
        exemptions, _ = configured(properties.get(policy) or {})
        lines += [f"exemption: {policy}: {exemption.status(on)}" for exemption in exemptions]
    return lines


# --- the advisory report: every exemption, on every preview ----------------------------------------


def report_exemptions(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every exemption in this policy's ``exemptPorts``, with its date: an advisory line on every
    preview, since the mandatory policies it silences cannot say so themselves."""
    exemptions, problems = configured(args.get_config())
    if problems:
        report_violation(config_problem_message(EXEMPTION_REPORT, problems))
    on = today()
    ports = {(azure_name(PORT, port.props) or port.name).lower(): port for port in of_type(args.resources, PORT)}
    for exemption in exemptions:
        port = ports.get(exemption.name.lower())
        if exemption.applies(on):
            message = (f"ExpressRoute port {exemption.name} is exempt from {' and '.join(EXEMPTING_POLICIES)} until "
                       f"{exemption.expires.isoformat()}{f' ({exemption.reason})' if exemption.reason else ''}: its "
                       "links may run without MACsec until then; encrypt them one link per deployment")
        else:
            message = (f"The exemption of ExpressRoute port {exemption.name} expired on "
                       f"{exemption.expires.isoformat()}: it no longer applies; encrypt its links, or, if the "
                       "migration needs longer, set a new date in exemptPorts")
        report_violation(message, port.urn if port else None)


# fact: project-macsec-exemption
exemption_report = StackValidationPolicy(
    name=EXEMPTION_REPORT,
    description="Reports every port exempted from the MACsec-required policies (exemptPorts) and its expiry date.",
    validate=report_exemptions,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=CONFIG_SCHEMA,
)

POLICIES = [exemption_report]
