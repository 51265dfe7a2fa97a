"""Time-limited port exemptions from the MACsec-required policies (issue 16): ``exemptPorts``."""

import datetime
import json

import pytest
from tests.policy.policy_builders import (
    CIRCUIT,
    PORT,
    arm_id,
    port,
    resource_violations,
    stack_resource,
    stack_violations,
    urn,
)

from expressroute_encryption.cli import main
from expressroute_encryption.policy import exemptions
from expressroute_encryption.policy.exemptions import exemption_report
from expressroute_encryption.policy.expressroute import macsec_required
from expressroute_encryption.policy.stack import circuit_on_encrypted_port

EXPIRES = "2027-03-31"
EXEMPT = {"exemptPorts": [{"name": "erp-weu-1", "expires": EXPIRES, "reason": "CHG-1234 link-by-link migration"}]}
BEFORE, ON_THE_DAY, AFTER = datetime.date(2027, 3, 30), datetime.date(2027, 3, 31), datetime.date(2027, 4, 1)
POLICIES = ("expressroute-port-macsec-required", "expressroute-circuit-on-encrypted-port",
            "expressroute-port-macsec-exemption")


@pytest.fixture
def today(monkeypatch):
    """Set the date the policies see (UTC)."""
    def set_today(day: datetime.date) -> None:
        monkeypatch.setattr(exemptions, "today", lambda: day)
    return set_today


def unencrypted_port() -> dict:
    """A live port adopted without MACsec: links admin-enabled, no macSecConfig."""
    props = port("active")
    for link in props["links"]:
        del link["macSecConfig"]
    return props


def circuit_resources():
    erport = stack_resource(PORT, "erp-weu-1", unencrypted_port())
    circuit = stack_resource(CIRCUIT, "ckt", {"expressRoutePort": {"id": arm_id(
        "Microsoft.Network/expressRoutePorts", "erp-weu-1")}}, dependencies=(erport,))
    return [erport, circuit]


# --- the policies ---------------------------------------------------------------------------


@pytest.mark.parametrize("day", [BEFORE, ON_THE_DAY])
def test_an_exempt_port_passes_until_its_date_included(today, day):
    today(day)
    assert resource_violations(macsec_required, PORT, unencrypted_port(), name="erp-weu-1", config=EXEMPT) == []
    assert stack_violations(circuit_on_encrypted_port, circuit_resources(), EXEMPT) == []


def test_after_the_date_the_violation_is_back_saying_when_it_expired(today):
    today(AFTER)
    [message] = resource_violations(macsec_required, PORT, unencrypted_port(), name="erp-weu-1", config=EXEMPT)
    assert "MACsec is not on both links" in message
    assert f"The exemption of port erp-weu-1 (exemptPorts) expired on {EXPIRES}: it no longer applies." in message
    [(circuit_urn, message)] = stack_violations(circuit_on_encrypted_port, circuit_resources(), EXEMPT)
    assert circuit_urn == urn(CIRCUIT, "ckt") and f"expired on {EXPIRES}" in message


def test_the_exemption_names_one_port_by_its_azure_name_ignoring_case(today):
    today(BEFORE)
    other = {**unencrypted_port(), "expressRoutePortName": "erp-weu-2"}
    assert resource_violations(macsec_required, PORT, other, name="erp-weu-2", config=EXEMPT)
    shouting = {"exemptPorts": [{"name": "ERP-WEU-1", "expires": EXPIRES}]}
    assert resource_violations(macsec_required, PORT, unencrypted_port(), name="x", config=shouting) == []


@pytest.mark.parametrize(("entry", "problem"), [
    ({"expires": EXPIRES}, "exemptPorts[0].name is missing"),
    ({"name": "erp-weu-1", "expires": "2027-02-30"}, "exemptPorts[0].expires must be a date written YYYY-MM-DD"),
    ({"name": "erp-weu-1", "expires": "31/03/2027"}, "exemptPorts[0].expires must be a date written YYYY-MM-DD"),
    ({"name": "erp-weu-1", "expires": EXPIRES, "until": "x"}, "exemptPorts[0] has unknown keys until"),
])
def test_a_list_the_policy_cannot_read_is_a_violation_and_exempts_nothing(today, entry, problem):
    """Under the Pulumi CLI the pack cannot exit: the policy says what is wrong (fail closed)."""
    today(BEFORE)
    config = {"exemptPorts": [entry]}
    messages = resource_violations(macsec_required, PORT, unencrypted_port(), name="erp-weu-1", config=config)
    assert len(messages) == 2
    assert messages[0].startswith("The policy pack config of expressroute-port-macsec-required has an exemptPorts "
                                  "list that cannot be read: ") and problem in messages[0]
    assert "No exemption applies until it is fixed." in messages[0]
    assert "MACsec is not on both links" in messages[1]
    reported = stack_violations(exemption_report, circuit_resources(), config)
    assert reported and problem in reported[0][1]


def test_the_advisory_report_shows_each_exemption_and_its_date(today):
    today(BEFORE)
    config = {"exemptPorts": [*EXEMPT["exemptPorts"], {"name": "erp-gone", "expires": "2027-01-31"}]}
    assert exemption_report.enforcement_level.value == "advisory"
    [(port_urn, active), (stack, expired)] = stack_violations(exemption_report, circuit_resources(), config)
    assert port_urn == urn(PORT, "erp-weu-1")
    assert active == ("ExpressRoute port erp-weu-1 is exempt from expressroute-port-macsec-required and "
                      f"expressroute-circuit-on-encrypted-port until {EXPIRES} (CHG-1234 link-by-link migration): "
                      "its links may run without MACsec until then; encrypt them one link per deployment")
    # erp-gone is not a port of this stack: the report says the entry exempts nothing.
    assert stack is None and expired == ("The exemption of ExpressRoute port erp-gone (expired on 2027-01-31) names no "
                                         "port of this stack: it exempts nothing; remove it from exemptPorts or "
                                         "correct the name")


