"""Time-limited exemptions from the MACsec-required policies, for ports being encrypted link by link.

An existing port adopted without MACsec (``macsec.<link>.enabled: false``) is reported as unencrypted
by ``expressroute-port-macsec-required`` and, once circuits run on it, by
``expressroute-circuit-on-encrypted-port``. While the links are encrypted one deployment at a time, a
stack may exempt named ports, each until a date::

    "exemptPorts": [{"name": "er-direct-ams-1", "expires": "2027-03-31", "reason": "CHG-1234"}]

``name`` is the port's Azure name; ``expires`` is the last day (UTC) on which the exemption applies,
written ``YYYY-MM-DD`` and at most one year ahead (an exemption is a deadline, not a waiver: renew
it when the migration needs longer); ``reason`` is optional and printed with it, every control
character escaped. After that day the violation is back, saying when the exemption expired.

A policy only sees its own config, so under the Pulumi CLI the same list goes under both mandatory
policies and under the advisory ``expressroute-port-macsec-exemption``, which reports every
exemption on every ``pulumi preview --policy-pack``. Users write it once, at the top level of the
stack's ``policy-config.<stack>.json``; ``pack_config`` expands it for the three policies.
A list the policy cannot read grants no exemption at all (fail closed) and is reported as a
violation; the offline tools refuse it (exit 2).

``SCHEMA`` is the one definition of an entry: it is the policies' ``config_schema`` (which the
CLI checks with gojsonschema), and ``read_exemptions`` applies it offline (``schema``) before the
rules a JSON schema cannot say (a date at most one year ahead, a port listed once).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, StackValidationArgs, StackValidationPolicy

from ..printable import one_line
from .azure import PORT, azure_name
from .resources import of_type
from .schema import full_date, schema_errors

EXEMPT_PORTS = "exemptPorts"
MACSEC_REQUIRED = "expressroute-port-macsec-required"
CIRCUIT_ON_ENCRYPTED_PORT = "expressroute-circuit-on-encrypted-port"
EXEMPTION_REPORT = "expressroute-port-macsec-exemption"
# The policies that take ``exemptPorts``; the mandatory ones honour it.
EXEMPTING_POLICIES = (MACSEC_REQUIRED, CIRCUIT_ON_ENCRYPTED_PORT)
TAKING_EXEMPTIONS = (*EXEMPTING_POLICIES, EXEMPTION_REPORT)

# RE2 (the CLI's gojsonschema) and ``schema._go_pattern`` read ``$`` as the end of the text.
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# How far ahead an exemption may end, in years (a product rule: a migration is planned work).
MAX_YEARS_AHEAD = 1

# One entry, as the CLI checks it (descriptions complete "must be ..." and "is missing: give ...").
ENTRY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1,
                 "description": "the port's Azure name (expressRoutePortName)"},
        "expires": {"type": "string", "pattern": DATE_PATTERN, "format": "date",
                    "description": ("a date written YYYY-MM-DD: the last day (UTC) the exemption applies, "
                                    "at most one year ahead")},
        "reason": {"type": "string", "description": "why the port is exempt (a change number, say)"},
    },
    "required": ["name", "expires"],
    "additionalProperties": False,
}

# JSON schema of the property (the Pulumi CLI checks a --policy-pack-config against it).
SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": ENTRY_SCHEMA,
    "default": [],
    "description": ("Ports exempt until a date (YYYY-MM-DD, UTC, last day included, at most one year ahead) "
                    "while they are encrypted link by link: [{name, expires, reason}]. Give the same list to "
                    f"{', '.join(TAKING_EXEMPTIONS)} (policy-config.<stack>.json: once, at the top level)."),
}
CONFIG_SCHEMA = PolicyConfigSchema(properties={EXEMPT_PORTS: SCHEMA})


def today() -> datetime.date:
    """Today's date in UTC: an exemption applies up to and including its ``expires`` day.
    (Tests replace this function; nothing else changes the date the policies see.)"""
    return datetime.datetime.now(datetime.timezone.utc).date()


def latest_expiry(on: datetime.date) -> datetime.date:
    """The last ``expires`` date allowed on day ``on``: the same day ``MAX_YEARS_AHEAD`` later
    (28 February for 29 February)."""
    try:
        return on.replace(year=on.year + MAX_YEARS_AHEAD)
    except ValueError:
        return on.replace(year=on.year + MAX_YEARS_AHEAD, day=28)


def expiry_problem(day: datetime.date, on: datetime.date) -> str | None:
    """Why ``day`` cannot end an exemption written on ``on``, or None."""
    latest = latest_expiry(on)
    if day > latest:
        return (f"is more than one year ahead (today the latest is {latest.isoformat()}): an exemption "
                "ends; set a nearer date and renew it if the migration needs longer")
    return None


@dataclass(frozen=True)
class Exemption:
    """One exempt port: its Azure name, the last day the exemption applies, and why."""

    name: str
    expires: datetime.date
    reason: str = ""

    def applies(self, on: datetime.date) -> bool:
        return on <= self.expires

    @property
    def shown_name(self) -> str:
        """The name as printed: control characters escaped."""
        return one_line(self.name)

    @property
    def shown_reason(self) -> str:
        """' (reason)' as printed, control characters escaped; '' without a reason."""
        return f" ({one_line(self.reason)})" if self.reason else ""

    def status(self, on: datetime.date) -> str:
        """'port X exempt until D (reason)' or 'port X: exemption expired on D (reason)'."""
        if self.applies(on):
            return f"port {self.shown_name} exempt until {self.expires.isoformat()}{self.shown_reason}"
        return (f"port {self.shown_name}: exemption expired on {self.expires.isoformat()}, it no longer "
                f"applies{self.shown_reason}")


def read_exemptions(value: Any, where: str = EXEMPT_PORTS,
                    on: datetime.date | None = None) -> tuple[list[Exemption], list[str]]:
    """The exemptions in a config value, and one problem per rule an entry breaks (named by its
    path under ``where``): the schema's, then an expiry at most one year after ``on`` (today)
    and one entry per port. No value means no exemptions; any problem means none at all."""
    if value is None:
        return [], []
    problems = schema_errors(value, SCHEMA, where)
    if problems:
        return [], problems
    on = on or today()
    exemptions = []
    for index, entry in enumerate(value):
        path = f"{where}[{index}]"
        name, reason, day = entry["name"].strip(), entry.get("reason", "").strip(), full_date(entry["expires"])
        if not name:
            problems.append(f"{path}.name is missing: give {ENTRY_SCHEMA['properties']['name']['description']}")
        if problem := expiry_problem(day, on):
            problems.append(f"{path}.expires {day.isoformat()} {problem}")
        exemptions.append(Exemption(name, day, reason))
    seen: set[str] = set()
    for exemption in exemptions:
        if exemption.name and exemption.name.lower() in seen:
            problems.append(f"{where} names port {exemption.shown_name} twice: give it one entry with one date")
        seen.add(exemption.name.lower())
    return ([], problems) if problems else (exemptions, [])


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
    return (f" The exemption of port {exemption.shown_name} ({EXEMPT_PORTS}) expired on "
            f"{exemption.expires.isoformat()}: it no longer applies.")


# --- the offline tools: check the lists agree, and print every exemption -------------------------


def pack_config_problems(properties: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Problems with the ``exemptPorts`` lists of a whole pack config (policy name -> its properties):
    an unreadable entry (named once when the lists are the same), or lists that differ between the
    policies that take them (under the Pulumi CLI each policy sees only its own list, and the
    advisory report shows only its own)."""
    given = {policy: (properties.get(policy) or {}).get(EXEMPT_PORTS) for policy in TAKING_EXEMPTIONS}
    given = {policy: value for policy, value in given.items() if value is not None}
    problems, lists = [], {}
    for policy, value in given.items():
        if any(value == earlier for earlier in list(given.values())[:list(given).index(policy)]):
            continue  # the same list as an earlier policy's: its problems are named there
        exemptions, found = read_exemptions(value, f"{policy}.{EXEMPT_PORTS}")
        problems += found
        lists[policy] = sorted((e.name.lower(), e.expires, e.reason) for e in exemptions)
    if not problems and given and (len(given) < len(TAKING_EXEMPTIONS) or len({repr(v) for v in lists.values()}) > 1):
        problems.append(
            f"{EXEMPT_PORTS} must be the same list under {', '.join(TAKING_EXEMPTIONS)} (given under "
            f"{', '.join(given)}): each policy sees only its own config, and {EXEMPTION_REPORT} shows the "
            "exemptions on every pulumi preview; write the list once, at the top level of policy-config.<stack>.json")
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


