"""IPsec over ExpressRoute for Azure Virtual WAN (issue 10)."""

from __future__ import annotations

import copy
import json

import pytest

from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.preview import policy_resources
from expressroute_encryption.offline.wire import is_secret, redact, unwrap
from expressroute_encryption.policy.checker import evaluate
from tests.helpers import VPN, base_config, circuit, find, one, only_problem, plain_inputs, port, problems, run_stack

WAN_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/virtualWans/vwan-corp"
VWAN = {
    "mode": "virtualWan",
    "circuit": "ckt-1",
    "virtualWan": {"name": "vwan-corp", "hub": {"name": "hub-we", "addressPrefix": "10.60.0.0/23",
                                                "expressRouteGatewayScaleUnits": 2, "vpnGatewayScaleUnits": 3}},
    "onPremises": {"name": "dc2", "vpnDeviceIp": "10.2.0.10", "addressPrefixes": ["10.2.10.0/24"],
                   "bgp": {"asn": 65030, "peeringAddress": "10.2.255.1"}},
    "advertisedOverExpressRoute": ["10.2.0.0/16"],
}


def vwan_config(**changes):
    vpn = copy.deepcopy(VWAN)
    vpn.update(changes)
    return base_config(ports=[port(circuits=[circuit()])], vpn=vpn)




def hub(**changes):
    return {"name": "vwan-corp", "hub": {**VWAN["virtualWan"]["hub"], **changes}}


# --- rules ---------------------------------------------------------------------


def test_valid_virtual_wan_settings():
    vpn = parse_stack_config(vwan_config()).vpn
    assert vpn.mode == "virtualWan" and vpn.virtual_wan.hub.vpn_gateway_scale_units == 3
    assert vpn.virtual_network is None


def test_virtual_network_is_not_allowed_in_virtual_wan_mode():
    msg = only_problem(vwan_config(virtualNetwork=VPN["virtualNetwork"]))
    assert msg == "vpn.virtualNetwork: not allowed with mode: virtualWan (it belongs to mode: virtualNetwork)"


@pytest.mark.parametrize("key,value", [("expressRouteGatewaySku", "ErGw1AZ"), ("vpnGatewaySku", "VpnGw1AZ"),
                                       ("activeActive", True), ("vpnGatewayAsn", 65515)])
def test_virtual_network_gateway_settings_are_not_allowed_in_virtual_wan_mode(key, value):
    assert only_problem(vwan_config(**{key: value})) == f"vpn.{key}: not allowed with mode: virtualWan (it belongs to mode: virtualNetwork)"


def test_virtual_wan_is_required_in_its_mode():
    values = vwan_config()
    del values["vpn"]["virtualWan"]
    assert only_problem(values) == "vpn.virtualWan: required with mode: virtualWan"


def test_virtual_wan_is_not_allowed_in_virtual_network_mode():
    vpn = {**copy.deepcopy(VPN), "virtualWan": VWAN["virtualWan"]}
    values = base_config(ports=[port(circuits=[circuit()])], vpn=vpn)
    assert only_problem(values) == "vpn.virtualWan: not allowed with mode: virtualNetwork (it belongs to mode: virtualWan)"


def test_virtual_network_mode_needs_its_keys():
    vpn = {k: v for k, v in VPN.items() if k not in ("virtualNetwork", "vpnGatewaySku")}
    found = problems(base_config(ports=[port(circuits=[circuit()])], vpn=vpn))
    assert found == ["vpn.virtualNetwork: required with mode: virtualNetwork",
                     "vpn.vpnGatewaySku: required with mode: virtualNetwork"]


def test_mode_enum():
    assert only_problem(vwan_config(mode="hub")).startswith("vpn.mode: Input should be 'virtualNetwork' or 'virtualWan'")


@pytest.mark.parametrize("wan", [{"hub": VWAN["virtualWan"]["hub"]},
                                 {"name": "a", "id": WAN_ID, "hub": VWAN["virtualWan"]["hub"]}])
