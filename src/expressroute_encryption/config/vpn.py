"""``vpn``: an IPsec tunnel over a circuit's private peering, from a VPN gateway in a
virtual network or from a Virtual WAN hub, with its custom IPsec/IKE policy."""

from __future__ import annotations

import ipaddress
from typing import Annotated, ClassVar, Optional

from pydantic import Field, SecretStr

from .. import facts
from ..arm import VIRTUAL_WAN_TYPE, arm_id_problem
from .literals import IPSEC_ALGORITHM_CHOICES, ExpressRouteGatewaySku, VpnGatewaySku, VpnMode
from .rules import ConfigModel, Int, cross_rule, rule, secret_rule
from .values import Cidr, Ipv4Address, VpnAsn, azure_name_problem, gateway_subnet_size


def weak_algorithm_problem(field: str, value: str) -> str | None:
    """An algorithm Microsoft's guidance calls weak (``field`` is the ARM property name)."""
    weak = facts.WEAK_IPSEC_ALGORITHMS[field]
    if value in weak:
        return f"{value} is weak; choose another ({', '.join(sorted(weak))} are refused)"
    return None


def _algorithm(field: str):
    return Annotated[IPSEC_ALGORITHM_CHOICES[field],
                     rule("weak_algorithm", lambda value: weak_algorithm_problem(field, value))]


def gcm_pair_problem(encryption: str, integrity: str) -> str | None:
    """With GCM, IPsec encryption and integrity are the same GCMAES algorithm and key length."""
    if (encryption.startswith("GCM") or integrity.startswith("GCM")) and encryption != integrity:
        return f"must equal ipsecEncryption ({encryption}) when either uses GCM (Azure rule)"
    return None


_CNSA = facts.CNSA_IPSEC_POLICY


class IpsecPolicySettings(ConfigModel):
    """A custom IPsec/IKE policy. Azure's default policies offer DH group 2 (1024-bit), so
    a custom policy is always set; the default here is CNSA-style (GCM-AES-256, SHA-384,
    ECP384)."""

    ike_encryption: _algorithm("ikeEncryption") = _CNSA["ikeEncryption"]
    """IKE (phase 1) encryption; DES and DES3 are refused as weak."""
    ike_integrity: _algorithm("ikeIntegrity") = _CNSA["ikeIntegrity"]
    """IKE (phase 1) integrity; MD5 and SHA1 are refused as weak."""
    dh_group: _algorithm("dhGroup") = _CNSA["dhGroup"]
    """IKE Diffie-Hellman group; None, DHGroup1 and DHGroup2 are refused as weak."""
    ipsec_encryption: _algorithm("ipsecEncryption") = _CNSA["ipsecEncryption"]
    """IPsec (phase 2) encryption; None, DES and DES3 are refused as weak."""
    ipsec_integrity: _algorithm("ipsecIntegrity") = _CNSA["ipsecIntegrity"]
    """IPsec (phase 2) integrity; MD5 and SHA1 are refused as weak; equal to `ipsecEncryption` when either is GCM."""
    pfs_group: _algorithm("pfsGroup") = _CNSA["pfsGroup"]
    """Perfect forward secrecy group; None, PFS1 and PFS2 are refused as weak."""
    sa_life_time_seconds: Annotated[Int, Field(ge=facts.SA_LIFETIME_MIN_SECONDS)] = facts.SA_LIFETIME_DEFAULT_SECONDS
    """IPsec SA lifetime in seconds, 300 or more (Azure's default 27000)."""
    sa_data_size_kilobytes: Annotated[Int, Field(ge=facts.SA_DATA_SIZE_MIN_KB)] = facts.SA_DATA_SIZE_DEFAULT_KB
    """IPsec SA data size in KB, 1024 or more (Azure's default 102400000)."""

    @cross_rule("ipsec_encryption", "ipsec_integrity")
    def _gcm_pairs(self):
        if problem := gcm_pair_problem(self.ipsec_encryption, self.ipsec_integrity):
            yield ("ipsec_integrity",), "gcm_pair", problem


