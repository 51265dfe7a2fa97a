"""direct_port.py: the guard comes with ``EncryptedDirectPort``. A program that builds the port
itself hands it its entry of the last deployment's record (``last_deployment``) and gets the
stack program's refusals, with the paths of its own arguments, and the runbook in its log; a
port past ``reserved`` without a record is refused (fail closed); while adopting, the port
compares with Azure's links and records them. Used from another program's code (with
``MacsecKeyVault``): secure defaults, the same argument validation, bring-your-own keys checked
when they resolve and kept secret, the warning about a CAK on both links; and a reserved port is
created without link settings."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pulumi
import pytest

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.offline import wire
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import AzureMocks, SUBSCRIPTION_ID
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import BYO_CAK, BYO_CKN, base_config, cli, find, live_port, one, plain_inputs, port, project_copy, up


PROGRAM = """
import pulumi
from expressroute_encryption import EncryptedDirectPort
from expressroute_encryption.record import export_port_records, read_last_deployment


async def main():
    %(read)s
    port = EncryptedDirectPort("edge", {
        "resource_group_name": "rg-app",
        "vault_name": "kv-app-macsec",
        "identity_id": "/subscriptions/%(sub)s/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id",
        "name": "edge-ams",
        "peering_location": "Equinix-Amsterdam-AM5",
        "bandwidth_in_gbps": 100,
        "encapsulation": "Dot1Q",
        "billing_type": "UnlimitedData",
        "stage": %(stage)r,
        "macsec": %(macsec)s,
        %(record)s
        %(extra)s
    })
    export_port_records({"edge-ams": port})


pulumi.run(main)
"""
RECORD = '**previous.component_args("edge-ams"),'
READ = "previous = await read_last_deployment()"
# The record as a program in another language has it: the stack outputs of a stack reference to itself.
SELF = 'pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")'
OUTPUTS = f'"last_deployment_outputs": {SELF}.outputs,'
ADOPTED = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-app/providers/Microsoft.Network/expressRoutePorts/edge-ams"


def write_program(tmp_path, *, stage="active", macsec='{"cipher": "GcmAesXpn256"}', record=RECORD, extra="",
                  read=None) -> Path:
    read = read or (READ if record == RECORD else "pass")
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM % {
        "sub": SUBSCRIPTION_ID, "stage": stage, "macsec": macsec, "record": record, "extra": extra, "read": read}))
    return tmp_path


def program(tmp_path, *, previous=None, up=False, live=None, mocks=AzureMocks, **kw):
    write_program(tmp_path, **kw)
    return run_program(tmp_path, "platform-app", "prod", {}, [], dry_run=not up, mocks=mocks(
        previous_outputs=previous.stack_outputs if previous else None, live_ports=live))


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """The program's deployment of an active port (its record in the stack outputs)."""
    return program(tmp_path_factory.mktemp("first"))


def refusal(tmp_path, **kw) -> str:
    with pytest.raises(ConfigError) as info:
        program(tmp_path, **kw)
    return str(info.value)


def test_the_record_the_program_exports_is_the_stack_programs_shape(deployed):
    record = unwrap(deployed.stack_outputs["ports"])["edge-ams"]
    assert set(record) == {"id", "stage", "linkStateVersion", "allowBothLinks", "links"}
    assert record["stage"] == "active" and record["links"]["link1"]["keyGeneration"] == 1


def test_both_links_of_an_active_port_are_refused_from_code(tmp_path, deployed):
    message = refusal(tmp_path, macsec='{"cipher": "GcmAesXpn256", "key_generation": {"link1": 2, "link2": 2}}',
                      previous=deployed)
    lines = message.splitlines()
    assert lines[0] == "EncryptedDirectPort 'edge': 1 problem; nothing was deployed:"
    assert lines[1].strip().startswith(
        "macsec: port 'edge-ams' is active and this update changes MACsec on both link1 and link2 "
        "(link1: keyGeneration 1 -> 2; link2: keyGeneration 1 -> 2)")
    assert "set macsec.allow_both_links: true" in lines[1]


