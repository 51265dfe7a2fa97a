"""The MACsec change guard: one link state (issue 13), and failing closed (issue 15)."""

from __future__ import annotations

import copy
import json
import logging
import subprocess
import sys
import typing

import grpc
import pulumi
import pytest

from expressroute_encryption import link_state as ls
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.direct_port import PortLinkState
from expressroute_encryption.offline.harness import ProgramRun
from expressroute_encryption.offline.sdk_internals import OfflineEngine
from expressroute_encryption.offline.previous import PreviousError, load_previous
from expressroute_encryption.offline.wire import unwrap
from expressroute_encryption.rotation import Previous, rotation_plan
from tests.helpers import BYO_CAK, BYO_CKN, PROJECT_DIR, base_config, circuit, find, one, plain_inputs, port, run_stack
from tests.test_rotation import deployed, macsec, refused

SECRET_FIELDS = {"cakSecretName", "cknSecretName", "cakSecretUri", "cknSecretUri"}


@pytest.fixture(scope="module")
def live():
    return deployed("active")


def with_ports(run: ProgramRun, edit) -> ProgramRun:
    """A copy of ``run`` whose ``ports`` output went through ``edit`` (an older or odd deployment)."""
    outputs = copy.deepcopy(run.stack_outputs)
    edit(outputs["ports"])
    return ProgramRun(stack_outputs=outputs)


def plan(values, previous_run, stack="prod") -> str:
    outputs = unwrap(previous_run.stack_outputs)
    return rotation_plan(parse_stack_config(values), Previous(
        ports=outputs["ports"], fingerprints=outputs.get("macsecKeyFingerprints") or {},
        circuits=outputs.get("circuits") or {}), stack)


