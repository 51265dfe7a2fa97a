"""The change gate in the stack program: its reads of Azure, and its decision applied.

``apply_change_gate`` is the step of ``__main__.py`` after the guard: it runs the gate
(``live_gate.run_gate``) over ``ProgramReads`` and then, by ``changeGate.mode`` and the
kind of run, refuses the deployment (``enforce`` on ``pulumi up``: a ``pulumi.RunError``
before any resource is registered) or logs what the gate read and decided as warnings
(``pulumi preview``, ``warn``; ``off`` logs its reason on every run).

Why a preview only reports: the traffic is moved off a link right before the change,
usually after the preview was reviewed, and the figures that count are those of the
moment ``pulumi up`` runs; a preview changes nothing. It reads the same things and says
what ``pulumi up`` would decide now.

``ProgramReads`` reads the port through the azure-native provider
(``network.get_express_route_port``, an invoke with the provider's credentials) and the
metrics through the ARM metrics API (``azure-mgmt-monitor``'s ``metrics.list``, the call
``az monitor metrics list`` makes) with the deployment's identity
(``deployment_identity.py``), imported only when a port needs them. Offline, the Azure
mocks answer both (``offline/mocks.py``: ``--live-port`` and ``--metrics`` files), through
``answered_offline``: the only thing the offline tools change here.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping

from .facts import METRIC_AGGREGATION, METRIC_TIME_GRAIN
from .live_gate import GateReport, LiveReadError, run_gate
from .live_metrics import TOP, Metrics, MetricsError, MetricsQuery, parse_metrics
from .printable import one_line

# The first line of an SDK error, at most this long: enough for Azure's error code and message.
MAX_REASON = 240
# The offline tools' answers to the metrics reads (AzureMocks), while a program runs offline.
_offline: list[Any] = []


@contextlib.contextmanager
def answered_offline(answers: Any) -> Iterator[None]:
    """For the length of an offline run: the metrics come from ``answers`` (its
    ``metrics(resource_id, query, lookback_minutes)``), and it is told the gate's report
    (``gate_decided(report)``)."""
    _offline.append(answers)
    try:
        yield
    finally:
        _offline.remove(answers)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return one_line(text.splitlines()[0][:MAX_REASON]) if text else type(error).__name__


class ProgramReads:
    """The gate's reads on ``pulumi preview``/``up`` (``live_gate.Reads``)."""

    def __init__(self, resource_group: str) -> None:
        self.resource_group = resource_group
        self._client = None

    def port(self, name: str) -> Mapping[str, Any]:
        from pulumi_azure_native import network

        from .direct_port import port_of_get_express_route_port

        if _offline:  # offline without a --live-port file for it: not run, rather than unreadable
            _offline[-1].require_port(name, self.resource_group)

        try:
            result = network.get_express_route_port(express_route_port_name=name,
                                                    resource_group_name=self.resource_group)
        except Exception as exc:  # the provider's error says why (not found, no access)
            raise LiveReadError(_first_line(exc)) from None
        return {**port_of_get_express_route_port(result), "name": result.name or name, "id": result.id,
                "circuits": [{"id": circuit.id} for circuit in result.circuits or []]}

    def metrics(self, resource_id: str, query: MetricsQuery, lookback_minutes: int) -> Metrics:
        if _offline:
            return _offline[-1].metrics(resource_id, query, lookback_minutes)
        # fact: metrics-api-arm
        end = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        start = end - timedelta(minutes=lookback_minutes)
        try:
            body = self.client(resource_id).metrics.list(
                resource_uri=resource_id, timespan=f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}",
                interval=METRIC_TIME_GRAIN, metricnames=",".join(query.metrics), aggregation=METRIC_AGGREGATION,
                top=TOP, filter=query.filter,
                # The REST body as Azure sent it: one reader for it and for az's output.
                cls=lambda response, deserialized, headers: json.loads(response.http_response.text()))
        except LiveReadError:
            raise
        except Exception as exc:  # authentication, authorization, throttling, network, an odd answer
            raise LiveReadError(f"{type(exc).__name__}: {_first_line(exc)}") from None
        try:
            return parse_metrics(body, "Azure Monitor")
        except MetricsError as error:
            raise LiveReadError("; ".join(error.problems)) from None

    def client(self, resource_id: str) -> Any:
        """The metrics client, made once, with the deployment's identity."""
        if self._client is None:
            import pulumi
            from azure.mgmt.monitor import MonitorManagementClient

            from .arm import split_arm_id
            from .deployment_identity import IdentityError, cloud_setting, credential, identity_plan, \
                provider_settings

            config = pulumi.Config("azure-native")
            try:
                plan = identity_plan(provider_settings(config.get))
            except IdentityError as error:
                raise LiveReadError(f"the deployment's Azure identity: {error}") from None
            parts = split_arm_id(resource_id)
            self._client = MonitorManagementClient(credential(plan), parts.subscription if parts else "",
                                                   cloud_setting=cloud_setting(plan))
            pulumi.log.info(f"change gate: reading Azure Monitor as {plan.describe()}")
        return self._client


def apply_change_gate(config, previous, *, updating: bool) -> GateReport:
    """Run the gate for this deployment and apply its mode: raise ``pulumi.RunError``
    (nothing registered) when it refuses, else log what it read and decided."""
    import pulumi

    from .config.errors import ConfigError

    report = run_gate(config, previous, ProgramReads(config.resource_group_name))
    if _offline:
        _offline[-1].gate_decided(report)
    if report.refuses(updating):
        raise pulumi.RunError("\n".join([str(ConfigError(report.problems, source="MACsec change refused by the "
                                                                                 "change gate")), *report.read_lines()]))
    for line in _grouped(report.lines(updating)):
        pulumi.log.warn(line)
    return report


def _grouped(lines: list[str]) -> list[str]:
    """The report as one message per port (its lines indented under it)."""
    messages: list[str] = []
    for line in lines:
        if line.startswith("  ") and messages:
            messages[-1] += "\n" + line
        else:
            messages.append(line)
    return messages
