"""The components as a package: installable as `expressroute_encryption`, usable without
this repository, served as a Pulumi component package with stable, aliased type tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grpc
import pulumi
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

import expressroute_encryption as components
from expressroute_encryption import tokens
from expressroute_encryption.provider import COMPONENTS, NAMESPACE, SECRET_OUTPUTS, package_schema
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.offline.wire import is_secret, unwrap

REPO = Path(__file__).resolve().parent.parent
TOKEN = "expressroute-encryption:index:"


def _consumer_env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_") and k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    return env


# ---------------------------------------------------------------------------
# The Python package


def test_the_python_the_package_claims_is_the_python_ci_tests():
    """requires-python's floor is the version every pipeline sets up, and the README says the same."""
    import re

    claimed = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert claimed == ">=3.11"  # the code needs 3.11: enum.StrEnum, tomllib
    floor = claimed.removeprefix(">=")
    pipeline_files = [*(REPO / ".github" / "workflows").glob("*.yml"), *(REPO / "pipelines").rglob("*.yml")]
    versions = {match for path in pipeline_files
                for match in re.findall(r'(?:python-version|PYTHON_VERSION|versionSpec):\s*"([0-9.]+)"', path.read_text())}
    assert versions == {floor}
    assert f"Python {floor}+" in (REPO / "README.md").read_text()
    assert sys.version_info[:2] >= tuple(map(int, floor.split(".")))