def test_taking_the_port_out_of_service_from_code_is_refused(tmp_path, deployed):
    assert "stage: port 'edge-ams' is active and stage encrypted admin-disables both links at once" in refusal(
        tmp_path, stage="encrypted", previous=deployed)


def test_one_link_from_code_passes_and_logs_its_runbook(tmp_path, deployed, caplog):
    with caplog.at_level(logging.WARNING, logger="offline-preview"):
        run = program(tmp_path, macsec='{"cipher": "GcmAesXpn256", "key_generation": {"link1": 2}}',
                      previous=deployed)
    assert find(run, "RandomBytes", "edge-link1-cak-gen2")
    (warning,) = [r.getMessage() for r in caplog.records if "runbook" in r.getMessage()]
    assert warning.startswith("EncryptedDirectPort 'edge': this deployment changes MACsec on port 'edge-ams' "
                              "(link1: keyGeneration 1 -> 2): DISRUPTIVE")
    assert "  runbook for link1:" in warning and "read link1's new CAK/CKN" in warning
    # The component does not know the stack's alerts: it names none.
    assert "if your stack has alerts on these metrics, wait until they have resolved" in warning


def test_a_port_past_reserved_without_its_record_is_refused(tmp_path):
    message = refusal(tmp_path, record="")
    assert message.splitlines()[1].strip().startswith(
        "last_deployment: required at stage active: the change guard compares this deployment with the port's "
        "entry of the last deployment's record")
    assert '**previous.component_args("edge-ams")' in message
    # Reserved: nothing is applied to the links, so nothing to compare.
    assert find(program(tmp_path, stage="reserved", record=""), "network:ExpressRoutePort")


def test_a_record_the_guard_cannot_read_is_refused(tmp_path):
    message = refusal(tmp_path, record='"last_deployment": {"stage": "active"},')
    assert "the last deployment's `ports` output for port 'edge-ams' is not in the shape this program writes" in message


def test_pulumi_up_refuses_a_new_port_past_reserved_from_code(tmp_path):
    message = refusal(tmp_path, stage="encrypted", up=True)
    assert "stage: port 'edge-ams' is new and would be created at stage encrypted" in message
    assert find(program(tmp_path, stage="reserved", up=True), "network:ExpressRoutePort")


def test_adopting_from_code_compares_with_azure_and_records_it(tmp_path):
    azure = live_port("edge-ams")  # live, admin-enabled, no MACsec
    extra = f'"import_id": "{ADOPTED}",'
    off = '{"cipher": "GcmAesXpn256", "link1": {"enabled": False}, "link2": {"enabled": False}}'
    message = refusal(tmp_path, stage="encrypted", macsec=off, extra=extra, live={"edge-ams": azure})
    assert "macsec: port 'edge-ams' is adopted by this deployment and the config changes its links from what " \
           "Azure has (link1: adminState Enabled -> Disabled; link2: adminState Enabled -> Disabled)" in message
    run = program(tmp_path, stage="active", macsec=off, extra=extra, live={"edge-ams": azure})
    assert one(run, "network:ExpressRoutePort").ignore_changes == ["identity", "links"]
    links = unwrap(run.stack_outputs["ports"])["edge-ams"]["links"]
    assert [(links[n]["macsecEnabled"], links[n]["adminState"]) for n in ("link1", "link2")] == [(False, "Enabled")] * 2


def test_adopting_from_code_without_an_answer_from_azure_is_refused(tmp_path):
    message = refusal(tmp_path, extra=f'"import_id": "{ADOPTED}",', live={})
    assert "import_id: the port to adopt could not be read from Azure" in message


def show_secrets_export(run, path: Path) -> Path:
    """The run's stack outputs as `pulumi stack export --show-secrets` writes them."""
    outputs = {name: ({wire.SECRET_SIG: wire.SECRET_VALUE, "plaintext": json.dumps(unwrap(value))}
                      if wire.is_secret(value) else value) for name, value in run.stack_outputs.items()}
    path.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "secrets_providers": {"type": "service"},
                                "resources": [{"urn": "urn:pulumi:prod::platform-app::pulumi:pulumi:Stack::platform-app-prod",
                                               "type": "pulumi:pulumi:Stack", "custom": False, "outputs": outputs}]}}))
    return path


