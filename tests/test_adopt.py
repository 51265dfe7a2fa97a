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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expressroute_encryption.cli import main as cli
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID, AzureMocks
from expressroute_encryption.offline.preview import run_preview
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import (
    LINK1_ON, OFF, PROJECT_DIR, base_config, circuit, cli_config, links_sent, live_port, one, only_problem, plan, port,
    problems, program_folder,
)

FIXTURES = Path(__file__).parent / "fixtures" / "adopt"
PORT_ID = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/expressRoutePorts/portName"
CIRCUIT_ID = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/expressRouteCircuits/expressRouteCircuit1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return program_folder(tmp_path)


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
    ("[]", "expected an ExpressRoute Direct port (az network express-route port show): a JSON object, got a list"),
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
    (_port_with({}, links=5), "links: expected a list, got a number"),
    (_port_with({"link2": {"macSecConfig": "abc"}}), "links[1].macSecConfig: expected an object, got a string"),
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
    # Not the stack's vault: locked only when asked for (lockExistingVault).
    assert f"{vault_name}-vault-lock" not in names and not any("None" in n for n in names)
    locked = run({**values, "lockExistingVault": True})
    assert f"{vault_name}-vault-lock" in [r.name for r in locked.resources if r.type.endswith("ManagementLockByScope")]


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


# ---------------------------------------------------------------------------
# Unexpected JSON: one line naming the field, exit 2, no file (issue 22)

def _doc(name: str):
    return json.loads((FIXTURES / name).read_text())


def _adopt_docs(project: Path, tmp_path: Path, port_doc, circuits_doc=None, vault_doc=None, *extra: str,
                stack: str = "odd") -> int:
    argv = ["adopt", "--stack", stack, "--project-dir", str(project)]
    for option, document in (("port", port_doc), ("circuits", circuits_doc), ("vault", vault_doc)):
        if document is not None:
            path = tmp_path / f"{option}.json"
            path.write_text(document if isinstance(document, str) else json.dumps(document))
            argv += [f"--{option}", str(path)]
    return cli([*argv, *extra])


def _written_files(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if p.name.startswith(("Pulumi.odd", "policy-config")))


def _port_with_fields(**fields):
    doc = _doc("port-cli.json")
    doc.update(fields)
    return doc


def _circuits_with(change):
    doc = _doc("circuits-cli.json")
    change(doc[0])
    return doc


def _set_link_name(doc):
    doc["links"][0]["name"] = ["link1"]
    return doc


def _vault_with_acls(value):
    doc = _doc("vault-cli.json")
    doc["properties"]["networkAcls"] = value
    return doc


@pytest.mark.parametrize("port_doc, circuits_doc, vault_doc, expected", [
    (_port_with_fields(name=5), None, None, "port.json: name: expected a string, got a number"),
    (_port_with_fields(name=["portName"]), None, None, "port.json: name: expected a string, got a list"),
    (_set_link_name(_doc("port-cli.json")), None, None, "port.json: links[0].name: expected a string, got a list"),
    (_doc("port-cli.json"), _circuits_with(lambda c: c.update(sku="Premium_MeteredData")), None,
     "circuits.json: [0] expressRouteCircuit1: sku: expected an object, got a string"),
    (_doc("port-cli.json"), _circuits_with(lambda c: c.update(expressRoutePort=c["expressRoutePort"]["id"])), None,
     "circuits.json: [0].expressRoutePort: expected an object, got a string"),
    (_doc("port-cli.json"), _circuits_with(lambda c: c.update(peerings=["AzurePrivatePeering"])), None,
     "circuits.json: [0] expressRouteCircuit1: peerings[0]: expected an object, got a string"),
    (_doc("port-cli.json"), _circuits_with(lambda c: c["peerings"][0].update(ipv6PeeringConfig=[])), None,
     "circuits.json: [0] expressRouteCircuit1: peerings[0].ipv6PeeringConfig: expected an object, got a list"),
    (_doc("port-cli.json"), None, _vault_with_acls("Deny"), "vault.json: networkAcls: expected an object, got a string"),
    ("[" * 200_000 + "]" * 200_000, None, None, "port.json: nested too deeply"),
    ({"a": json.loads("[" * 40 + "]" * 40)}, None, None, "port.json: nested more than 32 levels deep"),
    (json.dumps(_doc("port-cli.json")).replace('"bandwidthInGbps": 100', '"bandwidthInGbps": NaN'), None, None,
     "NaN is not a JSON number"),
    (json.dumps(_doc("port-cli.json"))[:-1] + ', "name": "other"}', None, None,
     'the key "name" appears twice in one object'),
    (_port_with_fields(links=_doc("port-cli.json")["links"] * 2), None, None,
     "port.json: links: link1 is given 2 times: a port has each link once"),
    (_port_with_fields(location="westus\nsecretsprovider: passphrase"), None, None,
     "port.json: location: expected an Azure region name such as westeurope"),
    (_doc("port-cli.json"), None, {**_doc("vault-cli.json"), "id": _doc("vault-cli.json")["id"] + "\nencryptionsalt: x"},
     "vault.json: id: not the ARM id of a Microsoft.KeyVault/vaults resource"),
], ids=["port-name-number", "port-name-list", "link-name-list", "sku-string", "port-reference-string",
        "peering-string", "ipv6-list", "acls-string", "200000-deep", "33-deep", "nan", "duplicate-key",
        "duplicate-links", "newline-in-location", "newline-in-vault-id"])
