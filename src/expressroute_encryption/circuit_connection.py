"""A virtual network connected to an existing ExpressRoute circuit, through an authorization key."""

from typing import Optional

import pulumi
from pulumi_azure_native import network

from .component_args import CircuitVnetConnectionArgs
from .config.inputs import CircuitVnetConnectionInputs, authorization_key_problem, validate_args
from .facts import GATEWAY_SUBNET_NAME
from .secret_inputs import checked_secret
from .tokens import component_options, type_token
from .vpn import CONNECTION_SECRETS, expressroute_gateway


class CircuitVnetConnection(pulumi.ComponentResource):
    """A virtual network on an existing ExpressRoute circuit: VNet, GatewaySubnet, a
    zone-redundant ExpressRoute gateway, and its connection to the circuit.

    Made for application and platform teams building on the network team's circuits:
    the circuit id and an authorization key come from the network stack's outputs
    (``circuits``, ``authorizationKeys``) through a StackReference. The authorization
    key stays secret end to end (input and state of the connection). The subnet is its
    own resource, so workload subnets can be added next to it without the virtual
    network removing them.
    """

    virtual_network_id: pulumi.Output[str]
    """ARM id of the virtual network."""
    virtual_network_name: pulumi.Output[str]
    """Name of the virtual network (to add workload subnets to)."""
    gateway_subnet_id: pulumi.Output[str]
    """ARM id of the GatewaySubnet."""
    gateway_id: pulumi.Output[str]
    """ARM id of the ExpressRoute gateway."""
    connection_id: pulumi.Output[str]
    """ARM id of the gateway's connection to the circuit."""

    def __init__(
        self,
        name: str,
        args: CircuitVnetConnectionArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        # The circuit id is checked when a plain string; the key when its secret resolves.
        settings = validate_args(CircuitVnetConnectionInputs, args, source=f"CircuitVnetConnection '{name}'")
        super().__init__(type_token("CircuitVnetConnection"), name, None, component_options("CircuitVnetConnection", opts))
        rg = settings.resource_group_name
        protect = settings.protect
        # Losing any of these disconnects the network from the circuit.
        child = pulumi.ResourceOptions(parent=self, protect=protect)
        vnet_settings = settings.virtual_network

        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=rg,
            virtual_network_name=vnet_settings.name,
            address_space=network.AddressSpaceArgs(address_prefixes=vnet_settings.address_space),
            opts=child,
        )
        gateway_subnet = network.Subnet(
            f"{name}-gateway-subnet",
            resource_group_name=rg,
            virtual_network_name=vnet.name,
            subnet_name=GATEWAY_SUBNET_NAME,
            address_prefix=vnet_settings.gateway_subnet_prefix,
            opts=child,
        )

        gateway = expressroute_gateway(
            name, rg, settings.express_route_gateway_sku, network.SubResourceArgs(id=gateway_subnet.id), self, protect,
            settings.scale_units,
        )

        key = settings.authorization_key
        connection = network.VirtualNetworkGatewayConnection(
            f"{name}-connection",
            resource_group_name=rg,
            connection_type="ExpressRoute",
            virtual_network_gateway1=network.VirtualNetworkGatewayArgs(id=gateway.id),
            peer=network.SubResourceArgs(id=settings.express_route_circuit_id),
            authorization_key=checked_secret(key, f"CircuitVnetConnection '{name}'", "authorization_key",
                                             authorization_key_problem) if key is not None else None,
            routing_weight=settings.routing_weight,
            opts=pulumi.ResourceOptions(parent=self, protect=protect, additional_secret_outputs=CONNECTION_SECRETS),
        )

        self.virtual_network_id = vnet.id
        self.virtual_network_name = vnet.name
        self.gateway_subnet_id = gateway_subnet.id
        self.gateway_id = gateway.id
        self.connection_id = connection.id
        self.register_outputs({
            "virtual_network_id": self.virtual_network_id,
            "virtual_network_name": self.virtual_network_name,
            "gateway_subnet_id": self.gateway_subnet_id,
            "gateway_id": self.gateway_id,
            "connection_id": self.connection_id,
        })
