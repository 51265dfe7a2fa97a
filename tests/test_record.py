"""record.py: the last-deployment record the guard writes into the stack outputs, and how it
is read back, failing closed, on ``pulumi up`` (a stack reference to the stack itself) and
offline (a ``pulumi stack export``)."""

from __future__ import annotations

import json
import typing

import grpc
import pulumi
import pytest

from expressroute_encryption import link_state as ls
from expressroute_encryption.direct_port import PortLinkState
from expressroute_encryption.offline.harness import ProgramRun
from expressroute_encryption.offline.previous import PreviousError, load_previous
from expressroute_encryption.offline.harness import OfflineEngine
from expressroute_encryption.offline.wire import is_secret, unwrap
from expressroute_encryption.record import GUARD_OUTPUTS, Previous
from tests.helpers import PROJECT_DIR, base_config, byo, cli, refused, run_stack, with_ports

SECRET_FIELDS = {"cakSecretName", "cknSecretName", "cakSecretUri", "cknSecretUri"}


# --- what a deployment records ----------------------------------------------------------


def test_the_ports_output_is_the_link_state_with_its_version(live):
    ports = unwrap(live.stack_outputs["ports"])
    assert ports["port-a"]["linkStateVersion"] == ls.LINK_STATE_VERSION
    fields = {field.name for field in ls.FIELDS}
    assert set(ports["port-a"]["links"]["link1"]) == fields | SECRET_FIELDS
    # The component package's schema type describes the same fields.
    assert set(typing.get_type_hints(PortLinkState)) == fields | SECRET_FIELDS


def test_every_output_the_guard_reads_back_is_written(live_byo):
    """What the program exports is what the guard reads: nothing it reads is missing, and
    each output fills its field of the record."""
    outputs = unwrap(live_byo.stack_outputs)
    assert set(GUARD_OUTPUTS) <= set(outputs)
    previous = Previous.from_outputs(outputs)
    for key, field in GUARD_OUTPUTS.items():
        assert getattr(previous, field) == outputs[key], key
    assert previous.port("port-a")["stage"] == "active" and set(previous.links("port-a")) == {"link1", "link2"}
    assert previous.key_vault == {"purgeProtection": True, "softDeleteRetentionDays": 90}


def test_byo_fingerprints_are_secret_and_follow_the_key(live_byo, dev_run):
    prints = live_byo.stack_outputs["macsecKeyFingerprints"]
    assert is_secret(prints)
    before = unwrap(prints)["port-a"]
    changed = run_stack(base_config(macsecKeys=byo(link2_cak="ab" * 32)), secret_keys=("macsecKeys",))
    now = unwrap(changed.stack_outputs["macsecKeyFingerprints"])["port-a"]
    assert now["link1"] == before["link1"] and now["link2"] != before["link2"]
    assert "macsecKeyFingerprints" not in dev_run.stack_outputs


# --- a record the guard cannot compare with is refused ----------------------------------


def test_a_deployment_by_a_newer_program_is_refused(live):
    message = refused(base_config(), with_ports(live, lambda ports: ports["port-a"].update(linkStateVersion=2)))
    assert ("port 'port-a' was last deployed by a newer version of this program (link state version 2; "
            "this one knows up to 1)") in message


def test_a_ports_output_of_another_shape_is_refused(live):
    message = refused(base_config(), with_ports(live, lambda ports: ports["port-a"].pop("links")))
    assert "`ports` output for port 'port-a' is not in the shape this program writes" in message


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


# --- offline: a PREVIOUS export must be this stack's, and readable ----------------------


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


def test_the_cli_refuses_an_export_of_another_stack(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(PROJECT_DIR)
    path = export_file(tmp_path, {}, urn="urn:pulumi:prod::expressroute-encryption::pulumi:pulumi:Stack::x")
    for command in ("preview", "rotation-plan"):
        code, out, err = cli(capsys, command, "--stack", "dev", "--previous", str(path))
        assert code == 2, (command, out)
        assert "is an export of stack 'prod' of project 'expressroute-encryption', not of stack 'dev'" in err


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


def test_unreadable_previous_file_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(PROJECT_DIR)
    bad = tmp_path / "previous.json"
    bad.write_text("{not json")
    code, _, err = cli(capsys, "preview", "--previous", str(bad))
    assert code == 2
    assert err.strip() == f"error: previous deployment: {bad}: not a `pulumi stack export` file"


def test_a_previous_export_the_guard_cannot_compare_with_is_bad_input_for_the_plan_too(tmp_path, capsys, monkeypatch):
    """The preview and the plan agree: an unusable PREVIOUS is exit 2, not a refused change."""
    monkeypatch.chdir(PROJECT_DIR)
    bad = tmp_path / "previous.json"
    bad.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": [{
        "urn": "urn:pulumi:dev::expressroute-encryption::pulumi:pulumi:Stack::expressroute-encryption-dev",
        "type": "pulumi:pulumi:Stack", "outputs": {"ports": {"er-direct-ams-dev": {"links": "x"}}}}]}}))
    for command in ("rotation-plan", "preview"):
        code, _, err = cli(capsys, command, "--previous", str(bad))
        assert code == 2, (command, err)
        assert "cannot compare" in err
