"""config/circuits.py: a circuit's settings and the rules among the circuits of one port. Each
rule through the stack config (its message and config path), and the pure validators directly,
with property-based tests for the address maths: peer subnets, public prefixes, VLANs, sizes,
oversubscription, BGP communities and ASNs, MeteredData on ExpressRoute Direct."""

from __future__ import annotations

import copy
import ipaddress

import pytest
from hypothesis import given, strategies as st

from expressroute_encryption.config.circuits import (
    CircuitSettings, overlap_problem, oversubscription_problem, peer_prefix_problem, public_prefix_problem,
    size_problems, vlan_problems,
)
from expressroute_encryption.config.loading import parse_stack_config
from tests.helpers import MICROSOFT, PRIVATE, SMALL, base_config, circuit, only_problem, port, problems, with_circuits


def circuits(*values):
    return [CircuitSettings.model_validate(v) for v in values]


def slash30(n: int) -> str:
    return str(ipaddress.IPv4Network((n << 2, 30)))


def test_overlapping_link_subnets():
    assert overlap_problem("192.168.100.0/30", "192.168.100.4/30") is None
    assert overlap_problem("192.168.100.0/30", "192.168.100.0/29").startswith("must not overlap")


@SMALL
@given(st.integers(0, 2**30 - 1), st.integers(0, 2**30 - 1))
def test_two_slash30s_overlap_exactly_when_they_are_the_same_block(a, b):
    problem = overlap_problem(slash30(a), slash30(b))
    assert (problem is None) == (a != b)


@SMALL
@given(st.integers(0, 2**30 - 1), st.integers(24, 29))
def test_a_slash30_overlaps_every_block_that_contains_it(n, length):
    inner = ipaddress.IPv4Network((n << 2, 30))
    outer = inner.supernet(new_prefix=length)
    assert overlap_problem(str(inner), str(outer)) is not None


@SMALL
@given(st.integers(0, 2**32 - 1), st.integers(0, 32))
def test_peer_prefix_check_accepts_exactly_slash30s_with_host_bits_zero(n, length):
    address = ipaddress.IPv4Address(n)
    text = f"{address}/{length}"
    host_bits_zero = int(address) & ((1 << (32 - length)) - 1) == 0
    assert (peer_prefix_problem(text, 30) is None) == (length == 30 and host_bits_zero)


@pytest.mark.parametrize("value", ["fd00::/126", "192.168.100.0/31", "192.168.100.2/30", "x"])
def test_peer_prefix_check_names_the_family_and_length(value):
    assert peer_prefix_problem(value, 30).startswith("must be an IPv4 /30 network")


def test_ipv6_peer_prefixes_are_slash126():
    assert peer_prefix_problem("2001:db8:1::/126", 126) is None
    assert peer_prefix_problem("192.168.100.0/30", 126).startswith("must be an IPv6 /126 network")


@pytest.mark.parametrize("prefix,public", [("203.0.113.0/28", True), ("2001:db8:100::/48", True),
                                           ("10.0.0.0/30", False), ("100.64.10.0/24", False),
                                           ("fe80::/64", False), ("0.0.0.0/0", False), ("20.1.0.0/16", True)])
def test_prefix_classes_for_microsoft_peering(prefix, public):
    assert (public_prefix_problem(prefix) is None) == public


def test_vlans_unique_across_circuits_and_peerings():
    found = list(vlan_problems(circuits(
        circuit(), circuit(name="ckt-2", privatePeering=None, microsoftPeering={**MICROSOFT, "vlanId": 100}))))
    assert found == [((1, "microsoft_peering", "vlan_id"), "duplicate_vlan",
                      "VLAN 100 is already used by circuits[0].privatePeering; VLAN ids must be unique per port")]


def test_vlan_rule_skips_circuits_that_failed_their_own_checks():
    assert list(vlan_problems([None, *circuits(circuit())])) == []


@SMALL
@given(st.lists(st.integers(1, 4094), min_size=1, max_size=6))
def test_one_problem_per_repeated_vlan(vlans):
    values = [circuit(name=f"c{i}", privatePeering={**PRIVATE, "vlanId": vlan,
                                                    "primaryPeerAddressPrefix": slash30(2 * i),
                                                    "secondaryPeerAddressPrefix": slash30(2 * i + 1)})
              for i, vlan in enumerate(vlans)]
    assert len(list(vlan_problems(circuits(*values)))) == len(vlans) - len(set(vlans))


