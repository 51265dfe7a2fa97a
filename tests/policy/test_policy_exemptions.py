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


# --- issue 22: the CLI's schema offline, expiry limits, unknown ports, printing -------------------


def check_config(tmp_path, capsys, config, *extra):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return check(capsys, export_file(tmp_path), "--config", path, *extra)


@pytest.mark.parametrize("expires", ["2027-W13-3", "2027-03-31\n", "20270331", "2027-3-31", "２０２７-03-31",
                                     "2027-02-30"])
def test_what_the_cli_schema_refuses_is_refused_offline(tmp_path, capsys, today, expires):
    """ISO week dates, a trailing line break (RE2's $), non-ASCII digits, a day that does not exist."""
    today(BEFORE)
    status, lines, err = check_config(tmp_path, capsys, {"exemptPorts": [{"name": "erp-weu-1", "expires": expires}]})
    assert status == 2 and lines == []
    assert "CONFIG " in err and "exemptPorts[0].expires must be a date written YYYY-MM-DD" in err


def test_the_schema_the_cli_checks_is_the_one_the_offline_reader_applies():
    from expressroute_encryption.policy.schema import schema_errors

    for policy in (macsec_required, circuit_on_encrypted_port, exemption_report):
        assert policy.config_schema.properties["exemptPorts"] is exemptions.SCHEMA
    expires = exemptions.ENTRY_SCHEMA["properties"]["expires"]
    assert expires["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" and expires["format"] == "date"
    assert schema_errors([{"name": "p", "expires": "2027-03-31", "extra": 1}], exemptions.SCHEMA, "x") == [
        "x[0] has unknown keys extra; allowed: name, expires, reason"]


@pytest.mark.parametrize("expires, refused", [("2027-12-02", False), ("2027-12-03", True), ("9999-12-31", True)])
def test_an_exemption_ends_at_most_one_year_ahead(tmp_path, capsys, today, expires, refused):
    today(datetime.date(2026, 12, 2))
    config = {"exemptPorts": [{"name": "erp-weu-1", "expires": expires}]}
    status, _, err = check_config(tmp_path, capsys, config)
    assert (status == 2) is refused
    if refused:
        assert f"exemptPorts[0].expires {expires} is more than one year ahead (today the latest is 2027-12-02)" in err
        # Under the Pulumi CLI the policy cannot exit: it reports the list and exempts nothing (fail closed).
        messages = resource_violations(macsec_required, PORT, unencrypted_port(), name="erp-weu-1", config=config)
        assert "more than one year ahead" in messages[0] and "MACsec is not on both links" in messages[1]


def test_a_leap_day_exemption_may_end_on_28_february_next_year():
    assert exemptions.latest_expiry(datetime.date(2028, 2, 29)) == datetime.date(2029, 2, 28)


def test_an_exemption_for_a_port_the_stack_does_not_have_is_a_warning_naming_it(tmp_path, capsys, today):
    today(BEFORE)
    config = {"exemptPorts": [{"name": "erp-weu-1", "expires": EXPIRES}, {"name": "erp-gone", "expires": EXPIRES}]}
    status, lines, _ = check_config(tmp_path, capsys, config)
    assert status == 0
    assert ("warning: exemptPorts: port erp-gone is not a port of this stack (its ports: erp-weu-1): the exemption "
            "does nothing; remove it or correct the name") in lines
    status, lines, _ = check_config(tmp_path, capsys, config, "--json")
    assert json.loads("\n".join(lines))["warnings"] == [
        "exemptPorts: port erp-gone is not a port of this stack (its ports: erp-weu-1): the exemption does nothing; "
        "remove it or correct the name"]


def test_reasons_are_printed_with_control_characters_escaped_and_cannot_forge_a_line(tmp_path, capsys, today):
    today(BEFORE)
    forged = "CHG-1\nmandatory: forged: line\r\x1b[2J\u2028\u202ex"
    status, lines, _ = check_config(tmp_path, capsys, {"exemptPorts": [{"name": "erp-weu-1", "expires": EXPIRES,
                                                                        "reason": forged}]})
    assert status == 0
    assert not any(line.startswith("mandatory: forged") for line in lines)
    assert (f"exemption: expressroute-port-macsec-required: port erp-weu-1 exempt until {EXPIRES} "
            "(CHG-1\\nmandatory: forged: line\\r\\x1b[2J\\u2028\\u202ex)") in lines
    assert not any(c in "\n".join(lines) for c in "\r\x1b\u202e\u2028")


def test_any_stdout_encoding_prints_a_non_ascii_reason(tmp_path, capsys, monkeypatch, today):
    import io

    today(BEFORE)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"exemptPorts": [{"name": "erp-weu-1", "expires": EXPIRES, "reason": "Umzug für Kunde ✓"}]}))
    buffer = io.BytesIO()
    ascii_stdout = io.TextIOWrapper(buffer, encoding="ascii")  # PYTHONIOENCODING=ascii, LANG=C
    monkeypatch.setattr("sys.stdout", ascii_stdout)
    assert main(["check-policy", str(export_file(tmp_path)), "--config", str(path)]) == 0
    ascii_stdout.flush()
    assert "(Umzug f\\xfcr Kunde \\u2713)" in buffer.getvalue().decode("ascii")


def test_one_list_at_the_top_level_stands_for_the_three_policies(tmp_path, capsys, today):
    today(BEFORE)
    status, lines, _ = check_config(tmp_path, capsys, EXEMPT)
    assert status == 0
    assert lines[:2] == [
        f"exemption: expressroute-port-macsec-required: port erp-weu-1 exempt until {EXPIRES} (CHG-1234 link-by-link migration)",
        f"exemption: expressroute-circuit-on-encrypted-port: port erp-weu-1 exempt until {EXPIRES} (CHG-1234 link-by-link migration)",
    ]
    # A bad entry is named once, under the one list.
    status, _, err = check_config(tmp_path, capsys, {"exemptPorts": [{"name": "erp-weu-1", "expires": "2027-13-01"}]})
    assert status == 2 and err.count("expires must be a date") == 1 and "CONFIG " in err and "config exemptPorts[0]" in err
    # Given at the top level and under a policy: two places for one list, refused.
    status, _, err = check_config(tmp_path, capsys, {**EXEMPT, "expressroute-port-macsec-required": EXEMPT})
    assert status == 2 and "exemptPorts is given at the top level and under expressroute-port-macsec-required" in err


def test_the_checker_finds_the_stacks_own_policy_config_and_says_so(tmp_path, capsys, today, monkeypatch):
    today(BEFORE)
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "policy-config.dev.json").write_text(json.dumps(EXEMPT))  # the URNs name stack dev
    monkeypatch.chdir(folder)
    status, lines, _ = check(capsys, export_file(tmp_path))
    assert status == 0
    assert lines[0].startswith("note: policy config: policy-config.dev.json (the policy config of stack dev, which the "
                               "resources' URNs name")
    assert lines[1].startswith("exemption: expressroute-port-macsec-required: port erp-weu-1 exempt until")
    (folder / "policy-config.dev.json").unlink()
    status, lines, _ = check(capsys, export_file(tmp_path))
    assert status == 1 and not lines[0].startswith("note:")
