"""Rules that make what the product accepts what Azure accepts (issue 14), and the
secret-bearing outputs Azure echoes back (issue 15)."""

from __future__ import annotations

import copy

import pytest

from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.offline.wire import is_secret, unwrap
from tests.helpers import (
    MICROSOFT,
    PROJECT_DIR,
    base_config,
    circuit,
    cli_config,
    find,
    live_port,
    one,
    only_problem,
    plain_inputs,
    port,
    run_stack,
    VPN,
    vpn_config,
)


def with_circuits(*circuits, **port_changes):
    return base_config(ports=[port(**port_changes, circuits=list(circuits))])


# --- circuits on ExpressRoute Direct are MeteredData only


def test_unlimited_data_circuit_on_a_direct_port_is_refused():
    problem = only_problem(with_circuits(circuit(skuFamily="UnlimitedData")))
    assert problem.startswith("ports[0].circuits[0].skuFamily: UnlimitedData is not offered for circuits on ExpressRoute Direct")
    assert "use MeteredData" in problem


def test_the_port_itself_may_still_bill_unlimited_data():
    run = run_stack(with_circuits(circuit(), billingType="UnlimitedData"))
    assert plain_inputs(one(run, "network:ExpressRoutePort"))["billingType"] == "UnlimitedData"
    assert plain_inputs(one(run, "network:ExpressRouteCircuit"))["sku"]["family"] == "MeteredData"


# --- Microsoft peering needs a route filter


def test_route_filter_communities_create_a_filter_attached_to_the_microsoft_peering():
    microsoft = {**copy.deepcopy(MICROSOFT), "routeFilterCommunities": ["12076:5010", "12076:51004"]}
    run = run_stack(with_circuits(circuit(microsoftPeering=microsoft)))
    route_filter = one(run, "network:RouteFilter")
    assert plain_inputs(route_filter)["rules"] == [{
        "name": "allow-communities", "access": "Allow", "routeFilterRuleType": "Community",
        "communities": ["12076:5010", "12076:51004"],
    }]
    assert route_filter.protect
    peering = next(r for r in find(run, "network:ExpressRouteCircuitPeering") if r.name.endswith("MicrosoftPeering"))
    assert plain_inputs(peering)["routeFilter"] == {"id": route_filter.id}
    assert route_filter.urn in peering.dependencies
    private = next(r for r in find(run, "network:ExpressRouteCircuitPeering") if r.name.endswith("AzurePrivatePeering"))
    assert "routeFilter" not in plain_inputs(private)


@pytest.mark.parametrize("community", ["12076:501", "12076:600100", "8075:5010", "12076:5010 ", "12076:5O10", ""])
def test_a_community_that_is_not_microsofts_is_refused(community):
    microsoft = {**copy.deepcopy(MICROSOFT), "routeFilterCommunities": [community]}
    problem = only_problem(with_circuits(circuit(microsoftPeering=microsoft)))
    assert problem.startswith("ports[0].circuits[0].microsoftPeering.routeFilterCommunities[0]: must be a Microsoft BGP community")


def test_an_empty_community_list_is_refused():
    microsoft = {**copy.deepcopy(MICROSOFT), "routeFilterCommunities": []}
    problem = only_problem(with_circuits(circuit(microsoftPeering=microsoft)))
    assert problem.startswith("ports[0].circuits[0].microsoftPeering.routeFilterCommunities:")


def test_a_microsoft_peering_without_route_filter_is_warned_about(caplog):
    import tempfile
    from pathlib import Path

    from expressroute_encryption.offline.preview import run_preview
    from tests.helpers import dev_live_config, project_copy

    config = dev_live_config()
    ckt = config["expressroute-encryption:ports"][0]["circuits"][0]
    ckt["microsoftPeering"] = copy.deepcopy(MICROSOFT)
    with tempfile.TemporaryDirectory() as tmp:
        project = project_copy(Path(tmp), "mspeer", {"config": config})
        report = run_preview("mspeer", project)
    assert report.exit_code == 0, report.errors
    (warning,) = [w for w in report.warnings if "route filter" in w]
    assert "will receive no Microsoft prefixes" in warning
    assert "er-ckt-ams-dev-1" in warning


# --- secrets Azure echoes back


