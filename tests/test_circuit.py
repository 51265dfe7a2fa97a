"""circuit.py: ``DirectCircuit``, a circuit on an encrypted Direct port: the circuit, its peerings
and authorizations as separate resources in Azure's order, the route filter of a Microsoft
peering, the keys Azure echoes kept secret, the stack outputs, and a circuit adopted onto a
deployed port importing its children."""

from __future__ import annotations

import copy

import pytest

from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.offline.stack_file import load_stack_file
from expressroute_encryption.offline.wire import is_secret, unwrap
from tests.helpers import (
    MICROSOFT, PRIVATE, PROJECT_DIR, base_config, circuit, cli_config, find, one, plain_inputs, port, run_stack,
    with_circuits,
)


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


def test_the_port_itself_may_still_bill_unlimited_data():
    run = run_stack(with_circuits(circuit(), billingType="UnlimitedData"))
    assert plain_inputs(one(run, "network:ExpressRoutePort"))["billingType"] == "UnlimitedData"
    assert plain_inputs(one(run, "network:ExpressRouteCircuit"))["sku"]["family"] == "MeteredData"


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
