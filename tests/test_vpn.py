"""vpn.py: the optional IPsec VPN over the circuit's private peering (``PrivatePeeringVpn``): its
settings' rules, and the gateways, local network gateway (BGP address without a host route),
connection and outputs it registers."""

from __future__ import annotations

import copy
import json

import pulumi
import pytest

from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.wire import is_secret, redact, unwrap
from tests.helpers import (
    VPN, base_config, bgp_vpn, circuit, find, one, only_problem, plain_inputs, port, problems, run_stack,
    vpn_config,
)


# --- rules --------------------------------------------------------------------


def test_defaults_are_a_strong_policy():
    vpn = parse_stack_config(vpn_config()).vpn
    policy = vpn.ipsec_policy
    assert (policy.ike_encryption, policy.ike_integrity, policy.dh_group, policy.ipsec_encryption,
            policy.ipsec_integrity, policy.pfs_group) == ("GCMAES256", "SHA384", "ECP384", "GCMAES256", "GCMAES256", "ECP384")
    assert (policy.sa_life_time_seconds, policy.sa_data_size_kilobytes) == (27000, 102400000)
    assert vpn.mode == "virtualNetwork" and not vpn.active_active and vpn.shared_key is None


@pytest.mark.parametrize("field,value", [
    ("ikeEncryption", "DES"), ("ikeEncryption", "DES3"), ("ikeIntegrity", "MD5"), ("ikeIntegrity", "SHA1"),
    ("dhGroup", "DHGroup1"), ("dhGroup", "DHGroup2"), ("dhGroup", "None"),
    ("ipsecEncryption", "DES3"), ("ipsecEncryption", "None"),
    ("pfsGroup", "PFS1"), ("pfsGroup", "PFS2"), ("pfsGroup", "None"),
])
def test_weak_algorithms_are_refused(field, value):
    msg = only_problem(vpn_config(ipsecPolicy={field: value}))
    assert msg.startswith(f"vpn.ipsecPolicy.{field}: {value} is weak; choose another")


def test_weak_ipsec_integrity_is_refused():
    policy = {"ipsecEncryption": "AES256", "ipsecIntegrity": "SHA1"}
    assert only_problem(vpn_config(ipsecPolicy=policy)).startswith("vpn.ipsecPolicy.ipsecIntegrity: SHA1 is weak")


def test_gcm_encryption_and_integrity_must_match():
    msg = only_problem(vpn_config(ipsecPolicy={"ipsecEncryption": "GCMAES128", "ipsecIntegrity": "GCMAES256"}))
    assert msg == "vpn.ipsecPolicy.ipsecIntegrity: must equal ipsecEncryption (GCMAES128) when either uses GCM (Azure rule)"


def test_aes_with_sha256_is_accepted():
    parse_stack_config(vpn_config(ipsecPolicy={"ikeEncryption": "AES256", "ikeIntegrity": "SHA256", "dhGroup": "DHGroup14",
                                               "ipsecEncryption": "AES256", "ipsecIntegrity": "SHA256", "pfsGroup": "PFS2048"}))


@pytest.mark.parametrize("field,value", [("saLifeTimeSeconds", 299), ("saDataSizeKilobytes", 1023)])
def test_sa_lifetime_and_data_size_minimums(field, value):
    assert only_problem(vpn_config(ipsecPolicy={field: value})).startswith(f"vpn.ipsecPolicy.{field}: Input should be greater than or equal to")


def test_algorithm_enum():
    assert only_problem(vpn_config(ipsecPolicy={"dhGroup": "ECP521"})).startswith("vpn.ipsecPolicy.dhGroup: Input should be 'None', 'DHGroup1'")


def test_vpn_circuit_must_exist():
    assert only_problem(vpn_config(circuit="nope")) == "vpn.circuit: no circuit named 'nope' in ports[].circuits[] (circuits: ckt-1)"


def test_vpn_circuit_needs_private_peering():
    values = base_config(ports=[port(circuits=[circuit(privatePeering=None)])], vpn=copy.deepcopy(VPN))
    assert only_problem(values) == "vpn.circuit: circuit 'ckt-1' has no privatePeering; the tunnel runs over private peering"


