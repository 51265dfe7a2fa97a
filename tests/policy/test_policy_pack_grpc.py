"""Start the policy pack the way the Pulumi CLI does and talk to it over gRPC with the SDK's own messages.

For a ``runtime: python`` pack the CLI (``NewPolicyAnalyzer`` in the engine's analyzer plugin) runs its
``pulumi-analyzer-policy-python`` shim in the pack directory with ``<engine address> . -virtualenv=<dir>``;
the shim runs ``<virtualenv>/bin/python -u -m pulumi.policy <engine address> .``, which executes
``policy/__main__.py``. The pack prints its gRPC port on stdout. The CLI then calls ``Handshake`` (not
implemented by pulumi-policy 1.21: the CLI falls back on UNIMPLEMENTED), ``ConfigureStack``,
``GetAnalyzerInfo``, ``Configure`` with the ``--policy-pack-config`` settings, ``Analyze`` for each resource
(its inputs) and ``AnalyzeStack`` at the end (every resource's outputs).
"""

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from tests.policy.policy_builders import CIRCUIT, PORT, port, urn
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE

from expressroute_encryption.policy.pack import PACK_NAME, POLICY_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = REPO_ROOT / "policy"
STARTUP_TIMEOUT_SECONDS = 60
CIPHER_CONFIG = {"allowedCiphers": ["GcmAes256", "GcmAesXpn256"]}

pytestmark = pytest.mark.smoke


