"""``ports[].circuits[]``: ExpressRoute circuits on a Direct port, their peerings, and the
rules for all the circuits of one port (sizes, VLANs, peering subnets)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Optional

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .. import facts
from ..arm import CIRCUIT_TYPE, arm_id_problem
from .literals import CircuitBandwidth, RoutingRegistry, SkuFamily, SkuTier
from .rules import ConfigModel, Int, cross_rule, rule
from .values import Asn, CustomerAsn, azure_name_problem, import_id_name_problems


def peer_prefix_problem(value: str, length: int) -> str | None:
    """Peering links use one /30 (IPv4) or /126 (IPv6) per link: your router takes the
    first address, Microsoft the second."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        network = None
    family = 4 if length == facts.PEER_PREFIX_LENGTH[4] else 6
    if network is None or network.version != family or network.prefixlen != length:
        example = "192.168.100.0/30" if family == 4 else "2001:db8:1::/126"
        return f"must be an IPv{family} /{length} network such as {example} (host bits zero)"
    return None


def _prefix(family: int):
    length = facts.PEER_PREFIX_LENGTH[family]
    return Annotated[str, rule(f"peer_prefix_{length}", lambda v: peer_prefix_problem(v, length))]


def public_prefix_problem(value: str) -> str | None:
    """Microsoft peering carries public address space only (you must own it)."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return "must be an IPv4 or IPv6 network such as 203.0.113.0/28 (host bits zero)"
    if network.prefixlen == 0 or (reason := facts.non_public_reason(network)):
        why = "the default route" if network.prefixlen == 0 else reason
        return ("must be a public prefix you own: private (RFC 1918), link-local and default routes are not "
                f"accepted on Microsoft peering (this one is {why})")
    return None


PublicPrefix = Annotated[str, rule("public_prefix", public_prefix_problem)]


# fact: rf-community-format: Microsoft's BGP communities are 12076:5xxx for services
# (12076:5010 Exchange) and 12076:5xxxx for Azure regions (12076:51004 East US).
BGP_COMMUNITY_RE = re.compile(r"12076:5[0-9]{3,4}")  # with fullmatch


def bgp_community_problem(value: str) -> str | None:
    """A route filter rule lists Microsoft's BGP community values."""
    if not BGP_COMMUNITY_RE.fullmatch(value):
        return ("must be a Microsoft BGP community such as 12076:5010 (a service) or 12076:51004 "
                "(an Azure region): 12076: followed by 5 and three or four digits")
    return None


BgpCommunity = Annotated[str, rule("bgp_community", bgp_community_problem)]


def overlap_problem(primary: str, secondary: str) -> str | None:
    """The two links of a peering need their own subnets."""
    if ipaddress.ip_network(primary).overlaps(ipaddress.ip_network(secondary)):
        return "must not overlap primaryPeerAddressPrefix: each link needs its own subnet"
    return None


class _LinkSubnets(ConfigModel):
    """A primary and a secondary subnet, one per physical link, which must not overlap."""

    @cross_rule("primary_peer_address_prefix", "secondary_peer_address_prefix")
    def _links_do_not_overlap(self):
        if problem := overlap_problem(self.primary_peer_address_prefix, self.secondary_peer_address_prefix):
            yield ("secondary_peer_address_prefix",), "peer_prefix_overlap", problem


class Ipv6PeeringSettings(_LinkSubnets):
    """IPv6 on a peering: one /126 per link."""

    primary_peer_address_prefix: _prefix(6)
    """IPv6 /126 for the primary link (your router takes the first address, Microsoft the second)."""
    secondary_peer_address_prefix: _prefix(6)
    """IPv6 /126 for the secondary link, not overlapping the primary one."""


class PrivatePeeringSettings(_LinkSubnets):
    """Azure private peering: BGP between your routers and Microsoft's over one VLAN."""

    peer_asn: Asn
    """Your BGP ASN, 1-4294967295; not 12076, 8074, 8075, 65515-65520 or another reserved ASN."""
    primary_peer_address_prefix: _prefix(4)
    """IPv4 /30 for the primary link (your router takes the first address, Microsoft the second)."""
    secondary_peer_address_prefix: _prefix(4)
    """IPv4 /30 for the secondary link, not overlapping the primary one."""
    vlan_id: Annotated[Int, Field(ge=facts.VLAN_MIN, le=facts.VLAN_MAX)]
    """VLAN id, 1-4094, unique on the port across all circuits and peerings."""
    ipv6: Optional[Ipv6PeeringSettings] = None
    """IPv6 on the peering: `primaryPeerAddressPrefix` and `secondaryPeerAddressPrefix`, one /126 each."""


def _needs_ipv4_prefix(prefixes: list[str]) -> str | None:
    if not any(ipaddress.ip_network(p).version == 4 for p in prefixes):
        return "needs at least one IPv4 prefix for the IPv4 peering"
    return None


