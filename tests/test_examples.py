"""The consumer examples under examples/: their offline previews, with the components
imported as the installed package `expressroute_encryption`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from expressroute_encryption.offline import wire
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import AzureMocks, UnansweredStackReference
from expressroute_encryption.cli import main as cli_main
from expressroute_encryption.offline.preview import referenced_stack_outputs, run_preview
from expressroute_encryption.offline.stack_file import load_stack_file

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
PORT_EXAMPLE = EXAMPLES / "encrypted-port-from-code"
VNET_EXAMPLE = EXAMPLES / "vnet-on-existing-circuit"
NETWORK_STACK = "organization/expressroute-encryption/prod"
TOKEN = "expressroute-encryption:index:"


@pytest.fixture
def consumer():
    """The examples import the package by its one name, `expressroute_encryption` (this
    checkout, installed editable; test_package.py runs a non-editable install on its own)."""
    import expressroute_encryption

    return Path(expressroute_encryption.__file__).parent


def resources(export: Path) -> list[dict]:
    return json.loads(export.read_text())["deployment"]["resources"]


def stack_outputs(export: Path) -> dict:
    return next(r for r in resources(export) if r["type"] == "pulumi:pulumi:Stack")["outputs"]


def of_type(export: Path, suffix: str) -> list[dict]:
    return [r for r in resources(export) if r["type"].endswith(suffix)]


@pytest.fixture(scope="module")
def network_run():
    """This project's prod stack, run offline: what the network team deploys."""
    stack_file = load_stack_file(REPO, "prod")
    return run_program(REPO, stack_file.project, "prod", stack_file.config, stack_file.secret_keys, mocks=AzureMocks())


def show_secrets_export(run, path: Path) -> Path:
    """The run's stack outputs as `pulumi stack export --show-secrets` writes them."""
    outputs = {
        name: ({wire.SECRET_SIG: wire.SECRET_VALUE, "plaintext": json.dumps(wire.unwrap(value))}
               if wire.is_secret(value) else value)
        for name, value in run.stack_outputs.items()
    }
    path.write_text(json.dumps({"version": 3, "deployment": {
        "manifest": {}, "secrets_providers": {"type": "service"},
        "resources": [{"urn": "urn:pulumi:prod::expressroute-encryption::pulumi:pulumi:Stack::expressroute-encryption-prod",
                       "type": "pulumi:pulumi:Stack", "custom": False, "outputs": outputs}],
    }}))
    return path


# Every directory in examples/ is an example, and each is checked: no list to keep up to date.
ALL_EXAMPLES = sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir() and not path.name.startswith((".", "_")))


def test_the_examples_named_here_exist():
    assert {PORT_EXAMPLE.name, VNET_EXAMPLE.name} <= set(ALL_EXAMPLES)


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_examples_are_projects_of_their_own(name):
    example = EXAMPLES / name
    for required in ("Pulumi.yaml", "__main__.py", "README.md", "requirements.txt", "Pulumi.dev.yaml"):
        assert (example / required).is_file(), f"examples/{name} has no {required}"
    project = (example / "Pulumi.yaml").read_text()
    assert f"name: {example.name}\n" in project and "name: python" in project
    requirements = (example / "requirements.txt").read_text().splitlines()
    assert "../.." in requirements  # this checkout, as a package
    assert any("expressroute-encryption @ git+https://" in line for line in requirements)
    program = (example / "__main__.py").read_text()
    assert "from expressroute_encryption import" in program
    assert "components" not in program.replace("the components", "")
    assert f"--project-dir examples/{name} --stack dev" in (example / "README.md").read_text(), \
        "the README shows how to preview it offline"


def offline_preview_needs(example: Path) -> dict[str, str]:
    """What an example declares in its offline-preview.yaml (optional): for each stack its
    stack references name, this repository's stack that stands in for it."""
    declared = example / "offline-preview.yaml"
    if not declared.is_file():
        return {}
    needs = yaml.safe_load(declared.read_text()) or {}
    assert set(needs) <= {"stackOutputs"}, f"{declared}: unknown keys {sorted(set(needs) - {'stackOutputs'})}"
    return dict(needs.get("stackOutputs") or {})