@pytest.mark.parametrize("sizes,bandwidth,ok", [([10, 10], 10, True), ([10, 10, 1], 10, False),
                                                ([100, 100], 100, True), ([100, 100, 5], 100, False)])
def test_oversubscription_problem_allows_up_to_twice_the_port(sizes, bandwidth, ok):
    assert (oversubscription_problem(sizes, bandwidth) is None) == ok


@SMALL
@given(st.sampled_from([10, 100]).flatmap(
    lambda speed: st.tuples(st.just(speed), st.lists(st.sampled_from([1, 2, 5, 10, 40, 100]), max_size=5))))
def test_sizes_the_port_does_not_offer_are_named_and_oversubscription_waits_for_them(case):
    speed, sizes = case
    found = list(size_problems(circuits(*(circuit(name=f"c{i}", bandwidthInGbps=s, privatePeering=None)
                                          for i, s in enumerate(sizes))), speed))
    offered = {10: (1, 2, 5, 10), 100: (5, 10, 40, 100)}[speed]
    wrong = [i for i, s in enumerate(sizes) if s not in offered]
    assert [path[0] for path, rule, _ in found if rule == "circuit_size"] == wrong
    oversubscribed = not wrong and sum(sizes) > 2 * speed
    assert any(rule == "oversubscribed" for _, rule, _ in found) == oversubscribed


def test_valid_circuit_with_both_peerings():
    config = parse_stack_config(with_circuits(circuit(microsoftPeering=copy.deepcopy(MICROSOFT))))
    c = config.ports[0].circuits[0]
    assert c.allow_classic_operations is False
    assert [key for key, _ in c.peerings()] == ["privatePeering", "microsoftPeering"]


@pytest.mark.parametrize("stage", ["encrypted", "active"])
def test_circuits_allowed_once_the_port_is_encrypted(stage):
    parse_stack_config(with_circuits(circuit(), stage=stage))


def test_circuit_on_reserved_port_is_refused():
    msg = only_problem(with_circuits(circuit(), stage="reserved"))
    assert msg == (
        "ports[0].circuits: circuits need the port's stage to be 'encrypted' or 'active' (on a 'reserved' port "
        "traffic could flow before MACsec is configured); the order: deploy the port at reserved, get its LOA and "
        "cross-connect, deploy it at encrypted, then add the circuits"
    )


@pytest.mark.parametrize("bandwidth,size", [(10, 40), (10, 100), (100, 1), (100, 2)])
def test_circuit_size_must_suit_the_port(bandwidth, size):
    cipher = "GcmAesXpn256" if bandwidth == 100 else "GcmAes256"
    msg = only_problem(with_circuits(circuit(bandwidthInGbps=size), bandwidthInGbps=bandwidth, macsec={"cipher": cipher}))
    assert msg.startswith(f"ports[0].circuits[0].bandwidthInGbps: {size} Gbps is not offered on a {bandwidth} Gbps port")


def test_circuit_size_enum():
    assert only_problem(with_circuits(circuit(bandwidthInGbps=3))).startswith("ports[0].circuits[0].bandwidthInGbps: Input should be 1, 2, 5, 10, 40 or 100")


def test_oversubscription_up_to_twice_the_port():
    two_x = [circuit(name=f"c{i}", bandwidthInGbps=10, privatePeering=None, authorizations=[]) for i in range(2)]
    parse_stack_config(with_circuits(*two_x))
    msg = only_problem(with_circuits(*two_x, circuit(name="c3", bandwidthInGbps=1, privatePeering=None, authorizations=[])))
    assert msg == "ports[0].circuits: circuits add up to 21 Gbps; a 10 Gbps port allows at most 20 Gbps (2x oversubscription)"


def test_dot1q_vlan_ids_unique_per_port_across_circuits_and_peerings():
    second = circuit(name="ckt-2", privatePeering=None,
                     microsoftPeering={**MICROSOFT, "vlanId": 100})
    values = base_config(ports=[port(encapsulation="Dot1Q", circuits=[circuit(), second])])
    msg = only_problem(values)
    assert msg == (
        "ports[0].circuits[1].microsoftPeering.vlanId: VLAN 100 is already used by "
        "circuits[0].privatePeering; VLAN ids must be unique per port"
    )