class VirtualNetworkSettings(ConfigModel):
    """The virtual network the tunnel lands in, with the GatewaySubnet for both gateways."""

    name: Annotated[str, rule("vnet_name", azure_name_problem)]
    """Virtual network name."""
    address_space: Annotated[list[Cidr], Field(min_length=1)]
    """IPv4 CIDR ranges of the virtual network."""
    gateway_subnet_prefix: Annotated[Cidr, gateway_subnet_size(
        "must be a /27 or larger: both gateways share the GatewaySubnet")]
    """The GatewaySubnet: a /27 or larger inside `addressSpace`, shared by the ExpressRoute and VPN gateways."""

    @cross_rule("gateway_subnet_prefix", "address_space")
    def _gateway_subnet_inside(self):
        subnet = ipaddress.IPv4Network(self.gateway_subnet_prefix)
        if not any(subnet.subnet_of(ipaddress.IPv4Network(s)) for s in self.address_space):
            yield ("gateway_subnet_prefix",), "gateway_subnet_inside", "must lie inside the virtual network's addressSpace"


class BgpPeerSettings(ConfigModel):
    """BGP on the tunnel: the on-premises device's ASN and BGP peering address."""

    asn: VpnAsn
    """The on-premises device's ASN: not one Azure VPN gateways reserve (23456, 64496-64511, 65515-65520, 65535-65551, Microsoft's)."""
    peering_address: Ipv4Address
    """The on-premises BGP peering address (not the VPN device's own address)."""


class OnPremisesSettings(ConfigModel):
    """The on-premises VPN device, reached at its private address over private peering."""

    name: Annotated[str, rule("local_gateway_name", azure_name_problem)]
    """Name of the local network gateway (or VPN site) for the device."""
    vpn_device_ip: Ipv4Address
    """The device's private address, reachable over the private peering; outside Azure's side."""
    address_prefixes: Annotated[list[Cidr], Field(min_length=1)]
    """On-premises prefixes sent through the tunnel; more specific than those announced over ExpressRoute."""
    bgp: Optional[BgpPeerSettings] = None
    """BGP over the tunnel: `asn` and `peeringAddress` of the device."""

    # fact: vpn-bgp-peer-not-public-ip
    # fact: vwan-ipsec-er-bgp-addr
    @cross_rule("vpn_device_ip", "bgp")
    def _bgp_address_is_not_the_device(self):
        """The BGP peer address is not the address the tunnel ends on (both modes)."""
        if self.bgp is not None and self.bgp.peering_address == self.vpn_device_ip:
            yield ("bgp", "peering_address"), "bgp_address_is_device", (
                "must differ from vpnDeviceIp: Azure requires the on-premises BGP peer address to be another "
                "address than the VPN device's (e.g. a loopback of the device)")


class VirtualHubSettings(ConfigModel):
    """The Virtual WAN hub the tunnel terminates in, and its gateways' scale units."""

    name: Annotated[str, rule("hub_name", azure_name_problem)]
    """Virtual hub name."""
    # fact: vhub-address-prefix-24
    address_prefix: Annotated[Cidr, rule("hub_prefix_size", lambda prefix: (
        "must be a /24 or larger (Azure's minimum for a virtual hub)"
        if ipaddress.IPv4Network(prefix).prefixlen > facts.VIRTUAL_HUB_MAX_PREFIX_LENGTH else None))]
    """The hub's address range, a /24 or larger."""
    # fact: vhub-scale-units
    express_route_gateway_scale_units: Annotated[Int, Field(ge=facts.HUB_EXPRESS_ROUTE_SCALE_UNITS[0],
                                                            le=facts.HUB_EXPRESS_ROUTE_SCALE_UNITS[1])] = 1
    """Scale units of the hub's ExpressRoute gateway, 1-10."""
    vpn_gateway_scale_units: Annotated[Int, Field(ge=facts.HUB_VPN_SCALE_UNITS[0], le=facts.HUB_VPN_SCALE_UNITS[1])] = 1
    """Scale units of the hub's VPN gateway, 1-20."""


class VirtualWanSettings(ConfigModel):
    """A Virtual WAN to create (``name``) or an existing one (``id``), and its hub."""

    name: Optional[Annotated[str, rule("virtual_wan_name", azure_name_problem)]] = None
    """Name of a Virtual WAN to create (or give `id`)."""
    id: Optional[Annotated[str, rule("virtual_wan_id", lambda v: arm_id_problem(v, VIRTUAL_WAN_TYPE, "a Virtual WAN"))]] = None
    """ARM id of an existing Virtual WAN (or give `name`)."""
    hub: VirtualHubSettings
    """The virtual hub to create in it."""

    @cross_rule("name", "id")
    def _name_or_id(self):
        if (self.id is None) == (self.name is None):
            yield ("id",), "name_or_id", (
                "give either name (a Virtual WAN to create) or id (an existing one), not both or neither")