def test_the_circuit_echoes_its_authorization_keys_only_as_secrets():
    values = with_circuits(circuit(authorizations=["team-a"]))
    first = run_stack(values)
    circuit_reg = one(first, "network:ExpressRouteCircuit")
    key = unwrap(one(first, "network:ExpressRouteCircuitAuthorization").outputs["authorizationKey"])
    # The same circuit on a later update: Azure now lists the authorization, key included.
    mocks = AzureMocks()
    mocks.known["authorizations"] = {circuit_reg.id: {"team-a": key}}
    again = run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(values), [], mocks=mocks)
    outputs = one(again, "network:ExpressRouteCircuit").outputs
    assert is_secret(outputs["authorizations"])
    assert unwrap(outputs["authorizations"])[0]["properties"]["authorizationKey"] == key
    assert key not in str({k: v for k, v in outputs.items() if k != "authorizations"})


def test_every_peering_keeps_a_bgp_key_secret():
    values = with_circuits(circuit(microsoftPeering=copy.deepcopy(MICROSOFT)))
    for peering in find(run_stack(values), "network:ExpressRouteCircuitPeering"):
        assert "sharedKey" in peering.additional_secret_outputs


# --- BGP over the tunnel


def bgp_vpn(peering_address: str, asn: int = 65020, **changes):
    on_prem = {**VPN["onPremises"], "bgp": {"asn": asn, "peeringAddress": peering_address}}
    return vpn_config(onPremises=on_prem, **changes)


def test_the_bgp_peer_address_may_not_be_the_vpn_device():
    problem = only_problem(bgp_vpn(VPN["onPremises"]["vpnDeviceIp"]))
    assert problem.startswith("vpn.onPremises.bgp.peeringAddress: must differ from vpnDeviceIp")


def test_a_loopback_bgp_address_is_accepted_and_no_host_route_is_added():
    """Microsoft's VPN FAQ: "Don't add the /32 route in the Address space field, because
    it's redundant" (the gateway adds the host route itself)."""
    run = run_stack(bgp_vpn("10.1.255.1"))
    local = plain_inputs(one(run, "network:LocalNetworkGateway"))
    assert local["bgpSettings"]["bgpPeeringAddress"] == "10.1.255.1"
    assert local["localNetworkAddressSpace"]["addressPrefixes"] == VPN["onPremises"]["addressPrefixes"]


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


# --- the scalable ExpressRoute gateway


def test_ergwscale_is_refused_under_ipsec():
    problem = only_problem(vpn_config(expressRouteGatewaySku="ErGwScale"))
    assert problem.startswith("vpn.expressRouteGatewaySku: ErGwScale does not carry IPsec over ExpressRoute")
    assert "ErGw1AZ, ErGw2AZ or ErGw3AZ" in problem


CONNECTION = """
import pulumi
from expressroute_encryption import CircuitVnetConnection

CircuitVnetConnection("hub", {
    "resource_group_name": "rg-app",
    "express_route_circuit_id": "/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/expressRouteCircuits/ckt-1",
    "virtual_network": {"name": "vnet-app", "address_space": ["10.70.0.0/16"], "gateway_subnet_prefix": "10.70.255.0/27"},
    %s
})
"""


def connection(tmp_path, extra: str):
    (tmp_path / "__main__.py").write_text(CONNECTION % extra)
    return run_program(tmp_path, "app", "dev", {}, [])


def test_a_scalable_gateway_gets_its_scale_units(tmp_path):
    run = connection(tmp_path, '"express_route_gateway_sku": "ErGwScale", "scale_units": {"min": 2, "max": 10},')
    gateway = plain_inputs(one(run, "network:VirtualNetworkGateway"))
    assert gateway["sku"] == {"name": "ErGwScale", "tier": "ErGwScale"}
    assert gateway["autoScaleConfiguration"] == {"bounds": {"min": 2, "max": 10}}


def test_a_fixed_sku_gets_no_scale_units(tmp_path):
    run = connection(tmp_path, '"express_route_gateway_sku": "ErGw2AZ",')
    assert "autoScaleConfiguration" not in plain_inputs(one(run, "network:VirtualNetworkGateway"))


@pytest.mark.parametrize("extra, line", [
    ('"express_route_gateway_sku": "ErGwScale",', "scale_units: required with ErGwScale"),
    ('"express_route_gateway_sku": "ErGw1AZ", "scale_units": {"min": 1, "max": 1},',
     "scale_units: only with express_route_gateway_sku ErGwScale"),
    ('"express_route_gateway_sku": "ErGwScale", "scale_units": {"min": 5, "max": 2},', "scale_units.min: must not exceed max (2)"),
    ('"express_route_gateway_sku": "ErGwScale", "scale_units": {"min": 1, "max": 41},', "scale_units.max: Input should be less than or equal to 40"),
])
def test_scale_units_follow_microsofts_rules(tmp_path, extra, line):
    from expressroute_encryption.config.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        connection(tmp_path, extra)
    (problem,) = info.value.problems
    assert problem.startswith(line)


# --- ASN ranges


