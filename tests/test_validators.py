"""The pure validators, directly (with property-based tests for the address maths), and
the promise that every problem of a config is reported in one round."""

from __future__ import annotations

import copy
import ipaddress

import pytest
from hypothesis import given, settings, strategies as st

from expressroute_encryption.config.circuits import (
    CircuitSettings,
    overlap_problem,
    oversubscription_problem,
    peer_prefix_problem,
    public_prefix_problem,
    size_problems,
    vlan_problems,
)
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.keys import cak_format_problem, cak_problem, ckn_problem
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.config.vpn import gcm_pair_problem, weak_algorithm_problem
from tests.helpers import BYO_CAK, BYO_CKN, MICROSOFT, PRIVATE, VPN, base_config, circuit, port, problems

SMALL = settings(max_examples=150, deadline=None)


def circuits(*values):
    return [CircuitSettings.model_validate(v) for v in values]


# --- circuit overlap and peer prefixes ----------------------------------------------


def test_overlapping_link_subnets():
    assert overlap_problem("192.168.100.0/30", "192.168.100.4/30") is None
    assert overlap_problem("192.168.100.0/30", "192.168.100.0/29").startswith("must not overlap")


def slash30(n: int) -> str:
    return str(ipaddress.IPv4Network((n << 2, 30)))


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


# --- VLANs, sizes, oversubscription ------------------------------------------------------


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
def test_oversubscription_up_to_twice_the_port(sizes, bandwidth, ok):
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


# --- keys and algorithms ----------------------------------------------------------------


@SMALL
@given(st.text(alphabet="0123456789abcdefABCDEF", max_size=70))
def test_ckn_is_an_even_number_of_hex_digits_up_to_64(ckn):
    assert (ckn_problem(ckn) is None) == (2 <= len(ckn) <= 64 and len(ckn) % 2 == 0)


@pytest.mark.parametrize("cipher,digits", [("GcmAes128", 32), ("GcmAesXpn128", 32), ("GcmAes256", 64),
                                           ("GcmAesXpn256", 64)])
def test_cak_length_follows_the_cipher(cipher, digits):
    assert cak_problem("a" * digits, cipher) is None
    other = 96 - digits
    assert cak_problem("a" * other, cipher) == f"must be exactly {digits} hexadecimal digits for {cipher} (value not shown)"


def test_cak_format_before_the_cipher_is_known():
    assert cak_format_problem("ab" * 16) is None and cak_format_problem("ab" * 32) is None
    assert cak_format_problem("zz" * 16).startswith("must contain only hexadecimal digits")
    assert cak_format_problem("ab" * 20).startswith("must be exactly 32")


def test_weak_algorithms_and_gcm_pairs():
    assert weak_algorithm_problem("dhGroup", "DHGroup2").startswith("DHGroup2 is weak")
    assert weak_algorithm_problem("dhGroup", "ECP384") is None
    assert gcm_pair_problem("GCMAES256", "GCMAES256") is None
    assert gcm_pair_problem("AES256", "SHA256") is None
    assert gcm_pair_problem("GCMAES256", "SHA256").startswith("must equal ipsecEncryption (GCMAES256)")


# --- one round ---------------------------------------------------------------------------


def test_a_field_error_in_one_port_and_a_vlan_clash_in_another_are_reported_together():
    clash = circuit(name="ckt-2", privatePeering=None, microsoftPeering={**MICROSOFT, "vlanId": 100})
    values = base_config(ports=[port(stage="live"),
                                port(name="port-b", encapsulation="Dot1Q", circuits=[circuit(), clash])])
    assert problems(values) == [
        "ports[0].stage: Input should be 'reserved', 'encrypted' or 'active'",
        "ports[1].circuits[1].microsoftPeering.vlanId: VLAN 100 is already used by circuits[0].privatePeering; "
        "VLAN ids must be unique per port",
    ]


def test_a_field_error_in_a_circuit_does_not_hide_a_duplicate_authorization_on_the_same_port():
    bad = circuit(name="ckt-2", skuTier="Basic", privatePeering=None, authorizations=[])
    values = base_config(ports=[port(circuits=[circuit(authorizations=["a", "a"]), bad])])
    assert [p.split(":")[0] for p in problems(values)] == [
        "ports[0].circuits[0].authorizations[1]", "ports[0].circuits[1].skuTier"]


