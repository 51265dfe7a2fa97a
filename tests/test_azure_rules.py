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
    one,
    only_problem,
    plain_inputs,
    port,
    run_stack,
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
    from tests.helpers import dev_config, project_copy

    config = dev_config()
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
