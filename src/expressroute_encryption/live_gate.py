"""The live change gate: before a link changes disruptively, what Azure has now.

The guard (``guard.py``) makes the plan safe against the last deployment's record: one link
at a time on a live port. Microsoft's advice has a second half: change a link "after you
switch your network traffic to the other link" (fact: macsec-one-link-at-a-time), and the
record cannot see a link someone disabled in the portal, a key changed by hand or a link
that is down already. So for every port with a disruptive link change (``gated_ports``) the
gate reads the port from Azure and, for a port that was ``active``, the last
``changeGate.lookbackMinutes`` of its and its circuits' metrics, and decides (``check_port``):

- **drift** (any stage): each link's admin state, MACsec on or off, cipher, SCI state and
  CAK/CKN secret identifiers (versions included) as Azure has them must be what the record
  says the last deployment left; a difference is named field by field, secrets by name and
  version, never a key;
- **one link** (a port that was ``active``): the other link is admin-enabled in Azure, its
  ``LineProtocol`` is up (at least the ``lineProtocol`` alert's threshold, 0.9) at every
  minute of the last ``RECENT_MINUTES``, and it carries the port's traffic: at each of
  those minutes the link to change carries at most ``drainThresholdPercent`` of the
  port's traffic; the link to change has drained: at most that share of the port's peak
  over the lookback; and every peering of every circuit on the port keeps at least one
  session with ``ArpAvailability`` and ``BgpAvailability`` at the alerts' 90% (which
  ``Peer`` runs over which link is not documented, so the gate does not assume it);
- **both links** (a planned outage, ``allowBothLinks``): every link that changes has
  drained; the circuits' sessions are read and shown, not required (they go down with the
  port on purpose);
- a port that was ``reserved`` or ``encrypted`` has its links admin-disabled by this stack:
  the drift check confirms Azure has them so, and no metrics are needed.

Traffic below ``NOISE_FLOOR_BPS`` counts as none. A reading it cannot make (the port or a
resource's metrics unreadable, no series for a link, no sample in the last
``FRESH_MINUTES``) is a problem too: the gate fails closed. ``run_gate`` takes the reads
(``Reads``: ``live_reads.py`` on ``pulumi preview``/``up``, files offline) and returns a
``GateReport``: per port the lines it read (with the figures) and its decision. Pure: no
Pulumi or Azure SDK; ``changeGate.mode`` is applied by the callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Protocol

from .alerts import ALERTS, LINK_DOWN_ALERT, PERCENT
from .arm import parse_secret_url
from .config.changegate import ENFORCE, OFF, WARN, ChangeGateSettings
from .config.errors import format_loc
from .facts import ADMIN_ENABLED, LINE_PROTOCOL_METRIC, LINK_DIMENSION, LINKS, MACSEC_MISMATCH_METRICS, \
    PEER_DIMENSION, PEERING_TYPE_DIMENSION, PORT_BITS_METRICS
from .guard import OTHER_LINK, LinkChange, port_changes
from .link_state import AzureLinkError, azure_link_states, recorded_link_state
from .live_metrics import CIRCUIT_QUERY, PORT_QUERY, Metrics, MetricsQuery, Series

# fact: project-change-gate
# The "now" the gate judges: the last minutes with data (AMBA's alert window, PT5M).
RECENT_MINUTES = 5
# The newest sample must be this recent: Azure Monitor's one-minute values arrive a few
# minutes late; an older newest sample means the metrics are not flowing.
FRESH_MINUTES = 10
# Traffic below this counts as none: BGP, BFD and ARP keep a few kbit/s on an idle link;
# the smallest Direct circuit is 1 Gbps (fact: erd-circuit-sizes).
NOISE_FLOOR_BPS = 1_000_000
LINE_UP = LINK_DOWN_ALERT.threshold
SESSION_UP = {rule.metric: rule.threshold for rule in ALERTS if rule.metric in MACSEC_MISMATCH_METRICS}

ALLOWED, REFUSED, NOT_RUN = "allowed", "refused", "not run"


class LiveReadError(Exception):
    """Something the gate needs could not be read (one line, never a secret)."""


class NotGiven(LiveReadError):
    """Offline: a reading the tools were not given (a file), so the gate is not run."""


class Reads(Protocol):
    """Where the gate reads Azure: ``live_reads.ProgramReads`` (the provider's invoke and
    Azure Monitor), or files offline."""

    def port(self, name: str) -> Mapping[str, Any]:
        """The port as ``az network express-route port show`` prints it (``links``, ``id``,
        ``circuits``). Raises LiveReadError."""

    def metrics(self, resource_id: str, query: MetricsQuery, lookback_minutes: int) -> Metrics:
        """The last ``lookback_minutes`` of ``query`` for the resource; the answer's ``end``
        is the time the gate judges at. Raises LiveReadError."""


@dataclass(frozen=True)
class GatedPort:
    """A port whose links this deployment changes disruptively, and what the record says."""

    index: int  # in ports[]
    name: str
    stage: str  # the record's stage: what is live
    changes: tuple[LinkChange, ...]  # the disruptive ones
    record: Mapping[str, Any]
    circuits: tuple[str, ...]  # ids of the record's circuits on the port
    without_peerings: frozenset[str]  # lower-case names of those with no peering
    allow_both_links: bool

    @property
    def loc(self) -> str:
        return format_loc(("ports", self.index))


def gated_ports(config, previous) -> list[GatedPort]:
    """The ports of ``config`` with a disruptive link change against ``previous`` (a
    ``record.Previous``). None on a first deployment, none for a port the record does not
    have (new, or adopted: the guard keeps its links as Azure has them)."""
    if previous.is_first_deployment or not isinstance(previous.ports, Mapping):
        return []
    changes = port_changes(config, previous)
    gated = []
    for i, port in enumerate(config.ports):
        record = previous.port(port.name)
        pending = tuple(change for change in changes[port.name] if change.disruptive)
        if not record or not pending:
            continue
        port_id = str(record.get("id") or "").lower()
        circuits = {name: info for name, info in previous.circuits.items() if isinstance(info, Mapping)
                    and str(info.get("expressRoutePortId") or "").lower() == port_id and info.get("id")}
        gated.append(GatedPort(
            i, port.name, str(record.get("stage")), pending, record,
            tuple(str(info["id"]) for info in circuits.values()),
            frozenset(name.lower() for name, info in circuits.items() if not info.get("peerings")),
            port.macsec.allow_both_links))
    return gated


@dataclass
class PortGate:
    """What the gate read for one port and what it decided."""

    port: GatedPort
    read: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_run: str = ""  # why the gate could not run (offline, not given)

    @property
    def decision(self) -> str:
        return NOT_RUN if self.not_run else REFUSED if self.problems else ALLOWED

    def summary(self, refused: str = REFUSED) -> str:
        """One line: the links that change and the decision (``refused``: how a refusal is
        worded in this run: refused, or would be refused)."""
        links = " and ".join(change.link for change in self.port.changes)
        if self.not_run:
            return f"port '{self.port.name}' ({links}): not run: {self.not_run}"
        if self.problems:
            return f"port '{self.port.name}' ({links}): {refused}: {len(self.problems)} reason(s)"
        return f"port '{self.port.name}' ({links}): allowed"


@dataclass
class GateReport:
    """The gate's reading and decisions, and the mode they are applied in."""

    settings: ChangeGateSettings
    ports: list[PortGate] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [problem for port in self.ports for problem in port.problems]

    def refuses(self, updating: bool) -> bool:
        """Whether the deployment stops: enforced, on ``pulumi up``, with a problem."""
        return self.settings.mode == ENFORCE and updating and bool(self.problems)

    def mode_line(self) -> str | None:
        """What the mode says on every run: off (with its reason), or warn."""
        if self.settings.mode == OFF:
            return f"change gate: off ({self.settings.reason}): disruptive link changes are not checked against Azure"
        if self.settings.mode == WARN:
            why = f" ({self.settings.reason})" if self.settings.reason else ""
            return f"change gate: mode warn{why}: its refusals are reported, not enforced"
        return None

    def lines(self, updating: bool = False) -> list[str]:
        """The mode, then per port the decision, what was read and why (the logs, the preview)."""
        lines = [line for line in [self.mode_line()] if line]
        for port in self.ports:
            lines += self.port_lines(port.port.name, updating)
        return lines

    def port_lines(self, name: str, updating: bool = False) -> list[str]:
        """One port's decision, what was read, and each reason to refuse (the runbook)."""
        verdict = ("refused" if self.settings.mode == ENFORCE and updating else
                   "`pulumi up` would refuse" if self.settings.mode == ENFORCE else "not enforced (mode warn)")
        refused = (REFUSED if self.settings.mode == ENFORCE and updating else
                   "would be refused" if self.settings.mode == ENFORCE else "would be refused, not enforced")
        lines = []
        for port in self.ports:
            if port.port.name == name:
                lines.append(f"change gate: {port.summary(refused)}")
                lines += [f"  read: {line}" for line in port.read]
                lines += [f"  {verdict}: {problem}" for problem in port.problems]
        return lines

    def read_lines(self) -> list[str]:
        """What the gate read, per port (with a refusal: the figures behind the problems)."""
        return [line for port in self.ports
                for line in [f"change gate read for port '{port.port.name}':", *(f"  {r}" for r in port.read)]]

    def link_decision(self, port: str, link: str) -> str | None:
        """The decision about one link (None: the gate did not look at it)."""
        if self.settings.mode == OFF:
            return "change gate off"
        for gate in self.ports:
            if gate.port.name == port and any(change.link == link for change in gate.port.changes):
                if gate.decision == REFUSED:
                    return ("change gate: would refuse" if self.settings.mode == ENFORCE
                            else "change gate: would refuse (mode warn: not enforced)")
                return f"change gate: {gate.decision}"
        return None