def test_qinq_vlan_ids_may_repeat_across_circuits():
    """Microsoft: with QinQ "the C-Tag isn't required to be unique across circuits"."""
    second = circuit(name="ckt-2", privatePeering=None,
                     microsoftPeering={**MICROSOFT, "vlanId": 100})
    config = parse_stack_config(with_circuits(circuit(), second))
    assert [c.name for c in config.ports[0].circuits] == ["ckt-1", "ckt-2"]


def test_qinq_vlan_ids_unique_among_one_circuits_peerings():
    """Microsoft: "each peering on the circuit ... will use a unique C-Tag"."""
    msg = only_problem(with_circuits(circuit(microsoftPeering={**MICROSOFT, "vlanId": 100})))
    assert msg == (
        "ports[0].circuits[0].microsoftPeering.vlanId: VLAN 100 is already used by "
        "circuits[0].privatePeering; with QinQ, VLAN ids (C-Tags) must be unique among a circuit's peerings"
    )


def test_same_vlan_and_subnets_on_different_ports_are_fine():
    values = base_config(ports=[port(circuits=[circuit()]), port(name="port-b", circuits=[circuit(name="ckt-2")])])
    assert len(parse_stack_config(values).ports) == 2


def test_peering_subnets_unique_per_port():
    second = circuit(name="ckt-2", privatePeering={**PRIVATE, "vlanId": 102,
                                                   "primaryPeerAddressPrefix": "192.168.100.4/30",
                                                   "secondaryPeerAddressPrefix": "192.168.100.8/30"})
    msg = only_problem(with_circuits(circuit(), second))
    assert msg == (
        "ports[0].circuits[1].privatePeering.primaryPeerAddressPrefix: 192.168.100.4/30 overlaps "
        "circuits[0].privatePeering.secondaryPeerAddressPrefix; peering subnets must be unique per port"
    )


def test_primary_and_secondary_must_not_overlap():
    msg = only_problem(with_circuits(circuit(privatePeering={**PRIVATE, "secondaryPeerAddressPrefix": "192.168.100.0/30"})))
    assert msg == "ports[0].circuits[0].privatePeering.secondaryPeerAddressPrefix: must not overlap primaryPeerAddressPrefix: each link needs its own subnet"


@pytest.mark.parametrize("value", ["192.168.100.0/29", "192.168.100.1/30", "fd00::/126", "nonsense"])
def test_ipv4_peering_subnets_are_slash_30(value):
    msg = only_problem(with_circuits(circuit(privatePeering={**PRIVATE, "primaryPeerAddressPrefix": value})))
    assert msg.startswith("ports[0].circuits[0].privatePeering.primaryPeerAddressPrefix: must be an IPv4 /30 network")


def test_ipv6_peering_subnets_are_slash_126():
    ipv6 = {"primaryPeerAddressPrefix": "fd00:1::/126", "secondaryPeerAddressPrefix": "fd00:1::/64"}
    msg = only_problem(with_circuits(circuit(privatePeering={**PRIVATE, "ipv6": ipv6})))
    assert msg.startswith("ports[0].circuits[0].privatePeering.ipv6.secondaryPeerAddressPrefix: must be an IPv6 /126 network")


@pytest.mark.parametrize("asn", [12076, 8075, 65515, 65520, 23456])
def test_reserved_asns_are_refused(asn):
    msg = only_problem(with_circuits(circuit(privatePeering={**PRIVATE, "peerAsn": asn})))
    assert msg.startswith(f"ports[0].circuits[0].privatePeering.peerAsn: AS {asn} is reserved")


@pytest.mark.parametrize("asn", [0, 4294967296])
def test_asn_range(asn):
    msg = only_problem(with_circuits(circuit(privatePeering={**PRIVATE, "peerAsn": asn})))
    assert msg.startswith("ports[0].circuits[0].privatePeering.peerAsn: Input should be")


@pytest.mark.parametrize("vlan", [0, 4095])
def test_vlan_range(vlan):
    msg = only_problem(with_circuits(circuit(privatePeering={**PRIVATE, "vlanId": vlan})))
    assert msg.startswith("ports[0].circuits[0].privatePeering.vlanId: Input should be")


def test_microsoft_peering_subnets_must_be_public():
    ms = {**MICROSOFT, "primaryPeerAddressPrefix": "10.0.0.0/30"}
    msg = only_problem(with_circuits(circuit(microsoftPeering=ms)))
    assert msg.startswith("ports[0].circuits[0].microsoftPeering.primaryPeerAddressPrefix: must be a public prefix you own")