def test_virtual_wan_name_or_id(wan):
    assert only_problem(vwan_config(virtualWan=wan)) == (
        "vpn.virtualWan.id: give either name (a Virtual WAN to create) or id (an existing one), not both or neither"
    )


def test_virtual_wan_id_format():
    msg = only_problem(vwan_config(virtualWan={"id": "vwan-corp", "hub": VWAN["virtualWan"]["hub"]}))
    assert msg.startswith("vpn.virtualWan.id: must be the ARM id of a Virtual WAN")


def test_hub_range_is_24_or_larger():
    assert only_problem(vwan_config(virtualWan=hub(addressPrefix="10.60.0.0/25"))) == (
        "vpn.virtualWan.hub.addressPrefix: must be a /24 or larger (Azure's minimum for a virtual hub)"
    )


@pytest.mark.parametrize("key,value", [("expressRouteGatewayScaleUnits", 0), ("vpnGatewayScaleUnits", 21)])
def test_scale_units_range(key, value):
    assert only_problem(vwan_config(virtualWan=hub(**{key: value}))).startswith(f"vpn.virtualWan.hub.{key}: Input should be")


def test_device_ip_must_be_advertised_to_the_hub():
    msg = only_problem(vwan_config(advertisedOverExpressRoute=["10.3.0.0/16"]))
    assert msg.startswith("vpn.advertisedOverExpressRoute: must include the on-premises device's address (onPremises.vpnDeviceIp)")


def test_device_ip_check_is_skipped_without_advertised_prefixes():
    parse_stack_config(vwan_config(advertisedOverExpressRoute=[]))


def test_device_outside_the_hub_range():
    on_prem = {**VWAN["onPremises"], "vpnDeviceIp": "10.60.1.5"}
    assert problems(vwan_config(onPremises=on_prem, advertisedOverExpressRoute=[]))[0] == (
        "vpn.onPremises.vpnDeviceIp: must be an on-premises address outside the virtual hub's addressPrefix"
    )


def test_same_rules_as_virtual_network_mode():
    assert only_problem(vwan_config(ipsecPolicy={"dhGroup": "DHGroup2"})).startswith("vpn.ipsecPolicy.dhGroup: DHGroup2 is weak")
    on_prem = {**VWAN["onPremises"], "addressPrefixes": ["10.2.0.0/15"]}
    assert "is equal or broader" in only_problem(vwan_config(onPremises=on_prem, advertisedOverExpressRoute=["10.2.0.0/16"]))


# --- resources -------------------------------------------------------------------


@pytest.fixture(scope="module")
def vwan_run():
    return run_stack(vwan_config())


def test_no_virtual_network_gateways_in_virtual_wan_mode(vwan_run):
    assert find(vwan_run, "network:VirtualNetworkGateway") == [] and find(vwan_run, "network:VirtualNetwork") == []


def test_wan_and_hub(vwan_run):
    wan = one(vwan_run, "network:VirtualWan")
    assert plain_inputs(wan)["virtualWANName"] == "vwan-corp"
    hub_inputs = plain_inputs(one(vwan_run, "network:VirtualHub"))
    assert hub_inputs["addressPrefix"] == "10.60.0.0/23" and hub_inputs["virtualWan"] == {"id": wan.id}


def test_existing_virtual_wan_is_used_not_created():
    run = run_stack(vwan_config(virtualWan={"id": WAN_ID, "hub": VWAN["virtualWan"]["hub"]}))
    assert find(run, "network:VirtualWan") == []
    assert plain_inputs(one(run, "network:VirtualHub"))["virtualWan"] == {"id": WAN_ID}
    assert plain_inputs(one(run, "network:VpnSite"))["virtualWan"] == {"id": WAN_ID}


