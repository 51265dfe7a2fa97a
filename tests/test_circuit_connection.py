"""circuit_connection.py: ``CircuitVnetConnection`` used from code: an ErGwScale gateway gets its
scale units, a fixed SKU none, and the scale units follow Microsoft's rules."""

from __future__ import annotations

import pytest

from expressroute_encryption.offline.harness import run_program
from tests.helpers import one, plain_inputs


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