def run_gate(config, previous, reads: Reads) -> GateReport:
    """The gate for every port of ``config`` with a disruptive change against ``previous``."""
    report = GateReport(config.change_gate)
    if config.change_gate.mode == OFF:
        return report
    for gated in gated_ports(config, previous):
        report.ports.append(check_port(gated, reads, config.change_gate))
    return report


def check_port(gated: GatedPort, reads: Reads, settings: ChangeGateSettings) -> PortGate:
    """Read the port (and, for an ``active`` one, the metrics) and decide."""
    result = PortGate(gated)
    try:
        live = reads.port(gated.name)
        states = azure_link_states(live)
    except NotGiven as missing:
        result.not_run = str(missing)
        return result
    except (LiveReadError, AzureLinkError) as error:
        result.problems.append(f"{gated.loc}: change gate: port '{gated.name}' could not be read from Azure ({error}), "
                               "so the change cannot be checked: fix the access, or set changeGate.mode: warn with a "
                               "reason for this deployment")
        return result
    result.read.append(f"Azure's port: {describe_links(live, states)}")
    result.problems += drift_problems(gated, live, states)
    if gated.stage != "active":
        result.read.append(f"the port was {gated.stage}: its links are admin-disabled by this stack and carry no "
                           "traffic, so no metrics are needed")
        return result
    port_id = str(live.get("id") or gated.record.get("id") or "")
    try:
        metrics = reads.metrics(port_id, PORT_QUERY, settings.lookback_minutes)
        circuits = {cid.lower(): cid for cid in [*(c.get("id") for c in live.get("circuits") or []
                                                   if isinstance(c, Mapping)), *gated.circuits] if isinstance(cid, str)}
        circuit_metrics = [reads.metrics(cid, CIRCUIT_QUERY, settings.lookback_minutes)
                           for _, cid in sorted(circuits.items())]
    except NotGiven as missing:
        result.not_run = str(missing)
        return result
    except LiveReadError as error:
        result.problems.append(f"{gated.loc}: change gate: the metrics of port '{gated.name}' or its circuits could "
                               f"not be read from Azure Monitor ({error}), so the change cannot be checked: give the "
                               "deployment's identity Monitoring Reader on them, or set changeGate.mode: warn with a "
                               "reason for this deployment")
        return result
    traffic = TrafficReading.of(metrics, settings.lookback_minutes)
    result.read += traffic.read
    result.problems += [f"{gated.loc}: change gate: {problem}" for problem in traffic.problems]
    if not traffic.problems:
        result.problems += [f"{gated.loc}: change gate: {p}" for p in link_problems(gated, states, traffic, settings)]
    for reading in circuit_metrics:
        read, problems = circuit_reading(reading, gated)
        result.read += read
        if len(gated.changes) == 1:
            result.problems += [f"{gated.loc}: change gate: {problem}" for problem in problems]
    return result