def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_pyproject_declares_the_package_under_its_own_name():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["name"] == "expressroute-encryption"
    # One import name everywhere: the package is src/expressroute_encryption, installed editable here.
    assert project["tool"]["setuptools"]["packages"]["find"] == {"where": ["src"]}
    assert project["project"]["scripts"] == {"expressroute-encryption": "expressroute_encryption.cli:main"}
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "expressroute_encryption.__version__"}
    # A reproducible build: the backend is pinned.
    assert project["build-system"]["build-backend"] == "setuptools.build_meta"
    assert all("==" in requirement for requirement in project["build-system"]["requires"])
    # Dependencies are ranges that accept this repository's pins and stop at the next major version.
    pins = _pins()
    for requirement in project["project"]["dependencies"]:
        name, _, spec = requirement.partition(">=")
        lower, _, upper = spec.partition(",<")
        assert name in pins or name == "typing-extensions", requirement
        if name in pins:
            assert _version(lower) <= _version(pins[name]), requirement
            assert upper and _version(pins[name]) < _version(upper), requirement
    # The plugin's own requirements (pulumi package add) are this package, with those ranges.
    plugin = [line for line in (REPO / "components/requirements.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert plugin == [".."]


def test_installed_package_layout(installed_package):
    package = installed_package / "expressroute_encryption"
    modules = {p.name for p in package.glob("*.py")}
    assert {"__init__.py", "__main__.py", "arm.py", "tokens.py", "provider.py", "key_vault.py", "direct_port.py",
            "circuit.py", "vpn.py", "virtual_wan_vpn.py", "circuit_connection.py"} <= modules
    assert {"config", "offline", "policy", "bench"} <= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert not (installed_package / "components").exists(), "the repository's directory name must not leak"
    (dist_info,) = installed_package.glob("expressroute_encryption-*.dist-info")
    metadata = (dist_info / "METADATA").read_text()
    assert "Name: expressroute-encryption" in metadata
    assert f"Version: {components.__version__}" in metadata
    assert "Requires-Dist: pulumi<4.0.0,>=3.272.0" in metadata
    assert "Requires-Dist: pulumi-azure-native<4.0.0,>=3.29.0" in metadata


CONSUMER = r'''
import json, sys
import os
assert not {os.path.realpath(p or ".") for p in sys.path} & {"__REPO__", "__REPO__/components"}, sys.path

import expressroute_encryption.config.stack  # the schema alone: no Azure SDK needed
assert "pulumi_azure_native" not in sys.modules

import pulumi
import expressroute_encryption as er
from expressroute_encryption import ConfigError, DirectCircuit, EncryptedDirectPort, MacsecKeyVault


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        state = dict(args.inputs)
        if args.typ == "azure-native:network:ExpressRoutePort":
            ids = state["identity"]["userAssignedIdentities"]
            state["identity"] = {"type": "UserAssigned", "userAssignedIdentities": {i: {} for i in ids}}
        if args.typ == "azure-native:keyvault:Secret":
            state["properties"] = {**state["properties"], "secretUriWithVersion": "https://kv/secrets/" + args.name + "/1"}
        if args.typ == "azure-native:managedidentity:UserAssignedIdentity":
            state.update(principalId="p", tenantId="t")
        if args.typ == "random:index/randomBytes:RandomBytes":
            state["hex"] = "ab" * int(state["length"])
        return args.name + "-id", state

    def call(self, args):
        return {}


pulumi.runtime.set_mocks(Mocks(), project="consumer", stack="dev", preview=False)
seen = {}


@pulumi.runtime.test
def build():
    vault = MacsecKeyVault("kv", {"resource_group_name": "rg", "name": "kv-consumer"})
    port = EncryptedDirectPort("edge", {
        "resource_group_name": "rg", "vault_name": vault.vault_name, "identity_id": vault.identity_id,
        "name": "edge-1", "peering_location": "Equinix-Amsterdam-AM5", "bandwidth_in_gbps": 10,
        "encapsulation": "QinQ", "billing_type": "MeteredData", "stage": "encrypted", "macsec": {"cipher": "GcmAes128"},
        # `pulumi up` after the deployment that created the port at reserved (its record).
        "last_deployment": {"stage": "reserved", "links": {"link1": {}, "link2": {}}},
    })
    circuit = DirectCircuit("ckt", {
        "resource_group_name": "rg", "express_route_port_id": port.port_id, "port_bandwidth_in_gbps": 10,
        "port_stage": "encrypted", "name": "ckt-1", "bandwidth_in_gbps": 5, "sku_tier": "Standard",
        "sku_family": "MeteredData", "authorizations": ["team-a"],
    })
    seen["types"] = [type(c).__module__ for c in (vault, port, circuit)]

    def record(values):
        seen["links"] = values[0]
        return values

    return pulumi.Output.all(port.links, circuit.circuit_id).apply(record)


build()
try:
    EncryptedDirectPort("bad", {"resource_group_name": "rg", "vault_name": "v", "identity_id": "i", "name": "bad",
                                "peering_location": "x", "bandwidth_in_gbps": 10, "encapsulation": "QinQ",
                                "billing_type": "MeteredData", "stage": "reserved", "macsec": {"cipher": "GcmAesXpn256"}})
except ConfigError as error:
    seen["error"] = str(error)
print(json.dumps({"file": er.__file__, "version": er.__version__, "components_imported": "components" in sys.modules, **seen}))
'''


def test_installed_package_imports_and_works_without_the_repository(installed_package, tmp_path):
    """From a directory outside the repository, with only the installed package on the path."""
    script = tmp_path / "consumer.py"
    script.write_text(CONSUMER.replace("__REPO__", str(REPO)))
    result = subprocess.run([sys.executable, "-P", str(script)], cwd=tmp_path, env=_consumer_env(installed_package),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["file"] == str(installed_package / "expressroute_encryption" / "__init__.py")
    assert seen["version"] == components.__version__
    assert seen["components_imported"] is False
    assert seen["types"] == ["expressroute_encryption.key_vault", "expressroute_encryption.direct_port",
                             "expressroute_encryption.circuit"]
    assert seen["links"]["link1"]["cipher"] == "GcmAes128" and seen["links"]["link2"]["macsecEnabled"] is True
    assert seen["error"].startswith("EncryptedDirectPort 'bad': 1 problem; nothing was deployed:")
    assert "macsec.cipher: GcmAesXpn256 is not supported on 10 Gbps ports" in seen["error"]


# ---------------------------------------------------------------------------
# The component package (pulumi package add)


EXPECTED = {
    "MacsecKeyVault": (
        {"resourceGroupName"},
        {"name", "allowedIpRanges", "softDeleteRetentionDays", "purgeProtection", "authorization", "protect",
         "existingId"},
        {"vaultId", "vaultName", "vaultUri", "identityId", "identityPrincipalId", "vaultResourceGroupName"},
    ),
    "EncryptedDirectPort": (
        {"resourceGroupName", "vaultName", "identityId", "name", "peeringLocation", "bandwidthInGbps",
         "encapsulation", "billingType", "stage", "macsec"},
        {"keys", "protect", "vaultResourceGroupName", "vaultSubscriptionId", "importId", "adopting", "lastDeployment",
         "lastKeyFingerprints", "lastDeploymentOutputs"},
        {"portId", "portName", "stage", "links", "routerKeys", "record", "keyFingerprints"},
    ),
    "DirectCircuit": (
        {"resourceGroupName", "expressRoutePortId", "name", "bandwidthInGbps", "skuTier", "skuFamily"},
        {"portBandwidthInGbps", "portStage", "allowClassicOperations", "authorizations", "privatePeering",
         "microsoftPeering", "protect", "importId", "adopting"},
        {"circuitId", "circuitName", "serviceKey", "bandwidthInGbps", "expressRoutePortId", "privatePeeringId",
         "privatePeeringReadyCircuitId", "peerings", "authorizationKeys"},
    ),
    "PrivatePeeringVpn": (
        {"resourceGroupName", "expressRouteCircuitId", "circuit", "virtualNetwork", "expressRouteGatewaySku",
         "vpnGatewaySku", "onPremises"},
        {"activeActive", "vpnGatewayAsn", "ipsecPolicy", "sharedKey", "advertisedOverExpressRoute", "protect"},
        {"vpnGatewayPrivateIps", "vpnGatewayBgpAddresses", "connectionId", "expressRouteConnectionId", "sharedKey"},
    ),
    "VirtualWanVpn": (
        {"resourceGroupName", "expressRouteCircuitPrivatePeeringId", "circuit", "virtualWan", "onPremises"},
        {"ipsecPolicy", "sharedKey", "advertisedOverExpressRoute", "protect"},
        {"vpnGatewayPrivateIps", "vpnGatewayBgpAddresses", "connectionId", "expressRouteConnectionId", "sharedKey"},
    ),
    "CircuitVnetConnection": (
        {"resourceGroupName", "expressRouteCircuitId", "virtualNetwork", "expressRouteGatewaySku"},
        {"authorizationKey", "routingWeight", "scaleUnits", "protect"},
        {"virtualNetworkId", "virtualNetworkName", "gatewaySubnetId", "gatewayId", "connectionId"},
    ),
    "ExpressRouteMonitoring": (
        {"resourceGroupName", "vaultId", "workspaceName"},
        {"alertEmails", "logAnalyticsWorkspaceId", "alerts", "drainedLinks", "ports", "circuits", "protect"},
        {"alertNames", "actionGroupId", "workspaceId"},
    ),
    "ResourceLocks": (
        {"targets"},
        set(),
        {"locked"},
    ),
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return package_schema()


def test_schema_names_the_package_and_its_version(schema):
    assert (schema["name"], schema["version"], schema["namespace"]) == (
        "expressroute-encryption", components.__version__, NAMESPACE)
    assert set(schema["resources"]) == {TOKEN + name for name in EXPECTED}
    assert [c.__name__ for c in COMPONENTS] == list(EXPECTED)


@pytest.mark.parametrize("component", list(EXPECTED))
def test_schema_inputs_and_outputs(schema, component):
    required, optional, outputs = EXPECTED[component]
    resource = schema["resources"][TOKEN + component]
    assert resource["isComponent"] is True
    assert set(resource["requiredInputs"]) == required
    assert set(resource["inputProperties"]) == required | optional
    assert set(resource["properties"]) == outputs
    assert resource["description"]
    # Every output has a concrete type: no Any, no untyped map or list.
    for name, prop in resource["properties"].items():
        assert prop.get("$ref") != "pulumi.json#/Any", name
        assert "type" in prop or prop.get("$ref", "").startswith("#/types/"), name
        if prop.get("type") == "object":
            assert "additionalProperties" in prop, name
        if prop.get("type") == "array":
            assert "items" in prop, name
    # Settings that are validated like stack config are plain values (not Outputs) in every SDK.
    for name in required - {"resourceGroupName", "vaultName", "identityId", "expressRoutePortId",
                            "expressRouteCircuitId", "expressRouteCircuitPrivatePeeringId", "vaultId"}:
        assert resource["inputProperties"][name].get("plain") is True, name


def test_schema_output_types_match_the_stack_outputs(schema):
    """Outputs keep the shapes the stack exports (camelCase keys, as in `ports` and `circuits`)."""
    links = schema["types"][TOKEN + "PortLinks"]
    assert set(links["properties"]) == {"link1", "link2"}
    link = schema["types"][TOKEN + "PortLinkState"]
    assert set(link["required"]) == {"cipher", "sciState", "keyGeneration", "keySource", "macsecEnabled",
                                     "adminState", "cakSecretName", "cknSecretName", "cakSecretUri", "cknSecretUri"}
    assert schema["types"][TOKEN + "PeeringState"]["properties"]["vlanId"]["type"] == "integer"
    circuit = schema["resources"][TOKEN + "DirectCircuit"]
    assert circuit["properties"]["authorizationKeys"]["additionalProperties"]["type"] == "string"
    assert "privatePeeringId" not in circuit["required"]  # None without a private peering
    macsec = schema["types"][TOKEN + "MacsecArgs"]
    assert macsec["required"] == ["cipher"] and "keyGeneration" in macsec["properties"]


def test_secret_outputs_are_described_as_secret(schema):
    for component, names in SECRET_OUTPUTS.items():
        for name in names:
            assert schema["resources"][TOKEN + component]["properties"][name]["description"].startswith("Secret."), (
                component, name)


CONSTRUCT = '''
import pulumi
from pulumi.provider.experimental.component import ComponentProvider
from expressroute_encryption.provider import COMPONENTS, NAMESPACE
from expressroute_encryption.tokens import PACKAGE_NAME

provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, NAMESPACE, "0.0.0")


def construct(name, component, inputs):
    """As the engine asks on behalf of a YAML/TypeScript program: camelCase, numbers as floats."""
    return provider.construct(name, PACKAGE_NAME + ":index:" + component, inputs, pulumi.ResourceOptions()).state


vault = construct("kv", "MacsecKeyVault", {"resourceGroupName": "rg-yaml", "name": "kv-yaml-macsec"})
port = construct("edge", "EncryptedDirectPort", {
    "resourceGroupName": "rg-yaml", "vaultName": vault["vaultName"], "identityId": vault["identityId"],
    "name": "edge-ams", "peeringLocation": "Equinix-Amsterdam-AM5", "bandwidthInGbps": 100.0, "encapsulation": "QinQ",
    "billingType": "MeteredData", "stage": "encrypted",
    "macsec": {"cipher": "GcmAesXpn256", "sciState": "Enabled", "keyGeneration": {"link1": 2.0}},
    "lastDeployment": {},  # the port is new to this stack
})
circuit = construct("ckt", "DirectCircuit", {
    "resourceGroupName": "rg-yaml", "expressRoutePortId": port["portId"], "portBandwidthInGbps": 100.0,
    "portStage": "encrypted", "name": "ckt-yaml", "bandwidthInGbps": 10.0, "skuTier": "Premium",
    "skuFamily": "MeteredData", "authorizations": ["team-a"],
    "privatePeering": {"peerAsn": 64900.0, "primaryPeerAddressPrefix": "10.255.0.0/30",
                       "secondaryPeerAddressPrefix": "10.255.0.4/30", "vlanId": 200.0},
})
vpn = construct("vpn", "PrivatePeeringVpn", {
    "resourceGroupName": "rg-yaml", "expressRouteCircuitId": circuit["privatePeeringReadyCircuitId"], "circuit": "ckt-yaml",
    "virtualNetwork": {"name": "vnet-yaml", "addressSpace": ["10.20.0.0/16"], "gatewaySubnetPrefix": "10.20.255.0/27"},
    "expressRouteGatewaySku": "ErGw1AZ", "vpnGatewaySku": "VpnGw1AZ",
    "onPremises": {"name": "dc1", "vpnDeviceIp": "10.1.0.10", "addressPrefixes": ["10.1.0.0/24"]},
})
connection = construct("hub", "CircuitVnetConnection", {
    "resourceGroupName": "rg-app", "expressRouteCircuitId": circuit["circuitId"],
    "authorizationKey": pulumi.Output.secret("0a1b2c3d-0000-4000-8000-00000000beef"),  # fn::secret in YAML
    "virtualNetwork": {"name": "vnet-app", "addressSpace": ["10.40.0.0/16"], "gatewaySubnetPrefix": "10.40.255.0/27"},
    "expressRouteGatewaySku": "ErGw1AZ",
})
monitoring = construct("ops", "ExpressRouteMonitoring", {
    "resourceGroupName": "rg-yaml", "vaultId": vault["vaultId"], "workspaceName": "log-yaml",
    "alertEmails": ["noc@example.com"], "alerts": {"bgpAvailability": {"threshold": 80.0, "severity": 1.0}},
    "ports": [{"name": "edge-ams", "id": port["portId"], "stage": "encrypted"}],
    "circuits": [{"name": "ckt-yaml", "id": circuit["circuitId"], "portStage": "encrypted"}],
})
locks = construct("locks", "ResourceLocks", {"targets": [
    {"kind": "vault", "name": "kv-yaml-macsec", "id": vault["vaultId"]},
    {"kind": "port", "name": "edge-ams", "id": port["portId"]},
]})
for name, state in (("port", port), ("circuit", circuit), ("vpn", vpn), ("connection", connection),
                    ("monitoring", monitoring), ("locks", locks)):
    pulumi.export(name, state)
'''


def test_components_constructed_through_the_package_keep_secrets_secret(tmp_path):
    """What another language's program gets: inputs mapped from camelCase, the same
    validation, and key material as secrets."""
    (tmp_path / "__main__.py").write_text(CONSTRUCT)
    run = run_program(tmp_path, "yaml-consumer", "dev", {"azure-native:location": "westeurope"}, [])
    outputs = run.stack_outputs
    secret = {
        ("port", "routerKeys"), ("port", "keyFingerprints"), ("circuit", "authorizationKeys"), ("vpn", "sharedKey"),
    }
    for component, state in outputs.items():
        for name, value in state.items():
            assert is_secret(value) == ((component, name) in secret), (component, name)
    links = unwrap(outputs["port"]["links"])
    assert links["link1"]["keyGeneration"] == 2 and links["link2"]["keyGeneration"] == 1
    assert links["link1"]["sciState"] == "Enabled"
    assert unwrap(outputs["circuit"]["peerings"])["AzurePrivatePeering"]["vlanId"] == 200
    connection = next(r for r in run.resources if r.type == "azure-native:network:VirtualNetworkGatewayConnection"
                      and r.name == "hub-connection")
    assert is_secret(connection.inputs["authorizationKey"]) and is_secret(connection.outputs["authorizationKey"])
    assert {r.type for r in run.resources if not r.custom} == {TOKEN + name for name in (
        "MacsecKeyVault", "EncryptedDirectPort", "DirectCircuit", "PrivatePeeringVpn", "CircuitVnetConnection",
        "ExpressRouteMonitoring", "ResourceLocks")}
    # The monitoring and locks components take their nested settings in camelCase too.
    bgp = next(r for r in run.resources if r.name == "ckt-yaml-bgpAvailability")
    assert unwrap(bgp.inputs)["criteria"]["allOf"][0]["threshold"] == 80 and unwrap(bgp.inputs)["enabled"] is False
    assert unwrap(outputs["locks"]["locked"]) == ["kv-yaml-macsec", "edge-ams"]
    assert len([r for r in run.resources if r.type == "azure-native:authorization:ManagementLockByScope"]) == 2


def test_components_constructed_through_the_package_are_validated(tmp_path):
    (tmp_path / "__main__.py").write_text(CONSTRUCT.replace('"cipher": "GcmAesXpn256"', '"cipher": "GcmAes999"'))
    with pytest.raises(Exception) as info:
        run_program(tmp_path, "yaml-consumer", "dev", {"azure-native:location": "westeurope"}, [])
    assert "EncryptedDirectPort 'edge': 1 problem; nothing was deployed:" in str(info.value)
    assert "macsec.cipher: Input should be 'GcmAes128', 'GcmAes256', 'GcmAesXpn128' or 'GcmAesXpn256'" in str(info.value)


def _schema_from_plugin(command: list[str], env: dict[str, str], cwd: Path) -> dict:
    """Start the plugin as the Pulumi engine does (`<command> <engine address>`), read the
    port it prints, ask for the schema over gRPC (what `pulumi package add` does) and stop it."""
    process = subprocess.Popen([*command, "127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=cwd, env=env)
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.poll() is not None else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            assert stub.GetPluginInfo(empty_pb2.Empty(), timeout=60).version == components.__version__
            return json.loads(stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60).schema)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_plugin_directory_serves_the_schema(schema, tmp_path):
    """`pulumi package add ./components`: PulumiPlugin.yaml says Python, and the language
    host runs `python components/ <engine>` (a directory, not a package import)."""
    assert (REPO / "components/PulumiPlugin.yaml").read_text().count("runtime: python") == 1
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    served = _schema_from_plugin([sys.executable, str(REPO / "components")], env, tmp_path)
    assert served == schema


def test_installed_package_serves_the_schema(installed_package, schema, tmp_path):
    served = _schema_from_plugin([sys.executable, "-P", "-m", "expressroute_encryption"],
                                 _consumer_env(installed_package), tmp_path)
    assert served == schema


# ---------------------------------------------------------------------------
# Stable type tokens and aliases


def test_every_component_has_a_stable_token_and_an_alias_entry():
    for component in COMPONENTS:
        assert tokens.type_token(component.__name__) == TOKEN + component.__name__
        assert component.__name__ in tokens.PREVIOUS_TYPE_NAMES
    assert set(tokens.PREVIOUS_TYPE_NAMES) == {c.__name__ for c in COMPONENTS}
    current = {c.__name__ for c in COMPONENTS}
    for name, previous in tokens.PREVIOUS_TYPE_NAMES.items():
        assert not current & set(previous), f"{name}: an old name of a component is a current name"


class _AliasRecorder(pulumi_mocks.MockMonitor):
    def __init__(self, mocks):
        super().__init__(mocks)
        self.aliases: dict[tuple[str, str], list] = {}

    def RegisterResource(self, request):
        if request.type != "pulumi:pulumi:Stack":
            # With alias specs (request.aliasSpecs), the engine derives the URNs, and
            # those of the children, from these.
            self.aliases[(request.type, request.name)] = [
                (alias.spec.type, alias.spec.name) for alias in request.aliases
            ]
        return super().RegisterResource(request)


def test_a_renamed_component_registers_with_an_alias_to_its_old_type(monkeypatch):
    """A component renamed from `ExpressRouteDirectPort` (say) registers with an alias to
    that type, so the engine matches the existing URNs (and those of the port and secrets
    under it) instead of replacing them."""
    monkeypatch.setitem(tokens.PREVIOUS_TYPE_NAMES, "EncryptedDirectPort", ("ExpressRouteDirectPort", "MacsecPort"))
    mocks = AzureMocks()
    monitor = _AliasRecorder(mocks)
    pulumi_settings.ROOT.set(None)
    pulumi_mocks.set_mocks(mocks, project="aliases", stack="dev", preview=True, monitor=monitor,
                           organization="organization")
    from expressroute_encryption import EncryptedDirectPort, MacsecKeyVault

    opts = pulumi.ResourceOptions(protect=False)

    @pulumi.runtime.test
    def build():
        vault = MacsecKeyVault("kv", {"resource_group_name": "rg", "name": "kv-aliases", "protect": False})
        port = EncryptedDirectPort("edge", {
            "resource_group_name": "rg", "vault_name": vault.vault_name, "identity_id": vault.identity_id,
            "name": "edge-1", "peering_location": "Equinix-Amsterdam-AM5", "bandwidth_in_gbps": 10,
            "encapsulation": "QinQ", "billing_type": "MeteredData", "stage": "reserved",
            "macsec": {"cipher": "GcmAes128"}, "protect": False,
        }, opts)
        return port.port_id

    build()
    assert monitor.aliases[(TOKEN + "EncryptedDirectPort", "edge")] == [
        (TOKEN + "ExpressRouteDirectPort", ""), (TOKEN + "MacsecPort", ""),
    ]
    assert monitor.aliases[(TOKEN + "MacsecKeyVault", "kv")] == []
    assert opts.aliases is None, "the caller's options are not modified"


def test_readme_yaml_program_matches_the_schema(schema):
    """The YAML program in the README uses the package's real tokens, inputs and outputs."""
    import re

    import yaml

    readme = (REPO / "README.md").read_text()
    programs = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", readme, re.S)
                if "runtime: yaml" in block]
    assert len(programs) == 1
    program = programs[0]
    used = {}
    for name, resource in program["resources"].items():
        if resource["type"].startswith(TOKEN):
            spec = schema["resources"][resource["type"]]
            assert set(resource["properties"]) <= set(spec["inputProperties"]), name
            assert set(spec["requiredInputs"]) <= set(resource["properties"]), name
            used[name] = spec
    assert {spec_name.split(":")[-1] for spec_name in (r["type"] for r in program["resources"].values())} >= {
        "MacsecKeyVault", "EncryptedDirectPort"}
    for expression in re.findall(r"\$\{(\w+)\.(\w+)\}", yaml.safe_dump(program)):
        resource, output = expression
        if resource in used:
            assert output in used[resource]["properties"], expression