@pytest.fixture(scope="module")
def stack_export(tmp_path_factory):
    """This repository's stack, previewed offline with --export: a `pulumi stack export` stand-in."""
    exports: dict[str, Path] = {}

    def export(stack: str) -> Path:
        if stack not in exports:
            path = tmp_path_factory.mktemp("exports") / f"{stack}.json"
            result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", "--stack", stack,
                                     "--export", str(path)], cwd=REPO, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stderr
            exports[stack] = path
        return exports[stack]
    return export


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_every_example_previews_offline_as_its_readme_says(name, stack_export):
    """`expressroute-encryption preview --project-dir examples/<name> --stack dev`, plus the
    stack outputs the example declares: exit 0, no mandatory policy violated."""
    example = EXAMPLES / name
    arguments = ["--project-dir", f"examples/{name}", "--stack", "dev", "--json"]
    for reference, stack in offline_preview_needs(example).items():
        arguments += ["--stack-output", f"{reference}={stack_export(stack)}"]
    result = subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", *arguments], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    assert summary["errors"] == [] and summary["resources"] > 0
    assert summary["policy"]["mandatory"] == 0


def test_encrypted_port_from_code_previews_offline(consumer, tmp_path):
    export = tmp_path / "export.json"
    report = run_preview("dev", PORT_EXAMPLE, export=str(export))
    assert report.errors == [] and report.exit_code == 0
    # The example creates no alerts or audit log: only the advisory monitoring policies speak.
    assert sorted((v.policy, v.level) for v in report.violations) == [
        ("expressroute-port-monitored", "advisory"), ("expressroute-port-monitored", "advisory"),
        ("keyvault-audit-logs", "advisory")]
    assert sys.modules["expressroute_encryption"].__file__.startswith(str(consumer))
    assert report.resource_types == {
        "azure-native:resources:ResourceGroup": 1,
        TOKEN + "MacsecKeyVault": 1,
        "azure-native:managedidentity:UserAssignedIdentity": 1,
        "azure-native:keyvault:Vault": 1,
        TOKEN + "EncryptedDirectPort": 1,
        "random:index/randomBytes:RandomBytes": 4,
        "azure-native:keyvault:Secret": 4,
        "azure-native:network:ExpressRoutePort": 1,
        TOKEN + "DirectCircuit": 1,
        "azure-native:network:ExpressRouteCircuit": 1,
        "azure-native:network:ExpressRouteCircuitPeering": 1,
        "azure-native:network:ExpressRouteCircuitAuthorization": 1,
    }
    macsec = report.sections["MACsec"]
    assert macsec[0] == "port er-direct-ams-3: stage encrypted"
    assert all("MACsec on, cipher GcmAes256" in line for line in macsec[1:3])
    assert macsec[3].startswith("  next: check the MACsec sessions on your routers, then set the port's stage to active")
    (port,) = of_type(export, "network:ExpressRoutePort")
    links = port["inputs"]["links"]
    assert [link["macSecConfig"]["cipher"] for link in links] == ["GcmAes256", "GcmAes256"]
    assert all(link["macSecConfig"]["cakSecretIdentifier"].startswith("https://kv-er-platform-dev.vault.azure.net/")
               for link in links)
    (circuit,) = of_type(export, "network:ExpressRouteCircuit")
    assert circuit["inputs"]["expressRoutePort"]["id"] == port["id"]
    outputs = stack_outputs(export)
    assert set(outputs) == {"ports", "macsecKeys", "circuits", "authorizationKeys"}
    assert wire.is_secret(outputs["macsecKeys"]) and wire.is_secret(outputs["authorizationKeys"])
    assert outputs["circuits"]["er-ckt-ams-platform"]["id"] == circuit["id"]
    # Key material is secret wherever it is: generated bytes, secret values.
    for secret in of_type(export, "keyvault:Secret"):
        assert wire.is_secret(secret["inputs"]["properties"]["value"])


