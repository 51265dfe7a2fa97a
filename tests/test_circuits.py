"""Circuits, peerings and authorizations on encrypted Direct ports (issue 3)."""

from __future__ import annotations

import copy

import pytest

from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.stack_file import load_stack_file
from expressroute_encryption.offline.wire import is_secret, unwrap
from tests.helpers import MICROSOFT, PRIVATE, PROJECT_DIR, base_config, circuit, find, one, only_problem, plain_inputs, port, problems, run_stack

def with_circuits(*circuits, **port_changes):
    return base_config(ports=[port(circuits=list(circuits), **port_changes)])




# --- rules --------------------------------------------------------------------


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


def test_circuit_names_unique_in_the_stack():
    values = base_config(ports=[
        port(circuits=[circuit()]),
        port(name="port-b", circuits=[circuit(name="CKT-1", privatePeering=None)]),
    ])
    assert only_problem(values) == "ports[1].circuits[0].name: circuit name 'CKT-1' is used twice; circuit names must be unique in the stack"


def test_authorization_names_unique():
    msg = only_problem(with_circuits(circuit(authorizations=["a", "b", "a"])))
    assert msg == "ports[0].circuits[0].authorizations[2]: authorization 'a' is listed twice"


def test_unknown_circuit_key():
    assert only_problem(with_circuits(circuit(vlan=5))).startswith("ports[0].circuits[0].vlan: unknown key (allowed: name, bandwidthInGbps")


# --- resources -------------------------------------------------------------------


@pytest.fixture(scope="module")
def circuit_run():
    return run_stack(with_circuits(circuit(microsoftPeering=copy.deepcopy(MICROSOFT))))


def test_circuit_runs_on_the_port_and_depends_on_it(circuit_run):
    ckt = one(circuit_run, "network:ExpressRouteCircuit")
    port_reg = one(circuit_run, "network:ExpressRoutePort")
    inputs = plain_inputs(ckt)
    assert inputs["expressRoutePort"] == {"id": port_reg.id}
    assert port_reg.urn in ckt.dependencies
    assert inputs["bandwidthInGbps"] == 5
    assert inputs["sku"] == {"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"}
    assert inputs["allowClassicOperations"] is False
    assert ckt.protect
    assert ckt.parent.endswith("expressroute-encryption:index:DirectCircuit::ckt-1")


def test_peerings_and_authorizations_are_separate_resources_in_order(circuit_run):
    component = one(circuit_run, "DirectCircuit")
    private = one(circuit_run, "ExpressRouteCircuitPeering", "ckt-1-AzurePrivatePeering")
    microsoft = one(circuit_run, "ExpressRouteCircuitPeering", "ckt-1-MicrosoftPeering")
    auth = one(circuit_run, "ExpressRouteCircuitAuthorization", "ckt-1-team-a")
    for reg in (private, microsoft, auth):
        assert reg.parent == component.urn
        assert plain_inputs(reg)["circuitName"] == "ckt-1"
    assert plain_inputs(private) == {
        "resourceGroupName": "rg-er-test", "circuitName": "ckt-1", "peeringName": "AzurePrivatePeering",
        "peeringType": "AzurePrivatePeering", "peerASN": 65010, "vlanId": 100, "state": "Enabled",
        "primaryPeerAddressPrefix": "192.168.100.0/30", "secondaryPeerAddressPrefix": "192.168.100.4/30",
    }
    assert plain_inputs(microsoft)["microsoftPeeringConfig"] == {
        "advertisedPublicPrefixes": ["203.0.113.128/27"], "routingRegistryName": "ARIN"
    }
    # Azure takes one change at a time on a circuit.
    assert private.urn in microsoft.dependencies and microsoft.urn in auth.dependencies


def test_authorization_keys_are_secret(circuit_run):
    auth = one(circuit_run, "ExpressRouteCircuitAuthorization")
    assert is_secret(auth.outputs["authorizationKey"])
    keys = circuit_run.stack_outputs["authorizationKeys"]
    assert is_secret(keys)
    assert unwrap(keys) == {"ckt-1": {"team-a": unwrap(auth.outputs["authorizationKey"])}}
    assert unwrap(auth.outputs["authorizationKey"]) not in str(circuit_run.stack_outputs["circuits"])


def test_circuit_outputs(circuit_run):
    out = circuit_run.stack_outputs["circuits"]["ckt-1"]
    ckt = one(circuit_run, "network:ExpressRouteCircuit")
    assert out["id"] == ckt.id and out["serviceKey"] == ckt.outputs["serviceKey"]
    assert out["bandwidthInGbps"] == 5
    assert out["expressRoutePortId"] == one(circuit_run, "network:ExpressRoutePort").id
    assert out["peerings"]["AzurePrivatePeering"]["vlanId"] == 100
    assert out["peerings"]["MicrosoftPeering"]["azureAsn"] == 12076


