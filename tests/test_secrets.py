"""Secrets: every key-bearing output is secret, plain key arguments are refused, key
hygiene; key material must be secret config on `pulumi up`, and every key leaf encrypted
in the stack file the offline reader checks."""

from __future__ import annotations

import pulumi
import pytest
import yaml

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.inputs import (
    PLAIN_SECRET,
    CircuitVnetConnectionInputs,
    EncryptedDirectPortInputs,
    PrivatePeeringVpnInputs,
    VirtualWanVpnInputs,
    validate_args,
)
from expressroute_encryption.config.keys import key_reuse_warnings
from expressroute_encryption.config.loading import load_stack_config, parse_stack_config
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import HANDLERS
from expressroute_encryption.offline.stack_file import StackFileError, load_stack_file
from expressroute_encryption.offline.wire import is_secret, unwrap
from tests.helpers import (
    BYO_CAK, BYO_CKN, MICROSOFT, VPN, base_config, circuit, cli_config, port, problems, project_copy, run_stack,
)
from tests.test_virtual_wan import vwan_config

CAK2 = "b0bcae" * 10 + "1234"  # 64 hex digits, not BYO_CAK
SHARED_KEY = "Tunnel-Key-" + "x7Q2" * 5
AUTH_KEY = "0a1b2c3d-0000-4000-8000-00000000beef"

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

BYO = {"port-a": {"link1": {"cak": BYO_CAK, "ckn": BYO_CKN}, "link2": {"cak": CAK2, "ckn": BYO_CKN}}}