def warnings_of(caplog, values, previous, **kw) -> list[str]:
    """What the program logs with pulumi.log.warn (the CLI and the offline preview show it)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="offline-preview"):
        run_stack(values, previous=previous, **kw)
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# --- one link state ------------------------------------------------------------------


def test_the_ports_output_is_the_link_state_with_its_version(live):
    ports = unwrap(live.stack_outputs["ports"])
    assert ports["port-a"]["linkStateVersion"] == ls.LINK_STATE_VERSION
    fields = {field.name for field in ls.FIELDS}
    assert set(ports["port-a"]["links"]["link1"]) == fields | SECRET_FIELDS
    # The component package's schema type describes the same fields.
    assert set(typing.get_type_hints(PortLinkState)) == fields | SECRET_FIELDS


def test_port_settings_sent_to_azure_come_from_the_link_state(live):
    links = plain_inputs(one(live, "ExpressRoutePort"))["links"]
    state = unwrap(live.stack_outputs["ports"])["port-a"]["links"]
    for link in links:
        assert link["adminState"] == state[link["name"]]["adminState"]
        assert link["macSecConfig"]["cipher"] == state[link["name"]]["cipher"]
        assert link["macSecConfig"]["sciState"] == state[link["name"]]["sciState"]


def test_a_new_link_field_compares_as_its_default_on_an_unchanged_live_port(live, monkeypatch):
    """The last deployment was made before the field existed: an unchanged port is not refused."""
    new = ls.LinkField("fecMode", lambda port, link, source: "Off", default="Off")
    monkeypatch.setattr(ls, "FIELDS", ls.FIELDS + (new,))
    run = run_stack(base_config(), previous=live)
    assert unwrap(run.stack_outputs["ports"])["port-a"]["links"]["link1"]["fecMode"] == "Off"
    text = plan(base_config(), live)
    assert "  link1: no change (not disruptive)" in text and "  link2: no change (not disruptive)" in text
    # A value other than the default is a change, on both links: the field is compared.
    monkeypatch.setattr(ls, "FIELDS", ls.FIELDS[:-1] + (ls.LinkField("fecMode", lambda *_: "On", default="Off"),))
    assert "link1: fecMode Off -> On; link2: fecMode Off -> On" in refused(base_config(), live)


def test_an_output_from_before_the_version_compares_missing_fields_as_defaults(live):
    def older(ports):
        del ports["port-a"]["linkStateVersion"]
        for link in ports["port-a"]["links"].values():
            del link["sciState"]  # its default, Disabled, is what BASE applies

    run = run_stack(base_config(), previous=with_ports(live, older))
    assert find(run, "ExpressRoutePort")


def test_a_deployment_by_a_newer_program_is_refused(live):
    message = refused(base_config(), with_ports(live, lambda ports: ports["port-a"].update(linkStateVersion=2)))
    assert ("port 'port-a' was last deployed by a newer version of this program (link state version 2; "
            "this one knows up to 1)") in message


def test_a_ports_output_of_another_shape_is_refused(live):
    message = refused(base_config(), with_ports(live, lambda ports: ports["port-a"].pop("links")))
    assert "`ports` output for port 'port-a' is not in the shape this program writes" in message


def test_the_preview_summary_reads_the_link_state(tmp_path):
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--stack", "dev"],
                            cwd=PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert ("  link1: MACsec on, cipher GcmAes256, SCI Disabled, admin Enabled, key generation 1 (generated), "
            "secrets er-direct-ams-dev-link1-cak / er-direct-ams-dev-link1-ckn") in result.stdout


# --- the last deployment must be readable ----------------------------------------------


def test_an_unreadable_stack_reference_refuses_with_the_fix(monkeypatch):
    """The engine fails a stack reference it cannot resolve (e.g. a DIY backend in the legacy
    layout); the program turns any failure to read into a refusal that names the fix."""
    def unresolvable(name, *args, **kwargs):
        raise Exception(f"unknown stack {name}")

    monkeypatch.setattr(pulumi, "StackReference", unresolvable)
    message = refused(base_config(), None)
    assert message.startswith("MACsec change guard: cannot read the last deployment through the stack reference "
                              "organization/expressroute-encryption/test (unknown stack")
    assert "pulumi state upgrade" in message and "nothing was deployed" in message


def test_outputs_without_ports_are_refused_not_a_first_deployment(live):
    outputs = {k: v for k, v in live.stack_outputs.items() if k != "ports"}
    message = refused(base_config(), ProgramRun(stack_outputs=outputs))
    assert "has outputs but no `ports` output" in message


def test_a_ports_output_that_cannot_be_read_is_refused(live):
    message = refused(base_config(), ProgramRun(stack_outputs={**live.stack_outputs, "ports": "[secret]"}))
    assert "has a `ports` output that cannot be read" in message


class RpcError(grpc.RpcError):
    def __init__(self, code, details=""):
        self._code, self._details = code, details

    def code(self):
        return self._code

    def details(self):
        return self._details


@pytest.mark.parametrize("error,reason", [
    (RpcError(grpc.StatusCode.UNIMPLEMENTED), "does not support the `RequirePulumiVersion` RPC"),
    (RpcError(grpc.StatusCode.UNKNOWN, 'CLI version 3.100.0 does not satisfy the version range ">=3.112.0"'),
     "does not satisfy"),
])
def test_an_old_pulumi_cli_is_refused_with_the_fix(monkeypatch, error, reason):
    def require(self, request):
        raise error

    monkeypatch.setattr(OfflineEngine, "RequirePulumiVersion", require)
    message = refused(base_config(), None)
    assert message.startswith("MACsec change guard: ") and reason in message
    assert "Pulumi CLI 3.112.0 or later" in message and "requirements.txt" in message


# --- a PREVIOUS export must be this stack's, and readable ------------------------------


def export_file(tmp_path, outputs, urn="urn:pulumi:dev::expressroute-encryption::pulumi:pulumi:Stack::x",
                resources=(), provider=None):
    path = tmp_path / "previous.json"
    path.write_text(json.dumps({"version": 3, "deployment": {
        "secrets_providers": provider or {"type": "service"},
        "resources": [{"urn": urn, "type": "pulumi:pulumi:Stack", "outputs": outputs}, *resources],
    }}))
    return path


def test_an_export_of_another_stack_or_project_is_refused_naming_both(tmp_path):
    path = export_file(tmp_path, {}, urn="urn:pulumi:prod::other-project::pulumi:pulumi:Stack::x")
    with pytest.raises(PreviousError) as info:
        load_previous(path, "dev", "expressroute-encryption")
    assert (f"{path} is an export of stack 'prod' of project 'other-project', not of stack 'dev' of project "
            "'expressroute-encryption'") in str(info.value)


def test_the_cli_refuses_an_export_of_another_stack(tmp_path):
    path = export_file(tmp_path, {}, urn="urn:pulumi:prod::expressroute-encryption::pulumi:pulumi:Stack::x")
    for command in ("preview", "rotation-plan"):
        result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", command, "--stack", "dev",
                                 "--previous", str(path)], cwd=PROJECT_DIR, capture_output=True, text=True)
        assert result.returncode == 2, (command, result.stdout)
        assert "is an export of stack 'prod' of project 'expressroute-encryption', not of stack 'dev'" in result.stderr


def test_an_export_whose_ports_output_cannot_be_decrypted_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    sealed = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}
    with pytest.raises(PreviousError) as info:
        load_previous(export_file(tmp_path, {"ports": sealed}), "dev", "expressroute-encryption")
    assert "the `ports` output is secret and cannot be decrypted offline" in str(info.value)


def test_an_export_with_ports_but_no_ports_output_is_refused(tmp_path):
    port_resource = {"urn": "urn:pulumi:dev::expressroute-encryption::azure-native:network:ExpressRoutePort::p",
                     "type": "azure-native:network:ExpressRoutePort"}
    with pytest.raises(PreviousError) as info:
        load_previous(export_file(tmp_path, {}, resources=[port_resource]), "dev", "expressroute-encryption")
    assert "holds ExpressRoute Direct ports but no `ports` output" in str(info.value)
    # A stack that was never deployed is still a first deployment.
    assert load_previous(export_file(tmp_path, {}), "dev", "expressroute-encryption").outputs == {}


# --- removing a live port or a circuit with peerings -----------------------------------


@pytest.fixture(scope="module")
def two_ports():
    return run_stack(base_config(ports=[port(circuits=[circuit()]), port(name="port-b", stage="encrypted")]))


@pytest.mark.parametrize("kept,name", [("port-a", "port-b"), ("port-b", "port-a")])
def test_removing_a_live_port_is_refused_without_decommission(two_ports, kept, name):
    remaining = [p for p in (port(circuits=[circuit()]), port(name="port-b", stage="encrypted"))
                 if p["name"] == kept]
    message = refused(base_config(ports=remaining), two_ports)
    assert f"port '{name}' was" in message and f"decommission (- port: {name})" in message


def test_a_decommission_entry_allows_the_removal(two_ports):
    run = run_stack(base_config(ports=[port(circuits=[circuit()])], decommission=[{"port": "port-b"}]),
                    previous=two_ports)
    assert {r.name for r in find(run, "ExpressRoutePort")} == {"port-a"}


def test_removing_a_circuit_with_peerings_needs_decommission(two_ports):
    ports = [port(), port(name="port-b", stage="encrypted")]
    message = refused(base_config(ports=ports), two_ports)
    assert "circuit 'ckt-1' has peerings (AzurePrivatePeering)" in message
    assert "decommission (- circuit: ckt-1)" in message
    run = run_stack(base_config(ports=ports, decommission=[{"circuit": "ckt-1"}]), previous=two_ports)
    assert not find(run, "ExpressRouteCircuit")


def test_a_reserved_port_may_be_removed():
    run = run_stack(base_config(), previous=run_stack(base_config(ports=[port(), port(name="port-b", stage="reserved")])))
    assert {r.name for r in find(run, "ExpressRoutePort")} == {"port-a"}


def test_a_decommission_entry_left_over_is_named(caplog, live):
    warnings = warnings_of(caplog, base_config(decommission=[{"port": "port-old"}]), live)
    assert any(w.startswith("decommission[0]: port 'port-old' is not removed by this update") for w in warnings)


def test_a_decommission_entry_names_one_port_or_circuit():
    from tests.helpers import problems

    found = problems(base_config(decommission=[{"port": "a", "circuit": "b"}, {}]))
    assert found == [
        "decommission[0].circuit: give exactly one of port: <port name> or circuit: <circuit name>",
        "decommission[1].circuit: give exactly one of port: <port name> or circuit: <circuit name>",
    ]


# --- messages that advise only what is possible ----------------------------------------


def test_taking_a_live_port_out_of_service_does_not_advise_one_link_at_a_time(live):
    message = refused(base_config(ports=[port(stage="encrypted")]), live)
    assert "ports[0].stage: port 'port-a' is active and stage encrypted admin-disables both links at once" in message
    assert "cannot be done one link at a time" in message and "first only link1" not in message
    assert "ports[0].macsec.allowBothLinks: true for this one deployment and back to false afterwards" in message


def test_switching_a_live_port_to_bring_your_own_keys_is_named(caplog, live):
    keys = {"port-a": {link: {"cak": BYO_CAK, "ckn": BYO_CKN} for link in ("link1", "link2")}}
    message = refused(base_config(macsecKeys=keys), live, secret_keys=("macsecKeys",))
    assert "port 'port-a' is active and switches from generated to bringYourOwn keys" in message
    assert "first only link1" not in message
    values = base_config(ports=[port(macsec=macsec(allowBothLinks=True))], macsecKeys=keys)
    warnings = warnings_of(caplog, values, live, secret_keys=("macsecKeys",))
    assert any("port 'port-a' switches from generated to bringYourOwn keys while active" in w for w in warnings)
    assert "switches from generated to bringYourOwn keys while active" in plan(values, live)
    assert not any(BYO_CAK in w or BYO_CKN in w for w in warnings)


def test_a_generation_jump_is_named(caplog, live):
    values = base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 3}))])
    expected = ("ports[0].macsec.keyGeneration.link1: jumps from 1 to 3: only generations 2 and 3 are kept, so "
                "moving back to 1 would not restore the key your router has now")
    assert any(w.startswith(expected) for w in warnings_of(caplog, values, live))
    assert expected in plan(values, live)


def test_allow_both_links_left_on_is_named(caplog, live):
    values = base_config(ports=[port(macsec=macsec(allowBothLinks=True, keyGeneration={"link1": 2}))])
    expected = "ports[0].macsec.allowBothLinks: true, but this update does not change both links"
    assert any(w.startswith(expected) for w in warnings_of(caplog, values, live))
    assert expected in plan(values, live)
    after_outage = run_stack(base_config(ports=[port(macsec=macsec(allowBothLinks=True))]))
    assert any(w.startswith("ports[0].macsec.allowBothLinks: still true from the last deployment")
               for w in warnings_of(caplog, base_config(ports=[port(macsec=macsec(allowBothLinks=True))]),
                                    after_outage))


def runbook(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()[:2] in {f"{n}." for n in range(1, 9)}]


def test_a_refused_plan_gives_no_runbook_for_the_refused_port(live):
    text = plan(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2, "link2": 2}))]), live)
    assert "  no runbook: this change is refused (see below)" in text and not runbook(text)


def test_the_runbook_of_an_sci_change_loads_no_new_keys(live):
    steps = runbook(plan(base_config(ports=[port(macsec=macsec(link1={"sciState": "Enabled"}))]), live))
    assert steps[2] == "3. set sciState Enabled on your router's link1 MACsec (the CAK/CKN stay the same)"
    assert not any("load the new" in step or "macsecKeys" in step for step in steps)


def test_the_runbook_of_a_cipher_change_that_changes_the_key_length_loads_new_keys(live):
    steps = runbook(plan(base_config(ports=[port(macsec=macsec(link1={"cipher": "GcmAes128"}))]), live))
    assert steps[2].startswith("3. load the new MACsec settings on your router's link1")


def test_the_runbook_of_an_admin_state_change_loads_no_new_keys(live):
    text = plan(base_config(ports=[port(stage="encrypted", macsec=macsec(allowBothLinks=True))]), live)
    steps = runbook(text)
    assert "runbook for link1 and link2 (one deployment):" in text
    assert "leave your router's link1 MACsec as it is (no new keys): Azure sets the link's admin state to Disabled" \
        in " ".join(steps)
    assert not any("load the new" in step for step in steps)
    assert not any("only link1" in step for step in steps)