def test_customer_asn_is_a_32_bit_signed_integer():
    microsoft = {**copy.deepcopy(MICROSOFT), "customerAsn": 2147483648}
    problem = only_problem(with_circuits(circuit(microsoftPeering=microsoft)))
    assert problem == "ports[0].circuits[0].microsoftPeering.customerAsn: Input should be less than or equal to 2147483647"


# --- a port is created without link settings


def up(values, previous=None, live_ports=None):
    """The program as `pulumi up` runs it (not a preview)."""
    return run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(values), [],
                       mocks=AzureMocks(previous_outputs=previous.stack_outputs if previous else None,
                                        live_ports=live_ports), dry_run=False)


@pytest.mark.parametrize("stage", ["encrypted", "active"])
def test_the_first_pulumi_up_refuses_a_new_port_past_reserved(stage):
    import pulumi

    with pytest.raises(pulumi.RunError) as info:
        up(base_config(ports=[port(stage=stage)]))
    message = str(info.value)
    assert message.startswith("MACsec change refused: 1 problem; nothing was deployed:")
    assert f"ports[0].stage: port 'port-a' is new and would be created at stage {stage}" in message
    assert "stage: reserved first" in message and "importId" in message


def test_the_first_pulumi_up_creates_a_reserved_port_without_link_settings():
    run = up(base_config(ports=[port(stage="reserved")]))
    assert "links" not in plain_inputs(one(run, "network:ExpressRoutePort"))


def test_an_adopted_port_may_be_live_on_the_first_pulumi_up():
    import_id = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-er-test/providers/"
                 "Microsoft.Network/expressRoutePorts/port-a")
    macsec = {"cipher": "GcmAes256", "link1": {"enabled": False}, "link2": {"enabled": False}}
    run = up(base_config(ports=[port(stage="active", importId=import_id, macsec=macsec)]),
             live_ports={"port-a": live_port()})
    assert one(run, "network:ExpressRoutePort").import_id == import_id


def test_a_preview_without_history_only_warns_about_a_live_new_port():
    run = run_stack(base_config(ports=[port(stage="active")]))
    assert one(run, "network:ExpressRoutePort")


# --- vault settings Azure cannot change back


def vault_with(**changes):
    return base_config(keyVault={"name": "kv-er-test", "allowedIpRanges": ["198.51.100.0/24"], **changes})


def test_purge_protection_cannot_be_turned_off_again():
    import pulumi

    first = run_stack(vault_with())
    assert unwrap(first.stack_outputs["keyVault"]) == {"purgeProtection": True, "softDeleteRetentionDays": 90}
    with pytest.raises(pulumi.RunError) as info:
        run_stack(vault_with(purgeProtection=False), previous=first)
    assert "keyVault.purgeProtection: was on in the last deployment and cannot be turned off" in str(info.value)


def test_soft_delete_retention_is_fixed_once_the_vault_exists():
    import pulumi

    first = run_stack(vault_with(softDeleteRetentionDays=30))
    with pytest.raises(pulumi.RunError) as info:
        run_stack(vault_with(softDeleteRetentionDays=90), previous=first)
    assert "keyVault.softDeleteRetentionDays: the vault was created with 30 days" in str(info.value)
    assert "set it back to 30" in str(info.value)
    # Unchanged settings, and purge protection turned on later, pass.
    run_stack(vault_with(softDeleteRetentionDays=30), previous=first)
    off = run_stack(vault_with(purgeProtection=False))
    run_stack(vault_with(), previous=off)


def test_the_rotation_plan_names_an_impossible_vault_change():
    from expressroute_encryption.config.loading import parse_stack_config
    from expressroute_encryption.guard import rotation_problems
    from expressroute_encryption.record import Previous

    first = run_stack(vault_with())
    outputs = unwrap(first.stack_outputs)
    previous = Previous.from_outputs(outputs)
    problems = rotation_problems(parse_stack_config(vault_with(purgeProtection=False)), previous)
    assert [p.split(":")[0] for p in problems] == ["keyVault.purgeProtection"]


# --- address classes


@pytest.mark.parametrize("value, reason", [
    ("100.64.0.0/24", "shared address space"), ("224.0.0.0/24", "multicast"), ("0.0.0.0/24", "this network"),
    ("240.0.0.0/24", "reserved"), ("10.1.0.0/24", "private"),
])
def test_key_vault_firewall_ranges_must_be_public(value, reason):
    values = base_config(keyVault={"name": "kv-er-test", "allowedIpRanges": ["198.51.100.0/24", value]})
    problem = only_problem(values)
    assert problem.startswith("keyVault.allowedIpRanges[1]: must be a public range")
    assert reason in problem


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
