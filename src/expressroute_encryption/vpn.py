"""An IPsec VPN over an ExpressRoute circuit's private peering, into a virtual network."""

import ipaddress
from typing import Optional

import pulumi
import pulumi_random as random
from pulumi_azure_native import network

from .component_args import PrivatePeeringVpnArgs
from .config.inputs import PrivatePeeringVpnInputs, validate_args
from .config.vpn import IpsecPolicySettings, shared_key_problem
from .facts import GATEWAY_SUBNET_NAME, GENERATION1_VPN_GATEWAY_SKUS, PUBLIC_IP_SKU
from .secret_inputs import checked_secret
from .tokens import component_options, type_token

# Outputs of a gateway connection that hold keys (Azure returns both on a GET).
CONNECTION_SECRETS = ["sharedKey", "authorizationKey"]


def ipsec_policy_args(policy: IpsecPolicySettings) -> network.IpsecPolicyArgs:
    """The custom IPsec/IKE policy: Azure requires every field once one is set."""
    return network.IpsecPolicyArgs(
        ike_encryption=policy.ike_encryption,
        ike_integrity=policy.ike_integrity,
        dh_group=policy.dh_group,
        ipsec_encryption=policy.ipsec_encryption,
        ipsec_integrity=policy.ipsec_integrity,
        pfs_group=policy.pfs_group,
        sa_life_time_seconds=policy.sa_life_time_seconds,
        sa_data_size_kilobytes=policy.sa_data_size_kilobytes,
    )


def pre_shared_key(name: str, settings, parent: pulumi.Resource, source: str) -> pulumi.Output[str]:
    """The given shared key (a secret, checked when it resolves), or a generated one (40
    letters and digits), secret either way."""
    key = settings.shared_key
    if key is not None:
        return checked_secret(key, source, "shared_key", shared_key_problem)
    # Not protected: a generated key is replaced on purpose when it is rotated.
    key = random.RandomPassword(
        f"{name}-shared-key", length=40, special=False, opts=pulumi.ResourceOptions(parent=parent)
    ).result
    return pulumi.Output.secret(key)


def bgp_addresses(bgp_settings) -> list[str]:
    """A gateway's default BGP peering addresses (empty without BGP)."""
    if not bgp_settings:
        return []
    return [a for p in (bgp_settings.bgp_peering_addresses or []) for a in (p.default_bgp_ip_addresses or [])]


def _private_tunnel_addresses(ip_configurations, bgp_settings) -> list[str]:
    """The gateway's private tunnel addresses: each IP configuration's private address,
    and the private ones among its BGP tunnel addresses (where Azure also lists them)."""
    found = [c.private_ip_address for c in ip_configurations or [] if c.private_ip_address]
    for peering in (bgp_settings.bgp_peering_addresses or []) if bgp_settings else []:
        found += [a for a in peering.tunnel_ip_addresses or [] if ipaddress.ip_address(a).is_private]
    return list(dict.fromkeys(found))