def struct(values: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def read_port(process: subprocess.Popen) -> int:
    """The port the pack prints on its first line of output."""
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT_SECONDS)
    line = process.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        process.kill()
        _, err = process.communicate(timeout=STARTUP_TIMEOUT_SECONDS)
        pytest.fail(f"the policy pack did not print its port: {line!r}\n{err.decode(errors='replace')}")
    return int(line)


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The running pack, configured as the CLI configures it before analyzing anything."""
    yield from running_pack({
        "expressroute-port-macsec-cipher": analyzer_pb2.PolicyConfig(
            enforcementLevel=analyzer_pb2.MANDATORY, properties=struct(CIPHER_CONFIG)),
        "critical-resources-protected": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.DISABLED),
    })


def running_pack(policy_config: dict) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """Start the pack, configure it with ``policy_config`` (policy name -> PolicyConfig), yield its stub."""
    env = {**os.environ, "PULUMI_PROJECT": "expressroute-encryption", "PULUMI_STACK": "dev",
           "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": "{}"}
    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
                               cwd=PACK_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{read_port(process)}")
        grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_SECONDS)
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
            stack="dev", project="expressroute-encryption", organization="organization", dry_run=True))
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=policy_config))
        yield stub
        channel.close()
    finally:
        process.kill()
        process.communicate(timeout=STARTUP_TIMEOUT_SECONDS)


def analyze(stub, resource_type: str, name: str, props: dict) -> list:
    return list(stub.Analyze(analyzer_pb2.AnalyzeRequest(
        urn=urn(resource_type, name), type=resource_type, name=name, properties=struct(props),
        options=analyzer_pb2.AnalyzerResourceOptions(protect=True))).diagnostics)


def stack_resource(resource_type: str, name: str, props: dict, dependencies=()) -> analyzer_pb2.AnalyzerResource:
    return analyzer_pb2.AnalyzerResource(urn=urn(resource_type, name), type=resource_type, name=name,
                                         properties=struct(props), dependencies=list(dependencies),
                                         options=analyzer_pb2.AnalyzerResourceOptions())


def test_pulumi_policy_yaml_runs_the_pack_in_the_project_virtualenv():
    project = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert (PACK_DIR / project["runtime"]["options"]["virtualenv"]).resolve() == (REPO_ROOT / ".venv").resolve()
    pins = set((REPO_ROOT / "requirements.txt").read_text().splitlines())
    pack_requirements = [line for line in (PACK_DIR / "requirements.txt").read_text().splitlines()
                         if line and not line.startswith("#")]
    # The pinned pulumi-policy, and the project's own package (`..`: its policies and facts).
    assert ".." in pack_requirements
    assert all(line in pins for line in pack_requirements if line != "..")


def test_handshake_is_not_implemented_so_the_cli_falls_back(analyzer):
    with pytest.raises(grpc.RpcError) as raised:
        analyzer.Handshake(analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address="127.0.0.1:1", root_directory=str(PACK_DIR), program_directory=str(PACK_DIR)))
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_analyzer_info_lists_the_policies(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    policies = {policy.name: policy for policy in info.policies}
    assert info.name == PACK_NAME and info.supportsConfig
    assert sorted(policies) == sorted(POLICY_NAMES)
    assert policies["expressroute-port-macsec-required"].enforcementLevel == analyzer_pb2.MANDATORY
    assert policies["expressroute-port-xpn-recommended"].enforcementLevel == analyzer_pb2.ADVISORY
    assert policies["expressroute-circuit-on-encrypted-port"].policy_type == analyzer_pb2.POLICY_TYPE_STACK
    assert policies["expressroute-port-identity"].policy_type == analyzer_pb2.POLICY_TYPE_RESOURCE
    assert "allowedCiphers" in policies["expressroute-port-macsec-cipher"].configSchema.properties


def test_analyze_reports_an_unencrypted_port(analyzer):
    props = port()
    del props["links"][1]["macSecConfig"]
    [diagnostic] = analyze(analyzer, PORT, "erport", props)
    assert diagnostic.policyName == "expressroute-port-macsec-required"
    assert diagnostic.policyPackName == PACK_NAME
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert "ExpressRoute port 'erport'" in diagnostic.message and "link2" in diagnostic.message


def test_analyze_passes_an_encrypted_port_and_applies_the_configured_allow_list(analyzer):
    assert analyze(analyzer, PORT, "erport", port(cipher="GcmAes256")) == []
    [diagnostic] = analyze(analyzer, PORT, "erport", port(cipher="GcmAes128"))
    assert diagnostic.policyName == "expressroute-port-macsec-cipher"
    assert "one of GcmAes256, GcmAesXpn256" in diagnostic.message


def test_analyze_tolerates_unknown_values_during_preview(analyzer):
    props = {**port(), "bandwidthInGbps": UNKNOWN_STRING_VALUE}
    for link in props["links"]:
        link["macSecConfig"]["cakSecretIdentifier"] = UNKNOWN_STRING_VALUE
    assert analyze(analyzer, PORT, "erport", props) == []
    assert analyze(analyzer, PORT, "erport", {**port(), "links": UNKNOWN_ARRAY_VALUE}) == []


def test_analyze_stack_reports_a_circuit_on_an_unencrypted_port(analyzer):
    reserved_port = stack_resource(PORT, "erport", port("reserved"))
    circuit = stack_resource(CIRCUIT, "erport-circuit", {"expressRoutePort": {"id": UNKNOWN_STRING_VALUE}},
                             dependencies=[reserved_port.urn])
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[reserved_port, circuit]))
    # The port and circuit have no alerts: the advisory monitoring policy reports them too
    # (tests/policy/test_policy_operations.py); this test is about the circuit's mandatory policy.
    monitoring = [d for d in response.diagnostics if d.policyName == "expressroute-port-monitored"]
    assert {d.urn for d in monitoring} == {reserved_port.urn, circuit.urn}
    [diagnostic] = [d for d in response.diagnostics if d not in monitoring]
    assert diagnostic.policyName == "expressroute-circuit-on-encrypted-port"
    assert diagnostic.urn == circuit.urn
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert "ExpressRoute Direct port 'erport'" in diagnostic.message


# Exemptions (issue 16): the dates are far from today, since the pack runs in its own process.
EXEMPTIONS = {"exemptPorts": [{"name": "erport", "expires": "2999-12-31", "reason": "migration"},
                              {"name": "erport-old", "expires": "2000-01-31"}]}


@pytest.fixture(scope="module")
def exempting_analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # The CLI sends each policy's level with its properties (the proto's default, 0, is advisory).
    yield from running_pack({
        name: analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=struct(EXEMPTIONS))
        for name, level in (("expressroute-port-macsec-required", analyzer_pb2.MANDATORY),
                            ("expressroute-circuit-on-encrypted-port", analyzer_pb2.MANDATORY),
                            ("expressroute-port-macsec-exemption", analyzer_pb2.ADVISORY))
    })


def test_exemptions_reach_the_running_pack_and_show_as_advisories(exempting_analyzer):
    info = exempting_analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    schemas = {policy.name: policy.configSchema for policy in info.policies}
    assert "exemptPorts" in schemas["expressroute-port-macsec-required"].properties
    props = port()
    del props["links"][1]["macSecConfig"]
    exempt = {**props, "expressRoutePortName": "erport"}
    assert analyze(exempting_analyzer, PORT, "erport", exempt) == []
    [expired] = analyze(exempting_analyzer, PORT, "erport-old", {**props, "expressRoutePortName": "erport-old"})
    assert expired.enforcementLevel == analyzer_pb2.MANDATORY and "expired on 2000-01-31" in expired.message
    response = exempting_analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(
        resources=[stack_resource(PORT, "erport", exempt)]))
    # (The operations policies report the port's missing alerts too: not what this test is about.)
    reports = sorted((d.policyName, d.enforcementLevel, d.message) for d in response.diagnostics
                     if d.policyName != "expressroute-port-monitored")
    assert [(name, level) for name, level, _ in reports] == [
        ("expressroute-port-macsec-exemption", analyzer_pb2.ADVISORY)] * 2
    assert any("exempt from expressroute-port-macsec-required and expressroute-circuit-on-encrypted-port until "
               "2999-12-31 (migration)" in message for _, _, message in reports)