CONNECTION_PROGRAM = f"""
import pulumi
from expressroute_encryption import CircuitVnetConnection

CircuitVnetConnection("hub", {{
    "resource_group_name": "rg-app",
    "express_route_circuit_id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/expressRouteCircuits/ckt-1",
    "authorization_key": pulumi.Output.secret("{AUTH_KEY}"),
    "virtual_network": {{"name": "vnet-app", "address_space": ["10.40.0.0/16"], "gateway_subnet_prefix": "10.40.255.0/27"}},
    "express_route_gateway_sku": "ErGw1AZ",
}})
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("connection")
    (folder / "__main__.py").write_text(CONNECTION_PROGRAM)
    vpn = dict(VPN, sharedKey=SHARED_KEY)
    return {
        "vpn+byo": run_stack(base_config(ports=[port(circuits=[circuit()])], vpn=vpn, macsecKeys=BYO,
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


# --- components refuse plain keys ---------------------------------------------------


def component_problems(model, args) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_args(model, args, "component")
    return info.value.problems


@pytest.mark.parametrize("model,args", [
    (PrivatePeeringVpnInputs, {"shared_key": SHARED_KEY}),
    (VirtualWanVpnInputs, {"shared_key": SHARED_KEY}),
    (CircuitVnetConnectionInputs, {"authorization_key": AUTH_KEY}),
], ids=["PrivatePeeringVpn", "VirtualWanVpn", "CircuitVnetConnection"])
def test_a_plain_key_argument_is_refused_without_its_value(model, args):
    found = component_problems(model, args)
    [line] = [p for p in found if p.startswith(next(iter(args)))]
    assert line == f"{next(iter(args))}: {PLAIN_SECRET}"
    assert "Output.secret" in line and "fn::secret" in line and "pulumi.secret" in line
    assert SHARED_KEY not in "\n".join(found) and AUTH_KEY not in "\n".join(found)


def test_plain_port_keys_are_refused_leaf_by_leaf():
    keys = {"link1": {"cak": BYO_CAK, "ckn": pulumi.Output.secret(BYO_CKN)},
            "link2": {"cak": pulumi.Output.secret(CAK2), "ckn": pulumi.Output.secret(BYO_CKN)}}
    found = component_problems(EncryptedDirectPortInputs, {"keys": keys, "macsec": {"cipher": "GcmAes256"}})
    assert [p for p in found if p.startswith("keys")] == [f"keys.link1.cak: {PLAIN_SECRET}"]


# --- key hygiene ----------------------------------------------------------------------


def key_problems(cak: str = BYO_CAK, ckn: str = BYO_CKN) -> list[str]:
    keys = {"port-a": {"link1": {"cak": cak, "ckn": ckn}, "link2": {"cak": CAK2, "ckn": BYO_CKN}}}
    return problems(base_config(macsecKeys=keys))


@pytest.mark.parametrize("cak", [BYO_CAK + "\n", " " + BYO_CAK, BYO_CAK[:30] + " " + BYO_CAK[31:], BYO_CAK + "\r\n",
                                 BYO_CAK[:-1] + "\t"])
def test_a_key_with_whitespace_is_refused_not_stripped(cak):
    [line] = key_problems(cak=cak)
    assert line.startswith("macsecKeys.port-a.link1.cak: must not contain spaces, tabs or line breaks")
    assert BYO_CAK[:16] not in line


def test_a_ckn_with_a_trailing_newline_is_refused():
    [line] = key_problems(ckn=BYO_CKN + "\n")
    assert line.startswith("macsecKeys.port-a.link1.ckn: must not contain spaces")


@pytest.mark.parametrize("cak", ["0" * 64, "f" * 32, "AaAa" * 16])
def test_a_cak_of_one_repeated_digit_is_refused(cak):
    assert key_problems(cak=cak) == [
        "macsecKeys.port-a.link1.cak: must not be one digit repeated (such as all zeros): that key is guessable "
        "(value not shown)"]


def test_the_same_cak_on_both_links_or_two_ports_is_warned_about_without_the_key():
    same = {"link1": {"cak": BYO_CAK, "ckn": BYO_CKN}, "link2": {"cak": BYO_CAK.upper(), "ckn": BYO_CKN}}
    other = {"link1": {"cak": CAK2, "ckn": BYO_CKN}, "link2": {"cak": BYO_CAK, "ckn": BYO_CKN}}
    config = parse_stack_config(base_config(ports=[port(), port(name="port-b")], macsecKeys={"port-a": same, "port-b": other}))
    warnings = key_reuse_warnings(config.macsec_keys)
    assert warnings == [
        "macsecKeys.port-a.link1.cak, macsecKeys.port-a.link2.cak, macsecKeys.port-b.link2.cak: the same CAK is "
        "used on more than one port; a leaked key would open all of them: give each link its own key"]
    assert key_reuse_warnings(parse_stack_config(base_config(macsecKeys={"port-a": same})).macsec_keys) == [
        "macsecKeys.port-a.link1.cak, macsecKeys.port-a.link2.cak: the same CAK is used on both links of one port; "
        "a leaked key would open all of them: give each link its own key"]


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


# --- `pulumi up` checks what the CLI says; the offline reader checks each leaf -----------


def stack_on_disk(tmp_path, config: dict | None, stack: str = "prod"):
    (tmp_path / "Pulumi.yaml").write_text("name: expressroute-encryption\nruntime: python\n")
    if config is not None:
        (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))


def load_as_the_cli_runs_it(monkeypatch, cwd, values: dict, secret_keys=("macsecKeys",)) -> list[str]:
    """load_stack_config as in `pulumi up`: config from the CLI, the program in ``cwd``."""
    from pulumi.runtime import set_all_config

    set_all_config(cli_config(values), [f"expressroute-encryption:{k}" for k in secret_keys])
    monkeypatch.chdir(cwd)
    try:
        load_stack_config()
    except ConfigError as exc:
        return exc.problems
    return []


def secure(value: str) -> dict:
    return {"secure": "v1:AAAA:" + "Zm9v"}  # the ciphertext is not read by this check


def offline_reader_problems(tmp_path, config: dict) -> list[str]:
    stack_on_disk(tmp_path, config)
    with pytest.raises(StackFileError) as info:
        load_stack_file(tmp_path, "prod")
    return str(info.value).splitlines()


def test_the_program_reads_no_stack_file_on_pulumi_up(tmp_path, monkeypatch):
    """What the CLI hands over is all the program needs: no Pulumi.yaml anywhere above it."""
    assert load_as_the_cli_runs_it(monkeypatch, tmp_path, base_config(macsecKeys=BYO)) == []


def test_key_material_the_cli_does_not_call_secret_is_refused_on_pulumi_up(tmp_path, monkeypatch):
    values = base_config(ports=[port(circuits=[circuit()])], vpn=dict(VPN, sharedKey=SHARED_KEY), macsecKeys=BYO)
    found = load_as_the_cli_runs_it(monkeypatch, tmp_path, values, secret_keys=())
    assert [line.split(":")[0] for line in found] == ["macsecKeys", "vpn.sharedKey"]
    assert not {BYO_CAK, SHARED_KEY} & set("\n".join(found).split())


def test_a_plain_leaf_next_to_secure_ones_is_refused_by_the_offline_reader(tmp_path):
    written = {"link1": {"cak": secure(BYO_CAK), "ckn": secure(BYO_CKN)},
               "link2": {"cak": CAK2, "ckn": secure(BYO_CKN)}}
    assert offline_reader_problems(tmp_path, {"expressroute-encryption:macsecKeys": {"port-a": written}}) == [
        "Pulumi.prod.yaml: macsecKeys.port-a.link2.cak: stored in plain text next to encrypted values; set it with: "
        "pulumi config set --secret --type string --path 'macsecKeys.port-a.link2.cak' <value>"]


def test_every_leaf_secure_or_a_whole_secure_object_passes_the_offline_reader(tmp_path):
    written = {link: {"cak": secure("x"), "ckn": secure("y")} for link in ("link1", "link2")}
    stack_on_disk(tmp_path, {"expressroute-encryption:macsecKeys": {"port-a": written},
                             "expressroute-encryption:vpn": {"sharedKey": secure("z")}})
    assert load_stack_file(tmp_path, "prod").secret_keys == ["expressroute-encryption:macsecKeys",
                                                              "expressroute-encryption:vpn"]
    stack_on_disk(tmp_path, {"expressroute-encryption:macsecKeys": secure("{...}")})
    assert load_stack_file(tmp_path, "prod").secret_keys == ["expressroute-encryption:macsecKeys"]


def test_a_plain_shared_key_is_refused_by_the_offline_reader_without_its_value(tmp_path):
    found = offline_reader_problems(tmp_path, {"expressroute-encryption:vpn": {**VPN, "sharedKey": SHARED_KEY},
                                               "expressroute-encryption:other": secure("x")})
    assert found[0].startswith("Pulumi.prod.yaml: vpn.sharedKey: stored in plain text next to encrypted values")
    assert SHARED_KEY not in "\n".join(found)
