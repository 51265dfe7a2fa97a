"""The IPsec connection stack policy: algorithm strength and private IPs over private peering."""

import pytest
from tests.policy.policy_builders import arm_id, secret, stack_resource, stack_violations, urn
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from expressroute_encryption.policy.azure import (
    GATEWAY_CONNECTION,
    LOCAL_NETWORK_GATEWAY,
    VPN_GATEWAY,
    VWAN_VPN_CONNECTION,
)
from expressroute_encryption.policy.vpn import ipsec_policy_strength

GATEWAY_ID = arm_id("Microsoft.Network/virtualNetworkGateways", "vgw-vpn")
LOCAL_GATEWAY_ID = arm_id("Microsoft.Network/localNetworkGateways", "lgw-onprem")
STRONG = {
    "saLifeTimeSeconds": 27000, "saDataSizeKilobytes": 102400000,
    "ipsecEncryption": "GCMAES256", "ipsecIntegrity": "GCMAES256",
    "ikeEncryption": "GCMAES256", "ikeIntegrity": "SHA384",
    "dhGroup": "ECP384", "pfsGroup": "ECP384",
}


def gateway(private_ip=True):
    return stack_resource(VPN_GATEWAY, "vpn-gw", {"virtualNetworkGatewayName": "vgw-vpn", "resourceGroupName": "rg-er",
                                                  "gatewayType": "Vpn", "enablePrivateIpAddress": private_ip})


def local_gateway(address="10.20.0.4"):
    return stack_resource(LOCAL_NETWORK_GATEWAY, "onprem", {"localNetworkGatewayName": "lgw-onprem",
                                                            "resourceGroupName": "rg-er", "gatewayIpAddress": address})


def connection(*, policies=(STRONG,), private_ip=True, connection_type="IPsec", gateway_id=GATEWAY_ID,
               dependencies=()):
    props = {"connectionType": connection_type, "useLocalAzureIpAddress": private_ip,
             "virtualNetworkGateway1": {"id": gateway_id}, "localNetworkGateway2": {"id": LOCAL_GATEWAY_ID},
             "sharedKey": secret("pre-shared-key-value")}
    if policies is not None:
        props["ipsecPolicies"] = policies if isinstance(policies, str) else list(policies)
    return stack_resource(GATEWAY_CONNECTION, "conn", props, dependencies)


def violations(*resources, config=None):
    return stack_violations(ipsec_policy_strength, list(resources), config)


def only_message(*resources, config=None):
    [(violation_urn, message)] = violations(*resources, config=config)
    assert "pre-shared-key-value" not in message
    return violation_urn, message


def test_strong_policy_over_private_peering_passes():
    assert violations(gateway(), local_gateway(), connection()) == []


def test_other_connection_types_are_ignored():
    assert violations(connection(policies=None, connection_type="ExpressRoute", private_ip=False)) == []


def test_connection_without_custom_policy_is_flagged():
    violation_urn, message = only_message(gateway(), connection(policies=None))
    assert violation_urn == urn(GATEWAY_CONNECTION, "conn")
    assert "IPsec connection 'conn'" in message and "default policies" in message


@pytest.mark.parametrize(("field", "weak"), [
    ("ipsecEncryption", "DES3"), ("ipsecEncryption", "None"), ("ipsecIntegrity", "SHA1"), ("ikeEncryption", "DES"),
    ("ikeIntegrity", "MD5"), ("dhGroup", "DHGroup2"), ("dhGroup", "DHGroup1"), ("pfsGroup", "PFS2"),
    ("pfsGroup", "None"),
])
def test_weak_algorithms_are_flagged(field, weak):
    policy = {**STRONG, "ipsecEncryption": "AES256", "ipsecIntegrity": "SHA256", field: weak}
    _, message = only_message(gateway(), connection(policies=[policy]))
    assert f"ipsecPolicies[0] uses weak {field} {weak}" in message


def test_missing_fields_and_short_lifetimes_are_flagged():
    policy = {**STRONG, "saLifeTimeSeconds": 120, "saDataSizeKilobytes": 512}
    del policy["pfsGroup"]
    _, message = only_message(gateway(), connection(policies=[policy]))
    assert "lacks pfsGroup" in message
    assert "saLifeTimeSeconds below the minimum of 300" in message
    assert "saDataSizeKilobytes below the minimum of 1024" in message


