"""live_reads.py: the change gate's reads on `pulumi preview`/`up`: the metrics through
azure-mgmt-monitor's `metrics.list` (the ARM metrics API `az monitor metrics list` calls), asked
as the gate needs them and read as the REST body; any failure, the identity's included, is one
line (the gate then refuses: fail closed). The SDK runs for real here, over a transport that
answers instead of Azure."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpResponse, HttpTransport
from azure.mgmt.monitor import MonitorManagementClient

from expressroute_encryption.live_gate import LiveReadError
from expressroute_encryption.live_metrics import CIRCUIT_QUERY, PORT_QUERY
from expressroute_encryption.live_reads import ProgramReads

FIXTURES = Path(__file__).parent / "fixtures" / "gate"
PORT_ID = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/expressRoutePorts/portName"


class Answer(HttpResponse):
    def __init__(self, request, status: int, body: bytes) -> None:
        super().__init__(request, None)
        self.status_code, self.reason, self._body = status, "OK" if status == 200 else "Forbidden", body
        self.headers = {"Content-Type": "application/json"}
        self.content_type = "application/json"

    def body(self) -> bytes:
        return self._body

    def text(self, encoding=None) -> str:
        return self._body.decode()


class Azure(HttpTransport):
    """Answers every request with ``status`` and ``body``, and keeps the requests."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.answer, self.requests = status, body, []

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, request, **kwargs):
        self.requests.append(request)
        return Answer(request, self.status, self.answer)


class Token:
    def get_token(self, *scopes, **kwargs) -> AccessToken:
        return AccessToken("token", 4102444800)


def reads_over(transport: Azure) -> ProgramReads:
    reads = ProgramReads("rg1")
    reads._client = MonitorManagementClient(Token(), "subid", transport=transport, retry_total=0)
    return reads


def test_the_metrics_are_asked_as_the_gate_needs_them_and_read_as_azure_sent_them():
    azure = Azure(200, (FIXTURES / "port-metrics-rest.json").read_bytes())
    metrics = reads_over(azure).metrics(PORT_ID, PORT_QUERY, 60)
    assert metrics.kind == "port" and metrics.name == "portName" and metrics.source == "Azure Monitor"
    assert len(metrics.series) == 6
    (request,) = azure.requests
    url = urlsplit(request.url)
    assert url.path == f"{PORT_ID}/providers/Microsoft.Insights/metrics"
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert query["metricnames"] == "LineProtocol,PortBitsInPerSecond,PortBitsOutPerSecond"
    assert (query["interval"], query["aggregation"], query["top"], query["$filter"]) == (
        "PT1M", "Average", "50", "Link eq '*'")
    start, end = query["timespan"].split("/")
    assert start.endswith("Z") and end.endswith(":00Z")


def test_a_circuit_is_asked_for_arp_and_bgp_per_peering_and_session():
    azure = Azure(200, (FIXTURES / "circuit-metrics-rest.json").read_bytes())
    reads_over(azure).metrics(PORT_ID.replace("expressRoutePorts/portName", "expressRouteCircuits/c1"), CIRCUIT_QUERY, 30)
    query = parse_qs(urlsplit(azure.requests[0].url).query)
    assert query["metricnames"] == ["ArpAvailability,BgpAvailability"]
    assert query["$filter"] == ["PeeringType eq '*' and Peer eq '*'"]


def test_azure_refusing_the_read_is_one_line():
    error = json.dumps({"error": {"code": "AuthorizationFailed", "message": "The client 'x' does not have "
                                  "authorization to perform action 'Microsoft.Insights/metrics/read'"}}).encode()
    with pytest.raises(LiveReadError) as info:
        reads_over(Azure(403, error)).metrics(PORT_ID, PORT_QUERY, 60)
    message = str(info.value)
    assert message.startswith("HttpResponseError: ") and "AuthorizationFailed" in message
    assert "\n" not in message


def test_an_answer_that_is_not_metrics_is_one_line():
    with pytest.raises(LiveReadError) as info:
        reads_over(Azure(200, b'{"value": "nope"}')).metrics(PORT_ID, PORT_QUERY, 60)
    assert str(info.value).startswith("DeserializationError: ")  # the SDK reads the answer first
    body = json.loads((FIXTURES / "port-metrics-rest.json").read_text())
    body["interval"] = "PT1H"
    with pytest.raises(LiveReadError) as info:
        reads_over(Azure(200, json.dumps(body).encode())).metrics(PORT_ID, PORT_QUERY, 60)
    assert str(info.value) == ("Azure Monitor: interval: the gate reads one-minute values (PT1M), not PT1H: ask with "
                               "--interval 1m")


def test_an_identity_the_provider_settings_do_not_complete_is_refused(monkeypatch):
    for name in ("ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_CLIENT_SECRET", "ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH",
                 "ARM_OIDC_REQUEST_URL", "ARM_OIDC_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
                 "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ARM_CLIENT_CERTIFICATE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARM_USE_OIDC", "true")
    with pytest.raises(LiveReadError) as info:
        ProgramReads("rg1").metrics(PORT_ID, PORT_QUERY, 60)
    assert str(info.value).startswith("the deployment's Azure identity: OIDC (ARM_USE_OIDC) needs "
                                      "clientId (ARM_CLIENT_ID) and tenantId (ARM_TENANT_ID)")