def test_changing_one_peering_leaves_the_others_alone(circuit_run):
    changed = run_stack(with_circuits(circuit(
        privatePeering={**PRIVATE, "vlanId": 150}, microsoftPeering=copy.deepcopy(MICROSOFT))))
    before = {(r.type, r.name): plain_inputs(r) for r in circuit_run.resources}
    after = {(r.type, r.name): plain_inputs(r) for r in changed.resources}
    assert {key[1] for key in before if before[key] != after[key]} == {"ckt-1-AzurePrivatePeering"}


def test_ipv6_and_microsoft_ipv6_prefixes():
    ipv6 = {"primaryPeerAddressPrefix": "2001:db8:5::/126", "secondaryPeerAddressPrefix": "2001:db8:5::4/126"}
    ms = {**MICROSOFT, "ipv6": ipv6, "advertisedPublicPrefixes": ["203.0.113.128/27", "2001:db8:100::/48"]}
    run = run_stack(with_circuits(circuit(microsoftPeering=ms)))
    inputs = plain_inputs(one(run, "ExpressRouteCircuitPeering", "ckt-1-MicrosoftPeering"))
    assert inputs["microsoftPeeringConfig"]["advertisedPublicPrefixes"] == ["203.0.113.128/27"]
    assert inputs["ipv6PeeringConfig"]["microsoftPeeringConfig"]["advertisedPublicPrefixes"] == ["2001:db8:100::/48"]
    assert inputs["ipv6PeeringConfig"]["primaryPeerAddressPrefix"] == "2001:db8:5::/126"


@pytest.mark.parametrize("stack", ["prod", "vpn"])
def test_example_stacks_preview_cleanly(stack):
    stack_file = load_stack_file(PROJECT_DIR, stack)
    run = run_program(PROJECT_DIR, stack_file.project, stack, stack_file.config, stack_file.secret_keys)
    circuits = find(run, "network:ExpressRouteCircuit")
    assert circuits
    ports = {r.id: plain_inputs(r) for r in find(run, "network:ExpressRoutePort")}
    for ckt in circuits:
        assert ports[plain_inputs(ckt)["expressRoutePort"]["id"]]["links"]  # never on a reserved port


# --- adopting a circuit onto a port the stack already deploys (issue 22) ----------------------


def test_a_circuit_adopted_onto_a_deployed_port_imports_its_peerings_and_authorizations():
    """The port is not adopted in this deployment (it was deployed before); the circuit is, so
    its peerings and authorizations exist in Azure and are imported by their child ids, not created."""
    from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID
    from tests.helpers import deployed

    circuit_id = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-er-test/providers/"
                  "Microsoft.Network/expressRouteCircuits/ckt-1")
    before = deployed("active")
    values = base_config(ports=[port(circuits=[circuit(importId=circuit_id)])])
    adopting = run_stack(values, previous=before)
    assert one(adopting, "network:ExpressRoutePort").import_id == ""
    assert one(adopting, "network:ExpressRouteCircuit").import_id == circuit_id
    assert one(adopting, "ExpressRouteCircuitPeering").import_id == f"{circuit_id}/peerings/AzurePrivatePeering"
    assert one(adopting, "ExpressRouteCircuitAuthorization").import_id == f"{circuit_id}/authorizations/team-a"

    # Once the circuit is the stack's, a peering or authorization added to it is created, not imported.
    values["ports"][0]["circuits"][0].update(microsoftPeering=copy.deepcopy(MICROSOFT), authorizations=["team-a", "team-b"])
    later = run_stack(values, previous=adopting)
    assert {reg.name: reg.import_id for reg in find(later, "ExpressRouteCircuitPeering")} == {
        "ckt-1-AzurePrivatePeering": "", "ckt-1-MicrosoftPeering": ""}
    assert {reg.name: reg.import_id for reg in find(later, "ExpressRouteCircuitAuthorization")} == {
        "ckt-1-team-a": "", "ckt-1-team-b": ""}


def test_the_preview_lists_each_import_with_its_id(tmp_path):
    from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID
    from expressroute_encryption.offline.preview import run_preview
    from tests.helpers import project_copy

    circuit_id = (f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-er-test/providers/"
                  "Microsoft.Network/expressRouteCircuits/ckt-1")
    values = base_config(ports=[port(circuits=[circuit(importId=circuit_id)])])
    doc = {"config": {"azure-native:location": "westeurope", **{f"expressroute-encryption:{k}": v for k, v in values.items()}}}
    report = run_preview("adopt", project_copy(tmp_path, "adopt", doc))
    lines = report.sections["Adopted (imported, not created; Pulumi refuses an import whose inputs differ from Azure)"]
    assert f"import: ExpressRouteCircuitPeering ckt-1-AzurePrivatePeering from {circuit_id}/peerings/AzurePrivatePeering" in lines
    assert f"import: ExpressRouteCircuitAuthorization ckt-1-team-a from {circuit_id}/authorizations/team-a" in lines
