"""An application team's virtual network on the network team's encrypted circuit.

The network team's expressroute-encryption stack owns the ports and circuits and
exports, per circuit, its id (``circuits``) and, as a secret, one authorization key per
authorization it was asked for (``authorizationKeys``). This stack reads both through
a StackReference and connects a new virtual network to the circuit with
``CircuitVnetConnection``: VNet, GatewaySubnet, ExpressRoute gateway, and the
connection that redeems the authorization key. The key stays a secret all the way into
the connection (and its state); it is never printed, exported or put in an error.

Config (``Pulumi.dev.yaml``): ``networkStack``, ``circuit``, ``authorization``,
``resourceGroupName``, ``virtualNetwork`` (``name``, ``addressSpace``,
``gatewaySubnetPrefix``) and ``expressRouteGatewaySku``.
"""

from typing import Any

import pulumi
from pulumi_azure_native import resources

from expressroute_encryption import CircuitVnetConnection, ConfigError

config = pulumi.Config()
network_stack = config.require("networkStack")
circuit_name = config.require("circuit")
authorization = config.require("authorization")
vnet = config.require_object("virtualNetwork")

network = pulumi.StackReference(network_stack)


def circuit_id(circuits: dict[str, Any]) -> str:
    if circuit_name not in (circuits or {}):
        raise pulumi.RunError(
            f"stack {network_stack} has no circuit '{circuit_name}' in its `circuits` output "
            f"(circuits: {', '.join(sorted(circuits or {})) or 'none'})"
        )
    return circuits[circuit_name]["id"]


def authorization_key(keys: dict[str, Any]) -> str:
    """The key (a secret Output outside this function); only names go into errors."""
    per_circuit = (keys or {}).get(circuit_name) or {}
    if authorization not in per_circuit:
        raise pulumi.RunError(
            f"circuit '{circuit_name}' of stack {network_stack} has no authorization '{authorization}' "
            f"(authorizations: {', '.join(sorted(per_circuit)) or 'none'}); ask the network team to add it "
            "to the circuit's `authorizations`"
        )
    return per_circuit[authorization]


group = resources.ResourceGroup("app", resource_group_name=config.require("resourceGroupName"))

try:
    connection = CircuitVnetConnection("hub", {
        "resource_group_name": group.name,
        "express_route_circuit_id": network.require_output("circuits").apply(circuit_id),
        # A secret output of the network stack: the apply's result is secret too.
        "authorization_key": network.require_output("authorizationKeys").apply(authorization_key),
        "virtual_network": {
            python_key: vnet[yaml_key]
            for python_key, yaml_key in (("name", "name"), ("address_space", "addressSpace"),
                                         ("gateway_subnet_prefix", "gatewaySubnetPrefix"))
            if yaml_key in vnet
        },
        "express_route_gateway_sku": config.get("expressRouteGatewaySku") or "ErGw1AZ",
    })
except ConfigError as error:
    # The same checks as the network stack's config, one line per problem, no traceback.
    raise pulumi.RunError(str(error)) from None

pulumi.export("virtualNetworkId", connection.virtual_network_id)
pulumi.export("virtualNetworkName", connection.virtual_network_name)
pulumi.export("expressRouteGatewayId", connection.gateway_id)
pulumi.export("connectionId", connection.connection_id)
