"""program.py: the stack program under the Azure mocks, what a `pulumi preview` would register:
the keys, secrets, port and vault it builds; every key-bearing output secret in the state and no
key in plain text in any output; `protect` on everything but generated keys and operations
resources, from the stack's ``protect`` setting."""

from __future__ import annotations

import json

import pulumi
import pytest

from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import HANDLERS
from expressroute_encryption.offline.wire import SECRET_SIG, is_secret, redact, unwrap
from tests.helpers import (
    AUTH_KEY, BYO_CAK, BYO_CKN, BYO_PORT_KEYS, CAK2, CONNECTION_PROGRAM, MICROSOFT, OPERATIONS, SHARED_KEY,
    UNPROTECTED, VPN, base_config, circuit, find, full_config, one, plain_inputs, port, run_stack,
)
from tests.test_virtual_wan import vwan_config


LINKS = ("link1", "link2")


def port_links(run, name="port-a"):
    return plain_inputs(one(run, "network:ExpressRoutePort", name)).get("links")


def generated_key_values(run) -> list[str]:
    return [unwrap(r.outputs["hex"]) for r in find(run, "RandomBytes")]


# --- keys -------------------------------------------------------------------


def test_generated_keys_have_the_cipher_length_and_are_secret(dev_run):
    keys = {r.name: r for r in find(dev_run, "RandomBytes")}
    assert sorted(keys) == sorted(f"port-a-{link}-{kind}-gen1" for link in LINKS for kind in ("cak", "ckn"))
    for name, reg in keys.items():
        assert is_secret(reg.outputs["hex"]) and is_secret(reg.outputs["base64"])
        want = 64  # GcmAes256 CAK is 32 bytes; CKNs are always 32 bytes
        assert len(unwrap(reg.outputs["hex"])) == want, name


def test_128_bit_cipher_generates_16_byte_caks():
    run = run_stack(base_config(ports=[port(macsec={"cipher": "GcmAes128"})]))
    assert plain_inputs(one(run, "RandomBytes", "port-a-link1-cak-gen1"))["length"] == 16
    assert plain_inputs(one(run, "RandomBytes", "port-a-link1-ckn-gen1"))["length"] == 32


def test_each_link_has_a_cak_and_ckn_secret_holding_secret_values(dev_run):
    secrets = {r.name: r for r in find(dev_run, "keyvault:Secret")}
    assert sorted(secrets) == sorted(f"port-a-{link}-{kind}" for link in LINKS for kind in ("cak", "ckn"))
    for name, reg in secrets.items():
        assert reg.inputs["secretName"] == name
        assert reg.inputs["vaultName"] == "kv-er-test"
        assert is_secret(reg.inputs["properties"]) or is_secret(reg.inputs["properties"]["value"])


def test_no_key_value_appears_outside_secrets(dev_run):
    values = generated_key_values(dev_run)
    assert len(values) == 4
    visible = json.dumps([redact(r.inputs) for r in dev_run.registrations])
    visible += json.dumps([redact(r.outputs) for r in dev_run.registrations])
    visible += json.dumps(redact(dev_run.stack_outputs))
    for value in values:
        assert value not in visible


def test_router_keys_are_a_secret_stack_output(dev_run):
    outputs = dev_run.stack_outputs
    assert is_secret(outputs["macsecKeys"])
    keys = unwrap(outputs["macsecKeys"])["port-a"]
    assert set(keys) == set(LINKS)
    assert sorted(k for link in LINKS for k in keys[link].values()) == sorted(generated_key_values(dev_run))


def test_port_references_versioned_secret_urls(dev_run):
    links = port_links(dev_run)
    for link in links:
        for kind in ("cak", "ckn"):
            url = link["macSecConfig"][f"{kind}SecretIdentifier"]
            prefix = f"https://kv-er-test.vault.azure.net/secrets/port-a-{link['name']}-{kind}/"
            assert url.startswith(prefix) and len(url) == len(prefix) + 32