# --- drift -------------------------------------------------------------------------------


def _secret(url: Any) -> str:
    """A secret URL as the gate names it: secret name and version (never a value)."""
    parsed = parse_secret_url(url)
    if parsed is None:
        return "none"
    return f"{parsed.name}/{parsed.version or '(no version)'}"


def _same_secret(a: Any, b: Any) -> bool:
    left, right = parse_secret_url(a), parse_secret_url(b)
    if left is None or right is None:
        return False
    return left.same_secret(right) and (left.version or "").lower() == (right.version or "").lower()


def describe_links(live: Mapping[str, Any], states: Mapping[str, Mapping[str, Any]]) -> str:
    """Azure's links in a few words: admin state, MACsec and its secrets by name and version."""
    raw = {link.get("name"): link for link in live.get("links") or [] if isinstance(link, Mapping)}
    parts = []
    for link in LINKS:
        state = states[link]
        if state["macsecEnabled"]:
            config = raw[link].get("macSecConfig") or {}
            macsec = (f"MACsec on {state['cipher']} SCI {state['sciState']}, CAK {_secret(config.get('cakSecretIdentifier'))}"
                      f", CKN {_secret(config.get('cknSecretIdentifier'))}")
        else:
            macsec = "MACsec off"
        parts.append(f"{link} admin {state['adminState']}, {macsec}")
    return "; ".join(parts)