def test_vnet_example_connects_to_the_network_stacks_circuit(consumer, network_run, tmp_path):
    """The authorization key comes from the network stack as a secret and goes into the
    connection as a secret; the circuit id comes from its `circuits` output."""
    network_export = show_secrets_export(network_run, tmp_path / "network.json")
    export = tmp_path / "export.json"
    report = run_preview("dev", VNET_EXAMPLE, export=str(export), stack_outputs={NETWORK_STACK: str(network_export)})
    assert report.errors == [] and report.exit_code == 0 and report.violations == []
    assert report.resource_types == {
        "azure-native:resources:ResourceGroup": 1,
        TOKEN + "CircuitVnetConnection": 1,
        "azure-native:network:VirtualNetwork": 1,
        "azure-native:network:Subnet": 1,
        "azure-native:network:PublicIPAddress": 1,
        "azure-native:network:VirtualNetworkGateway": 1,
        "azure-native:network:VirtualNetworkGatewayConnection": 1,
    }
    circuits = wire.unwrap(network_run.stack_outputs["circuits"])
    (connection,) = of_type(export, "network:VirtualNetworkGatewayConnection")
    assert connection["inputs"]["connectionType"] == "ExpressRoute"
    assert connection["inputs"]["peer"]["id"] == circuits["er-ckt-ams-core"]["id"]
    assert wire.is_secret(connection["inputs"]["authorizationKey"])
    assert wire.is_secret(connection["outputs"]["authorizationKey"])
    (gateway,) = of_type(export, "network:VirtualNetworkGateway")
    (subnet,) = of_type(export, "network:Subnet")
    assert gateway["inputs"]["gatewayType"] == "ExpressRoute"
    assert gateway["inputs"]["ipConfigurations"][0]["subnet"]["id"] == subnet["id"]
    assert subnet["inputs"]["subnetName"] == "GatewaySubnet" and subnet["inputs"]["addressPrefix"] == "10.40.255.0/27"


def test_vnet_example_uses_the_key_it_was_given_and_never_shows_it(consumer, network_run, tmp_path):
    key = wire.unwrap(network_run.stack_outputs["authorizationKeys"])["er-ckt-ams-core"]["hub-westeurope"]
    others, notes = referenced_stack_outputs({NETWORK_STACK: str(show_secrets_export(network_run, tmp_path / "n.json"))})
    assert notes == []
    stack_file = load_stack_file(VNET_EXAMPLE, "dev")
    run = run_program(VNET_EXAMPLE, stack_file.project, "dev", stack_file.config, stack_file.secret_keys,
                      mocks=AzureMocks(stack_outputs=others))
    (connection,) = [r for r in run.resources if r.type.endswith("VirtualNetworkGatewayConnection")]
    assert connection.inputs["authorizationKey"] == wire.secret(key)
    # Anywhere else, only as a secret: not in plain inputs, outputs or stack outputs.
    everything = [wire.redact(r.inputs) for r in run.resources] + [wire.redact(r.outputs) for r in run.resources]
    assert key not in json.dumps(everything) + json.dumps(wire.redact(run.stack_outputs))


def test_vnet_example_with_an_encrypted_network_export(consumer, tmp_path):
    """A plain `pulumi stack export` of the network stack: its secrets cannot be read
    offline, so the key is an unknown secret, and the preview says so."""
    network_export = tmp_path / "network.json"
    assert run_preview("prod", REPO, export=str(network_export)).exit_code == 0
    export = tmp_path / "export.json"
    report = run_preview("dev", VNET_EXAMPLE, export=str(export), stack_outputs={NETWORK_STACK: str(network_export)})
    assert report.exit_code == 0, report.errors
    assert any("secret outputs of organization/expressroute-encryption/prod (authorizationKeys, macsecKeys) "
               "cannot be read offline" in note for note in report.notes)
    (connection,) = of_type(export, "network:VirtualNetworkGatewayConnection")
    assert wire.is_secret(connection["inputs"]["authorizationKey"])