def test_unexpected_json_is_one_line_naming_the_field_and_no_file(project, tmp_path, capsys, port_doc, circuits_doc,
                                                                  vault_doc, expected):
    code = _adopt_docs(project, tmp_path, port_doc, circuits_doc, vault_doc)
    out = capsys.readouterr()
    errors = [line for line in out.err.splitlines() if line.startswith("adopt: error: ")]
    assert code == 2 and any(expected in line for line in errors), out.err
    assert out.err.splitlines()[-1] == "adopt: nothing written"
    assert all(line.count("error:") <= 1 for line in out.err.splitlines())  # never "error: ... error:"
    assert "Traceback" not in out.err and _written_files(project) == []


def test_a_file_over_the_size_limit_is_refused_unread(project, tmp_path, capsys):
    from expressroute_encryption.azure_json import MAX_INPUT_BYTES

    big = tmp_path / "port.json"
    with big.open("wb") as file:
        file.truncate(MAX_INPUT_BYTES + 1)  # sparse: nothing to write, and nothing read past the limit
    assert cli(["adopt", "--stack", "odd", "--project-dir", str(project), "--port", str(big)]) == 2
    assert "more than 8 MiB: refused unread" in capsys.readouterr().err
    assert _written_files(project) == []


@pytest.mark.parametrize("stack, expected", [
    ("s" * 300, "a stack name has letters, digits, '-', '_' and '.' only, at most 100 of them"),
    ("dev\n", "a stack name has letters"),
    ("../dev", "a stack name has letters"),
])
def test_stack_names_the_pulumi_cli_refuses_are_refused(project, capsys, stack, expected):
    assert adopt(project, "port-cli.json", stack=stack) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.splitlines()[0]) < 300
    assert not list(project.glob("Pulumi.*s*.yaml")) and not list(project.parent.glob("Pulumi.dev.yaml"))


def test_a_missing_project_folder_is_refused(tmp_path, capsys):
    missing = tmp_path / "nope" / "project"
    code = cli(["adopt", "--stack", "s", "--project-dir", str(missing), "--port", str(FIXTURES / "port-cli.json")])
    assert code == 2 and f"--project-dir {missing}: no such folder" in capsys.readouterr().err


def test_a_read_only_project_folder_is_refused(project, capsys, monkeypatch):
    # (os.access, not chmod: a test run as root could write into a read-only folder anyway.)
    monkeypatch.setattr("expressroute_encryption.adopt.os.access", lambda path, mode: False)
    assert adopt(project, "port-cli.json") == 2
    assert "cannot write into it (permission denied)" in capsys.readouterr().err
    assert _written_files(project) == [] and not (project / "Pulumi.adopted.yaml").exists()


def test_a_write_that_fails_half_way_leaves_neither_file(project, capsys, monkeypatch):
    import os as os_module

    real_link, calls = os_module.link, []

    def link_then_fail(source, target):
        calls.append(target)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(target))
        real_link(source, target)

    monkeypatch.setattr("expressroute_encryption.adopt.os.link", link_then_fail)
    assert adopt(project, "port-cli.json") == 2
    assert "cannot write: No space left on device" in capsys.readouterr().err
    assert len(calls) == 2 and sorted(p.name for p in project.iterdir()) == ["Pulumi.yaml", "__main__.py"]