@pytest.mark.parametrize("prefix", ["10.50.255.0/28", "10.50.255.0/29"])
def test_gateway_subnet_is_27_or_larger(prefix):
    vnet = {**VPN["virtualNetwork"], "gatewaySubnetPrefix": prefix}
    assert only_problem(vpn_config(virtualNetwork=vnet)) == "vpn.virtualNetwork.gatewaySubnetPrefix: must be a /27 or larger: both gateways share the GatewaySubnet"


def test_gateway_subnet_inside_the_address_space():
    vnet = {**VPN["virtualNetwork"], "gatewaySubnetPrefix": "10.60.0.0/27"}
    assert only_problem(vpn_config(virtualNetwork=vnet)) == "vpn.virtualNetwork.gatewaySubnetPrefix: must lie inside the virtual network's addressSpace"


def test_vnet_cidr_syntax():
    vnet = {**VPN["virtualNetwork"], "addressSpace": ["10.50.0.1/16"]}
    found = problems(vpn_config(virtualNetwork=vnet))
    assert found[0].startswith("vpn.virtualNetwork.addressSpace[0]: must be an IPv4 CIDR range")


def test_device_ip_outside_the_vnet():
    on_prem = {**VPN["onPremises"], "vpnDeviceIp": "10.50.1.4"}
    assert only_problem(vpn_config(onPremises=on_prem)) == "vpn.onPremises.vpnDeviceIp: must be an on-premises address outside the virtual network's addressSpace"


def test_device_ip_syntax():
    on_prem = {**VPN["onPremises"], "vpnDeviceIp": "10.1.0.300"}
    assert only_problem(vpn_config(onPremises=on_prem)) == "vpn.onPremises.vpnDeviceIp: must be an IPv4 address such as 10.1.0.10"


def test_on_premises_prefixes_do_not_overlap_the_vnet():
    on_prem = {**VPN["onPremises"], "addressPrefixes": ["10.1.10.0/24", "10.50.0.0/24"]}
    assert only_problem(vpn_config(onPremises=on_prem)) == "vpn.onPremises.addressPrefixes[1]: 10.50.0.0/24 overlaps the virtual network's addressSpace"


@pytest.mark.parametrize("tunnel", ["10.1.0.0/16", "10.0.0.0/12"])
def test_tunnel_prefix_equal_or_broader_than_expressroute_is_refused(tunnel):
    on_prem = {**VPN["onPremises"], "addressPrefixes": ["10.1.10.0/24", tunnel]}
    msg = only_problem(vpn_config(onPremises=on_prem))
    assert msg.startswith(
        f"vpn.advertisedOverExpressRoute[0]: 10.1.0.0/16 is also announced over ExpressRoute, and "
        f"onPremises.addressPrefixes[1] ({tunnel}) is equal or broader"
    )
    assert "unencrypted ExpressRoute path" in msg


def test_vpn_gateway_asn_must_stay_azures_default():
    assert only_problem(vpn_config(vpnGatewayAsn=65050)).startswith(
        "vpn.vpnGatewayAsn: must be 65515 (or left out): a VPN gateway that shares its virtual network with an "
        "ExpressRoute gateway only works with Azure's default ASN")


def test_bgp_peer_settings():
    on_prem = {**VPN["onPremises"], "bgp": {"asn": 12076, "peeringAddress": "x"}}
    assert [p.split(":")[0] for p in problems(vpn_config(onPremises=on_prem))] == [
        "vpn.onPremises.bgp.asn", "vpn.onPremises.bgp.peeringAddress"
    ]


@pytest.mark.parametrize("sku", [("expressRouteGatewaySku", "Standard"), ("vpnGatewaySku", "VpnGw1")])
def test_gateway_sku_enums(sku):
    assert only_problem(vpn_config(**{sku[0]: sku[1]})).startswith(f"vpn.{sku[0]}: Input should be")