def preview_cli(*args: str, site: Path) -> subprocess.CompletedProcess:
    """`expressroute-encryption preview ...` as a user runs it, with the installed package.

    Failed runs go through a process of their own: the SDK leaves the program's failed
    futures behind, which would otherwise be reported when pytest collects them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env["PYTHONPATH"] = str(site)
    return subprocess.run([sys.executable, "-m", "expressroute_encryption.cli", "preview", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_vnet_example_needs_the_network_stacks_outputs(installed_package, network_run, tmp_path):
    result = preview_cli("--project-dir", str(VNET_EXAMPLE), "--stack", "dev", site=installed_package)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: no outputs for the stack reference to '{NETWORK_STACK}'; give them from a `pulumi stack export` "
        f"of that stack (offline preview: --stack-output {NETWORK_STACK}=<export file>)"
    )
    # An authorization the network team did not create: named, with the ones that exist.
    network = show_secrets_export(network_run, tmp_path / "network.json")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((VNET_EXAMPLE / name).read_text())
    (project / "Pulumi.dev.yaml").write_text(
        (VNET_EXAMPLE / "Pulumi.dev.yaml").read_text().replace("authorization: hub-westeurope", "authorization: app-x"))
    result = preview_cli("--project-dir", str(project), "--stack", "dev",
                         "--stack-output", f"{NETWORK_STACK}={network}", site=installed_package)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"circuit 'er-ckt-ams-core' of stack {NETWORK_STACK} has no authorization 'app-x' (authorizations: "
        "hub-northeurope, hub-westeurope); ask the network team to add it to the circuit's `authorizations`"
    )
    key = wire.unwrap(network_run.stack_outputs["authorizationKeys"])["er-ckt-ams-core"]["hub-westeurope"]
    assert key not in result.stdout + result.stderr


def test_vnet_example_arguments_get_the_component_validation(consumer, network_run, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((VNET_EXAMPLE / name).read_text())
    (project / "Pulumi.dev.yaml").write_text((VNET_EXAMPLE / "Pulumi.dev.yaml").read_text()
                                             .replace("gatewaySubnetPrefix: 10.40.255.0/27", "gatewaySubnetPrefix: 10.50.0.0/28"))
    report = run_preview("dev", project, stack_outputs={
        NETWORK_STACK: str(show_secrets_export(network_run, tmp_path / "network.json"))})
    assert report.exit_code == 2
    assert report.errors == [
        "CircuitVnetConnection 'hub': 1 problem; nothing was deployed:",
        "  virtual_network.gateway_subnet_prefix: must be a /27 or larger (Microsoft's minimum GatewaySubnet "
        "for an ExpressRoute gateway)",
    ]


def test_stack_references_are_answered_by_stack_name():
    mocks = AzureMocks(previous_outputs={"ports": {}}, stack_outputs={"prod": {"circuits": {}}})
    import pulumi

    pulumi.runtime.set_mocks(mocks, project="expressroute-encryption", stack="dev", organization="organization")
    assert mocks._referenced_outputs("organization/expressroute-encryption/prod") == {"circuits": {}}
    assert mocks._referenced_outputs("expressroute-encryption/prod") == {"circuits": {}}
    assert mocks._referenced_outputs("organization/expressroute-encryption/dev") == {"ports": {}}  # itself
    with pytest.raises(UnansweredStackReference):
        mocks._referenced_outputs("organization/other/prod")


def test_stack_output_option_needs_a_stack_and_a_file(capsys):
    with pytest.raises(SystemExit) as info:
        cli_main(["preview", "--project-dir", str(VNET_EXAMPLE), "--stack-output", "just-a-name"])
    assert info.value.code == 2
    assert "--stack-output just-a-name: expected STACK=FILE" in capsys.readouterr().err