def unknown_port_warnings(properties: Mapping[str, Mapping[str, Any]], port_names: Iterable[str]) -> list[str]:
    """One warning per exempted port the stack does not have (Azure names, compared without
    case): such an entry exempts nothing, and is most likely a typo or a port long gone."""
    exemptions, _ = configured(properties.get(EXEMPTION_REPORT) or properties.get(MACSEC_REQUIRED) or {})
    known = {name.lower(): name for name in port_names}
    shown = ", ".join(one_line(name) for name in sorted(known.values())) or "none"
    return [f"{EXEMPT_PORTS}: port {exemption.shown_name} is not a port of this stack (its ports: {shown}): "
            "the exemption does nothing; remove it or correct the name"
            for exemption in exemptions if exemption.name.lower() not in known]


# --- the advisory report: every exemption, on every preview ----------------------------------------


def report_exemptions(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Every exemption in this policy's ``exemptPorts``, with its date: an advisory line on every
    preview, since the mandatory policies it silences cannot say so themselves; and one for an
    exemption naming no port of the stack."""
    exemptions, problems = configured(args.get_config())
    if problems:
        report_violation(config_problem_message(EXEMPTION_REPORT, problems))
    on = today()
    ports = {(azure_name(PORT, port.props) or port.name).lower(): port for port in of_type(args.resources, PORT)}
    for exemption in exemptions:
        port = ports.get(exemption.name.lower())
        name, day = exemption.shown_name, exemption.expires.isoformat()
        if port is None:
            message = (f"The exemption of ExpressRoute port {name} ({'until' if exemption.applies(on) else 'expired on'} "
                       f"{day}) names no port of this stack: it exempts nothing; remove it from {EXEMPT_PORTS} or "
                       "correct the name")
        elif exemption.applies(on):
            message = (f"ExpressRoute port {name} is exempt from {' and '.join(EXEMPTING_POLICIES)} until "
                       f"{day}{exemption.shown_reason}: its links may run without MACsec until then; encrypt them "
                       "one link per deployment")
        else:
            message = (f"The exemption of ExpressRoute port {name} expired on {day}: it no longer applies; encrypt "
                       f"its links, or, if the migration needs longer, set a new date (at most one year ahead) in "
                       f"{EXEMPT_PORTS}")
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