def test_short_shared_key_is_refused_without_echo():
    msg = only_problem(vpn_config(sharedKey="tooshort"))
    assert msg == "vpn.sharedKey: must be 16-128 printable ASCII characters (value not shown)"


# --- resources ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def vpn_run():
    on_prem = {**VPN["onPremises"], "bgp": {"asn": 65020, "peeringAddress": "10.1.255.1"}}
    return run_stack(vpn_config(activeActive=True, vpnGatewayAsn=65515, onPremises=on_prem))


def test_no_gateway_resources_without_vpn(dev_run):
    for kind in ("VirtualNetwork", "VirtualNetworkGateway", "LocalNetworkGateway", "VirtualNetworkGatewayConnection", "PublicIPAddress"):
        assert find(dev_run, f"network:{kind}") == []
    assert "vpn" not in dev_run.stack_outputs


def test_vnet_has_the_gateway_subnet(vpn_run):
    vnet = plain_inputs(one(vpn_run, "network:VirtualNetwork"))
    assert vnet["virtualNetworkName"] == "vnet-hub"
    assert vnet["addressSpace"] == {"addressPrefixes": ["10.50.0.0/16"]}
    assert [(s["name"], s["addressPrefix"]) for s in vnet["subnets"]] == [("GatewaySubnet", "10.50.255.0/27")]


def test_public_ips_are_standard_static_zone_redundant(vpn_run):
    ips = find(vpn_run, "network:PublicIPAddress")
    assert len(ips) == 3  # one for the ExpressRoute gateway, two for the active-active VPN gateway
    for ip in ips:
        inputs = plain_inputs(ip)
        assert inputs["sku"]["name"] == "Standard" and inputs["publicIPAllocationMethod"] == "Static"
        assert inputs["zones"] == ["1", "2", "3"]


def test_expressroute_gateway_connects_to_the_circuit_after_its_private_peering(vpn_run):
    gw = plain_inputs(one(vpn_run, "VirtualNetworkGateway", "vpn-ergw"))
    assert gw["gatewayType"] == "ExpressRoute" and gw["sku"] == {"name": "ErGw1AZ", "tier": "ErGw1AZ"}
    subnet_id = one(vpn_run, "network:VirtualNetwork").outputs["subnets"][0]["id"]
    assert gw["ipConfigurations"][0]["subnet"] == {"id": subnet_id}
    conn = one(vpn_run, "VirtualNetworkGatewayConnection", "vpn-er-connection")
    inputs = plain_inputs(conn)
    assert inputs["connectionType"] == "ExpressRoute"
    assert inputs["peer"] == {"id": one(vpn_run, "network:ExpressRouteCircuit").id}
    assert inputs["virtualNetworkGateway1"] == {"id": one(vpn_run, "VirtualNetworkGateway", "vpn-ergw").id}
    assert one(vpn_run, "ExpressRouteCircuitPeering", "ckt-1-AzurePrivatePeering").urn in conn.dependencies


def test_vpn_gateway_uses_private_ips(vpn_run):
    gw_reg = one(vpn_run, "VirtualNetworkGateway", "vpn-vpngw")
    gw = plain_inputs(gw_reg)
    assert gw["gatewayType"] == "Vpn" and gw["vpnType"] == "RouteBased"
    assert gw["enablePrivateIpAddress"] is True
    assert gw["activeActive"] is True and len(gw["ipConfigurations"]) == 2
    assert gw["sku"]["name"] == "VpnGw2AZ" and gw["vpnGatewayGeneration"] == "Generation2"
    assert gw["enableBgp"] is True and gw["bgpSettings"] == {"asn": 65515}
    assert one(vpn_run, "VirtualNetworkGateway", "vpn-ergw").urn in gw_reg.dependencies


def test_local_gateway_is_the_device_private_ip(vpn_run):
    lgw = plain_inputs(one(vpn_run, "LocalNetworkGateway"))
    assert lgw["gatewayIpAddress"] == "10.1.0.10"
    assert lgw["localNetworkAddressSpace"] == {"addressPrefixes": ["10.1.10.0/24"]}
    assert lgw["bgpSettings"] == {"asn": 65020, "bgpPeeringAddress": "10.1.255.1"}


