"""An IPsec VPN over an ExpressRoute circuit's private peering, into a Virtual WAN hub."""

from typing import Optional

import pulumi
from pulumi_azure_native import network

from .component_args import VirtualWanVpnArgs
from .config.inputs import VirtualWanVpnInputs, validate_args
from .facts import VIRTUAL_HUB_SKU, VIRTUAL_WAN_TYPE
from .tokens import component_options, type_token
from .vpn import bgp_addresses, ipsec_policy_args, pre_shared_key


class VirtualWanVpn(pulumi.ComponentResource):
    """End-to-end IPsec from a Virtual WAN hub to an on-premises device, over ExpressRoute.

    Azure constraints encoded here (Microsoft's "VPN over ExpressRoute for Virtual WAN"):
    - the hub's ExpressRoute gateway connects to the circuit's private peering;
    - the hub's VPN gateway reaches the device through the VPN site's link whose address
      is the device's private IP, and the link connection has "use Azure private IP
      address" (``useLocalAzureIpAddress``) on, so the tunnel rides the ExpressRoute path;
    - the device's address must be among the prefixes announced to the hub over private
      peering (checked in the config when they are given);
    - the link connection carries a custom IPsec/IKE policy without weak algorithms.
    """

    vpn_gateway_private_ips: pulumi.Output[list[str]]
    """The hub VPN gateway's private tunnel addresses: what the on-premises device peers with."""
    vpn_gateway_bgp_addresses: pulumi.Output[list[str]]
    """The hub VPN gateway's BGP addresses."""
    connection_id: pulumi.Output[str]
    """ARM id of the VPN connection."""
    express_route_connection_id: pulumi.Output[str]
    """ARM id of the hub's ExpressRoute connection to the circuit."""
    shared_key: pulumi.Output[str]
    """Secret. The IPsec pre-shared key, to configure on the on-premises device."""

    def __init__(
        self,
        name: str,
        args: VirtualWanVpnArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        settings = validate_args(VirtualWanVpnInputs, args, f"VirtualWanVpn '{name}'")
        super().__init__(type_token("VirtualWanVpn"), name, None, component_options("VirtualWanVpn", opts))
        rg = settings.resource_group_name
        protect = settings.protect
        # Losing any of these drops the tunnel or the circuit connection.
        child = pulumi.ResourceOptions(parent=self, protect=protect)
        wan_settings = settings.virtual_wan
        hub_settings = wan_settings.hub
        on_prem = settings.on_premises

        wan_id = wan_settings.id
        if wan_id is None:
            wan_id = network.VirtualWan(
                f"{name}-wan", resource_group_name=rg, virtual_wan_name=wan_settings.name,
                type=VIRTUAL_WAN_TYPE, opts=child,
            ).id
        hub = network.VirtualHub(
            f"{name}-hub",
            resource_group_name=rg,
            virtual_hub_name=hub_settings.name,
            address_prefix=hub_settings.address_prefix,
            virtual_wan=network.SubResourceArgs(id=wan_id),
            sku=VIRTUAL_HUB_SKU,
            opts=child,
        )

        er_gateway = network.ExpressRouteGateway(
            f"{name}-ergw",
            resource_group_name=rg,
            virtual_hub=network.VirtualHubIdArgs(id=hub.id),
            auto_scale_configuration=network.ExpressRouteGatewayPropertiesAutoScaleConfigurationArgs(
                bounds=network.ExpressRouteGatewayPropertiesBoundsArgs(min=hub_settings.express_route_gateway_scale_units)
            ),
            # Azure lists the gateway's connections, authorization keys included, inside it.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, additional_secret_outputs=["expressRouteConnections"]),
        )
        er_connection = network.ExpressRouteConnection(
            f"{name}-er-connection",
            resource_group_name=rg,
            express_route_gateway_name=er_gateway.name,
            name=f"{settings.circuit}-private",
            connection_name=f"{settings.circuit}-private",
            express_route_circuit_peering=network.ExpressRouteCircuitPeeringIdArgs(
                id=settings.express_route_circuit_private_peering_id
            ),
            routing_weight=0,
            opts=pulumi.ResourceOptions(parent=self, protect=protect, additional_secret_outputs=["authorizationKey"]),
        )

        bgp = on_prem.bgp is not None
        vpn_gateway = network.VpnGateway(
            f"{name}-vpngw",
            resource_group_name=rg,
            virtual_hub=network.SubResourceArgs(id=hub.id),
            vpn_gateway_scale_unit=hub_settings.vpn_gateway_scale_units,
            # One gateway at a time in a hub. Azure lists its connections, shared keys
            # included, inside it.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=[er_gateway],
                                        additional_secret_outputs=["connections"]),
        )

        site = network.VpnSite(
            f"{name}-site",
            resource_group_name=rg,
            vpn_site_name=on_prem.name,
            virtual_wan=network.SubResourceArgs(id=wan_id),
            # Without BGP the hub routes the on-premises prefixes to the site statically.
            address_space=None if bgp else network.AddressSpaceArgs(address_prefixes=on_prem.address_prefixes),
            vpn_site_links=[network.VpnSiteLinkArgs(
                name=f"{on_prem.name}-link",
                ip_address=on_prem.vpn_device_ip,
                bgp_properties=network.VpnLinkBgpSettingsArgs(
                    asn=on_prem.bgp.asn, bgp_peering_address=on_prem.bgp.peering_address
                ) if bgp else None,
                link_properties=network.VpnLinkProviderPropertiesArgs(link_speed_in_mbps=1000),
            )],
            opts=child,
        )

        shared_key = pre_shared_key(name, settings, self, f"VirtualWanVpn '{name}'")

        connection = network.VpnConnection(
            f"{name}-ipsec",
            resource_group_name=rg,
            gateway_name=vpn_gateway.name,
            connection_name=f"{on_prem.name}-connection",
            remote_vpn_site=network.SubResourceArgs(id=site.id),
            enable_bgp=bgp,
            vpn_link_connections=[network.VpnSiteLinkConnectionArgs(
                name=f"{on_prem.name}-link-connection",
                vpn_site_link=network.SubResourceArgs(
                    id=site.vpn_site_links.apply(lambda links: links[0].id)
                ),
                shared_key=shared_key,
                use_local_azure_ip_address=True,
                enable_bgp=bgp,
                vpn_connection_protocol_type="IKEv2",
                ipsec_policies=[ipsec_policy_args(settings.ipsec_policy)],
            )],
            # The tunnel's packets ride the private peering: it must be connected first.
            # The key is inside each link connection: the whole list is secret.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=[er_connection],
                                        additional_secret_outputs=["sharedKey", "vpnLinkConnections"]),
        )

        self.vpn_gateway_private_ips = vpn_gateway.ip_configurations.apply(
            lambda configs: [c.private_ip_address for c in configs or [] if c.private_ip_address]
        )
        self.vpn_gateway_bgp_addresses = vpn_gateway.bgp_settings.apply(bgp_addresses)
        self.connection_id = connection.id
        self.express_route_connection_id = er_connection.id
        self.shared_key = shared_key
        self.register_outputs({
            "vpn_gateway_private_ips": self.vpn_gateway_private_ips,
            "vpn_gateway_bgp_addresses": self.vpn_gateway_bgp_addresses,
            "connection_id": self.connection_id,
            "express_route_connection_id": self.express_route_connection_id,
            "shared_key": self.shared_key,
        })
