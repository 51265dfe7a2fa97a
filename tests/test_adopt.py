"""Bringing an existing port: `adopt` from Azure's JSON, the round trip through the offline
preview, import ids on the registered resources, the existing-vault checks, and MACsec
turned on link by link once a live unencrypted port is adopted (adoption.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pulumi
import pytest
import yaml

from expressroute_encryption.cli import main as cli
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID, AzureMocks
from expressroute_encryption.offline.preview import run_preview
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import (
    LINK1_ON, OFF, PROJECT_DIR, base_config, circuit, cli_config, links_sent, live_port, one, only_problem, plan, port,
    problems,
)

FIXTURES = Path(__file__).parent / "fixtures" / "adopt"
PORT_ID = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/expressRoutePorts/portName"
CIRCUIT_ID = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/expressRouteCircuits/expressRouteCircuit1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).symlink_to(PROJECT_DIR / name)
    return tmp_path


def adopt(project: Path, *files: str, stack: str = "adopted", **named: str) -> int:
    argv = ["adopt", "--stack", stack, "--project-dir", str(project), "--port", str(FIXTURES / files[0])]
    for option, name in named.items():
        argv += [f"--{option}", str(FIXTURES / name)]
    return cli(argv)


def written(project: Path, stack: str = "adopted") -> tuple[str, dict]:
    text = (project / f"Pulumi.{stack}.yaml").read_text()
    return text, yaml.safe_load(text)["config"]


@pytest.mark.parametrize("port_file, circuits_file", [
    ("port-arm.json", "circuits-arm.json"), ("port-cli.json", "circuits-cli.json")])
def test_both_shapes_give_the_same_stack(project, port_file, circuits_file):
    assert adopt(project, port_file, circuits=circuits_file, vault="vault-cli.json") == 0
    _, config = written(project)
    port_settings = config["expressroute-encryption:ports"][0]
    assert config["azure-native:location"] == "westus"
    assert config["expressroute-encryption:resourceGroupName"] == "rg1"
    assert config["expressroute-encryption:keyVault"] == {
        "existingId": "/subscriptions/subid/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/sample-vault",
        "authorization": "accessPolicy"}
    # A live port without MACsec: both links up, MACsec off on each, cipher chosen for 100 Gbps.
    assert {k: port_settings[k] for k in ("name", "importId", "bandwidthInGbps", "encapsulation", "billingType", "stage")} == {
        "name": "portName", "importId": PORT_ID, "bandwidthInGbps": 100, "encapsulation": "QinQ",
        "billingType": "UnlimitedData", "stage": "active"}
    assert port_settings["macsec"] == {"cipher": "GcmAesXpn256", "sciState": "Disabled",
                                       "link1": {"enabled": False}, "link2": {"enabled": False}}
    # Only the circuit on this port, with its Microsoft peering as Azure has it.
    [ckt] = port_settings["circuits"]
    assert ckt["importId"] == CIRCUIT_ID and ckt["bandwidthInGbps"] == 10
    assert (ckt["skuTier"], ckt["skuFamily"], ckt["authorizations"]) == ("Premium", "MeteredData", ["MyAuthorization1"])
    assert ckt["microsoftPeering"]["advertisedPublicPrefixes"] == ["123.1.0.0/24", "3FFE:FFFF:0:CD31::/120"]
    assert ckt["microsoftPeering"]["customerAsn"] == 23


def test_written_stack_previews_and_shows_each_import(project):
    assert adopt(project, "port-arm.json", circuits="circuits-arm.json", vault="vault-cli.json") == 0
    report = run_preview("adopted", project, vault=str(FIXTURES / "vault-cli.json"))
    assert report.exit_code in (0, 1), report.errors
    lines = report.sections["Adopted (imported, not created; Pulumi refuses an import whose inputs differ from Azure)"]
    assert f"import: ExpressRoutePort portName from {PORT_ID}" in lines
    assert f"import: ExpressRouteCircuit expressRouteCircuit1 from {CIRCUIT_ID}" in lines
    assert f"import: ExpressRouteCircuitPeering expressRouteCircuit1-MicrosoftPeering from {CIRCUIT_ID}/peerings/MicrosoftPeering" in lines
    assert "import: ResourceGroup expressroute from /subscriptions/subid/resourceGroups/rg1" in lines


def test_new_vault_when_no_vault_file_and_header_says_what_to_decide(project):
    assert adopt(project, "port-cli.json") == 0
    text, config = written(project)
    assert config["expressroute-encryption:keyVault"] == {"name": "kv-portname"}
    assert "DECIDE keyVault.name" in text and "GcmAesXpn256 is a choice, not Azure's" in text
    assert run_preview("adopted", project).exit_code in (0, 1)


def test_macsec_port_header_names_the_secrets_in_use(project):
    assert adopt(project, "port-arm-macsec.json") == 0
    text, config = written(project)
    macsec = config["expressroute-encryption:ports"][0]["macsec"]
    assert macsec == {"cipher": "GcmAesXpn256", "sciState": "Enabled"}
    assert "KEYS: link1 uses MACsec with the secrets https://kv-old-macsec.vault.azure.net/secrets/link1-cak/" in text
    # Adopting it without the keys in use would swap both links' keys at once: refused.
    report = run_preview("adopted", project)
    assert report.exit_code == 2
    assert any("port 'portName' is adopted with MACsec on link1 and link2" in e for e in report.errors)


def test_authorization_keys_never_reach_the_stack_file(project):
    assert adopt(project, "port-arm.json", circuits="circuits-arm.json") == 0
    text, _ = written(project)
    for key in ("7f3c1e2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b", "b0be57f5-1fba-463b-adec-ffe767354cdd", "authkey"):
        assert key not in text
    assert "authorizationKey" not in text


def test_never_overwrites(project):
    (project / "Pulumi.adopted.yaml").write_text("config: {}\n")
    assert adopt(project, "port-arm.json") == 2
    assert (project / "Pulumi.adopted.yaml").read_text() == "config: {}\n"


@pytest.mark.parametrize("content, message", [
    ("{not json", "not JSON"),
    ("[]", "expected one an ExpressRoute Direct port"),
    (json.dumps({"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v"}), "not an ExpressRoute Direct port"),
])
def test_bad_json_exits_2_and_writes_nothing(project, tmp_path, capsys, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code = cli(["adopt", "--stack", "x", "--project-dir", str(project), "--port", str(bad)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (project / "Pulumi.x.yaml").exists()


def test_unexpected_values_are_named(project, tmp_path, capsys):
    doc = json.loads((FIXTURES / "port-arm.json").read_text())
    doc["properties"]["bandwidthInGbps"] = 40
    doc["properties"]["links"][1]["properties"]["adminState"] = "Sleeping"
    bad = tmp_path / "port.json"
    bad.write_text(json.dumps(doc))
    assert cli(["adopt", "--stack", "x", "--project-dir", str(project), "--port", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bandwidthInGbps: expected one of 10, 100, got 40" in err
    assert 'links[link2].adminState: expected one of Enabled, Disabled, got "Sleeping"' in err


def test_mixed_admin_states_are_refused(project, capsys):
    # Microsoft's published example: link1 Enabled, link2 Disabled.
    assert adopt(project, "port-arm-mixed.json") == 2
    assert "link1 is admin Enabled and link2 is admin Disabled" in capsys.readouterr().err
    assert not (project / "Pulumi.adopted.yaml").exists()


def test_published_vault_example_is_refused_for_soft_delete(project, capsys):
    assert adopt(project, "port-arm.json", vault="vault-arm-as-published.json") == 2
    assert "does not have soft delete enabled" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# The program: import ids and the adoption deployment

SUB = SUBSCRIPTION_ID
VAULT_ID = f"/subscriptions/{SUB}/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-existing"
ADOPTED_PORT = f"/subscriptions/{SUB}/resourceGroups/rg-er-test/providers/Microsoft.Network/expressRoutePorts/port-a"
ADOPTED_CIRCUIT = f"/subscriptions/{SUB}/resourceGroups/rg-er-test/providers/Microsoft.Network/expressRouteCircuits/ckt-1"


def adopted_config(**vault):
    return base_config(
        keyVault={"existingId": VAULT_ID, **vault},
        ports=[port(importId=ADOPTED_PORT, macsec=OFF, circuits=[circuit(importId=ADOPTED_CIRCUIT)])])


def run(values, vaults=None, previous=None, live=None):
    """The program against the mocks; the adopted port-a is, in Azure, live without MACsec
    (``live``: another answer)."""
    return run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(values), [],
                       mocks=AzureMocks(previous_outputs=previous, vaults=vaults,
                                        live_ports={"port-a": live or live_port()}))


def test_import_ids_reach_the_registered_resources():
    result = run(adopted_config())
    port_reg = one(result, "network:ExpressRoutePort")
    assert port_reg.import_id == ADOPTED_PORT and port_reg.id == ADOPTED_PORT
    # The deployment that imports the port keeps Azure's identity and links.
    assert port_reg.ignore_changes == ["identity", "links"]
    assert one(result, "network:ExpressRouteCircuit").import_id == ADOPTED_CIRCUIT
    assert one(result, "ExpressRouteCircuitPeering").import_id == f"{ADOPTED_CIRCUIT}/peerings/AzurePrivatePeering"
    assert one(result, "ExpressRouteCircuitAuthorization").import_id == f"{ADOPTED_CIRCUIT}/authorizations/team-a"
    assert one(result, "resources:ResourceGroup").import_id == f"/subscriptions/{SUB}/resourceGroups/rg-er-test"
    # The existing vault is not a resource of the stack; its access policy and secrets are.
    assert not [r for r in result.resources if r.type == "azure-native:keyvault:Vault"]
    policy = one(result, "keyvault:AccessPolicy")
    assert policy.inputs["vaultName"] == "kv-existing" and policy.inputs["resourceGroupName"] == "rg-keys"
    assert policy.inputs["policy"]["permissions"] == {"secrets": ["get"]}
    assert one(result, "keyvault:Secret", "port-a-link1-cak").inputs["resourceGroupName"] == "rg-keys"


def test_after_adoption_the_port_is_managed_as_any_other():
    first = run(adopted_config())
    second = run(adopted_config(), previous=first.stack_outputs)
    assert one(second, "network:ExpressRoutePort").ignore_changes == []
    assert one(second, "ExpressRouteCircuitPeering").import_id == ""


def test_rbac_on_an_existing_vault_assigns_the_role_on_it():
    result = run(adopted_config(authorization="rbac"), vaults={"kv-existing": {"enableRbacAuthorization": True}})
    assert one(result, "authorization:RoleAssignment").inputs["scope"] == VAULT_ID


# Each setting that stops ExpressRoute reading the keys, refused with its reason, nothing registered.
@pytest.mark.parametrize("overrides, reason", [
    ({"enableSoftDelete": False}, "does not have soft delete enabled"),
    ({"privateEndpointConnections": [{"id": "pe1"}]}, "has private endpoint connections"),
    ({"networkAcls": {"defaultAction": "Deny", "bypass": "None"}}, "does not let trusted Microsoft services through"),
    ({"enableRbacAuthorization": True}, "uses Azure RBAC authorization"),
])
def test_existing_vault_refusals(overrides, reason):
    import pulumi

    class Counting(AzureMocks):
        registered = 0

        def new_resource(self, args):
            Counting.registered += 1
            return super().new_resource(args)

    with pytest.raises(pulumi.RunError) as info:
        run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(adopted_config()), [],
                    mocks=Counting(vaults={"kv-existing": overrides}))
    [line] = [line.strip() for line in str(info.value).splitlines() if line.startswith("  ")]
    assert line.startswith("keyVault.existingId: the vault") and reason in line
    assert Counting.registered == 0  # refused before anything (even the stack reference) was registered


def test_preview_answers_the_existing_vault_from_its_json(project):
    doc = {"config": {**{k: (json.loads(v) if v[:1] in "[{" else v) for k, v in cli_config(adopted_config()).items()}}}
    (project / "Pulumi.bad.yaml").write_text(yaml.safe_dump(doc))
    vault = json.loads((FIXTURES / "vault-cli.json").read_text())
    vault.update(id=VAULT_ID, name="kv-existing")
    vault["properties"]["privateEndpointConnections"] = [{"id": "pe"}]
    (project / "vault.json").write_text(json.dumps(vault))
    report = run_preview("bad", project, vault=str(project / "vault.json"))
    assert report.exit_code == 2 and report.resources == 0
    assert any("private endpoint" in e for e in report.errors)


# ---------------------------------------------------------------------------
# Config


def test_per_link_enabled_defaults_to_true_and_must_be_a_boolean():
    config = parse_stack_config(base_config(ports=[port(macsec={"cipher": "GcmAes256", "link1": {"cipher": "GcmAes128"}})]))
    assert config.ports[0].macsec.link1.enabled is True
    assert only_problem(base_config(ports=[port(macsec={"cipher": "GcmAes256", "link2": {"enabled": "maybe"}})])).startswith(
        "ports[0].macsec.link2.enabled:")


def test_existing_vault_keys():
    found = problems(base_config(keyVault={"existingId": VAULT_ID, "name": "kv-a1", "allowedIpRanges": []}))
    assert found == [
        "keyVault.name: not allowed together with existingId: the vault's name is taken from the id",
        "keyVault.allowedIpRanges: not allowed together with existingId: allowedIpRanges only shapes a vault this "
        "stack creates, and an existing vault's settings are never changed",
    ]
    assert only_problem(base_config(keyVault={})).startswith("keyVault.name: required")
    assert only_problem(base_config(keyVault={"existingId": "kv-a1"})).startswith("keyVault.existingId: must be the ARM id")


def test_import_ids_must_name_the_resource_in_the_stack_group():
    assert only_problem(base_config(ports=[port(importId=ADOPTED_PORT.replace("port-a", "port-b"))])).startswith(
        "ports[0].importId: names 'port-b' but name is 'port-a'")
    other_group = ADOPTED_PORT.replace("rg-er-test", "rg-other")
    assert only_problem(base_config(ports=[port(importId=other_group)])).startswith(
        "ports[0].importId: the port is in resource group 'rg-other' but resourceGroupName is 'rg-er-test'")


def _port_with(link_changes, links=None):
    """Microsoft's port GET (ARM shape) with its links replaced or changed."""
    port = json.loads((FIXTURES / "port-arm.json").read_text())
    if links is not None:
        port["properties"]["links"] = links
    for link in port["properties"]["links"] if isinstance(port["properties"]["links"], list) else []:
        if isinstance(link, dict) and link.get("name") in link_changes:
            link.setdefault("properties", {}).update(link_changes[link["name"]])
    return port