def test_a_bring_your_own_key_changed_without_its_generation_is_refused_from_code(tmp_path):
    keys = ('"keys": {"link1": {"cak": pulumi.Output.secret(%r), "ckn": pulumi.Output.secret(%r)}, '
            '"link2": {"cak": pulumi.Output.secret(%r), "ckn": pulumi.Output.secret(%r)}},')
    first = program(tmp_path, extra=keys % (BYO_CAK, BYO_CKN, BYO_CAK, BYO_CKN))
    prints = unwrap(first.stack_outputs["macsecKeyFingerprints"])["edge-ams"]
    assert set(prints) == {"link1", "link2"} and BYO_CAK not in str(prints)
    assert wire.is_secret(first.stack_outputs["macsecKeyFingerprints"])
    # The refusal happens when the keys resolve, so the run fails half-way: in a process of its own,
    # as the SDK leaves a failed program's pending tasks behind.
    new_cak = "ab" * 32
    write_program(tmp_path, extra=keys % (new_cak, BYO_CKN, BYO_CAK, BYO_CKN))
    (tmp_path / "Pulumi.yaml").write_text("name: platform-app\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--project-dir",
                             str(tmp_path), "--stack", "prod", "--previous",
                             str(show_secrets_export(first, tmp_path / "previous.json"))],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert ("  macsec.key_generation.link1: the bring-your-own key of link1 changed but its keyGeneration is still 1; "
            "raise it to 2") in result.stderr
    assert new_cak not in result.stdout + result.stderr and BYO_CAK not in result.stdout + result.stderr


# ---------------------------------------------------------------------------
# The record as an Output (last_deployment_outputs): what a program in another language has


BOTH = '{"cipher": "GcmAesXpn256", "key_generation": {"link1": 2, "link2": 2}}'
LINK1 = '{"cipher": "GcmAesXpn256", "key_generation": {"link1": 2}}'
BYO_KEYS = ('"keys": {"link1": {"cak": pulumi.Output.secret(%r), "ckn": pulumi.Output.secret(%r)}, '
            '"link2": {"cak": pulumi.Output.secret(%r), "ckn": pulumi.Output.secret(%r)}},')


class RecordingMocks(AzureMocks):
    """The mocks, also noting every resource registered, so that a run that fails still shows them."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.registered: list[tuple[str, str]] = []

    def new_resource(self, args):
        self.registered.append((args.typ, args.name))
        return super().new_resource(args)


def recording(**kw) -> RecordingMocks:
    recording.last = RecordingMocks(**kw)
    return recording.last


def registrations(mocks) -> list[str]:
    """The types the last run with ``recording`` mocks registered (the stack references it read aside)."""
    return [kind for kind, _ in mocks.last.registered if kind != "pulumi:pulumi:StackReference"]


def registered(run) -> list[tuple]:
    """Everything the engine receives of each resource, in an order that does not depend on timing."""
    return sorted((r.urn, r.type, r.parent, r.protect, sorted(r.dependencies), repr(r.inputs), r.import_id,
                   r.ignore_changes, r.additional_secret_outputs) for r in run.resources)


def warnings_of(caplog, run) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="offline-preview"):
        result = run()
    return result, sorted(r.getMessage() for r in caplog.records)


@pytest.fixture(scope="module")
def deployed_byo(tmp_path_factory, deployed):
    """The program's deployment of the active port with bring-your-own keys (fingerprints in its record)."""
    return program(tmp_path_factory.mktemp("byo"), extra=BYO_KEYS % (BYO_CAK, BYO_CKN, BYO_CAK, BYO_CKN))