def drift_problems(gated: GatedPort, live: Mapping[str, Any], states: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Where Azure's links differ from the record: one line per link, naming each field."""
    raw = {link.get("name"): link for link in live.get("links") or [] if isinstance(link, Mapping)}
    links = gated.record.get("links") if isinstance(gated.record.get("links"), Mapping) else {}
    problems = []
    for link in LINKS:
        recorded, azure = links.get(link) or {}, states[link]
        before = recorded_link_state(recorded)
        differs = []
        if azure["adminState"] != before["adminState"]:
            differs.append(f"admin state {azure['adminState']} in Azure, {before['adminState']} in the record")
        if azure["macsecEnabled"] != before["macsecEnabled"]:
            on = {True: "on", False: "off"}
            differs.append(f"MACsec {on[azure['macsecEnabled']]} in Azure, {on[before['macsecEnabled']]} in the record")
        elif azure["macsecEnabled"]:
            differs += [f"{name} {azure[name]} in Azure, {before[name]} in the record"
                        for name in ("cipher", "sciState") if azure[name] != before[name]]
            config = raw[link].get("macSecConfig") or {}
            for kind in ("cak", "ckn"):
                now, then = config.get(f"{kind}SecretIdentifier"), recorded.get(f"{kind}SecretUri")
                if then is not None and not _same_secret(now, then):
                    differs.append(f"{kind.upper()} secret {_secret(now)} in Azure, {_secret(then)} in the record")
        if differs:
            problems.append(
                f"{gated.loc}: change gate: {link} of port '{gated.name}' is not what the last deployment left "
                f"({'; '.join(differs)}): someone changed it outside this stack, so this plan was made against a "
                "state that is not live; find out who and why, then put the config and Azure back in step (a "
                "`pulumi refresh` shows the difference) before changing the link")
    return problems


# --- traffic -----------------------------------------------------------------------------


def rate(bps: float) -> str:
    """Bits per second as people read them: 9.81 Gbps, 12.3 Mbps, 0 bps."""
    for unit, size in (("Gbps", 1e9), ("Mbps", 1e6), ("kbps", 1e3)):
        if bps >= size:
            return f"{bps / size:.3g} {unit}"
    return f"{bps:.0f} bps"


def share(part: float, whole: float) -> str:
    """``part`` as a percentage of ``whole``: 98.8%, 0.025%."""
    if whole <= 0:
        return "n/a"
    percent = PERCENT.high * part / whole
    return f"{percent:.1f}%" if percent >= 1 or percent == 0 else f"{percent:.2g}%"


def _clock(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _link_of(series: Series) -> str | None:
    # fact: metric-link-values
    value = series.dimension(LINK_DIMENSION).lower()
    return value if value in LINKS else None


@dataclass
class TrafficReading:
    """A port's metrics as the gate reads them: per link its line protocol and traffic
    (in + out, bits per second) by minute, over the lookback ending at the answer's time."""

    end: datetime | None
    lookback: int
    line: dict[str, dict[datetime, float]]
    traffic: dict[str, dict[datetime, float]]
    recent: list[datetime]  # the last RECENT_MINUTES minutes with data on both links
    peak: float
    peak_at: datetime | None
    read: list[str]
    problems: list[str]

    @classmethod
    def of(cls, metrics: Metrics, lookback: int) -> "TrafficReading":
        end = metrics.end or max((t for s in metrics.series for t, _ in s.points), default=None)
        line: dict[str, dict[datetime, float]] = {link: {} for link in LINKS}
        traffic: dict[str, dict[datetime, float]] = {link: {} for link in LINKS}
        problems = []
        start = end - timedelta(minutes=lookback) if end else None
        for series in metrics.series:
            link = _link_of(series)
            if link is None or (metric := series.metric.lower()) not in (
                    LINE_PROTOCOL_METRIC.lower(), *(m.lower() for m in PORT_BITS_METRICS)):
                continue
            target = line[link] if metric == LINE_PROTOCOL_METRIC.lower() else traffic[link]
            for moment, value in series.points:
                if start is not None and start < moment <= end:
                    target[moment] = target.get(moment, 0.0) + value if target is traffic[link] else value
        for link in LINKS:
            for what, data in ((LINE_PROTOCOL_METRIC, line[link]), ("PortBitsIn/OutPerSecond", traffic[link])):
                if not data:
                    problems.append(f"no {what} values for {link} of the port in {metrics.source} (split by "
                                    f"{LINK_DIMENSION}, over the last {lookback} minutes): the gate cannot see the link")
                elif end and max(data) < end - timedelta(minutes=FRESH_MINUTES):
                    problems.append(f"the newest {what} value for {link} is from {_clock(max(data))}, more than "
                                    f"{FRESH_MINUTES} minutes before {_clock(end)}: the metrics are not flowing, so "
                                    "the gate cannot see the link now")
        both = sorted(set(traffic["link1"]) & set(traffic["link2"]))
        recent = [t for t in both if both and t > both[-1] - timedelta(minutes=RECENT_MINUTES)]
        port = {t: traffic["link1"][t] + traffic["link2"][t] for t in both}
        peak_at = max(port, key=port.get) if port else None
        reading = cls(end, lookback, line, traffic, recent, port.get(peak_at, 0.0), peak_at, [], problems)
        reading.read = reading.describe(metrics.source)
        return reading

    def recent_max(self, link: str) -> float:
        return max((self.traffic[link][t] for t in self.recent), default=0.0)

    def line_min(self, link: str) -> float | None:
        values = [value for t, value in self.line[link].items() if self.recent and t > self.recent[-1] - timedelta(
            minutes=RECENT_MINUTES)]
        return min(values) if values else None

    def describe(self, source: str) -> list[str]:
        if self.end is None:
            return [f"port metrics ({source}): no values"]
        lines = [f"port metrics ({source}, {self.lookback} minutes to {_clock(self.end)}): peak {rate(self.peak)} "
                 f"(in + out, both links){f' at {_clock(self.peak_at)}' if self.peak_at else ''}"]
        port_now = sum(self.recent_max(link) for link in LINKS)
        for link in LINKS:
            line = self.line_min(link)
            lines.append(f"{link}, last {RECENT_MINUTES} minutes: at most {rate(self.recent_max(link))} "
                         f"({share(self.recent_max(link), self.peak)} of the peak, {share(self.recent_max(link), port_now)}"
                         f" of the port now), {LINE_PROTOCOL_METRIC} at least "
                         f"{'none' if line is None else f'{line:g}'}")
        return lines


def link_problems(gated: GatedPort, states: Mapping[str, Mapping[str, Any]], traffic: TrafficReading,
                  settings: ChangeGateSettings) -> list[str]:
    """The traffic rules: one link (the other carries the traffic, this one drained) or
    both (a planned outage: both drained)."""
    fraction = settings.drain_threshold_percent / PERCENT.high
    problems = []
    both = len(gated.changes) == 2
    for change in gated.changes:
        link, other = change.link, OTHER_LINK[change.link]
        limit = max(fraction * traffic.peak, NOISE_FLOOR_BPS)
        carried = traffic.recent_max(link)
        if carried > limit:
            problems.append(
                f"{link} of port '{gated.name}' has not drained: it carried up to {rate(carried)} in the last "
                f"{RECENT_MINUTES} minutes, {share(carried, traffic.peak)} of the port's peak {rate(traffic.peak)} "
                f"over {traffic.lookback} minutes (drained: at most {settings.drain_threshold_percent:g}%, "
                "changeGate.drainThresholdPercent); "
                + ("move all traffic off the port first (a planned outage)" if both else
                   f"move its traffic onto {other} (drain BGP on {link}'s sessions) and run again"))
        if both:
            continue
        if states[other]["adminState"] != ADMIN_ENABLED:
            problems.append(f"{other} of port '{gated.name}', which must carry the traffic while {link} changes, is "
                            f"admin {states[other]['adminState']} in Azure: changing {link} now takes the whole port "
                            f"down; enable {other} and move the traffic onto it first")
        line = traffic.line_min(other)
        if line is None or line < LINE_UP:
            problems.append(f"{other} of port '{gated.name}' is not up: its {LINE_PROTOCOL_METRIC} was "
                            f"{'not reported' if line is None else f'as low as {line:g}'} in the last {RECENT_MINUTES} "
                            f"minutes (up: {LINE_UP:g} or more throughout): changing {link} now takes the whole port "
                            f"down; bring {other} up first")
        heavy = [t for t in traffic.recent
                 if traffic.traffic[link][t] > max(fraction * (traffic.traffic[link][t] + traffic.traffic[other][t]),
                                                   NOISE_FLOOR_BPS)]
        if heavy:
            moment = heavy[-1]
            total = traffic.traffic[link][moment] + traffic.traffic[other][moment]
            problems.append(f"{other} of port '{gated.name}' does not carry the port's traffic yet: at "
                            f"{_clock(moment)} {link} still had {share(traffic.traffic[link][moment], total)} of it "
                            f"({rate(traffic.traffic[link][moment])} of {rate(total)}; at most "
                            f"{settings.drain_threshold_percent:g}% may stay on the link to change): move the traffic "
                            f"onto {other} and run again")
    return problems


# --- circuits ----------------------------------------------------------------------------


def circuit_reading(metrics: Metrics, gated: GatedPort) -> tuple[list[str], list[str]]:
    """The circuit's ARP and BGP availability per peering and session in the last
    ``RECENT_MINUTES`` (read lines), and its peerings without a session up (problems)."""
    name = metrics.name
    end = metrics.end or max((t for s in metrics.series for t, _ in s.points), default=None)
    sessions: dict[str, dict[str, dict[str, float | None]]] = {}
    newest = None
    for series in metrics.series:
        if series.metric.lower() not in (m.lower() for m in MACSEC_MISMATCH_METRICS):
            continue
        metric = next(m for m in MACSEC_MISMATCH_METRICS if m.lower() == series.metric.lower())
        peering = series.dimension(PEERING_TYPE_DIMENSION) or "(no peering type)"
        peer = series.dimension(PEER_DIMENSION) or "(no peer)"
        points = [(t, v) for t, v in series.points if end is None or t <= end]
        if points:
            newest = max(newest or points[-1][0], points[-1][0])
        recent = [v for t, v in points if t > points[-1][0] - timedelta(minutes=RECENT_MINUTES)] if points else []
        sessions.setdefault(peering, {}).setdefault(peer, {})[metric] = min(recent) if recent else None
    if not sessions:
        if name.lower() in gated.without_peerings:
            return [f"circuit {name}: no peerings, carries no traffic"], []
        return [f"circuit {name} ({metrics.source}): no ARP or BGP values"], [
            f"circuit '{name}' on port '{gated.name}' shows no {' or '.join(MACSEC_MISMATCH_METRICS)} values in "
            f"{metrics.source} (split by {PEERING_TYPE_DIMENSION} and {PEER_DIMENSION}): the gate cannot see whether "
            "its peerings are up"]
    problems = []
    if end and newest and newest < end - timedelta(minutes=FRESH_MINUTES):
        problems.append(f"the newest ARP/BGP value of circuit '{name}' is from {_clock(newest)}, more than "
                        f"{FRESH_MINUTES} minutes before {_clock(end)}: the metrics are not flowing")
    read = []
    # fact: metric-erc-peer-unmapped (at least one session per peering, whichever link it rides)
    for peering, peers in sorted(sessions.items()):
        shown, up = [], 0
        for peer, values in sorted(peers.items()):
            healthy = all(values.get(m) is not None and values[m] >= SESSION_UP[m] for m in MACSEC_MISMATCH_METRICS)
            up += healthy
            shown.append(f"{peer} " + ", ".join(
                f"{m.removesuffix('Availability')} {'none' if values.get(m) is None else f'{values[m]:g}%'}"
                for m in MACSEC_MISMATCH_METRICS))
        read.append(f"circuit {name} {peering}, last {RECENT_MINUTES} minutes (lowest): {'; '.join(shown)} "
                    f"({up} of {len(peers)} session(s) up)")
        if not up:
            problems.append(f"circuit '{name}' {peering} on port '{gated.name}' has no session with ARP and BGP up "
                            f"({'; '.join(shown)}; up: {SESSION_UP[MACSEC_MISMATCH_METRICS[0]]:g}% or more throughout "
                            f"the last {RECENT_MINUTES} minutes): the peering is down already; find out why before "
                            "changing a link")
    return read, problems
