"""An ExpressRoute circuit on an encrypted Direct port, with its peerings and authorizations."""

import ipaddress
from typing import Optional, TypedDict

import pulumi
from pulumi_azure_native import network

from .component_args import DirectCircuitArgs
from .config.circuits import MicrosoftPeeringSettings, PrivatePeeringSettings
from .config.inputs import DirectCircuitInputs, validate_args
from .tokens import component_options, type_token

PEERING_TYPES = {"privatePeering": "AzurePrivatePeering", "microsoftPeering": "MicrosoftPeering"}


class PeeringState(TypedDict):
    """A peering as deployed (keys as in the ``circuits`` stack output)."""

    id: str
    """ARM id of the peering."""
    peerAsn: int
    vlanId: int
    primaryPeerAddressPrefix: str
    secondaryPeerAddressPrefix: str
    azureAsn: int
    """Microsoft's ASN on the peering (12076)."""


class DirectCircuit(pulumi.ComponentResource):
    """An ExpressRoute circuit on an ExpressRoute Direct port whose links carry MACsec.

    Peerings and authorizations are separate resources under this component, so that
    changing one never recreates the others. Azure takes one change at a time on a
    circuit, so they are created one after another. Authorization keys are secret.
    """

    circuit_id: pulumi.Output[str]
    """ARM id of the circuit (what gateway connections reference)."""
    circuit_name: pulumi.Output[str]
    """Azure name of the circuit."""
    service_key: pulumi.Output[str]
    """The circuit's service key."""
    bandwidth_in_gbps: pulumi.Output[int]
    """Circuit bandwidth."""
    express_route_port_id: pulumi.Output[str]
    """The Direct port the circuit runs on."""
    private_peering_id: pulumi.Output[Optional[str]]
    """ARM id of the AzurePrivatePeering (None without one): what a Virtual WAN ExpressRoute connection uses."""
    private_peering_ready_circuit_id: pulumi.Output[str]
    """The circuit id, resolving only once the private peering exists: what a gateway connection should use."""
    peerings: pulumi.Output[dict[str, PeeringState]]
    """Per peering type (AzurePrivatePeering, MicrosoftPeering): id, peer ASN, VLAN, primary/secondary prefixes, Azure ASN."""
    authorization_keys: pulumi.Output[dict[str, str]]
    """Secret. Authorization name -> authorization key."""

    def __init__(
        self,
        name: str,
        args: DirectCircuitArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        settings = validate_args(DirectCircuitInputs, args, f"DirectCircuit '{name}'")
        super().__init__(type_token("DirectCircuit"), name, None, component_options("DirectCircuit", opts))
        rg = settings.resource_group_name
        protect = settings.protect

        circuit = network.ExpressRouteCircuit(
            name,
            resource_group_name=rg,
            circuit_name=settings.name,
            express_route_port=network.SubResourceArgs(id=settings.express_route_port_id),
            bandwidth_in_gbps=settings.bandwidth_in_gbps,
            sku=network.ExpressRouteCircuitSkuArgs(
                name=f"{settings.sku_tier}_{settings.sku_family}",
                tier=settings.sku_tier,
                family=settings.sku_family,
            ),
            allow_classic_operations=settings.allow_classic_operations,
            # Azure echoes every authorization's key, and every peering's BGP key, inside
            # the circuit itself.
            opts=pulumi.ResourceOptions(parent=self, protect=protect, import_=settings.import_id,
                                        additional_secret_outputs=["authorizations", "peerings"]),
        )
        # Children of an adopted circuit exist already; a peering added later is created.
        child_of = settings.import_id if settings.adopting else None

        # One operation at a time on a circuit: each child waits for the previous one.
        previous: list[pulumi.Resource] = []
        peerings, peering_resources = {}, {}
        for key, peering in settings.peerings():
            route_filter = self._route_filter(name, rg, settings.name, peering, protect)
            resource = network.ExpressRouteCircuitPeering(
                f"{name}-{PEERING_TYPES[key]}",
                resource_group_name=rg,
                circuit_name=circuit.name,
                peering_name=PEERING_TYPES[key],
                **_peering_args(PEERING_TYPES[key], peering, route_filter),
                # A peering may carry a BGP MD5 key set outside this program: never plain in state.
                # Deleting a peering drops its BGP sessions: protected like the circuit.
                opts=pulumi.ResourceOptions(parent=self, protect=protect, depends_on=previous,
                                            additional_secret_outputs=["sharedKey"],
                                            import_=child_of and f"{child_of}/peerings/{PEERING_TYPES[key]}"),
            )
            previous = [resource]
            peering_resources[PEERING_TYPES[key]] = resource
            peerings[PEERING_TYPES[key]] = {
                "id": resource.id,
                "peerAsn": peering.peer_asn,
                "vlanId": peering.vlan_id,
                "primaryPeerAddressPrefix": peering.primary_peer_address_prefix,
                "secondaryPeerAddressPrefix": peering.secondary_peer_address_prefix,
                "azureAsn": resource.azure_asn,
            }

        keys = {}
        for auth in settings.authorizations:
            resource = network.ExpressRouteCircuitAuthorization(
                f"{name}-{auth}",
                resource_group_name=rg,
                circuit_name=circuit.name,
                authorization_name=auth,
                # Deleting an authorization disconnects the gateway that redeemed it.
                opts=pulumi.ResourceOptions(
                    parent=self, protect=protect, depends_on=previous, additional_secret_outputs=["authorizationKey"],
                    import_=child_of and f"{child_of}/authorizations/{auth}",
                ),
            )
            previous = [resource]
            keys[auth] = resource.authorization_key

        self.circuit_id = circuit.id
        self.circuit_name = circuit.name
        self.service_key = circuit.service_key
        self.bandwidth_in_gbps = pulumi.Output.from_input(settings.bandwidth_in_gbps)
        self.express_route_port_id = pulumi.Output.from_input(settings.express_route_port_id)
        self.peerings = pulumi.Output.from_input(peerings)
        private = peering_resources.get("AzurePrivatePeering")
        self.private_peering_id = private.id if private else pulumi.Output.from_input(None)
        self.private_peering_ready_circuit_id = (
            pulumi.Output.all(circuit.id, private.id).apply(lambda ids: ids[0]) if private else circuit.id
        )
        self.authorization_keys = pulumi.Output.secret(keys)
        self.register_outputs({
            "circuit_id": self.circuit_id,
            "circuit_name": self.circuit_name,
            "service_key": self.service_key,
            "bandwidth_in_gbps": self.bandwidth_in_gbps,
            "express_route_port_id": self.express_route_port_id,
            "peerings": self.peerings,
            "private_peering_id": self.private_peering_id,
            "private_peering_ready_circuit_id": self.private_peering_ready_circuit_id,
            "authorization_keys": self.authorization_keys,
        })


    def _route_filter(self, name: str, rg, circuit_name: str, peering: PrivatePeeringSettings, protect: bool):
        """The route filter of a Microsoft peering: one Allow rule for the configured BGP
        communities (Azure allows one rule per filter, of type Allow). Microsoft peerings
        configured after 1 August 2017 receive no prefixes until a filter is attached."""
        if not isinstance(peering, MicrosoftPeeringSettings):
            return None
        if peering.route_filter_communities is None:
            pulumi.log.warn(
                f"circuit '{circuit_name}': MicrosoftPeering has no route filter (routeFilterCommunities), "
                "so the peering will receive no Microsoft prefixes; list the BGP communities of the "
                "services and regions you need", resource=self)
            return None
        return network.RouteFilter(
            f"{name}-route-filter",
            resource_group_name=rg,
            route_filter_name=f"{circuit_name}-microsoft-peering",
            rules=[network.RouteFilterRuleArgs(
                name="allow-communities",
                access="Allow",
                route_filter_rule_type="Community",
                communities=list(peering.route_filter_communities),
            )],
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )


def _peering_args(peering_type: str, peering: PrivatePeeringSettings, route_filter=None) -> dict:
    """ARM properties of a peering; Microsoft peering splits its prefixes by IP version."""
    args = {
        "peering_type": peering_type,
        "peer_asn": peering.peer_asn,
        "primary_peer_address_prefix": peering.primary_peer_address_prefix,
        "secondary_peer_address_prefix": peering.secondary_peer_address_prefix,
        "vlan_id": peering.vlan_id,
        "state": "Enabled",
    }
    filter_ref = network.SubResourceArgs(id=route_filter.id) if route_filter is not None else None
    if filter_ref is not None:
        args["route_filter"] = filter_ref
    v6_prefixes: list[str] = []
    if isinstance(peering, MicrosoftPeeringSettings):
        by_version = {4: [], 6: []}
        for prefix in peering.advertised_public_prefixes:
            by_version[ipaddress.ip_network(prefix).version].append(prefix)
        v6_prefixes = by_version[6]
        args["microsoft_peering_config"] = network.ExpressRouteCircuitPeeringConfigArgs(
            advertised_public_prefixes=by_version[4],
            customer_asn=peering.customer_asn,
            routing_registry_name=peering.routing_registry_name,
        )
    if peering.ipv6:
        args["ipv6_peering_config"] = network.Ipv6ExpressRouteCircuitPeeringConfigArgs(
            primary_peer_address_prefix=peering.ipv6.primary_peer_address_prefix,
            secondary_peer_address_prefix=peering.ipv6.secondary_peer_address_prefix,
            state="Enabled",
            microsoft_peering_config=network.ExpressRouteCircuitPeeringConfigArgs(
                advertised_public_prefixes=v6_prefixes,
                customer_asn=peering.customer_asn,
                routing_registry_name=peering.routing_registry_name,
            ) if isinstance(peering, MicrosoftPeeringSettings) else None,
            route_filter=filter_ref,
        )
    return args