class MicrosoftPeeringSettings(PrivatePeeringSettings):
    """Microsoft peering: Microsoft 365 and Azure public services over your public prefixes."""

    primary_peer_address_prefix: Annotated[_prefix(4), rule("public_prefix", public_prefix_problem)]
    """Public IPv4 /30 you own, for the primary link."""
    secondary_peer_address_prefix: Annotated[_prefix(4), rule("public_prefix", public_prefix_problem)]
    """Public IPv4 /30 you own, for the secondary link, not overlapping the primary one."""
    advertised_public_prefixes: Annotated[
        list[PublicPrefix], Field(min_length=1), rule("ipv4_prefix_needed", _needs_ipv4_prefix)]
    """Public prefixes you own and announce to Microsoft, at least one IPv4; IPv6 ones need the `ipv6` block."""
    customer_asn: Optional[CustomerAsn] = None
    """The ASN the prefixes originate from, when it is not `peerAsn` (1-2147483647: a 32-bit signed integer in Azure's API)."""
    routing_registry_name: RoutingRegistry
    """Routing registry where the prefixes and ASN are registered."""
    # fact: rf-required-after-2017-08-01, rf-one-rule-allow
    route_filter_communities: Optional[Annotated[list[BgpCommunity], Field(min_length=1)]] = None
    """BGP communities to receive (e.g. `12076:5010`): a route filter with one Allow rule for them is attached to the peering. Without it the peering receives no Microsoft prefixes (peerings configured after 1 August 2017)."""

    @cross_rule("advertised_public_prefixes", "ipv6")
    def _prefixes_match_the_sessions(self):
        """IPv6 prefixes need the peering's ``ipv6`` session."""
        if self.ipv6 is None:
            for i, prefix in enumerate(self.advertised_public_prefixes):
                if ipaddress.ip_network(prefix).version == 6:
                    yield (("advertised_public_prefixes", i), "ipv6_needs_session",
                           "an IPv6 prefix needs the peering's ipv6 block (its /126 subnets)")


def _direct_is_metered(value: Any) -> Any:
    """fact: erd-circuit-metered-only: "SkuFamily must be MeteredData only. Unlimited isn't
    supported on ExpressRoute Direct." (The port's own billingType still takes both.)"""
    if value == facts.UNLIMITED_DATA:
        raise PydanticCustomError("direct_metered_only", (
            "UnlimitedData is not offered for circuits on ExpressRoute Direct: use MeteredData "
            "(the port's billingType may still be UnlimitedData)"))
    return value


class CircuitSettings(ConfigModel):
    """An ExpressRoute circuit on a Direct port, with its peerings and authorizations."""

    name: Annotated[str, rule("circuit_name", azure_name_problem)]
    """Circuit name (Azure naming, 1-80 characters), unique in the stack."""
    bandwidth_in_gbps: CircuitBandwidth
    """1, 2, 5 or 10 on a 10 Gbps port; 5, 10, 40 or 100 on a 100 Gbps port. The circuits of a port add up to at most 2x its bandwidth."""
    sku_tier: SkuTier
    """Circuit SKU tier."""
    sku_family: Annotated[SkuFamily, BeforeValidator(_direct_is_metered)]
    """Circuit SKU family: `MeteredData`, the only one Microsoft offers for circuits on ExpressRoute Direct."""
    allow_classic_operations: bool = False
    """Let classic (ASM) virtual networks use the circuit."""
    authorizations: list[Annotated[str, rule("authorization_name", azure_name_problem)]] = Field(default_factory=list)
    """Names of authorization keys to create, one each for gateways in other subscriptions (secret output `authorizationKeys`)."""
    private_peering: Optional[PrivatePeeringSettings] = None
    """Azure private peering (keys as below)."""
    microsoft_peering: Optional[MicrosoftPeeringSettings] = None
    """Microsoft peering: as `privatePeering` with public /30s, plus `advertisedPublicPrefixes`, optional `customerAsn` and `routingRegistryName`."""
    import_id: Optional[Annotated[str, rule("circuit_import_id", lambda v: arm_id_problem(v, CIRCUIT_TYPE))]] = None
    """ARM id of an existing circuit on this port to adopt (Pulumi `import`); its peerings and authorizations follow by their child ids."""

    @cross_rule("import_id", "name")
    def _import_id_names_this_circuit(self):
        yield from import_id_name_problems(self)

    @cross_rule("authorizations")
    def _unique_authorizations(self):
        for i, name in enumerate(self.authorizations):
            if name in self.authorizations[:i]:
                yield ("authorizations", i), "duplicate_authorization", f"authorization '{name}' is listed twice"

    def peerings(self) -> list[tuple[str, PrivatePeeringSettings]]:
        """(config key, settings) of the peerings present."""
        return [
            (key, peering)
            for key, peering in (("privatePeering", self.private_peering), ("microsoftPeering", self.microsoft_peering))
            if peering is not None
        ]