def test_values_copied_into_the_header_are_escaped(project, tmp_path):
    # A port name is checked by the config's rule; what reaches the header unchecked is escaped.
    weird = tmp_path / "odd\nsecretsprovider: x.json"
    weird.write_text((FIXTURES / "port-cli.json").read_text())
    assert cli(["adopt", "--stack", "odd", "--project-dir", str(project), "--port", str(weird)]) == 0
    text = (project / "Pulumi.odd.yaml").read_text()
    assert "odd\\nsecretsprovider: x.json" in text
    assert all(line.startswith("#") for line in text.split("config:\n")[0].splitlines())
    assert set(yaml.safe_load(text)) == {"config"}


def test_names_azure_allows_are_adopted_with_the_config_rules(project, tmp_path, capsys):
    name = "er_direct.ams-" + "x" * 66  # 80 characters: '_' and '.' as Azure allows
    port_doc = json.loads((FIXTURES / "port-cli.json").read_text().replace("portName", name))
    assert _adopt_docs(project, tmp_path, port_doc) == 0
    text = (project / "Pulumi.odd.yaml").read_text()
    assert yaml.safe_load(text)["config"]["expressroute-encryption:ports"][0]["name"] == name
    report = run_preview("odd", project)
    assert report.exit_code == 0, report.errors
    assert report.resource_types["azure-native:keyvault:Secret"] == 4
    too_long = json.loads((FIXTURES / "port-cli.json").read_text().replace("portName", name + "x"))
    assert _adopt_docs(project, tmp_path, too_long, stack="long") == 2
    assert ("the port cannot be described by this stack's config as it is in Azure: ports[0].name: must be 1-80 "
            "letters") in capsys.readouterr().err


def test_older_az_output_without_billing_type_is_adopted_with_the_assumption_in_the_header(project, capsys):
    assert adopt(project, "port-cli-2022-01-01.json") == 0
    text, config = written(project)
    assert config["expressroute-encryption:ports"][0]["billingType"] == "MeteredData"
    assert ("DECIDE billingType: " in text and "has no billingType" in text and "MeteredData is assumed" in text
            and "--query properties.billingType" in text)


def test_circuits_of_other_ports_and_circuits_not_given_get_a_note(project, tmp_path):
    other_port = CIRCUIT_ID.replace("expressRouteCircuit1", "ckt-b")
    port_doc = _doc("port-cli.json")
    port_doc["circuits"] = [{"id": CIRCUIT_ID}, {"id": other_port}]
    circuits_doc = _doc("circuits-cli.json")
    elsewhere = copy.deepcopy(circuits_doc[0])
    elsewhere.update(name="ckt-elsewhere", id=CIRCUIT_ID.replace("expressRouteCircuit1", "ckt-elsewhere"),
                     expressRoutePort={"id": PORT_ID.replace("portName", "port-b")})
    assert _adopt_docs(project, tmp_path, port_doc, [*circuits_doc, elsewhere]) == 0
    text = (project / "Pulumi.odd.yaml").read_text()
    assert "# - circuit ckt-elsewhere is left out: it is on another port (port-b)" in text
    assert "# - circuit circuitName2 is left out: it is on no ExpressRoute Direct port" in text
    assert "# - circuit ckt-b is on this port in Azure (the port lists it) but was not in " in text
    assert "expressRouteCircuit1 is on this port in Azure" not in text  # it was given, and adopted


# ---------------------------------------------------------------------------
# The policy config adopt writes (issue 22)


def test_a_port_adopted_without_macsec_gets_a_dated_exemption_and_passes_the_gate(project, monkeypatch):
    import datetime

    from expressroute_encryption.policy import exemptions

    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2026, 12, 2))
    assert adopt(project, "port-arm.json", circuits="circuits-arm.json", vault="vault-cli.json") == 0
    policy = json.loads((project / "policy-config.adopted.json").read_text())
    assert policy == {"exemptPorts": [{
        "name": "portName", "expires": "2027-03-02",
        "reason": "adopted without MACsec by expressroute-encryption adopt on 2026-12-02 (stack adopted): encrypt "
                  "link by link, then remove this entry"}]}
    report = run_preview("adopted", project, vault=str(FIXTURES / "vault-cli.json"))
    assert report.exit_code == 0, [v.to_line() for v in report.violations]
    assert report.notes[0].startswith("policy config: policy-config.adopted.json (this stack's")
    assert "exemption: expressroute-port-macsec-required: port portName exempt until 2027-03-02" in report.exemptions[0]


