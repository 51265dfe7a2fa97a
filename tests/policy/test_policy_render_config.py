"""``expressroute-encryption policy-config``: a stack's policy-config.<stack>.json expanded for the
Pulumi CLI (``policy/render_config.py``, ``policy/pack_config.py``)."""

import datetime
import json

import pytest

from expressroute_encryption.cli import main
from expressroute_encryption.policy import exemptions
from expressroute_encryption.policy.pack_config import PackConfigError, expand, stack_of

UNTIL = "2027-03-31"
ENTRY = {"name": "er-ams-1", "expires": UNTIL, "reason": "CHG-1"}


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2026, 12, 2))


def render(capsys, tmp_path, document, *extra):
    if document is not None:
        (tmp_path / "policy-config.prod.json").write_text(json.dumps(document))
    status = main(["policy-config", "--stack", "prod", "--project-dir", str(tmp_path), *extra])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_one_list_goes_under_each_policy_that_takes_it_and_the_rest_passes_unchanged(tmp_path, capsys):
    document = {"exemptPorts": [ENTRY], "all": "mandatory", "expressroute-port-macsec-exemption": "advisory",
                "expressroute-port-macsec-cipher": {"allowedCiphers": ["GcmAesXpn256"]}}
    status, out, err = render(capsys, tmp_path, document)
    assert status == 0 and err.startswith("policy-config: rendered ")
    assert json.loads(out) == {
        "all": "mandatory",
        "expressroute-port-macsec-cipher": {"allowedCiphers": ["GcmAesXpn256"]},
        "expressroute-port-macsec-exemption": {"enforcementLevel": "advisory", "exemptPorts": [ENTRY]},
        "expressroute-port-macsec-required": {"exemptPorts": [ENTRY]},
        "expressroute-circuit-on-encrypted-port": {"exemptPorts": [ENTRY]},
    }
    # What the CLI gets is what the checker accepts as it is (already in the CLI's form).
    assert expand(json.loads(out)) == json.loads(out)


def test_a_stack_without_a_policy_config_renders_an_empty_one(tmp_path, capsys):
    status, out, err = render(capsys, tmp_path, None)
    assert status == 0 and json.loads(out) == {} and "no policy-config.prod.json" in err


def test_the_expanded_form_of_before_keeps_working(tmp_path, capsys):
    document = {policy: {"exemptPorts": [ENTRY]} for policy in exemptions.TAKING_EXEMPTIONS}
    status, out, _ = render(capsys, tmp_path, document)
    assert status == 0 and json.loads(out) == document


@pytest.mark.parametrize("document, expected", [
    ({"exemptPorts": [{"name": "er-ams-1", "expires": "2027-W13-3"}]},
     "config exemptPorts[0].expires must be a date written YYYY-MM-DD"),
    ({"exemptPorts": [{"name": "er-ams-1", "expires": "2028-01-01"}]}, "is more than one year ahead"),
    ({"exemptPorts": [ENTRY], "expressroute-port-macsec-required": {"exemptPorts": [ENTRY]}},
     "exemptPorts is given at the top level and under expressroute-port-macsec-required"),
    ({"expressroute-port-macsec-required": {"exemptPorts": [ENTRY]}}, "exemptPorts must be the same list under"),
    ({"no-such-policy": "mandatory"}, "names unknown policies: no-such-policy"),
    (["not", "an", "object"], "the policy config must be a JSON object"),
])
def test_what_the_cli_or_the_pack_would_refuse_is_refused_and_nothing_written(tmp_path, capsys, document, expected):
    output = tmp_path / "out.json"
    status, out, err = render(capsys, tmp_path, document, "--output", str(output))
    assert status == 2 and out == "" and expected in err and not output.exists()
    assert all(line.startswith("policy-config: error: ") for line in err.splitlines())


def test_output_is_written_whole_and_never_over_an_input(tmp_path, capsys):
    output = tmp_path / "rendered.json"
    status, _, err = render(capsys, tmp_path, {"exemptPorts": [ENTRY]}, "--output", str(output))
    assert status == 0 and "wrote" in err and json.loads(output.read_text())["expressroute-port-macsec-required"]
    for target in ("policy-config.prod.json", "Pulumi.prod.yaml"):
        status, _, err = render(capsys, tmp_path, None, "--output", str(tmp_path / target))
        assert status == 2 and "is named like a stack's own file" in err
    assert json.loads((tmp_path / "policy-config.prod.json").read_text()) == {"exemptPorts": [ENTRY]}


def test_a_stack_name_the_cli_refuses_is_refused(tmp_path, capsys):
    assert main(["policy-config", "--stack", "../prod", "--project-dir", str(tmp_path)]) == 2
    assert "a stack name has letters" in capsys.readouterr().err


def test_expand_checks_the_list_once_and_names_it_at_the_top_level():
    with pytest.raises(PackConfigError) as info:
        expand({"exemptPorts": "er-ams-1"})
    assert info.value.problems == ["exemptPorts must be of type array"]


def test_the_stack_is_the_one_every_urn_names():
    assert stack_of(["urn:pulumi:prod::p::t::a", "urn:pulumi:prod::p::t::b"]) == "prod"
    assert stack_of(["urn:pulumi:prod::p::t::a", "urn:pulumi:dev::p::t::b"]) is None
    assert stack_of([]) is None