@pytest.mark.parametrize("case", ["first deployment", "one link", "bring-your-own keys"])
def test_the_record_as_an_output_registers_what_the_plain_record_registers(tmp_path, caplog, deployed, deployed_byo,
                                                                           case):
    kw = {
        "first deployment": {"stage": "reserved"},
        "one link": {"macsec": LINK1, "previous": deployed},
        "bring-your-own keys": {"macsec": LINK1, "previous": deployed_byo,
                                "extra": BYO_KEYS % ("cd" * 32, BYO_CKN, BYO_CAK, BYO_CKN)},
    }[case]
    plain, plain_warnings = warnings_of(caplog, lambda: program(tmp_path, **kw))
    given, given_warnings = warnings_of(caplog, lambda: program(tmp_path, record=OUTPUTS, **kw))
    assert registered(given) == registered(plain) and find(given, "network:ExpressRoutePort")
    assert given.stack_outputs == plain.stack_outputs
    assert given_warnings == plain_warnings
    if case == "one link":
        assert any("runbook for link1" in warning for warning in given_warnings)


def test_a_refused_change_as_an_output_registers_no_child_and_says_what_the_plain_record_says(tmp_path, deployed):
    with pytest.raises(pulumi.RunError) as info:  # the engine prints a RunError's message, no traceback
        program(tmp_path, macsec=BOTH, record=OUTPUTS, previous=deployed, mocks=recording)
    assert str(info.value) == refusal(tmp_path, macsec=BOTH, previous=deployed)
    assert "macsec: port 'edge-ams' is active and this update changes MACsec on both link1 and link2" in str(info.value)
    assert registrations(recording) == ["expressroute-encryption:index:EncryptedDirectPort"]


def test_a_bring_your_own_key_changed_without_its_generation_is_refused_from_the_output(tmp_path, deployed_byo):
    with pytest.raises(pulumi.RunError) as info:
        program(tmp_path, record=OUTPUTS, previous=deployed_byo, extra=BYO_KEYS % ("ab" * 32, BYO_CKN, BYO_CAK, BYO_CKN))
    assert ("  macsec.key_generation.link1: the bring-your-own key of link1 changed but its keyGeneration is still 1; "
            "raise it to 2") in str(info.value)
    assert "ab" * 32 not in str(info.value)


