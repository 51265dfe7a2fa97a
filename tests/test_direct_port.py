"""direct_port.py: the guard comes with ``EncryptedDirectPort``. A program that builds the port
itself hands it its entry of the last deployment's record (``last_deployment``) and gets the
stack program's refusals, with the paths of its own arguments, and the runbook in its log; a
port past ``reserved`` without a record is refused (fail closed); while adopting, the port
compares with Azure's links and records them."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline import wire
from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID, AzureMocks
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import BYO_CAK, BYO_CKN, find, live_port, one

PROGRAM = """
import pulumi
from expressroute_encryption import EncryptedDirectPort
from expressroute_encryption.record import export_port_records, read_last_deployment


async def main():
    previous = await read_last_deployment()
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
ADOPTED = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-app/providers/Microsoft.Network/expressRoutePorts/edge-ams"


def program(tmp_path, *, stage="active", macsec='{"cipher": "GcmAesXpn256"}', record=RECORD, extra="",
            previous=None, up=False, live=None):
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM % {
        "sub": SUBSCRIPTION_ID, "stage": stage, "macsec": macsec, "record": record, "extra": extra}))
    return run_program(tmp_path, "platform-app", "prod", {}, [], dry_run=not up, mocks=AzureMocks(
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
    (tmp_path / "__main__.py").write_text(textwrap.dedent(PROGRAM % {
        "sub": SUBSCRIPTION_ID, "stage": "active", "macsec": '{"cipher": "GcmAesXpn256"}', "record": RECORD,
        "extra": keys % (new_cak, BYO_CKN, BYO_CAK, BYO_CKN)}))
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