def vpn_gateway_asn_problem(asn: int) -> str | None:
    # fact: vpn-default-asn
    if asn != facts.AZURE_VPN_GATEWAY_ASN:
        return (
            f"must be {facts.AZURE_VPN_GATEWAY_ASN} (or left out): a VPN gateway that shares its virtual network with an "
            "ExpressRoute gateway only works with Azure's default ASN (ExpressRoute/VPN coexistence)"
        )
    return None


def shared_key_problem(key: str) -> str | None:
    # fact: vpn-shared-key-length
    shortest, longest = facts.SHARED_KEY_LENGTH
    if not (shortest <= len(key) <= longest and key.isascii() and key.isprintable()):
        return f"must be {shortest}-{longest} printable ASCII characters (value not shown)"
    return None


# Which mode each mode-specific key belongs to, and whether that mode requires it.
MODE_KEYS: dict[str, tuple[str, bool]] = {
    "virtual_network": ("virtualNetwork", True),
    "express_route_gateway_sku": ("virtualNetwork", True),
    "vpn_gateway_sku": ("virtualNetwork", True),
    "active_active": ("virtualNetwork", False),
    "vpn_gateway_asn": ("virtualNetwork", False),
    "virtual_wan": ("virtualWan", True),
}


class VpnRules(ConfigModel):
    """The rules of an IPsec tunnel over private peering, shared by the stack config's
    ``vpn`` and the two VPN components (which fix the mode and take only its keys)."""

    # The mode of a component that has no ``mode`` key (it is the component's choice).
    fixed_mode: ClassVar[Optional[str]] = None

    def vpn_mode(self) -> str | None:
        """The mode: the component's, or the ``mode`` key; None when it failed its checks."""
        return self.fixed_mode or (self.mode if self._has("mode") else None)

    @cross_rule()
    def _keys_of_the_mode(self):
        """Each mode has its own keys: required ones must be there, the other mode's must not."""
        mode = self.vpn_mode()
        if mode is None:
            return
        for key, (owner, required) in MODE_KEYS.items():
            if key not in type(self).model_fields or not self._has(key):
                continue
            value = getattr(self, key)
            if value is None and required and mode == owner:
                yield (key,), "mode_key_required", f"required with mode: {owner}"
            if value is not None and mode != owner:
                yield (key,), "mode_key_not_allowed", f"not allowed with mode: {mode} (it belongs to mode: {owner})"

    def address_space(self) -> list[ipaddress.IPv4Network]:
        """Azure's side of the tunnel: the VNet's address space, or the hub's range."""
        if self._present("virtual_network"):
            return [ipaddress.IPv4Network(s) for s in self.virtual_network.address_space]
        if self._present("virtual_wan"):
            return [ipaddress.IPv4Network(self.virtual_wan.hub.address_prefix)]
        return []

    def _present(self, key: str) -> bool:
        """Whether the model has the field ``key``, it passed its checks and it is set."""
        return key in type(self).model_fields and self._has(key) and getattr(self, key) is not None

    @cross_rule("on_premises")
    def _on_premises_outside_azure(self):
        """The device and the on-premises prefixes cannot overlap Azure's side."""
        space = self.address_space()
        if not space:
            return
        where = ("the virtual network's addressSpace" if self._present("virtual_network")
                 else "the virtual hub's addressPrefix")
        on_prem = self.on_premises
        if any(ipaddress.IPv4Address(on_prem.vpn_device_ip) in s for s in space):
            yield ("on_premises", "vpn_device_ip"), "device_in_azure", f"must be an on-premises address outside {where}"
        for i, prefix in enumerate(on_prem.address_prefixes):
            if any(ipaddress.IPv4Network(prefix).overlaps(s) for s in space):
                yield ("on_premises", "address_prefixes", i), "prefix_in_azure", f"{prefix} overlaps {where}"

    @cross_rule("on_premises")
    def _virtual_wan_bgp_address_not_apipa(self):
        """Over ExpressRoute, a Virtual WAN VPN site's BGP address "can't be an APIPA
        (169.254.x.x) address"."""
        # fact: vwan-ipsec-er-bgp-addr
        bgp = self.on_premises.bgp
        if (self.vpn_mode() == "virtualWan" and bgp is not None
                and ipaddress.IPv4Address(bgp.peering_address) in ipaddress.IPv4Network(facts.APIPA_RANGE)):
            yield ("on_premises", "bgp", "peering_address"), "vwan_bgp_apipa", (
                "must not be an APIPA address (169.254.0.0/16): a Virtual WAN VPN site over ExpressRoute "
                "needs a BGP address from your own range")

    @cross_rule("advertised_over_express_route", "on_premises")
    def _tunnel_prefixes_more_specific(self):
        """Azure prefers the longest prefix, and ExpressRoute over VPN for equal ones: a
        tunnel prefix equal to or broader than one announced over the circuit would send
        that traffic down the unencrypted ExpressRoute path."""
        # fact: s2s-er-same-prefix-warning
        advertised, on_prem = self.advertised_over_express_route, self.on_premises
        found = False
        for j, er_prefix in enumerate(advertised):
            er = ipaddress.IPv4Network(er_prefix)
            for i, tunnel_prefix in enumerate(on_prem.address_prefixes):
                if er.subnet_of(ipaddress.IPv4Network(tunnel_prefix)):
                    found = True
                    yield ("advertised_over_express_route", j), "tunnel_prefix_not_specific", (
                        f"{er_prefix} is also announced over ExpressRoute, and onPremises.addressPrefixes[{i}] "
                        f"({tunnel_prefix}) is equal or broader, so Azure would send that traffic over the "
                        "unencrypted ExpressRoute path; send more specific prefixes through the tunnel"
                    )
        if found:
            return
        # fact: vwan-ipsec-er-device-ip-advertised
        device = ipaddress.IPv4Address(on_prem.vpn_device_ip)
        if (self.vpn_mode() == "virtualWan" and advertised
                and not any(device in ipaddress.IPv4Network(p) for p in advertised)):
            yield ("advertised_over_express_route",), "device_not_advertised", (
                "must include the on-premises device's address (onPremises.vpnDeviceIp): the Virtual WAN "
                "hub reaches the device only through prefixes advertised over private peering"
            )