def expressroute_gateway(name: str, rg, sku: str, subnet: network.SubResourceArgs,
                         parent: pulumi.Resource, protect: bool, scale_units=None) -> network.VirtualNetworkGateway:
    """An ExpressRoute virtual network gateway in the GatewaySubnet, with its own
    zone-redundant public IP (AZ SKUs require one). A scalable gateway (ErGwScale) gets
    its minimum and maximum scale units (``scale_units``)."""
    ip = _zone_redundant_ip(f"{name}-ergw-ip", rg, parent, protect)
    return network.VirtualNetworkGateway(
        f"{name}-ergw",
        resource_group_name=rg,
        gateway_type="ExpressRoute",
        sku=network.VirtualNetworkGatewaySkuArgs(name=sku, tier=sku),
        ip_configurations=[network.VirtualNetworkGatewayIPConfigurationArgs(
            name="default",
            subnet=subnet,
            public_ip_address=network.SubResourceArgs(id=ip.id),
            private_ip_allocation_method="Dynamic",
        )],
        auto_scale_configuration=network.VirtualNetworkGatewayAutoScaleConfigurationArgs(
            bounds=network.VirtualNetworkGatewayAutoScaleBoundsArgs(min=scale_units.min, max=scale_units.max),
        ) if scale_units is not None else None,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


def _zone_redundant_ip(name: str, rg, parent: pulumi.Resource, protect: bool) -> network.PublicIPAddress:
    """AZ gateway SKUs need Standard, static, zone-redundant public IPs (even when the
    tunnel itself uses private addresses, the gateway keeps a public one for management)."""
    return network.PublicIPAddress(
        name,
        resource_group_name=rg,
        sku=network.PublicIPAddressSkuArgs(name=PUBLIC_IP_SKU, tier="Regional"),
        public_ip_allocation_method="Static",
        zones=["1", "2", "3"],
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )


class PrivatePeeringVpn(pulumi.ComponentResource):
    """End-to-end IPsec from a virtual network to an on-premises device, over ExpressRoute.

    Azure constraints encoded here:
    - an ExpressRoute gateway and a VPN gateway share the VNet's GatewaySubnet; the
      ExpressRoute gateway connects to the circuit, which carries private peering;
    - the VPN gateway has private IP addresses enabled and the connection uses
      ``useLocalAzureIpAddress``, so the tunnel runs between private addresses over
      the circuit rather than over the internet (both can be changed in place);
    - the local network gateway is the device's private address;
    - the connection carries a custom IPsec/IKE policy (Azure's defaults include
      DH group 2), checked against the weak-algorithm rules.
    """

    vpn_gateway_private_ips: pulumi.Output[list[str]]
    """The VPN gateway's private tunnel address(es): what the on-premises device peers with."""
    vpn_gateway_bgp_addresses: pulumi.Output[list[str]]
    """The VPN gateway's BGP peering address(es), when BGP is on."""
    connection_id: pulumi.Output[str]
    """ARM id of the IPsec connection."""
    express_route_connection_id: pulumi.Output[str]
    """ARM id of the ExpressRoute gateway's connection to the circuit."""
    shared_key: pulumi.Output[str]
    """Secret. The IPsec pre-shared key, to configure on the on-premises device."""

    def __init__(
        self,
        name: str,
        args: PrivatePeeringVpnArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        settings = validate_args(PrivatePeeringVpnInputs, args, f"PrivatePeeringVpn '{name}'")
        super().__init__(type_token("PrivatePeeringVpn"), name, None, component_options("PrivatePeeringVpn", opts))
        rg = settings.resource_group_name
        protect = settings.protect
        # Losing any of these drops the tunnel or the circuit connection.
        child = pulumi.ResourceOptions(parent=self, protect=protect)
        vnet_settings = settings.virtual_network
        on_prem = settings.on_premises

        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=rg,
            virtual_network_name=vnet_settings.name,
            address_space=network.AddressSpaceArgs(address_prefixes=vnet_settings.address_space),
            subnets=[network.SubnetArgs(name=GATEWAY_SUBNET_NAME, address_prefix=vnet_settings.gateway_subnet_prefix)],
            opts=child,
        )
        gateway_subnet = network.SubResourceArgs(id=vnet.subnets.apply(lambda subnets: subnets[0].id))

        er_gateway = expressroute_gateway(name, rg, settings.express_route_gateway_sku, gateway_subnet, self, protect)
        er_connection = network.VirtualNetworkGatewayConnection(
            f"{name}-er-connection",
            resource_group_name=rg,
            connection_type="ExpressRoute",
            virtual_network_gateway1=network.VirtualNetworkGatewayArgs(id=er_gateway.id),
            peer=network.SubResourceArgs(id=settings.express_route_circuit_id),
            routing_weight=0,
            opts=pulumi.ResourceOptions(parent=self, protect=protect, additional_secret_outputs=CONNECTION_SECRETS),
        )

        vpn_ips = [_zone_redundant_ip(f"{name}-vpngw-ip{i + 1}", rg, self, protect)
                   for i in range(2 if settings.active_active else 1)]
        bgp = on_prem.bgp is not None
        vpn_gateway = network.VirtualNetworkGateway(
            f"{name}-vpngw",
            resource_group_name=rg,
            gateway_type="Vpn",
            vpn_type="RouteBased",
            vpn_gateway_generation="Generation1" if settings.vpn_gateway_sku in GENERATION1_VPN_GATEWAY_SKUS else "Generation2",
            sku=network.VirtualNetworkGatewaySkuArgs(name=settings.vpn_gateway_sku, tier=settings.vpn_gateway_sku),
            active_active=bool(settings.active_active),
            enable_private_ip_address=True,
            enable_bgp=bgp,
            bgp_settings=network.BgpSettingsArgs(asn=settings.vpn_gateway_asn) if bgp and settings.vpn_gateway_asn else None,
            ip_configurations=[
                network.VirtualNetworkGatewayIPConfigurationArgs(
                    name=f"ipconfig{i + 1}",
                    subnet=gateway_subnet,
                    public_ip_address=network.SubResourceArgs(id=ip.id),
                    private_ip_allocation_method="Dynamic",
                )
                for i, ip in enumerate(vpn_ips)
            ],
            # Two gateways cannot be built in one GatewaySubnet at the same time.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=[er_gateway]),
        )

        local_gateway = network.LocalNetworkGateway(
            f"{name}-onprem",
            resource_group_name=rg,
            local_network_gateway_name=on_prem.name,
            gateway_ip_address=on_prem.vpn_device_ip,
            local_network_address_space=network.AddressSpaceArgs(address_prefixes=on_prem.address_prefixes),
            bgp_settings=network.BgpSettingsArgs(
                asn=on_prem.bgp.asn, bgp_peering_address=on_prem.bgp.peering_address
            ) if bgp else None,
            opts=child,
        )

        shared_key = pre_shared_key(name, settings, self, f"PrivatePeeringVpn '{name}'")

        connection = network.VirtualNetworkGatewayConnection(
            f"{name}-ipsec",
            resource_group_name=rg,
            connection_type="IPsec",
            connection_protocol="IKEv2",
            virtual_network_gateway1=network.VirtualNetworkGatewayArgs(id=vpn_gateway.id),
            local_network_gateway2=network.LocalNetworkGatewayArgs(id=local_gateway.id),
            shared_key=shared_key,
            use_local_azure_ip_address=True,
            enable_bgp=bgp,
            ipsec_policies=[ipsec_policy_args(settings.ipsec_policy)],
            # The tunnel's packets ride the private peering: it must be connected first.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=[er_connection],
                                        additional_secret_outputs=CONNECTION_SECRETS),
        )

        self.vpn_gateway_private_ips = vpn_gateway.ip_configurations.apply(
            lambda configs: vpn_gateway.bgp_settings.apply(lambda bgp: _private_tunnel_addresses(configs, bgp))
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