def test_ipsec_connection_uses_local_azure_ip_and_the_custom_policy(vpn_run):
    conn = one(vpn_run, "VirtualNetworkGatewayConnection", "vpn-ipsec")
    inputs = plain_inputs(conn)
    assert inputs["connectionType"] == "IPsec" and inputs["connectionProtocol"] == "IKEv2"
    assert inputs["useLocalAzureIpAddress"] is True and inputs["enableBgp"] is True
    assert inputs["virtualNetworkGateway1"] == {"id": one(vpn_run, "VirtualNetworkGateway", "vpn-vpngw").id}
    assert inputs["localNetworkGateway2"] == {"id": one(vpn_run, "LocalNetworkGateway").id}
    assert inputs["ipsecPolicies"] == [{
        "ikeEncryption": "GCMAES256", "ikeIntegrity": "SHA384", "dhGroup": "ECP384",
        "ipsecEncryption": "GCMAES256", "ipsecIntegrity": "GCMAES256", "pfsGroup": "ECP384",
        "saLifeTimeSeconds": 27000, "saDataSizeKilobytes": 102400000,
    }]
    assert one(vpn_run, "VirtualNetworkGatewayConnection", "vpn-er-connection").urn in conn.dependencies


def test_generated_shared_key_is_secret_everywhere(vpn_run):
    password = one(vpn_run, "RandomPassword")
    assert plain_inputs(password)["length"] == 40
    assert is_secret(password.outputs["result"])
    key = unwrap(password.outputs["result"])
    conn = one(vpn_run, "VirtualNetworkGatewayConnection", "vpn-ipsec")
    assert is_secret(conn.inputs["sharedKey"]) and unwrap(conn.inputs["sharedKey"]) == key
    assert is_secret(vpn_run.stack_outputs["vpnSharedKey"])
    visible = json.dumps([redact(r.inputs) for r in vpn_run.registrations] + [redact(r.outputs) for r in vpn_run.registrations]
                         + [redact(vpn_run.stack_outputs)])
    assert key not in visible


def test_outputs_give_the_private_tunnel_addresses(vpn_run):
    out = vpn_run.stack_outputs["vpn"]
    assert out["vpnGatewayPrivateIps"] == ["10.50.255.5", "10.50.255.6"]  # .4 went to the ExpressRoute gateway
    assert out["connectionId"] == one(vpn_run, "VirtualNetworkGatewayConnection", "vpn-ipsec").id
    assert out["circuit"] == "ckt-1"


def test_shared_key_from_secret_config():
    key = "k3y-from-the-vault-0123456789"
    run = run_stack(vpn_config(sharedKey=key), secret_keys=("vpn",))
    assert find(run, "RandomPassword") == []
    conn = one(run, "VirtualNetworkGatewayConnection", "vpn-ipsec")
    assert unwrap(conn.inputs["sharedKey"]) == key and is_secret(conn.inputs["sharedKey"])
    assert key not in json.dumps([redact(r.inputs) for r in run.registrations] + [redact(run.stack_outputs)])


def test_plain_shared_key_is_refused():
    key = "k3y-from-the-vault-0123456789"
    with pytest.raises(pulumi.RunError) as info:
        run_stack(vpn_config(sharedKey=key))
    assert "vpn.sharedKey: must be a secret config value" in str(info.value)
    assert key not in str(info.value)


def test_a_loopback_bgp_address_is_accepted_and_no_host_route_is_added():
    """Microsoft's VPN FAQ: "Don't add the /32 route in the Address space field, because
    it's redundant" (the gateway adds the host route itself)."""
    run = run_stack(bgp_vpn("10.1.255.1"))
    local = plain_inputs(one(run, "network:LocalNetworkGateway"))
    assert local["bgpSettings"]["bgpPeeringAddress"] == "10.1.255.1"
    assert local["localNetworkAddressSpace"]["addressPrefixes"] == VPN["onPremises"]["addressPrefixes"]