@pytest.mark.parametrize("prefix", ["192.168.0.0/24", "0.0.0.0/0", "172.16.0.0/12"])
def test_advertised_prefixes_must_be_public(prefix):
    ms = {**MICROSOFT, "advertisedPublicPrefixes": ["203.0.113.128/27", prefix]}
    msg = only_problem(with_circuits(circuit(microsoftPeering=ms)))
    assert msg.startswith("ports[0].circuits[0].microsoftPeering.advertisedPublicPrefixes[1]: must be a public prefix")


def test_ipv6_advertised_prefix_needs_the_ipv6_session():
    ms = {**MICROSOFT, "advertisedPublicPrefixes": ["203.0.113.128/27", "2001:db8:100::/48"]}
    msg = only_problem(with_circuits(circuit(microsoftPeering=ms)))
    assert msg == "ports[0].circuits[0].microsoftPeering.advertisedPublicPrefixes[1]: an IPv6 prefix needs the peering's ipv6 block (its /126 subnets)"


def test_routing_registry_enum():
    msg = only_problem(with_circuits(circuit(microsoftPeering={**MICROSOFT, "routingRegistryName": "RIPE"})))
    assert msg.startswith("ports[0].circuits[0].microsoftPeering.routingRegistryName: Input should be 'ARIN'")


def test_sku_enums():
    msg = problems(with_circuits(circuit(skuTier="Basic", skuFamily="Metered")))
    assert [m.split(":")[0] for m in msg] == ["ports[0].circuits[0].skuTier", "ports[0].circuits[0].skuFamily"]


def test_authorization_names_unique():
    msg = only_problem(with_circuits(circuit(authorizations=["a", "b", "a"])))
    assert msg == "ports[0].circuits[0].authorizations[2]: authorization 'a' is listed twice"


def test_unknown_circuit_key():
    assert only_problem(with_circuits(circuit(vlan=5))).startswith("ports[0].circuits[0].vlan: unknown key (allowed: name, bandwidthInGbps")


def test_unlimited_data_circuit_on_a_direct_port_is_refused():
    problem = only_problem(with_circuits(circuit(skuFamily="UnlimitedData")))
    assert problem.startswith("ports[0].circuits[0].skuFamily: UnlimitedData is not offered for circuits on ExpressRoute Direct")
    assert "use MeteredData" in problem


@pytest.mark.parametrize("community", ["12076:501", "12076:600100", "8075:5010", "12076:5010 ", "12076:5O10", ""])
def test_a_community_that_is_not_microsofts_is_refused(community):
    microsoft = {**copy.deepcopy(MICROSOFT), "routeFilterCommunities": [community]}
    problem = only_problem(with_circuits(circuit(microsoftPeering=microsoft)))
    assert problem.startswith("ports[0].circuits[0].microsoftPeering.routeFilterCommunities[0]: must be a Microsoft BGP community")


def test_an_empty_community_list_is_refused():
    microsoft = {**copy.deepcopy(MICROSOFT), "routeFilterCommunities": []}
    problem = only_problem(with_circuits(circuit(microsoftPeering=microsoft)))
    assert problem.startswith("ports[0].circuits[0].microsoftPeering.routeFilterCommunities:")


def test_customer_asn_is_a_32_bit_signed_integer():
    microsoft = {**copy.deepcopy(MICROSOFT), "customerAsn": 2147483648}
    problem = only_problem(with_circuits(circuit(microsoftPeering=microsoft)))
    assert problem == "ports[0].circuits[0].microsoftPeering.customerAsn: Input should be less than or equal to 2147483647"


@pytest.mark.parametrize("value, reason", [("fe80::/64", "link-local"), ("::ffff:0:0/96", "IPv4-mapped"),
                                           ("100.64.1.0/24", "shared address space")])
def test_microsoft_peering_prefixes_must_be_public(value, reason):
    microsoft = {**copy.deepcopy(MICROSOFT), "advertisedPublicPrefixes": ["203.0.113.128/27", value],
                 "ipv6": {"primaryPeerAddressPrefix": "2001:db8:1::/126", "secondaryPeerAddressPrefix": "2001:db8:1::4/126"}}
    problems = [p for p in only_problems(with_circuits(circuit(microsoftPeering=microsoft)))
                if "advertisedPublicPrefixes[1]" in p]
    assert len(problems) == 1 and reason in problems[0]
    assert problems[0].startswith("ports[0].circuits[0].microsoftPeering.advertisedPublicPrefixes[1]: must be a public prefix")


def only_problems(values):
    from tests.helpers import problems

    return problems(values)