def test_stack_rules_still_run_on_the_ports_that_validated():
    byo = {"port-a": {link: {"cak": BYO_CAK, "ckn": BYO_CKN} for link in ("link1", "link2")}}
    values = base_config(
        ports=[port(macsec={"cipher": "GcmAes128"}, circuits=[circuit(privatePeering=None)]),
               port(name="port-b", stage="up"), port(name="port-c"), port(name="PORT-C")],
        macsecKeys=byo, vpn=copy.deepcopy(VPN),
    )
    assert problems(values) == [
        "ports[1].stage: Input should be 'reserved', 'encrypted' or 'active'",
        "ports[3].name: port name 'PORT-C' is used twice; port names must be unique",
        "macsecKeys.port-a.link1.cak: must be exactly 32 hexadecimal digits for GcmAes128 (value not shown)",
        "macsecKeys.port-a.link2.cak: must be exactly 32 hexadecimal digits for GcmAes128 (value not shown)",
        "vpn.circuit: circuit 'ckt-1' has no privatePeering; the tunnel runs over private peering",
    ]


def test_a_rule_is_quiet_when_its_inputs_failed_their_own_checks():
    """An invalid ipv6 block used to produce a false 'needs the ipv6 block' as well."""
    ms = {**MICROSOFT, "ipv6": {"primaryPeerAddressPrefix": "2001:db8:5::/64", "secondaryPeerAddressPrefix": "2001:db8:5::4/126"},
          "advertisedPublicPrefixes": ["203.0.113.128/27", "2001:db8:100::/48"]}
    assert problems(base_config(ports=[port(circuits=[circuit(microsoftPeering=ms)])])) == [
        "ports[0].circuits[0].microsoftPeering.ipv6.primaryPeerAddressPrefix: must be an IPv6 /126 network "
        "such as 2001:db8:1::/126 (host bits zero)",
    ]


def test_cross_field_rules_do_not_depend_on_key_order():
    values = base_config(ports=[port(macsec={"cipher": "GcmAesXpn256"})])
    reordered = {k: values["ports"][0][k] for k in reversed(values["ports"][0])}
    assert problems(values) == problems(base_config(ports=[reordered]))


# --- components reject unknown keys -----------------------------------------------------


def test_a_misspelt_component_argument_is_an_error():
    from expressroute_encryption import MacsecKeyVault

    with pytest.raises(ConfigError) as info:
        MacsecKeyVault("v", {"resource_group_name": "rg", "name": "kv-ok", "purge_proteciton": False})
    assert str(info.value) == (
        "MacsecKeyVault 'v': 1 problem; nothing was deployed:\n"
        "  purge_proteciton: unknown key (allowed: name, allowed_ip_ranges, soft_delete_retention_days, "
        "purge_protection, authorization, existing_id, resource_group_name, protect)"
    )


def test_component_rules_report_at_the_argument_path():
    from expressroute_encryption import DirectCircuit

    with pytest.raises(ConfigError) as info:
        DirectCircuit("c", {"resource_group_name": "rg", "express_route_port_id": "id", "port_bandwidth_in_gbps": 10,
                            "port_stage": "reserved", "name": "ckt", "bandwidth_in_gbps": 40, "sku_tier": "Standard",
                            "sku_family": "MeteredData"})
    assert info.value.problems == [
        "bandwidth_in_gbps: 40 Gbps is not offered on a 10 Gbps port; use 1, 2, 5, 10",
        "port_stage: circuits need the port's stage to be 'encrypted' or 'active' (on a 'reserved' port traffic "
        "could flow before MACsec is configured); the order: deploy the port at reserved, get its LOA and "
        "cross-connect, deploy it at encrypted, then add the circuits",
    ]


def test_parse_stack_config_accepts_the_example_vpn():
    parse_stack_config(base_config(ports=[port(circuits=[circuit()])], vpn=copy.deepcopy(VPN)))