def test_an_encrypted_port_needs_no_exemption(today):
    today(AFTER)
    assert resource_violations(macsec_required, PORT, port("active"), name="erp-weu-1", config=EXEMPT) == []


# --- the offline checker ----------------------------------------------------------------------


def export_file(tmp_path):
    port_urn = urn(PORT, "erp-weu-1")
    resources = [
        {"urn": port_urn, "type": PORT, "custom": True, "protect": True, "inputs": unencrypted_port(),
         "outputs": {**unencrypted_port(), "id": arm_id("Microsoft.Network/expressRoutePorts", "erp-weu-1")}},
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    return path


def config_file(tmp_path, exempt_ports, policies=POLICIES):
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps({policy: {"exemptPorts": exempt_ports} for policy in policies}))
    return path


def check(capsys, *args):
    status = main(["check-policy", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


def test_the_checker_prints_every_exemption_on_every_run(tmp_path, capsys, today):
    today(BEFORE)
    status, lines, _ = check(capsys, export_file(tmp_path), "--config", config_file(tmp_path, EXEMPT["exemptPorts"]))
    assert status == 0
    assert lines[:2] == [
        f"exemption: expressroute-port-macsec-required: port erp-weu-1 exempt until {EXPIRES} (CHG-1234 link-by-link migration)",
        f"exemption: expressroute-circuit-on-encrypted-port: port erp-weu-1 exempt until {EXPIRES} (CHG-1234 link-by-link migration)",
    ]
    assert any(line.startswith("advisory: expressroute-port-macsec-exemption: ") for line in lines)
    status, _, _ = check(capsys, export_file(tmp_path), "--config", config_file(tmp_path, EXEMPT["exemptPorts"]),
                         "--json")
    assert status == 0


def test_the_checker_fails_once_the_exemption_expired(tmp_path, capsys, today):
    today(AFTER)
    status, lines, _ = check(capsys, export_file(tmp_path), "--config", config_file(tmp_path, EXEMPT["exemptPorts"]))
    assert status == 1
    assert lines[0] == (f"exemption: expressroute-port-macsec-required: port erp-weu-1: exemption expired on {EXPIRES}, "
                        "it no longer applies (CHG-1234 link-by-link migration)")
    assert any(line.startswith("mandatory: expressroute-port-macsec-required: ") and f"expired on {EXPIRES}" in line
               for line in lines)


@pytest.mark.parametrize(("exempt_ports", "policies", "expected"), [
    ([{"name": "erp-weu-1", "expires": "2027-13-01"}], POLICIES,
     "config expressroute-port-macsec-required.exemptPorts[0].expires must be a date written YYYY-MM-DD"),
    ([{"expires": EXPIRES}], POLICIES, "config expressroute-port-macsec-required.exemptPorts[0].name is missing"),
    (["erp-weu-1"], POLICIES, "exemptPorts[0] must be of type object"),
    (EXEMPT["exemptPorts"], POLICIES[:1], "exemptPorts must be the same list under expressroute-port-macsec-required, "
     "expressroute-circuit-on-encrypted-port, expressroute-port-macsec-exemption"),
])
def test_the_checker_refuses_a_bad_exemption_list(tmp_path, capsys, exempt_ports, policies, expected):
    status, lines, err = check(capsys, export_file(tmp_path), "--config", config_file(tmp_path, exempt_ports, policies))
    assert status == 2 and lines == []
    assert err.startswith("check-policy: error: CONFIG ") and expected in err


def test_the_preview_prints_the_exemption_and_passes_until_it_expires(tmp_path, monkeypatch):
    from expressroute_encryption.offline.preview import run_preview
    from tests.helpers import live_config, project_copy

    doc = {"config": {"azure-native:location": "westeurope",
                      **{f"expressroute-encryption:{k}": v for k, v in live_config().items()}}}
    project = project_copy(tmp_path, "enable", doc)
    entry = {"name": "port-a", "expires": "2027-03-31", "reason": "migration"}
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({policy: {"exemptPorts": [entry]} for policy in exemptions.TAKING_EXEMPTIONS}))

    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2027, 3, 31))
    report = run_preview("enable", project, policy_config=str(config))
    out, _ = report.to_text()
    assert report.exit_code == 0, out
    assert "exemption: expressroute-port-macsec-required: port port-a exempt until 2027-03-31 (migration)" in out
    assert report.to_json()["policy"]["exemptions"] == report.exemptions

    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2027, 4, 1))
    report = run_preview("enable", project, policy_config=str(config))
    out, _ = report.to_text()
    assert report.exit_code == 1
    assert "exemption: expressroute-port-macsec-required: port port-a: exemption expired on 2027-03-31" in out

    config.write_text(json.dumps({policy: {"exemptPorts": [{"name": "port-a", "expires": "2027-02-30"}]}
                                  for policy in exemptions.TAKING_EXEMPTIONS}))
    report = run_preview("enable", project, policy_config=str(config))
    assert report.exit_code == 2
    assert any("exemptPorts[0].expires must be a date written YYYY-MM-DD" in line for line in report.errors)