def changed_resources(run_before, run_after) -> set[tuple[str, str]]:
    """(type, name) of the resources added, or whose inputs differ, between two runs."""
    before = {(r.type.split(":")[-1], r.name): plain_inputs(r) for r in run_before.resources}
    after = {(r.type.split(":")[-1], r.name): plain_inputs(r) for r in run_after.resources}
    assert before.keys() <= after.keys()  # nothing is deleted
    return {key for key in after if before.get(key) != after[key]}


def test_rolling_back_a_generation_restores_the_previous_key():
    # The engine keeps a random value as long as its resource stays with the same inputs,
    # so a roll-back is exact when the previous generation's resource survived the rotation.
    rotated = run_stack(base_config(ports=[port(macsec={"cipher": "GcmAes256", "keyGeneration": {"link1": 2}})]))
    rolled_back = run_stack(base_config(ports=[port(macsec={"cipher": "GcmAes256", "keyGeneration": {"link1": 1}})]))
    kept = {r.name: plain_inputs(r) for r in find(rotated, "RandomBytes")}
    assert "port-a-link1-cak-gen1" in kept and "port-a-link1-cak-gen2" in kept
    back = {r.name: plain_inputs(r) for r in find(rolled_back, "RandomBytes")}
    assert back["port-a-link1-cak-gen1"] == kept["port-a-link1-cak-gen1"]
    gen1_key = unwrap(one(rolled_back, "RandomBytes", "port-a-link1-cak-gen1").outputs["hex"])
    assert unwrap(rolled_back.stack_outputs["macsecKeys"])["port-a"]["link1"]["cak"] == gen1_key


def test_rotating_link1_changes_only_link1_keys_and_settings(dev_run):
    rotated = run_stack(base_config(ports=[port(macsec={"cipher": "GcmAes256", "keyGeneration": {"link1": 2}})]))
    assert changed_resources(dev_run, rotated) == {
        ("RandomBytes", "port-a-link1-cak-gen2"), ("RandomBytes", "port-a-link1-ckn-gen2"),  # new keys
        ("Secret", "port-a-link1-cak"), ("Secret", "port-a-link1-ckn"),  # new values, new versions
        ("ExpressRoutePort", "port-a"),  # link1 points at the new secret versions
    }
    new_keys = {r.name: unwrap(r.outputs["hex"]) for r in find(rotated, "RandomBytes")}
    old_keys = {r.name: unwrap(r.outputs["hex"]) for r in find(dev_run, "RandomBytes")}
    assert new_keys["port-a-link1-cak-gen2"] != old_keys["port-a-link1-cak-gen1"]
    # The previous generation is kept, unchanged, for a roll-back.
    assert new_keys["port-a-link1-cak-gen1"] == old_keys["port-a-link1-cak-gen1"]
    assert new_keys["port-a-link2-cak-gen1"] == old_keys["port-a-link2-cak-gen1"]
    assert unwrap(rotated.stack_outputs["macsecKeys"])["port-a"]["link1"]["cak"] == new_keys["port-a-link1-cak-gen2"]
    before, after = port_links(dev_run), port_links(rotated)
    assert before[1] == after[1]  # link2 untouched
    assert before[0]["macSecConfig"]["cakSecretIdentifier"] != after[0]["macSecConfig"]["cakSecretIdentifier"]
    # Same secret, new version: the old key version stays in the vault for roll-back.
    assert before[0]["macSecConfig"]["cakSecretIdentifier"].rsplit("/", 1)[0] == \
        after[0]["macSecConfig"]["cakSecretIdentifier"].rsplit("/", 1)[0]


# --- port lifecycle ---------------------------------------------------------


def test_reserved_port_sends_no_link_settings():
    run = run_stack(base_config(ports=[port(stage="reserved")]))
    assert "links" not in plain_inputs(one(run, "network:ExpressRoutePort"))
    assert len(find(run, "keyvault:Secret")) == 4  # keys are ready for the next stage