@pytest.mark.parametrize("port_doc, expected", [
    (_port_with({}, links=5), "links: expected a list of link1 and link2"),
    (_port_with({"link2": {"macSecConfig": "abc"}}), "links[link2].macSecConfig: expected an object"),
    (_port_with({"link1": {"macSecConfig": {"cakSecretIdentifier": "0123456789abcdef0123456789abcdef",
                                            "cknSecretIdentifier": "https://kv-a.vault.azure.net/secrets/ckn/"
                                                                   "0123456789abcdef0123456789abcdef",
                                            "cipher": "GcmAes256"}}}),
     "links[link1].macSecConfig.cakSecretIdentifier: not a Key Vault secret URL"),
], ids=["links-not-a-list", "macsec-not-an-object", "key-instead-of-url"])
def test_odd_port_json_is_one_clean_error_and_nothing_is_written(project, tmp_path, capsys, port_doc, expected):
    bad = tmp_path / "port.json"
    bad.write_text(json.dumps(port_doc))
    code = cli(["adopt", "--stack", "odd", "--project-dir", str(project), "--port", str(bad)])
    out = capsys.readouterr()
    assert code == 2 and expected in out.err
    assert "0123456789abcdef0123456789abcdef" not in out.out + out.err
    assert not (project / "Pulumi.odd.yaml").exists()