# Pure rules for the circuits of one port. Paths are under ``circuits``; a circuit that
# failed its own checks is None and is left out.

_PEERING_FIELDS = {"privatePeering": "private_peering", "microsoftPeering": "microsoft_peering"}


def stage_problems(circuits: list, stage: str | None):
    """Circuits only on an encrypted or active port."""
    if stage == "reserved" and circuits:
        yield (), "circuit_on_reserved_port", (
            "circuits need the port's stage to be 'encrypted' or 'active' (on a 'reserved' port traffic "
            "could flow before MACsec is configured); the order: deploy the port at reserved, get its LOA and "
            "cross-connect, deploy it at encrypted, then add the circuits"
        )


def size_problems(circuits: list, bandwidth: int | None):
    """Circuit sizes the port offers, and at most 2x oversubscription (checked once
    every circuit has a size the port offers)."""
    if bandwidth is None:
        return
    sizes = facts.CIRCUIT_SIZES[bandwidth]
    wrong = [i for i, c in enumerate(circuits) if c is not None and c.bandwidth_in_gbps not in sizes]
    for i in wrong:
        yield (i, "bandwidth_in_gbps"), "circuit_size", (
            f"{circuits[i].bandwidth_in_gbps} Gbps is not offered on a {bandwidth} Gbps port; "
            f"use {', '.join(map(str, sizes))}"
        )
    if not wrong and None not in circuits:
        if problem := oversubscription_problem([c.bandwidth_in_gbps for c in circuits], bandwidth):
            yield (), "oversubscribed", problem


def oversubscription_problem(sizes: list[int], bandwidth: int) -> str | None:
    """Circuits on a port may add up to twice its bandwidth."""
    total = sum(sizes)
    if total > facts.OVERSUBSCRIPTION * bandwidth:
        return (f"circuits add up to {total} Gbps; a {bandwidth} Gbps port allows at most "
                f"{facts.OVERSUBSCRIPTION * bandwidth} Gbps (2x oversubscription)")
    return None


def vlan_problems(circuits: list, encapsulation: str | None = facts.DOT1Q):
    """VLAN ids (C-Tags): with Dot1Q unique across all circuits and peerings of the port
    pair (fact: erd-dot1q-ctag); with QinQ each circuit has its own S-Tag, so a C-Tag only
    has to be unique among the peerings of one circuit (fact: erd-qinq-ctag)."""
    qinq = encapsulation == facts.QINQ
    scope = ("with QinQ, VLAN ids (C-Tags) must be unique among a circuit's peerings" if qinq
             else "VLAN ids must be unique per port")
    seen: dict[int, str] = {}
    for i, circuit in enumerate(circuits):
        if qinq:
            seen = {}
        for key, peering in circuit.peerings() if circuit is not None else []:
            if peering.vlan_id in seen:
                yield (i, _PEERING_FIELDS[key], "vlan_id"), "duplicate_vlan", (
                    f"VLAN {peering.vlan_id} is already used by {seen[peering.vlan_id]}; {scope}"
                )
            seen.setdefault(peering.vlan_id, f"circuits[{i}].{key}")


def peer_subnet_problems(circuits: list):
    """Peering subnets unique per port (the two subnets of one peering are checked by
    the peering itself)."""
    seen: list[tuple[Any, str]] = []
    for i, circuit in enumerate(circuits):
        for key, peering in circuit.peerings() if circuit is not None else []:
            where = f"circuits[{i}].{key}"
            prefixes = [(("primary_peer_address_prefix",), "primaryPeerAddressPrefix", peering.primary_peer_address_prefix),
                        (("secondary_peer_address_prefix",), "secondaryPeerAddressPrefix", peering.secondary_peer_address_prefix)]
            if peering.ipv6:
                prefixes += [(("ipv6", "primary_peer_address_prefix"), "ipv6.primaryPeerAddressPrefix",
                              peering.ipv6.primary_peer_address_prefix),
                             (("ipv6", "secondary_peer_address_prefix"), "ipv6.secondaryPeerAddressPrefix",
                              peering.ipv6.secondary_peer_address_prefix)]
            for path, field, value in prefixes:
                network = ipaddress.ip_network(value)
                clash = next((owner for other, owner in seen
                              if other.version == network.version and other.overlaps(network)
                              and not owner.startswith(where + ".")), None)
                if clash:
                    yield (i, _PEERING_FIELDS[key], *path), "duplicate_peer_prefix", (
                        f"{value} overlaps {clash}; peering subnets must be unique per port"
                    )
                seen.append((network, f"{where}.{field}"))


def circuit_problems(circuits: list, bandwidth: int | None, stage: str | None, encapsulation: str | None = facts.DOT1Q):
    """Every rule for the circuits of one port, as (path under circuits, rule, message)."""
    yield from stage_problems(circuits, stage)
    yield from size_problems(circuits, bandwidth)
    yield from vlan_problems(circuits, encapsulation)
    yield from peer_subnet_problems(circuits)