def test_encrypted_port_has_macsec_with_links_admin_disabled():
    run = run_stack(base_config(ports=[port(stage="encrypted", macsec={"cipher": "GcmAes128", "sciState": "Enabled"})]))
    links = port_links(run)
    assert [link["name"] for link in links] == list(LINKS)
    for link in links:
        assert link["adminState"] == "Disabled"
        assert link["macSecConfig"]["cipher"] == "GcmAes128"
        assert link["macSecConfig"]["sciState"] == "Enabled"


def test_active_port_enables_both_links_with_macsec(dev_run):
    links = port_links(dev_run)
    assert [(link["name"], link["adminState"], link["macSecConfig"]["cipher"]) for link in links] == [
        ("link1", "Enabled", "GcmAes256"), ("link2", "Enabled", "GcmAes256")
    ]


def test_port_settings_and_user_assigned_identity(dev_run):
    inputs = plain_inputs(one(dev_run, "network:ExpressRoutePort"))
    identity = plain_inputs(one(dev_run, "UserAssignedIdentity"))
    identity_id = one(dev_run, "UserAssignedIdentity").id
    assert inputs["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [identity_id]}
    assert (inputs["expressRoutePortName"], inputs["bandwidthInGbps"], inputs["encapsulation"],
            inputs["billingType"], inputs["peeringLocation"]) == (
        "port-a", 10, "QinQ", "MeteredData", "Equinix-Amsterdam-AM5")
    assert identity["resourceGroupName"] == "rg-er-test"


def test_port_waits_for_the_identity_and_its_secrets(dev_run):
    port_reg = one(dev_run, "network:ExpressRoutePort")
    deps = set(port_reg.dependencies)
    assert one(dev_run, "UserAssignedIdentity").urn in deps
    assert {r.urn for r in find(dev_run, "keyvault:Secret")} <= deps


def test_port_stack_outputs_describe_each_link_without_keys(dev_run):
    ports = dev_run.stack_outputs["ports"]
    assert not is_secret(ports)
    info = ports["port-a"]
    assert info["stage"] == "active" and info["id"].endswith("/expressRoutePorts/port-a")
    link1 = info["links"]["link1"]
    assert {k: link1[k] for k in ("cipher", "sciState", "keyGeneration", "macsecEnabled", "adminState", "keySource")} == {
        "cipher": "GcmAes256", "sciState": "Disabled", "keyGeneration": 1,
        "macsecEnabled": True, "adminState": "Enabled", "keySource": "generated",
    }
    assert link1["cakSecretUri"].startswith("https://kv-er-test.vault.azure.net/secrets/port-a-link1-cak/")
    for key in ("keyVaultUri", "identityPrincipalId", "identityId", "keyVaultName"):
        assert dev_run.stack_outputs[key] and not is_secret(dev_run.stack_outputs[key])
    assert dev_run.stack_outputs["keyVaultUri"] == "https://kv-er-test.vault.azure.net/"


# --- vault -----------------------------------------------------------------


def test_vault_firewall_soft_delete_and_purge_protection(dev_run):
    props = plain_inputs(one(dev_run, "keyvault:Vault"))["properties"]
    assert props["networkAcls"] == {
        "defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{"value": "198.51.100.0/24"}]
    }
    assert props["enableSoftDelete"] is True and props["softDeleteRetentionInDays"] == 90
    assert props["enablePurgeProtection"] is True
    assert props["publicNetworkAccess"] == "Enabled"  # trusted-service access needs it
    assert find(dev_run, "PrivateEndpoint") == []


def test_access_policy_grants_identity_get_on_secrets_only(dev_run):
    props = plain_inputs(one(dev_run, "keyvault:Vault"))["properties"]
    identity = one(dev_run, "UserAssignedIdentity")
    assert props["enableRbacAuthorization"] is False
    assert props["accessPolicies"] == [{
        "tenantId": identity.outputs["tenantId"],
        "objectId": identity.outputs["principalId"],
        "permissions": {"secrets": ["get"]},
    }]
    assert find(dev_run, "RoleAssignment") == []


def test_rbac_uses_secrets_user_role_on_the_vault():
    run = run_stack(base_config(keyVault={"name": "kv-er-test", "authorization": "rbac"}))
    props = plain_inputs(one(run, "keyvault:Vault"))["properties"]
    assert props["enableRbacAuthorization"] is True and props["accessPolicies"] == []
    role = plain_inputs(one(run, "RoleAssignment"))
    vault = one(run, "keyvault:Vault")
    assert role["scope"] == vault.id
    assert role["roleDefinitionId"].endswith("/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6")
    assert role["principalId"] == one(run, "UserAssignedIdentity").outputs["principalId"]
    # The port only gets the identity once the role is granted.
    assert one(run, "RoleAssignment").urn in one(run, "network:ExpressRoutePort").dependencies


def test_purge_protection_off_leaves_the_flag_unset():
    run = run_stack(base_config(keyVault={"name": "kv-er-test", "purgeProtection": False}))
    assert "enablePurgeProtection" not in plain_inputs(one(run, "keyvault:Vault"))["properties"]


# --- protection ----------------------------------------------------------------


def test_physical_and_irreplaceable_resources_are_protected_by_default(dev_run):
    protected = {(r.type.split(":")[-1], r.name) for r in dev_run.resources if r.protect}
    assert protected == {
        ("ResourceGroup", "expressroute"),
        ("UserAssignedIdentity", "macsec-identity"),
        ("Vault", "macsec-vault"),
        ("ExpressRoutePort", "port-a"),
    } | {("Secret", f"port-a-{link}-{kind}") for link in LINKS for kind in ("cak", "ckn")}
    # Random keys are replaced on rotation, so protecting them would block it.
    assert not any(r.protect for r in find(dev_run, "RandomBytes"))


def test_protect_false_is_honoured():
    run = run_stack(base_config(protect=False))
    assert not any(r.protect for r in run.resources)


# --- bring your own keys ---------------------------------------------------------


def byo_keys():
    key = {"cak": BYO_CAK, "ckn": BYO_CKN}
    return {"port-a": {"link1": key, "link2": key}}


def test_byo_keys_are_stored_as_secrets_and_not_generated():
    run = run_stack(base_config(macsecKeys=byo_keys()), secret_keys=("macsecKeys",))
    assert find(run, "RandomBytes") == []
    values = {unwrap(r.inputs["properties"])["value"] for r in find(run, "keyvault:Secret")}
    assert values == {BYO_CAK, BYO_CKN}
    visible = json.dumps([redact(r.inputs) for r in run.registrations] + [redact(run.stack_outputs)])
    assert BYO_CAK not in visible and BYO_CKN not in visible
    assert unwrap(run.stack_outputs["macsecKeys"]) == {"port-a": {}}
    assert run.stack_outputs["ports"]["port-a"]["links"]["link1"]["keySource"] == "bringYourOwn"


def test_byo_keys_in_plain_config_are_refused_with_the_fix():
    with pytest.raises(pulumi.RunError) as info:
        run_stack(base_config(macsecKeys=byo_keys()))
    message = str(info.value)
    assert "macsecKeys: must be a secret config value" in message
    assert "pulumi config set --secret --type string --path 'macsecKeys.<port>.link1.cak'" in message
    assert BYO_CAK not in message and BYO_CKN not in message


def test_wrong_length_byo_key_is_refused_without_echoing_it():
    short = BYO_CAK[:32]  # a 128-bit key for a 256-bit cipher: Azure would pad it
    keys = byo_keys()
    keys["port-a"]["link2"] = {"cak": short, "ckn": BYO_CKN}
    with pytest.raises(pulumi.RunError) as info:
        run_stack(base_config(macsecKeys=keys), secret_keys=("macsecKeys",))
    assert "macsecKeys.port-a.link2.cak: must be exactly 64 hexadecimal digits for GcmAes256" in str(info.value)
    assert short not in str(info.value)


# --- config errors stop everything -------------------------------------------------


def test_config_error_registers_nothing_and_lists_every_problem():
    values = base_config(keyVault={"name": "x"}, ports=[port(bandwidthInGbps=40)])
    with pytest.raises(pulumi.RunError) as info:
        run_stack(values, location=None)
    lines = str(info.value).splitlines()
    assert lines[0] == "stack config: 3 problems; nothing was deployed:"
    assert [line.strip().split(":")[0] for line in lines[1:]] == [
        "azure-native", "keyVault.name", "ports[0].bandwidthInGbps",
    ]


def test_config_error_happens_before_any_registration(monkeypatch):
    from expressroute_encryption.offline import harness

    seen = []
    original = harness.RecordingMonitor.RegisterResource
    monkeypatch.setattr(harness.RecordingMonitor, "RegisterResource",
                        lambda self, req: seen.append(req.type) or original(self, req))
    with pytest.raises(pulumi.RunError):
        run_stack(base_config(ports=[port(stage="on")]))
    assert seen == ["pulumi:pulumi:Stack"]


def test_two_ports_get_separate_keys_and_secrets():
    run = run_stack(base_config(ports=[port(), port(name="port-b", bandwidthInGbps=100, macsec={"cipher": "GcmAesXpn256"})]))
    assert len(find(run, "network:ExpressRoutePort")) == 2
    assert len(find(run, "keyvault:Secret")) == 8
    assert len(set(generated_key_values(run))) == 8
    assert {link["macSecConfig"]["cipher"] for link in port_links(run, "port-b")} == {"GcmAesXpn256"}
    assert SECRET_SIG not in json.dumps(run.stack_outputs["ports"])


def test_top_level_values_are_read_as_the_cli_passes_them():
    # `pulumi config set protect false` and `pulumi config set resourceGroupName 123`
    # arrive as the strings "false" and "123".
    run = run_stack(base_config(protect="false", resourceGroupName="123"))
    assert not any(r.protect for r in run.resources)
    assert plain_inputs(one(run, "ResourceGroup"))["resourceGroupName"] == "123"


# Every type the program registers, and the outputs that carry key material (Azure returns
# them on a GET). A new type in the mocks fails the first test until it is listed here.
SECRET_OUTPUTS = {
    "azure-native:resources:ResourceGroup": [],
    "azure-native:managedidentity:UserAssignedIdentity": [],
    "azure-native:keyvault:Vault": [],
    "azure-native:keyvault:Secret": ["properties"],
    "azure-native:keyvault:AccessPolicy": [],
    "azure-native:authorization:RoleAssignment": [],
    "azure-native:network:ExpressRoutePort": [],
    "azure-native:network:ExpressRouteCircuit": ["authorizations", "peerings"],
    "azure-native:network:ExpressRouteCircuitPeering": ["sharedKey"],
    "azure-native:network:ExpressRouteCircuitAuthorization": ["authorizationKey"],
    "azure-native:network:RouteFilter": [],
    "azure-native:network:VirtualNetwork": [],
    "azure-native:network:Subnet": [],
    "azure-native:network:PublicIPAddress": [],
    "azure-native:network:VirtualNetworkGateway": [],
    "azure-native:network:LocalNetworkGateway": [],
    "azure-native:network:VirtualNetworkGatewayConnection": ["sharedKey", "authorizationKey"],
    "azure-native:network:VirtualWan": [],
    "azure-native:network:VirtualHub": [],
    "azure-native:network:ExpressRouteGateway": ["expressRouteConnections"],
    "azure-native:network:ExpressRouteConnection": ["authorizationKey"],
    "azure-native:network:VpnGateway": ["connections"],
    "azure-native:network:VpnSite": [],
    "azure-native:network:VpnConnection": ["sharedKey", "vpnLinkConnections"],
    # Operations resources carry no key: a workspace's shared keys come from a separate
    # action (getSharedKeys), never in its state; e-mail receivers are not secrets.
    "azure-native:monitor:ActionGroup": [],
    "azure-native:monitor:MetricAlert": [],
    "azure-native:monitor:DiagnosticSetting": [],
    "azure-native:operationalinsights:Workspace": [],
    "azure-native:authorization:ManagementLockByScope": [],
    "random:index/randomBytes:RandomBytes": ["hex", "base64"],
    "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("connection")
    (folder / "__main__.py").write_text(CONNECTION_PROGRAM)
    vpn = dict(VPN, sharedKey=SHARED_KEY)
    return {
        "vpn+byo": run_stack(base_config(ports=[port(circuits=[circuit()])], vpn=vpn, macsecKeys=BYO_PORT_KEYS,
                                         keyVault={"name": "kv-er-test", "authorization": "rbac"}),
                             secret_keys=("macsecKeys", "vpn")),
        "generated": run_stack(base_config(ports=[port(circuits=[circuit(
            microsoftPeering={**MICROSOFT, "routeFilterCommunities": ["12076:5010"]})])],
            monitoring={"alertEmails": ["noc@example.com"]})),
        "vwan": run_stack(vwan_config()),
        "connection": run_program(folder, "app", "dev", {"azure-native:location": "westeurope"}, []),
    }


def test_every_registered_type_has_its_secret_outputs_listed():
    assert set(SECRET_OUTPUTS) == set(HANDLERS)


def test_every_key_bearing_output_is_secret_in_the_state(runs):
    seen = set()
    for run in runs.values():
        for reg in run.resources:
            if not reg.custom:
                continue
            seen.add(reg.type)
            for field in SECRET_OUTPUTS[reg.type]:
                assert field in reg.additional_secret_outputs, (reg.type, reg.name, field)
                if field in reg.outputs:
                    assert is_secret(reg.outputs[field]), (reg.type, reg.name, field)
    # The runs exercise every type but the existing vault's access policy (tests/test_adopt.py).
    assert seen == set(HANDLERS) - {"azure-native:keyvault:AccessPolicy"}


def _plain_strings(value, found):
    if is_secret(value):
        return
    if isinstance(value, dict):
        for item in value.values():
            _plain_strings(item, found)
    elif isinstance(value, list):
        for item in value:
            _plain_strings(item, found)
    elif isinstance(value, str):
        found.add(value)


def test_no_key_is_in_plain_text_in_any_output(runs):
    keys = {BYO_CAK, CAK2, BYO_CKN, SHARED_KEY, AUTH_KEY}
    for run in runs.values():
        for reg in run.resources:
            if reg.type.startswith("random:"):
                keys |= {unwrap(reg.outputs.get(k)) for k in ("hex", "base64", "result") if k in reg.outputs}
            if reg.type.endswith("ExpressRouteCircuitAuthorization"):
                keys.add(unwrap(reg.outputs["authorizationKey"]))
    for name, run in runs.items():
        for reg in run.resources:
            found: set[str] = set()
            _plain_strings(reg.outputs, found)
            assert not found & keys, (name, reg.type, reg.name)
        found = set()
        _plain_strings(run.stack_outputs, found)
        assert not found & keys, name


def test_the_vpn_connection_mock_answers_like_azure(runs):
    [connection] = [r for r in runs["vwan"].resources if r.type.endswith("network:VpnConnection")]
    [link] = unwrap(connection.outputs["vpnLinkConnections"])
    assert link["id"].endswith("/vpnLinkConnections/dc2-link-connection") and link["sharedKey"]
    [gateway] = [r for r in runs["vwan"].resources if r.type.endswith("network:ExpressRouteConnection")]
    assert "authorizationKey" in gateway.additional_secret_outputs


def test_everything_but_generated_keys_is_protected_by_default(protected_runs):
    types = set()
    for run in protected_runs:
        for reg in run.resources:
            if reg.custom:
                types.add(reg.type)
                assert reg.protect == (reg.type not in UNPROTECTED | OPERATIONS), (reg.type, reg.name)
    for kind in ("ExpressRouteCircuitPeering", "ExpressRouteCircuitAuthorization", "RouteFilter", "RoleAssignment",
                 "VirtualNetworkGatewayConnection", "VpnConnection", "VpnSite", "VirtualHub", "ExpressRouteConnection"):
        assert any(t.endswith(kind) for t in types), kind


def test_protect_false_protects_nothing():
    run = run_stack(full_config(protect=False))
    assert [r.name for r in run.resources if r.custom and r.protect] == []