def test_gcm_encryption_needs_matching_integrity():
    _, message = only_message(gateway(), connection(policies=[{**STRONG, "ipsecIntegrity": "SHA256"}]))
    assert "needs ipsecIntegrity GCMAES256" in message


def test_unknown_policies_and_fields_are_not_judged():
    assert violations(gateway(), connection(policies=UNKNOWN_ARRAY_VALUE)) == []
    unknown_fields = {**STRONG, "dhGroup": UNKNOWN_STRING_VALUE, "saLifeTimeSeconds": UNKNOWN_STRING_VALUE}
    assert violations(gateway(), connection(policies=[unknown_fields])) == []


class TestPrivateIp:
    def test_gateway_without_private_ip_is_flagged(self):
        _, message = only_message(gateway(private_ip=False), connection())
        assert "private peering" in message and "enablePrivateIpAddress to true on VPN gateway 'vpn-gw'" in message

    def test_connection_without_private_ip_is_flagged(self):
        _, message = only_message(gateway(), connection(private_ip=False))
        assert "useLocalAzureIpAddress to true on the connection" in message

    def test_private_on_premises_address_means_private_peering(self):
        _, message = only_message(gateway(private_ip=False), local_gateway(), connection(private_ip=False))
        assert "useLocalAzureIpAddress" in message and "enablePrivateIpAddress" in message

    def test_internet_vpn_needs_no_private_ips(self):
        assert violations(gateway(private_ip=False), local_gateway("203.0.113.10"), connection(private_ip=False)) == []

    def test_required_by_config(self):
        resources = (gateway(private_ip=False), connection(private_ip=False))
        _, message = only_message(*resources, config={"requirePrivateIp": True})
        assert "useLocalAzureIpAddress" in message and "enablePrivateIpAddress" in message

    def test_gateway_outside_the_stack_is_not_judged(self):
        assert violations(connection(gateway_id=arm_id("Microsoft.Network/virtualNetworkGateways", "other"))) == []

    def test_unknown_gateway_id_is_followed_through_the_dependency(self):
        vpn_gateway = gateway(private_ip=False)
        assert len(violations(vpn_gateway, connection(gateway_id=UNKNOWN_STRING_VALUE,
                                                      dependencies=(vpn_gateway,)))) == 1

    def test_unknown_flags_are_not_judged(self):
        assert violations(gateway(private_ip=UNKNOWN_BOOLEAN_VALUE), connection()) == []


class TestVirtualWan:
    @staticmethod
    def vpn_connection(*links):
        return stack_resource(VWAN_VPN_CONNECTION, "vwan-conn", {"remoteVpnSite": {"id": "/site"},
                                                                 "vpnLinkConnections": list(links)})

    def test_strong_link_connection_passes(self):
        link = {"name": "link-a", "ipsecPolicies": [STRONG], "useLocalAzureIpAddress": True}
        assert violations(self.vpn_connection(link), config={"requirePrivateIp": True}) == []

    def test_weak_link_connection_is_flagged(self):
        link = {"name": "link-a", "ipsecPolicies": [{**STRONG, "dhGroup": "DHGroup2"}]}
        violation_urn, message = only_message(self.vpn_connection(link))
        assert violation_urn == urn(VWAN_VPN_CONNECTION, "vwan-conn")
        assert "link connection 'link-a': ipsecPolicies[0] uses weak dhGroup DHGroup2" in message

    def test_private_ip_required_by_config(self):
        link = {"name": "link-a", "ipsecPolicies": [STRONG], "useLocalAzureIpAddress": False}
        assert violations(self.vpn_connection(link)) == []
        _, message = only_message(self.vpn_connection(link), config={"requirePrivateIp": True})
        assert "link connection 'link-a': set useLocalAzureIpAddress to true" in message

    def test_connection_without_link_connections_uses_its_own_settings(self):
        resource = stack_resource(VWAN_VPN_CONNECTION, "vwan-conn", {"remoteVpnSite": {"id": "/site"}})
        _, message = only_message(resource)
        assert "default policies" in message