def project(tmp_path: Path, run=None) -> list[str]:
    """The project files the offline preview reads, and its --previous argument for ``run``."""
    (tmp_path / "Pulumi.yaml").write_text("name: platform-app\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    return ["--previous", str(show_secrets_export(run, tmp_path / "previous.json"))] if run else []


def test_the_offline_preview_prints_the_refusal_of_the_output_record_as_problem_lines(capsys, tmp_path, deployed):
    previous = project(tmp_path, deployed)
    write_program(tmp_path, macsec=BOTH)
    code, out, plain = cli(capsys, "preview", "--project-dir", str(tmp_path), "--stack", "prod", *previous)
    assert code == 2
    write_program(tmp_path, macsec=BOTH, record=OUTPUTS)
    code, out, err = cli(capsys, "preview", "--project-dir", str(tmp_path), "--stack", "prod", *previous)
    assert code == 2 and err == plain
    assert plain.splitlines()[:2] == [
        "EncryptedDirectPort 'edge': 1 problem; nothing was deployed:",
        "  macsec: port 'edge-ams' is active and this update changes MACsec on both link1 and link2 (link1: "
        "keyGeneration 1 -> 2; link2: keyGeneration 1 -> 2), which would drop both links at once. Change one link per "
        "deployment: first only link1 (move traffic to link2, update the router's link1, pulumi up, check the MACsec "
        "session), then link2 the same way; or, for a planned full outage, set macsec.allow_both_links: true"]
    assert "bug in the tool" not in out + err and "Traceback" not in err


def test_a_record_unknown_during_the_preview_is_refused(tmp_path):
    # An Output whose value is not known yet, as one computed from a resource this deployment creates.
    unknown = ("import asyncio; value, known = asyncio.Future(), asyncio.Future(); "
               "value.set_result(None); known.set_result(False)")
    with pytest.raises(pulumi.RunError) as info:
        program(tmp_path, read=unknown, record='"last_deployment_outputs": pulumi.Output(set(), value, known),',
                mocks=recording)
    assert str(info.value).splitlines()[1].startswith(
        "  last_deployment_outputs: has no value (it is unknown during this preview, or resolved to nothing), so the "
        "change guard cannot compare this deployment with the last one")
    assert registrations(recording) == ["expressroute-encryption:index:EncryptedDirectPort"]


class Outputs:
    """A last deployment given by its stack outputs."""

    def __init__(self, **outputs) -> None:
        self.stack_outputs = outputs


def test_the_output_record_is_read_as_the_stack_program_reads_its_own(tmp_path, deployed):
    # No outputs at all: a first deployment, so a new port past reserved is refused on `pulumi up` only.
    assert find(program(tmp_path, record=OUTPUTS), "network:ExpressRoutePort")
    with pytest.raises(pulumi.RunError) as info:
        program(tmp_path, record=OUTPUTS, up=True)
    assert "stage: port 'edge-ams' is new and would be created at stage active" in str(info.value)
    # Outputs without a `ports` output: lost, never "none".
    with pytest.raises(pulumi.RunError) as info:
        program(tmp_path, record=OUTPUTS, previous=Outputs(circuits={}))
    assert "last_deployment_outputs: the last deployment has outputs but no `ports` output" in str(info.value)
    # An entry the guard cannot compare with.
    with pytest.raises(pulumi.RunError) as info:
        program(tmp_path, record=OUTPUTS, previous=Outputs(ports={"edge-ams": {"stage": "active"}}))
    assert "the last deployment's `ports` output for port 'edge-ams' is not in the shape" in str(info.value)
    # Fingerprints that are not a secret.
    with pytest.raises(pulumi.RunError) as info:
        program(tmp_path, record=OUTPUTS, previous=Outputs(
            ports=unwrap(deployed.stack_outputs["ports"]), macsecKeyFingerprints={"edge-ams": {"link1": "00"}}))
    assert "last_deployment_outputs: holds the `macsecKeyFingerprints` output: a plain value would be stored" in str(
        info.value)


def test_adopting_with_the_output_record_is_said_and_compared_with_azure(tmp_path):
    azure = {"edge-ams": live_port("edge-ams")}  # live, admin-enabled, no MACsec
    off = '{"cipher": "GcmAesXpn256", "link1": {"enabled": False}, "link2": {"enabled": False}}'
    with pytest.raises(pulumi.RunError) as info:
        program(tmp_path, macsec=off, record=OUTPUTS, extra=f'"import_id": "{ADOPTED}",', live=azure)
    assert ("adopting: port 'edge-ams' is not in the last deployment's `ports` output and has an import_id, so this "
            "deployment adopts it: set adopting: true") in str(info.value)
    adopt = f'"import_id": "{ADOPTED}", "adopting": True,'
    plain = program(tmp_path, macsec=off, extra=adopt, live=azure)
    given = program(tmp_path, macsec=off, record=OUTPUTS, extra=adopt, live=azure)
    assert registered(given) == registered(plain)
    assert one(given, "network:ExpressRoutePort").ignore_changes == ["identity", "links"]
    assert given.stack_outputs == plain.stack_outputs


def test_the_record_is_given_one_way(tmp_path):
    message = refusal(tmp_path, record=f'"last_deployment": {{}}, {OUTPUTS}')
    assert "  last_deployment: not with last_deployment_outputs, which holds the port's record and fingerprints " \
           "already: give one of them" in message
    message = refusal(tmp_path, record=f'"last_deployment": {SELF}.get_output("ports"),')
    assert "pass the whole stack outputs of a stack reference to this stack as last_deployment_outputs" in message


# Another language's program, as the engine hands it to the component package: camelCase
# arguments, the stack reference's outputs as an Output, and the record exported from the
# component's `record` output (YAML: `ports: {edge-ams: ${port.record}}`).
PACKAGE = """
import pulumi
from pulumi.provider.experimental.component import ComponentProvider
from expressroute_encryption.provider import COMPONENTS, NAMESPACE
from expressroute_encryption.tokens import PACKAGE_NAME

provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, NAMESPACE, "0.0.0")
me = pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}")
port = provider.construct("edge", PACKAGE_NAME + ":index:EncryptedDirectPort", {
    "resourceGroupName": "rg-app", "vaultName": "kv-app-macsec", "identityId": "id", "name": "edge-ams",
    "peeringLocation": "Equinix-Amsterdam-AM5", "bandwidthInGbps": 100.0, "encapsulation": "Dot1Q",
    "billingType": "UnlimitedData", "stage": %(stage)r, "macsec": %(macsec)s,
    "lastDeploymentOutputs": me.outputs,
}, pulumi.ResourceOptions()).state
pulumi.export("ports", {"edge-ams": port["record"]})
"""


def package_program(tmp_path, stage, macsec='{"cipher": "GcmAesXpn256"}', previous=None, up=True):
    (tmp_path / "__main__.py").write_text(PACKAGE % {"stage": stage, "macsec": macsec})
    return run_program(tmp_path, "platform-app", "prod", {}, [], dry_run=not up,
                       mocks=AzureMocks(previous_outputs=previous.stack_outputs if previous else None))


def test_a_program_in_another_language_takes_its_port_past_reserved(tmp_path, deployed):
    reserved = package_program(tmp_path, "reserved")
    encrypted = package_program(tmp_path, "encrypted", previous=reserved)
    # The record its `record` output wrote is what the Python program records for the port at that stage.
    active_from_python = unwrap(deployed.stack_outputs["ports"])["edge-ams"]
    assert unwrap(encrypted.stack_outputs["ports"])["edge-ams"] == active_from_python | {"stage": "encrypted", "links": {
        link: state | {"adminState": "Disabled"} for link, state in active_from_python["links"].items()}}
    active = package_program(tmp_path, "active", previous=encrypted)
    with pytest.raises(pulumi.RunError) as info:
        package_program(tmp_path, "active", macsec=BOTH.replace("key_generation", "keyGeneration"), previous=active)
    assert str(info.value) == refusal(tmp_path, macsec=BOTH, previous=active)


def test_the_first_pulumi_up_creates_a_reserved_port_without_link_settings():
    run = up(base_config(ports=[port(stage="reserved")]))
    assert "links" not in plain_inputs(one(run, "network:ExpressRoutePort"))


COMPONENTS_PROGRAM = """
import pulumi
from expressroute_encryption import EncryptedDirectPort, MacsecKeyVault

vault = MacsecKeyVault("kv", {"resource_group_name": "rg-app", "name": "kv-app-macsec"})
port = EncryptedDirectPort("edge", {
    "resource_group_name": "rg-app",
    "vault_name": vault.vault_name,
    "identity_id": vault.identity_id,
    "name": "edge-ams",
    "peering_location": "Equinix-Amsterdam-AM5",
    "bandwidth_in_gbps": 100,
    "encapsulation": "Dot1Q",
    "billing_type": "UnlimitedData",
    "stage": "encrypted",
    "macsec": %s,
    # The port's first deployment: nothing recorded yet (see test_guard_comes_with_the_component).
    "last_deployment": {},
    %s
})
pulumi.export("links", port.links)
pulumi.export("keys", port.router_keys)
"""


def run_code(tmp_path, macsec='{"cipher": "GcmAesXpn128"}', extra=""):
    (tmp_path / "__main__.py").write_text(textwrap.dedent(COMPONENTS_PROGRAM % (macsec, extra)))
    return run_program(tmp_path, "platform-app", "prod", {}, [])


@pytest.mark.smoke
def test_components_work_from_code_with_secure_defaults(tmp_path):
    run = run_code(tmp_path)
    vault = plain_inputs(one(run, "keyvault:Vault"))["properties"]
    assert vault["networkAcls"]["defaultAction"] == "Deny" and vault["networkAcls"]["bypass"] == "AzureServices"
    assert vault["softDeleteRetentionInDays"] == 90 and vault["enablePurgeProtection"] is True
    assert all(r.protect for r in run.resources if r.custom and not r.type.startswith("random:"))
    links = plain_inputs(one(run, "network:ExpressRoutePort"))["links"]
    assert {(link["adminState"], link["macSecConfig"]["cipher"], link["macSecConfig"]["sciState"]) for link in links} == {
        ("Disabled", "GcmAesXpn128", "Disabled")
    }
    assert plain_inputs(one(run, "RandomBytes", "edge-link1-cak-gen1"))["length"] == 16
    assert set(unwrap(run.stack_outputs["keys"])) == {"link1", "link2"}
    assert sorted(r.type for r in run.resources if r.parent.endswith("::pulumi:pulumi:Stack::platform-app-prod")) == [
        "expressroute-encryption:index:EncryptedDirectPort", "expressroute-encryption:index:MacsecKeyVault"
    ]


def test_component_arguments_get_the_same_validation(tmp_path):
    with pytest.raises(ConfigError) as info:
        run_code(tmp_path, macsec='{"cipher": "GcmAes256", "sci_state": "on", "key_generation": {"link2": 0}}')
    assert info.value.problems[0].startswith("macsec.sci_state: Input should be 'Enabled' or 'Disabled'")
    assert info.value.problems[1].startswith("macsec.key_generation.link2: Input should be greater than or equal to 1")
    assert str(info.value).startswith("EncryptedDirectPort 'edge': 2 problems; nothing was deployed:")


def byo_keys(cak1: str, ckn1: str, cak2: str, ckn2: str) -> str:
    """The `keys` argument as a program passes it: each key a secret Output."""
    secret = "pulumi.Output.secret({!r})".format
    return (f'"keys": {{"link1": {{"cak": {secret(cak1)}, "ckn": {secret(ckn1)}}}, '
            f'"link2": {{"cak": {secret(cak2)}, "ckn": {secret(ckn2)}}}}},')


def test_byo_keys_from_code_are_checked_and_kept_secret(tmp_path):
    keys = byo_keys(BYO_CAK[:32], BYO_CKN, BYO_CAK[32:], BYO_CKN)
    run = run_code(tmp_path, macsec='{"cipher": "GcmAes128"}', extra=keys)
    assert find(run, "RandomBytes") == []
    secret = one(run, "keyvault:Secret", "edge-link1-cak")
    assert unwrap(secret.inputs["properties"])["value"] == BYO_CAK[:32]
    bad = byo_keys(BYO_CAK[:32], "abc", BYO_CAK[32:], BYO_CKN)
    # A secret is checked when it resolves: the deployment fails, naming the key, not its value.
    result = preview_in_own_process(tmp_path, macsec='{"cipher": "GcmAes128"}', extra=bad)
    assert result.returncode == 2
    assert "  keys.link1.ckn: must be an even number (2-64) of hexadecimal digits (value not shown)" in result.stderr
    assert BYO_CAK[:32] not in result.stdout + result.stderr


def preview_in_own_process(tmp_path, macsec: str, extra: str):
    """The offline preview of a component program that fails while it runs: in a process of
    its own, as the SDK leaves a failed program's pending tasks behind."""
    (tmp_path / "__main__.py").write_text(textwrap.dedent(COMPONENTS_PROGRAM % (macsec, extra)))
    (tmp_path / "Pulumi.yaml").write_text("name: platform-app\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    return subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--project-dir",
                           str(tmp_path), "--stack", "prod"], capture_output=True, text=True, timeout=300)


def test_the_program_warns_about_a_reused_key(tmp_path):
    """In the offline preview, as `pulumi up` shows pulumi.log.warn."""
    from expressroute_encryption.offline.preview import run_preview
    from tests.pulumi_crypto import GoCompatibleEncrypter

    encrypter = GoCompatibleEncrypter("secret words")
    same = {link: {kind: {"secure": encrypter.encrypt(value)} for kind, value in (("cak", BYO_CAK), ("ckn", BYO_CKN))}
            for link in ("link1", "link2")}
    doc = {"encryptionsalt": encrypter.state(), "config": {
        "azure-native:location": "westeurope",
        **{f"expressroute-encryption:{k}": v for k, v in base_config(macsecKeys={"port-a": same}).items()}}}
    project_copy(tmp_path, "t", doc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PULUMI_CONFIG_PASSPHRASE", "secret words")
        report = run_preview("t", tmp_path)
    assert report.errors == []
    assert [w for w in report.warnings if "the same CAK" in w] == [
        "EncryptedDirectPort 'port-a': keys.link1.cak, keys.link2.cak: the same CAK is used on both links of one "
        "port; a leaked key would open all of them: give each link its own key"]
    assert BYO_CAK not in "\n".join(report.warnings)