def test_hub_expressroute_gateway_connects_to_the_private_peering(vwan_run):
    gw = one(vwan_run, "network:ExpressRouteGateway")
    hub_reg = one(vwan_run, "network:VirtualHub")
    inputs = plain_inputs(gw)
    assert inputs["virtualHub"] == {"id": hub_reg.id}
    assert inputs["autoScaleConfiguration"] == {"bounds": {"min": 2}}
    conn = plain_inputs(one(vwan_run, "network:ExpressRouteConnection"))
    peering = one(vwan_run, "ExpressRouteCircuitPeering", "ckt-1-AzurePrivatePeering")
    assert conn["expressRouteCircuitPeering"] == {"id": peering.id}
    assert conn["expressRouteGatewayName"] == gw.outputs["name"]


def test_hub_vpn_gateway_site_and_private_ip_link_connection(vwan_run):
    hub_reg = one(vwan_run, "network:VirtualHub")
    gw = one(vwan_run, "network:VpnGateway")
    assert plain_inputs(gw)["virtualHub"] == {"id": hub_reg.id} and plain_inputs(gw)["vpnGatewayScaleUnit"] == 3
    site = one(vwan_run, "network:VpnSite")
    link = plain_inputs(site)["vpnSiteLinks"][0]
    assert link["ipAddress"] == "10.2.0.10"
    assert link["bgpProperties"] == {"asn": 65030, "bgpPeeringAddress": "10.2.255.1"}
    conn = one(vwan_run, "network:VpnConnection")
    inputs = plain_inputs(conn)
    assert inputs["gatewayName"] == gw.outputs["name"] and inputs["remoteVpnSite"] == {"id": site.id}
    link_conn = inputs["vpnLinkConnections"][0]
    assert link_conn["useLocalAzureIpAddress"] is True
    assert link_conn["vpnSiteLink"] == {"id": site.outputs["vpnSiteLinks"][0]["id"]}
    assert link_conn["ipsecPolicies"][0]["ikeEncryption"] == "GCMAES256"
    assert is_secret(conn.inputs["vpnLinkConnections"][0]["sharedKey"]) or is_secret(conn.inputs["vpnLinkConnections"])
    assert one(vwan_run, "network:ExpressRouteConnection").urn in conn.dependencies


def test_outputs_and_secret_shared_key(vwan_run):
    out = vwan_run.stack_outputs["vpn"]
    assert out["mode"] == "virtualWan"
    assert out["vpnGatewayPrivateIps"] == ["10.60.0.13", "10.60.0.14"]
    assert out["connectionId"] == one(vwan_run, "network:VpnConnection").id
    key = unwrap(one(vwan_run, "RandomPassword").outputs["result"])
    assert is_secret(vwan_run.stack_outputs["vpnSharedKey"])
    assert key not in json.dumps([redact(r.inputs) for r in vwan_run.registrations] + [redact(vwan_run.stack_outputs)])


# --- policy on the Virtual WAN shapes ------------------------------------------------


def vwan_resources(run, mutate=None):
    resources = policy_resources(run)
    if mutate:
        conn = next(r for r in resources if r["type"] == "azure-native:network:VpnConnection")
        inputs = unwrap(conn["inputs"])
        mutate(inputs["vpnLinkConnections"][0])
        conn["inputs"] = conn["outputs"] = inputs
    return resources


def strength_violations(resources):
    return [v for v in evaluate(resources) if v.policy == "vpn-ipsec-policy-strength"]


def test_policy_passes_the_virtual_wan_connection(vwan_run):
    assert strength_violations(vwan_resources(vwan_run)) == []


def test_policy_flags_a_weak_virtual_wan_link_policy(vwan_run):
    def weaken(link):
        link["ipsecPolicies"][0]["dhGroup"] = "DHGroup2"
    found = strength_violations(vwan_resources(vwan_run, weaken))
    assert len(found) == 1 and found[0].level == "mandatory"
    assert "dhGroup DHGroup2" in found[0].message and found[0].urn.endswith("::vpn-ipsec")


def test_policy_flags_a_private_site_without_azure_private_ip(vwan_run):
    def public_path(link):
        link["useLocalAzureIpAddress"] = False
    found = strength_violations(vwan_resources(vwan_run, public_path))
    assert len(found) == 1 and "set useLocalAzureIpAddress to true" in found[0].message