class VpnSettings(VpnRules):
    """An IPsec tunnel to an on-premises device, carried over a circuit's private peering,
    for end-to-end encryption: from a VPN gateway in a virtual network
    (``mode: virtualNetwork``, the default), or from a Virtual WAN hub's VPN gateway
    (``mode: virtualWan``)."""

    mode: VpnMode = "virtualNetwork"
    """Where the tunnel ends: a VPN gateway in a virtual network, or a Virtual WAN hub."""
    circuit: str
    """Name of the circuit (in `ports[].circuits[]`) whose private peering carries the tunnel."""
    virtual_network: Optional[VirtualNetworkSettings] = None
    """`mode: virtualNetwork` only, required there: `name`, `addressSpace`, `gatewaySubnetPrefix` (/27 or larger)."""
    virtual_wan: Optional[VirtualWanSettings] = None
    """`mode: virtualWan` only, required there: `name` or `id`, and `hub` (`name`, `addressPrefix`, scale units)."""
    # fact: ergwscale-no-ipsec-over-er
    express_route_gateway_sku: Optional[Annotated[ExpressRouteGatewaySku, rule("ergwscale_no_ipsec", lambda sku: (
        "ErGwScale does not carry IPsec over ExpressRoute (Microsoft: \"IPsec traffic over ExpressRoute isn't "
        "currently supported\" on the scalable gateway); use ErGw1AZ, ErGw2AZ or ErGw3AZ"
        if sku == facts.SCALABLE_EXPRESS_ROUTE_GATEWAY_SKU else None))]] = None
    """`mode: virtualNetwork` only, required there: SKU of the ExpressRoute gateway next to the VPN gateway."""
    vpn_gateway_sku: Optional[VpnGatewaySku] = None
    """`mode: virtualNetwork` only, required there: SKU of the VPN gateway."""
    active_active: Optional[bool] = None
    """`mode: virtualNetwork` only: an active-active VPN gateway (two tunnel addresses)."""
    vpn_gateway_asn: Optional[Annotated[Int, rule("coexistence_asn", vpn_gateway_asn_problem)]] = None
    """`mode: virtualNetwork` only: the VPN gateway's ASN, which must stay Azure's 65515 next to an ExpressRoute gateway."""
    on_premises: OnPremisesSettings
    """The on-premises VPN device: `name`, `vpnDeviceIp` (private), `addressPrefixes`, optional `bgp`."""
    ipsec_policy: IpsecPolicySettings = Field(default_factory=IpsecPolicySettings)
    """Custom IPsec/IKE policy; defaults to GCMAES256 / SHA384 / ECP384, weak algorithms are refused."""
    shared_key: Optional[Annotated[SecretStr, secret_rule("shared_key", shared_key_problem)]] = None
    """Pre-shared key, 16-128 printable ASCII characters, secret config only; generated (40 characters) when absent."""
    advertised_over_express_route: list[Cidr] = Field(default_factory=list)
    """On-premises prefixes also announced over private peering; the tunnel's must be more specific."""