def test_an_existing_vault_with_public_access_disabled_is_only_warned_about():
    """Microsoft: with public access Disabled, trusted services (ExpressRoute) still get
    through; the policy pack does not refuse it either."""
    from expressroute_encryption.existing_vault import vault_problems, vault_warnings

    settings = {"enableSoftDelete": True, "publicNetworkAccess": "Disabled", "privateEndpointConnections": [],
                "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}, "enableRbacAuthorization": False}
    assert vault_problems(settings, "accessPolicy") == []
    (warning,) = vault_warnings(settings)
    assert "public network access is Disabled" in warning and "trusted" in warning


def test_an_existing_vault_is_named_by_its_id_in_monitoring_and_locks():
    values = {**adopted_config(), "monitoring": {"alertEmails": ["noc@example.com"]}}
    result = run(values)
    vault_name = VAULT_ID.rsplit("/", 1)[-1]
    workspace = one(result, "operationalinsights:Workspace")
    assert workspace.inputs["workspaceName"] == f"log-{vault_name}"
    names = [r.name for r in result.resources if r.type.endswith("ManagementLockByScope")]
    assert f"{vault_name}-vault-lock" in names and not any("None" in n for n in names)


# --- adopting a live unencrypted port changes nothing; MACsec then goes on link by link -----


@pytest.fixture(scope="module")
def adopted():
    """The deployment that adopts a live unencrypted port, and the next one with the same config."""
    first = run(adopted_config())
    return first, run(adopted_config(), previous=first.stack_outputs)


def test_adopting_and_the_next_deployment_change_nothing_on_the_links(adopted):
    first, second = adopted
    assert one(first, "network:ExpressRoutePort").ignore_changes == ["identity", "links"]
    # The next deployment applies links as Azure has them: admin-enabled, no MACsec settings.
    assert links_sent(second) == links_sent(first) == {
        "link1": {"name": "link1", "adminState": "Enabled"}, "link2": {"name": "link2", "adminState": "Enabled"}}
    text = plan(adopted_config(), first)
    assert "  link1: no change (not disruptive)" in text and "  link2: no change (not disruptive)" in text
    assert "refused" not in text


def test_adopting_a_port_with_macsec_on_a_link_still_needs_its_keys():
    values = adopted_config()
    values["ports"][0]["macsec"] = {"cipher": "GcmAes256", "link2": {"enabled": False}}
    with pytest.raises(pulumi.RunError) as info:
        run(values)
    assert "is adopted with MACsec on link1" in str(info.value)


def test_enabling_one_link_of_a_live_port_passes_with_the_keys_made_before(adopted):
    _, second = adopted
    values = adopted_config()
    values["ports"][0]["macsec"] = copy.deepcopy(LINK1_ON)
    third = run(values, previous=second.stack_outputs)
    links = links_sent(third)
    recorded = unwrap(second.stack_outputs["ports"])["port-a"]["links"]["link1"]
    # The link points at the secrets that existed before: the keys read from macsecKeys are the ones used.
    assert links["link1"]["macSecConfig"]["cakSecretIdentifier"] == recorded["cakSecretUri"]
    assert links["link1"]["macSecConfig"]["cknSecretIdentifier"] == recorded["cknSecretUri"]
    assert "macSecConfig" not in links["link2"]
    assert (unwrap(third.stack_outputs["macsecKeys"])["port-a"]["link1"]
            == unwrap(second.stack_outputs["macsecKeys"])["port-a"]["link1"])