def test_exempt_until_sets_the_date_and_is_checked_as_the_policies_check_it(project, capsys, monkeypatch):
    import datetime

    from expressroute_encryption.policy import exemptions

    monkeypatch.setattr(exemptions, "today", lambda: datetime.date(2026, 12, 2))
    for bad, message in (("2027-W13-3", "--exempt-until must be a date written YYYY-MM-DD"),
                         ("2027-12-03", "--exempt-until 2027-12-03: is more than one year ahead (today the latest "
                                        "is 2027-12-02)"),
                         ("2026-12-01", "--exempt-until 2026-12-01: is in the past")):
        assert cli(["adopt", "--stack", "x", "--project-dir", str(project), "--port", str(FIXTURES / "port-cli.json"),
                    "--exempt-until", bad]) == 2
        assert message in capsys.readouterr().err
        assert not (project / "Pulumi.x.yaml").exists() and not (project / "policy-config.x.json").exists()
    assert cli(["adopt", "--stack", "x", "--project-dir", str(project), "--port", str(FIXTURES / "port-cli.json"),
                "--exempt-until", "2027-12-02"]) == 0
    assert json.loads((project / "policy-config.x.json").read_text())["exemptPorts"][0]["expires"] == "2027-12-02"


def test_an_existing_policy_config_is_never_overwritten(project, capsys):
    (project / "policy-config.adopted.json").write_text('{"all": "mandatory"}\n')
    assert adopt(project, "port-cli.json") == 0
    out = capsys.readouterr().out
    assert (project / "policy-config.adopted.json").read_text() == '{"all": "mandatory"}\n'
    assert "policy-config.adopted.json exists: not changed. Add this entry to its top-level exemptPorts list" in out
    assert '"name": "portName"' in out and "policy exemption: add" in (project / "Pulumi.adopted.yaml").read_text()


def test_a_port_with_macsec_on_both_links_needs_no_exemption(project, capsys):
    assert adopt(project, "port-arm-macsec.json") == 0
    assert not (project / "policy-config.adopted.json").exists()
    assert cli(["adopt", "--stack", "again", "--project-dir", str(project), "--port",
                str(FIXTURES / "port-arm-macsec.json"), "--exempt-until", "2027-01-01"]) == 0
    assert "--exempt-until: the port needs no exemption" in capsys.readouterr().out


def test_the_header_gives_the_keys_path_pulumi_reads_for_a_name_with_a_dot(project, tmp_path):
    port_doc = json.loads((FIXTURES / "port-arm-macsec.json").read_text().replace("portName", "er.ams_1"))
    assert _adopt_docs(project, tmp_path, port_doc) == 0
    assert "--path 'macsecKeys[\"er.ams_1\"].link1.cak'" in (project / "Pulumi.odd.yaml").read_text()


# ---------------------------------------------------------------------------
# Property: whatever the JSON, adopt answers 0 with a stack the config accepts, or 2 with no file


def _mutations():
    leaves = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False),
                       st.text(max_size=12), st.sampled_from(["link1", "link2", "Enabled", "QinQ", "\n", "\x1b[2J"]))
    values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                          st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                          max_leaves=6)
    return st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["replace", "delete", "wrap"]), values),
                    min_size=1, max_size=4)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _mutate(document, mutations):
    for pick, action, value in mutations:
        paths = [p for p in _paths(document) if p]
        if not paths:
            return value
        path = paths[pick % len(paths)]
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if action == "delete":
            del parent[path[-1]]
        elif action == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
        else:
            parent[path[-1]] = value
    return document


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.sampled_from(["port", "circuits", "vault"]), mutations=_mutations())
def test_adopt_never_tracebacks_on_mutated_json(project, which, mutations):
    import contextlib
    import io
    import tempfile

    from expressroute_encryption.config.loading import stack_config_from

    docs = {"port": _doc("port-arm.json"), "circuits": _doc("circuits-arm.json"), "vault": _doc("vault-cli.json")}
    docs[which] = _mutate(docs[which], mutations)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        argv = ["adopt", "--stack", "fuzz", "--project-dir", str(folder)]
        for option, document in docs.items():
            (folder / f"{option}.json").write_text(json.dumps(document))
            argv += [f"--{option}", str(folder / f"{option}.json")]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli(argv)
        written = sorted(p.name for p in folder.iterdir() if p.name not in ("port.json", "circuits.json", "vault.json"))
        if code == 2:
            assert written == [] and err.getvalue().splitlines()[-1] == "adopt: nothing written"
            assert all(line.startswith("adopt: ") for line in err.getvalue().splitlines())
        else:
            assert code == 0, err.getvalue()
            text = (folder / "Pulumi.fuzz.yaml").read_text()
            header, _, body = text.partition("config:\n")
            assert all(line.startswith("#") for line in header.splitlines())
            config = yaml.safe_load(text)["config"]
            stack_config_from({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, [])
