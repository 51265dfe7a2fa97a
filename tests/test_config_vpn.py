"""config/vpn.py: the VPN settings' rules that make what the product accepts what Azure accepts:
the on-premises BGP peer (address and ASN), the ExpressRoute gateway SKU under IPsec, weak IPsec
algorithms and GCM pairs; and a complete VPN section parses."""

from __future__ import annotations

import copy

import pytest

from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.config.vpn import gcm_pair_problem, weak_algorithm_problem
from tests.helpers import VPN, base_config, bgp_vpn, circuit, only_problem, port, vpn_config


def test_the_bgp_peer_address_may_not_be_the_vpn_device():
    problem = only_problem(bgp_vpn(VPN["onPremises"]["vpnDeviceIp"]))
    assert problem.startswith("vpn.onPremises.bgp.peeringAddress: must differ from vpnDeviceIp")


def test_the_same_rule_holds_in_virtual_wan_mode():
    from tests.test_virtual_wan import VWAN  # noqa: PLC0415 - that module's baseline

    on_prem = {**VWAN["onPremises"], "bgp": {"asn": 65030, "peeringAddress": VWAN["onPremises"]["vpnDeviceIp"]}}
    values = base_config(ports=[port(circuits=[circuit()])], vpn={**VWAN, "onPremises": on_prem})
    assert only_problem(values).startswith("vpn.onPremises.bgp.peeringAddress: must differ from vpnDeviceIp")


def test_a_virtual_wan_bgp_address_may_not_be_apipa():
    from tests.test_virtual_wan import VWAN  # noqa: PLC0415

    on_prem = {**VWAN["onPremises"], "bgp": {"asn": 65030, "peeringAddress": "169.254.21.1"}}
    values = base_config(ports=[port(circuits=[circuit()])], vpn={**VWAN, "onPremises": on_prem})
    assert only_problem(values).startswith("vpn.onPremises.bgp.peeringAddress: must not be an APIPA address")


@pytest.mark.parametrize("asn", [23456, 64496, 64511, 65515, 65517, 65535, 65551, 12076])
def test_on_premises_bgp_asns_azure_vpn_gateways_reserve_are_refused(asn):
    problem = only_problem(bgp_vpn("10.1.255.1", asn=asn))
    assert problem.startswith(f"vpn.onPremises.bgp.asn: AS {asn} is reserved for Azure VPN gateways")


@pytest.mark.parametrize("asn", [64512, 65514, 65521, 65534, 4200000000])
def test_private_and_32_bit_asns_are_fine_on_premises(asn):
    run_stack_config = bgp_vpn("10.1.255.1", asn=asn)
    from expressroute_encryption.config.loading import parse_stack_config

    assert parse_stack_config(run_stack_config).vpn.on_premises.bgp.asn == asn


def test_ergwscale_is_refused_under_ipsec():
    problem = only_problem(vpn_config(expressRouteGatewaySku="ErGwScale"))
    assert problem.startswith("vpn.expressRouteGatewaySku: ErGwScale does not carry IPsec over ExpressRoute")
    assert "ErGw1AZ, ErGw2AZ or ErGw3AZ" in problem


def test_weak_algorithms_and_gcm_pairs():
    assert weak_algorithm_problem("dhGroup", "DHGroup2").startswith("DHGroup2 is weak")
    assert weak_algorithm_problem("dhGroup", "ECP384") is None
    assert gcm_pair_problem("GCMAES256", "GCMAES256") is None
    assert gcm_pair_problem("AES256", "SHA256") is None
    assert gcm_pair_problem("GCMAES256", "SHA256").startswith("must equal ipsecEncryption (GCMAES256)")


def test_parse_stack_config_accepts_the_example_vpn():
    parse_stack_config(base_config(ports=[port(circuits=[circuit()])], vpn=copy.deepcopy(VPN)))
