"""The components' typed arguments: one ``*Args`` TypedDict per settings model a component
takes, from which Pulumi infers the component package schema for other languages.

Generated from config/inputs.py by ``python -m expressroute_encryption.codegen --write``;
do not edit. ``codegen --check`` (and tests/test_codegen.py) fails while it is stale.
"""

from typing import Any, TypedDict

import pulumi
from typing_extensions import NotRequired

from .choices import (
    AlertSensitivity,
    Cipher,
    DhGroup,
    Encapsulation,
    EvaluationFrequency,
    ExpressRouteGatewaySku,
    IkeEncryption,
    IkeIntegrity,
    IpsecEncryption,
    IpsecIntegrity,
    KeyVaultAuthorization,
    LinkName,
    LockTargetKind,
    PfsGroup,
    PortBillingType,
    RoutingRegistry,
    SciState,
    SkuFamily,
    SkuTier,
    Stage,
    VpnGatewaySku,
    WindowSize,
)


class MacsecKeyVaultArgs(TypedDict):
    """Arguments of ``MacsecKeyVault``: the stack config's ``keyVault`` and these."""

    name: NotRequired[str]
    """Vault name: 3-24 letters, digits and hyphens, starting with a letter, no `--`; globally unique (it is a DNS name). Required unless `existingId` is given."""
    allowed_ip_ranges: NotRequired[list[str]]
    """Public IPv4 addresses or CIDR ranges (/16 or narrower) allowed through the vault's firewall besides trusted services, e.g. the deployers' egress."""
    soft_delete_retention_days: NotRequired[int]
    """Days a deleted key stays recoverable, 7-90; 90 as in Microsoft's MACsec procedure. Fixed once the vault exists."""
    purge_protection: NotRequired[bool]
    """Nobody can permanently delete the keys during the retention period; cannot be turned off again once on (Azure rule)."""
    authorization: NotRequired[KeyVaultAuthorization]
    """How the port's identity gets `get` on secrets: `accessPolicy` (Microsoft's documented procedure) or `rbac` (the Key Vault Secrets User role)."""
    existing_id: NotRequired[str]
    """ARM id of an existing vault to use instead of creating one: the stack then only adds the secrets and the identity's `get` permission, and refuses a vault ExpressRoute could not read."""
    resource_group_name: pulumi.Input[str]
    """Resource group for the vault and the identity."""
    protect: NotRequired[bool]
    """Pulumi refuses to delete the vault, the identity and its permission to read the keys (default true)."""


class KeyGenerationArgs(TypedDict):
    """A counter per link: raising it generates a new key for that link only."""

    link1: NotRequired[int]
    """Key generation of link1, 1 or more; raise it by one to re-key link1."""
    link2: NotRequired[int]
    """Key generation of link2, 1 or more; raise it by one to re-key link2."""


class LinkMacsecArgs(TypedDict):
    """One link's cipher or SCI state, while a change is rolled out one link at a time."""

    cipher: NotRequired[Cipher]
    """This link's cipher, when it differs from the port's."""
    sci_state: NotRequired[SciState]
    """This link's SCI state, when it differs from the port's."""
    enabled: NotRequired[bool]
    """MACsec on this link; `false` sends no MACsec settings for it (an adopted live port is encrypted link by link)."""


class MacsecArgs(TypedDict):
    """MACsec applied to both links of a port.

    Any change of key, cipher or SCI drops a link until the router matches, so on a live
    port a change goes to one link per deployment: raise one link's ``keyGeneration``,
    or stage a new cipher/SCI state on one link with ``link1``/``link2`` overrides.
    ``allowBothLinks`` lets one deployment change both links (a planned full outage)."""

    cipher: Cipher
    """MACsec cipher of both links; XPN ciphers only on 100 Gbps ports (and recommended there)."""
    sci_state: NotRequired[SciState]
    """Secure channel identifier on both links; some router vendors (e.g. Cisco) need `Enabled`."""
    key_generation: NotRequired[KeyGenerationArgs]
    """`{link1: N, link2: N}`, N >= 1, default 1 each: raise one link's number to generate that link's new keys."""
    link1: NotRequired[LinkMacsecArgs]
    """`cipher` / `sciState` for link1 alone, to roll a change out one link at a time."""
    link2: NotRequired[LinkMacsecArgs]
    """`cipher` / `sciState` for link2 alone, to roll a change out one link at a time."""
    allow_both_links: NotRequired[bool]
    """Let one deployment change both links of a live port: a planned full outage of the port."""


class LinkKeyArgs(TypedDict):
    """A pre-shared MACsec key for one link, as the customer's router holds it."""

    cak: pulumi.Input[str]
    """Connectivity association key: 32 hex digits (128-bit ciphers) or 64 (256-bit ciphers), not one digit repeated."""
    ckn: pulumi.Input[str]
    """Connectivity association key name: an even number (2-64) of hex digits."""


class PortKeysArgs(TypedDict):
    """Bring-your-own keys for both links of one port."""

    link1: LinkKeyArgs
    """The key of link1."""
    link2: LinkKeyArgs
    """The key of link2."""


class EncryptedDirectPortArgs(TypedDict):
    """Arguments of ``EncryptedDirectPort``: the stack config's ``ports[i]`` without circuits, and these."""

    resource_group_name: pulumi.Input[str]
    """Resource group for the port."""
    vault_name: pulumi.Input[str]
    """Key Vault that stores the port's CAK/CKN secrets."""
    identity_id: pulumi.Input[str]
    """User-assigned identity with `get` on the vault's secrets."""
    name: str
    """Port name, Azure's: 1-80 letters, digits, '_', '.' and '-', starting with a letter or digit and ending with one or '_'; unique; also prefixes the port's Key Vault secret names ('_' and '.' written '-')."""
    peering_location: str
    """ExpressRoute Direct peering location, e.g. `Equinix-Amsterdam-AM5`."""
    bandwidth_in_gbps: int
    """Port bandwidth."""
    encapsulation: Encapsulation
    """Port encapsulation; fixed once the port exists (Azure rule)."""
    billing_type: PortBillingType
    """Port billing type."""
    stage: Stage
    """Lifecycle stage: `reserved` (no link settings), `encrypted` (MACsec on, links admin-disabled), `active` (links admin-enabled); see the lifecycle below."""
    macsec: MacsecArgs
    """MACsec settings of both links (keys as below)."""
    import_id: NotRequired[str]
    """ARM id of an existing port to adopt (Pulumi `import`): the config must describe it as it is in Azure; `make adopt` writes it."""
    keys: NotRequired[PortKeysArgs]
    """Bring-your-own keys `{link1: {cak, ckn}, link2: {cak, ckn}}`, as secrets (plain strings are refused); generated when absent."""
    protect: NotRequired[bool]
    """Pulumi `protect` on what the component creates, generated keys excepted (default true)."""
    vault_resource_group_name: NotRequired[pulumi.Input[str]]
    """Resource group of the vault, when it is not resource_group_name (an existing vault)."""
    vault_subscription_id: NotRequired[str]
    """Subscription of the vault (an existing vault): when it is not the deployment's, the secrets are written through an azure-native provider for it."""
    adopting: NotRequired[bool]
    """With import_id, on the deployment that imports the port: keep Azure's identity and link settings as they are, so adopting the port changes nothing on it; the next deployment applies them."""
    last_deployment: NotRequired[pulumi.Input[Any]]
    """The port's entry of the last deployment's record (the `ports.<name>` stack output that `record.export_port_records` writes), or {} when the last deployment did not have the port: the change guard compares this deployment with it (one link at a time on an active port, ...). Required past `reserved`, except while adopting (Azure's links are then the comparison); a plain value, read before the component is built: `**(await record.read_last_deployment()).component_args(name)` in Python."""
    last_key_fingerprints: NotRequired[pulumi.Input[Any]]
    """Secret. With bring-your-own keys: the port's entry of the last deployment's `macsecKeyFingerprints` output, so that a key change whose `key_generation` did not move is refused."""
    last_deployment_outputs: NotRequired[pulumi.Input[Any]]
    """Instead of last_deployment (and last_key_fingerprints), for a program that has the record only as an Output (any language): the last deployment's stack outputs, the `outputs` of a stack reference to this stack. The port's entry is read from `ports.<name>` (and `macsecKeyFingerprints.<name>`); no outputs at all is a first deployment. The guard runs when it resolves, before any of the port's resources is registered; unknown during a preview, it is refused. Adopting needs `adopting: true` with it."""


class Ipv6PeeringArgs(TypedDict):
    """IPv6 on a peering: one /126 per link."""

    primary_peer_address_prefix: str
    """IPv6 /126 for the primary link (your router takes the first address, Microsoft the second)."""
    secondary_peer_address_prefix: str
    """IPv6 /126 for the secondary link, not overlapping the primary one."""


class PeeringArgs(TypedDict):
    """Azure private peering: BGP between your routers and Microsoft's over one VLAN."""

    peer_asn: int
    """Your BGP ASN, 1-4294967295; not 12076, 8074, 8075, 65515-65520 or another reserved ASN."""
    primary_peer_address_prefix: str
    """IPv4 /30 for the primary link (your router takes the first address, Microsoft the second)."""
    secondary_peer_address_prefix: str
    """IPv4 /30 for the secondary link, not overlapping the primary one."""
    vlan_id: int
    """VLAN id, 1-4094, unique on the port across all circuits and peerings."""
    ipv6: NotRequired[Ipv6PeeringArgs]
    """IPv6 on the peering: `primaryPeerAddressPrefix` and `secondaryPeerAddressPrefix`, one /126 each."""


class MicrosoftPeeringArgs(TypedDict):
    """Microsoft peering: Microsoft 365 and Azure public services over your public prefixes."""

    peer_asn: int
    """Your BGP ASN, 1-4294967295; not 12076, 8074, 8075, 65515-65520 or another reserved ASN."""
    primary_peer_address_prefix: str
    """Public IPv4 /30 you own, for the primary link."""
    secondary_peer_address_prefix: str
    """Public IPv4 /30 you own, for the secondary link, not overlapping the primary one."""
    vlan_id: int
    """VLAN id, 1-4094, unique on the port across all circuits and peerings."""
    ipv6: NotRequired[Ipv6PeeringArgs]
    """IPv6 on the peering: `primaryPeerAddressPrefix` and `secondaryPeerAddressPrefix`, one /126 each."""
    advertised_public_prefixes: list[str]
    """Public prefixes you own and announce to Microsoft, at least one IPv4; IPv6 ones need the `ipv6` block."""
    customer_asn: NotRequired[int]
    """The ASN the prefixes originate from, when it is not `peerAsn` (1-2147483647: a 32-bit signed integer in Azure's API)."""
    routing_registry_name: RoutingRegistry
    """Routing registry where the prefixes and ASN are registered."""
    route_filter_communities: NotRequired[list[str]]
    """BGP communities to receive (e.g. `12076:5010`): a route filter with one Allow rule for them is attached to the peering. Without it the peering receives no Microsoft prefixes (peerings configured after 1 August 2017)."""


class DirectCircuitArgs(TypedDict):
    """Arguments of ``DirectCircuit``: the stack config's ``ports[i].circuits[j]`` and these."""

    name: str
    """Circuit name (Azure naming, 1-80 characters), unique in the stack."""
    bandwidth_in_gbps: int
    """1, 2, 5 or 10 on a 10 Gbps port; 5, 10, 40 or 100 on a 100 Gbps port. The circuits of a port add up to at most 2x its bandwidth."""
    sku_tier: SkuTier
    """Circuit SKU tier."""
    sku_family: SkuFamily
    """Circuit SKU family: `MeteredData`, the only one Microsoft offers for circuits on ExpressRoute Direct."""
    allow_classic_operations: NotRequired[bool]
    """Let classic (ASM) virtual networks use the circuit."""
    authorizations: NotRequired[list[str]]
    """Names of authorization keys to create, one each for gateways in other subscriptions (secret output `authorizationKeys`)."""
    private_peering: NotRequired[PeeringArgs]
    """Azure private peering (keys as below)."""
    microsoft_peering: NotRequired[MicrosoftPeeringArgs]
    """Microsoft peering: as `privatePeering` with public /30s, plus `advertisedPublicPrefixes`, optional `customerAsn` and `routingRegistryName`."""
    import_id: NotRequired[str]
    """ARM id of an existing circuit on this port to adopt (Pulumi `import`); its peerings and authorizations follow by their child ids."""
    resource_group_name: pulumi.Input[str]
    """Resource group for the circuit."""
    express_route_port_id: pulumi.Input[str]
    """ARM id of the ExpressRoute Direct port."""
    port_bandwidth_in_gbps: NotRequired[int]
    """The port's bandwidth, to check the circuit size against it."""
    port_stage: NotRequired[Stage]
    """The port's lifecycle stage; a circuit on a 'reserved' port is refused."""
    protect: NotRequired[bool]
    """Pulumi refuses to delete the circuit, its peerings, authorizations and route filter (default true)."""
    adopting: NotRequired[bool]
    """With import_id, on the deployment that imports the circuit: its peerings and authorizations are imported by their child ids too."""


class VirtualNetworkArgs(TypedDict):
    """The virtual network the tunnel lands in, with the GatewaySubnet for both gateways."""

    name: str
    """Virtual network name."""
    address_space: list[str]
    """IPv4 CIDR ranges of the virtual network."""
    gateway_subnet_prefix: str
    """The GatewaySubnet: a /27 or larger inside `addressSpace`, shared by the ExpressRoute and VPN gateways."""


class BgpPeerArgs(TypedDict):
    """BGP on the tunnel: the on-premises device's ASN and BGP peering address."""

    asn: int
    """The on-premises device's ASN: not one Azure VPN gateways reserve (23456, 64496-64511, 65515-65520, 65535-65551, Microsoft's)."""
    peering_address: str
    """The on-premises BGP peering address (not the VPN device's own address)."""


class OnPremisesArgs(TypedDict):
    """The on-premises VPN device, reached at its private address over private peering."""

    name: str
    """Name of the local network gateway (or VPN site) for the device."""
    vpn_device_ip: str
    """The device's private address, reachable over the private peering; outside Azure's side."""
    address_prefixes: list[str]
    """On-premises prefixes sent through the tunnel; more specific than those announced over ExpressRoute."""
    bgp: NotRequired[BgpPeerArgs]
    """BGP over the tunnel: `asn` and `peeringAddress` of the device."""


class IpsecPolicyArgs(TypedDict):
    """A custom IPsec/IKE policy. Azure's default policies offer DH group 2 (1024-bit), so
    a custom policy is always set; the default here is CNSA-style (GCM-AES-256, SHA-384,
    ECP384)."""

    ike_encryption: NotRequired[IkeEncryption]
    """IKE (phase 1) encryption; DES and DES3 are refused as weak."""
    ike_integrity: NotRequired[IkeIntegrity]
    """IKE (phase 1) integrity; MD5 and SHA1 are refused as weak."""
    dh_group: NotRequired[DhGroup]
    """IKE Diffie-Hellman group; None, DHGroup1 and DHGroup2 are refused as weak."""
    ipsec_encryption: NotRequired[IpsecEncryption]
    """IPsec (phase 2) encryption; None, DES and DES3 are refused as weak."""
    ipsec_integrity: NotRequired[IpsecIntegrity]
    """IPsec (phase 2) integrity; MD5 and SHA1 are refused as weak; equal to `ipsecEncryption` when either is GCM."""
    pfs_group: NotRequired[PfsGroup]
    """Perfect forward secrecy group; None, PFS1 and PFS2 are refused as weak."""
    sa_life_time_seconds: NotRequired[int]
    """IPsec SA lifetime in seconds, 300 or more (Azure's default 27000)."""
    sa_data_size_kilobytes: NotRequired[int]
    """IPsec SA data size in KB, 1024 or more (Azure's default 102400000)."""


class PrivatePeeringVpnArgs(TypedDict):
    """Arguments of ``PrivatePeeringVpn``: the stack config's ``vpn`` (``mode: virtualNetwork``) and these."""

    resource_group_name: pulumi.Input[str]
    """Resource group for what the component creates."""
    express_route_circuit_id: pulumi.Input[str]
    """ARM id of the circuit whose private peering carries the tunnel."""
    circuit: str
    """Name of the circuit (in `ports[].circuits[]`) whose private peering carries the tunnel."""
    virtual_network: VirtualNetworkArgs
    """`mode: virtualNetwork` only, required there: `name`, `addressSpace`, `gatewaySubnetPrefix` (/27 or larger)."""
    express_route_gateway_sku: ExpressRouteGatewaySku
    """`mode: virtualNetwork` only, required there: SKU of the ExpressRoute gateway next to the VPN gateway."""
    vpn_gateway_sku: VpnGatewaySku
    """`mode: virtualNetwork` only, required there: SKU of the VPN gateway."""
    active_active: NotRequired[bool]
    """`mode: virtualNetwork` only: an active-active VPN gateway (two tunnel addresses)."""
    vpn_gateway_asn: NotRequired[int]
    """`mode: virtualNetwork` only: the VPN gateway's ASN, which must stay Azure's 65515 next to an ExpressRoute gateway."""
    on_premises: OnPremisesArgs
    """The on-premises VPN device: `name`, `vpnDeviceIp` (private), `addressPrefixes`, optional `bgp`."""
    ipsec_policy: NotRequired[IpsecPolicyArgs]
    """Custom IPsec/IKE policy; defaults to GCMAES256 / SHA384 / ECP384, weak algorithms are refused."""
    shared_key: NotRequired[pulumi.Input[str]]
    """Pre-shared key, 16-128 printable ASCII characters, as a secret (a plain string is refused); generated (40 characters) when absent."""
    advertised_over_express_route: NotRequired[list[str]]
    """On-premises prefixes also announced over private peering; the tunnel's must be more specific."""
    protect: NotRequired[bool]
    """Pulumi `protect` on what the component creates, generated keys excepted (default true)."""


class VirtualHubArgs(TypedDict):
    """The Virtual WAN hub the tunnel terminates in, and its gateways' scale units."""

    name: str
    """Virtual hub name."""
    address_prefix: str
    """The hub's address range, a /24 or larger."""
    express_route_gateway_scale_units: NotRequired[int]
    """Scale units of the hub's ExpressRoute gateway, 1-10."""
    vpn_gateway_scale_units: NotRequired[int]
    """Scale units of the hub's VPN gateway, 1-20."""


class VirtualWanArgs(TypedDict):
    """A Virtual WAN to create (``name``) or an existing one (``id``), and its hub."""

    name: NotRequired[str]
    """Name of a Virtual WAN to create (or give `id`)."""
    id: NotRequired[str]
    """ARM id of an existing Virtual WAN (or give `name`)."""
    hub: VirtualHubArgs
    """The virtual hub to create in it."""


class VirtualWanVpnArgs(TypedDict):
    """Arguments of ``VirtualWanVpn``: the stack config's ``vpn`` (``mode: virtualWan``) and these."""

    resource_group_name: pulumi.Input[str]
    """Resource group for what the component creates."""
    express_route_circuit_private_peering_id: pulumi.Input[str]
    """ARM id of the circuit's AzurePrivatePeering."""
    circuit: str
    """Name of the circuit (in `ports[].circuits[]`) whose private peering carries the tunnel."""
    virtual_wan: VirtualWanArgs
    """`mode: virtualWan` only, required there: `name` or `id`, and `hub` (`name`, `addressPrefix`, scale units)."""
    on_premises: OnPremisesArgs
    """The on-premises VPN device: `name`, `vpnDeviceIp` (private), `addressPrefixes`, optional `bgp`."""
    ipsec_policy: NotRequired[IpsecPolicyArgs]
    """Custom IPsec/IKE policy; defaults to GCMAES256 / SHA384 / ECP384, weak algorithms are refused."""
    shared_key: NotRequired[pulumi.Input[str]]
    """Pre-shared key, 16-128 printable ASCII characters, as a secret (a plain string is refused); generated (40 characters) when absent."""
    advertised_over_express_route: NotRequired[list[str]]
    """On-premises prefixes also announced over private peering; the tunnel's must be more specific."""
    protect: NotRequired[bool]
    """Pulumi `protect` on what the component creates, generated keys excepted (default true)."""


class ConnectedVirtualNetworkArgs(TypedDict):
    """A virtual network whose GatewaySubnet holds one ExpressRoute gateway."""

    name: str
    """Virtual network name."""
    address_space: list[str]
    """IPv4 CIDR ranges of the virtual network."""
    gateway_subnet_prefix: str
    """The GatewaySubnet: a /27 or larger inside `addressSpace` (Microsoft's minimum for an ExpressRoute gateway)."""


class ScaleUnitsArgs(TypedDict):
    """Scale units of a scalable ExpressRoute gateway (ErGwScale); 1 Gbps each."""

    min: int
    """Minimum scale units, 1-40 (2 or more to autoscale)."""
    max: int
    """Maximum scale units, 1-40, not below `min`."""


class CircuitVnetConnectionArgs(TypedDict):
    """Arguments of ``CircuitVnetConnection``: a virtual network with an ExpressRoute
    gateway, connected to an existing circuit.

    The circuit usually belongs to the network team's stack, often in another
    subscription: the connection then redeems one of the circuit's authorization keys
    (``DirectCircuit`` ``authorizations``, stack output ``authorizationKeys``). The
    circuit id and the key are checked here when given as plain strings; when they come
    from a stack reference they are Outputs, and Azure checks them."""

    resource_group_name: pulumi.Input[str]
    """Resource group for the virtual network, the gateway and the connection."""
    express_route_circuit_id: pulumi.Input[str]
    """ARM id of the circuit (the network team's stack output `circuits.<name>.id`)."""
    authorization_key: NotRequired[pulumi.Input[str]]
    """One of the circuit's authorization keys, as a secret (a plain string is refused); needed when the circuit is in another subscription."""
    virtual_network: ConnectedVirtualNetworkArgs
    """The virtual network to create, with its GatewaySubnet."""
    express_route_gateway_sku: ExpressRouteGatewaySku
    """SKU of the ExpressRoute gateway."""
    routing_weight: NotRequired[int]
    """Routing weight of the connection, 0-32000."""
    protect: NotRequired[bool]
    """Pulumi refuses to delete the virtual network, the gateway and the connection (default true)."""
    scale_units: NotRequired[ScaleUnitsArgs]
    """With `ErGwScale` only, and required there: the gateway's minimum and maximum scale units (1-40; equal for a fixed size)."""


class AlertOverrideArgs(TypedDict):
    """A baseline alert with another threshold, severity, window or frequency."""

    severity: NotRequired[int]
    """Alert severity, 0 (critical) to 4 (verbose)."""
    window_size: NotRequired[WindowSize]
    """Period the metric is aggregated over (ISO 8601 duration)."""
    evaluation_frequency: NotRequired[EvaluationFrequency]
    """How often the rule is evaluated; not longer than `windowSize`."""
    threshold: NotRequired[float]
    """The value the metric is compared with, in the metric's unit (for `bitsInPerSecond`/`bitsOutPerSecond`: percent of the circuit's bandwidth); the range each alert allows is in its row."""


class DynamicAlertOverrideArgs(TypedDict):
    """A baseline alert with a dynamic threshold, with another sensitivity, severity,
    window or frequency (window and frequency PT5M to PT1H)."""

    severity: NotRequired[int]
    """Alert severity, 0 (critical) to 4 (verbose)."""
    window_size: NotRequired[WindowSize]
    """Period the metric is aggregated over (ISO 8601 duration)."""
    evaluation_frequency: NotRequired[EvaluationFrequency]
    """How often the rule is evaluated; not longer than `windowSize`."""
    sensitivity: NotRequired[AlertSensitivity]
    """How far the metric may stray from its learned pattern: `Low` fires least, `High` most."""


class AlertOverridesArgs(TypedDict):
    """Overrides of the baseline alerts, by alert key (see README, Monitoring)."""

    line_protocol: NotRequired[AlertOverrideArgs]
    """Override of `lineProtocol` (LineProtocol Average < 0.9 per Link over PT5M): `threshold` greater than 0 and at most 1, `severity`, `windowSize`, `evaluationFrequency`."""
    admin_state: NotRequired[AlertOverrideArgs]
    """Override of `adminState` (AdminState Average < 0.9 per Link over PT5M): `threshold` greater than 0 and at most 1, `severity`, `windowSize`, `evaluationFrequency`."""
    rx_light_level_low: NotRequired[AlertOverrideArgs]
    """Override of `rxLightLevelLow` (RxLightLevel Minimum < -10 per Link over PT5M): `threshold` greater than -40 and at most 10 dBm, `severity`, `windowSize`, `evaluationFrequency`."""
    rx_light_level_high: NotRequired[AlertOverrideArgs]
    """Override of `rxLightLevelHigh` (RxLightLevel Maximum > 0 per Link over PT5M): `threshold` at least -40 and less than 10 dBm, `severity`, `windowSize`, `evaluationFrequency`."""
    tx_light_level_low: NotRequired[AlertOverrideArgs]
    """Override of `txLightLevelLow` (TxLightLevel Minimum < -10 per Link over PT5M): `threshold` greater than -40 and at most 10 dBm, `severity`, `windowSize`, `evaluationFrequency`."""
    tx_light_level_high: NotRequired[AlertOverrideArgs]
    """Override of `txLightLevelHigh` (TxLightLevel Maximum > 0 per Link over PT5M): `threshold` at least -40 and less than 10 dBm, `severity`, `windowSize`, `evaluationFrequency`."""
    port_bits_in_per_second: NotRequired[AlertOverrideArgs]
    """Override of `portBitsInPerSecond` (PortBitsInPerSecond Average < 1 per Link over PT5M): `threshold` greater than 0 and at most 100,000,000,000 bits/s, `severity`, `windowSize`, `evaluationFrequency`."""
    port_bits_out_per_second: NotRequired[AlertOverrideArgs]
    """Override of `portBitsOutPerSecond` (PortBitsOutPerSecond Average < 1 per Link over PT5M): `threshold` greater than 0 and at most 100,000,000,000 bits/s, `severity`, `windowSize`, `evaluationFrequency`."""
    bgp_availability: NotRequired[AlertOverrideArgs]
    """Override of `bgpAvailability` (BgpAvailability Average < 90 per PeeringType over PT5M): `threshold` greater than 0 and at most 100 %, `severity`, `windowSize`, `evaluationFrequency`."""
    arp_availability: NotRequired[AlertOverrideArgs]
    """Override of `arpAvailability` (ArpAvailability Average < 90 per PeeringType over PT5M): `threshold` greater than 0 and at most 100 %, `severity`, `windowSize`, `evaluationFrequency`."""
    qos_drop_bits_in_per_second: NotRequired[DynamicAlertOverrideArgs]
    """Override of `qosDropBitsInPerSecond` (QosDropBitsInPerSecond Average > a dynamic threshold (Medium sensitivity, 4 of 4 windows) over PT5M): `sensitivity`, `severity`, `windowSize` and `evaluationFrequency` (PT5M, PT15M, PT30M, PT1H)."""
    qos_drop_bits_out_per_second: NotRequired[DynamicAlertOverrideArgs]
    """Override of `qosDropBitsOutPerSecond` (QosDropBitsOutPerSecond Average > a dynamic threshold (Medium sensitivity, 4 of 4 windows) over PT5M): `sensitivity`, `severity`, `windowSize` and `evaluationFrequency` (PT5M, PT15M, PT30M, PT1H)."""
    bits_in_per_second: NotRequired[AlertOverrideArgs]
    """Override of `bitsInPerSecond` (BitsInPerSecond Average > 80% of bandwidthInGbps per DeviceRole over PT5M): `threshold` at least 0 and less than 100 % of the circuit's bandwidthInGbps, `severity`, `windowSize`, `evaluationFrequency`."""
    bits_out_per_second: NotRequired[AlertOverrideArgs]
    """Override of `bitsOutPerSecond` (BitsOutPerSecond Average > 80% of bandwidthInGbps per DeviceRole over PT5M): `threshold` at least 0 and less than 100 % of the circuit's bandwidthInGbps, `severity`, `windowSize`, `evaluationFrequency`."""


class MonitoredPort(TypedDict):
    """A Direct port to watch: its name, ARM id and lifecycle stage."""

    name: str
    """Name of the port; its alert rules are named `<name>-<alert key>`."""
    id: pulumi.Input[str]
    """ARM id of the port."""
    stage: Stage
    """Alerts are enabled only on an 'active' port: before that its links are down on purpose."""
    carries_circuits: NotRequired[bool]
    """Whether circuits run on the port: without, its traffic-at-zero alerts stay disabled (a link without circuits carries no traffic)."""


class MonitoredCircuit(TypedDict):
    """A circuit to watch, and the stage of the port it runs on."""

    name: str
    """Name of the circuit; its alert rules are named `<name>-<alert key>`."""
    id: pulumi.Input[str]
    """ARM id of the circuit."""
    port_stage: Stage
    """Stage of the circuit's port: its alerts are enabled only once the port is 'active'."""
    bandwidth_in_gbps: NotRequired[float]
    """The circuit's bandwidth: its throughput alerts (`bitsInPerSecond`, `bitsOutPerSecond`) fire at a share of it, and are not created without it."""


class ExpressRouteMonitoringArgs(TypedDict):
    """Arguments of ``ExpressRouteMonitoring``: the stack config's ``monitoring`` and these."""

    alert_emails: NotRequired[list[str]]
    """E-mail addresses of the action group: with them, the stack creates the baseline alerts on every link and peering."""
    log_analytics_workspace_id: NotRequired[str]
    """ARM id of an existing Log Analytics workspace for the vault's audit log; the stack creates one when absent."""
    alerts: NotRequired[AlertOverridesArgs]
    """Overrides of the baseline alerts' threshold (or sensitivity), severity, window or frequency, by alert key."""
    drained_links: NotRequired[dict[str, list[LinkName]]]
    """Links drained for a planned change, by port name (`{er-port-1: [link1]}`): the traffic-at-zero alerts (`portBitsInPerSecond`, `portBitsOutPerSecond`) leave them out (both links: turned off) until the entry is removed; every other alert keeps watching them."""
    resource_group_name: pulumi.Input[str]
    """Resource group for the action group, the alerts and the workspace."""
    vault_id: pulumi.Input[str]
    """ARM id of the Key Vault whose audit log is kept."""
    workspace_name: str
    """Name of the Log Analytics workspace to create when no `logAnalyticsWorkspaceId` is given."""
    ports: NotRequired[list[MonitoredPort]]
    """The Direct ports to put the port alerts on."""
    circuits: NotRequired[list[MonitoredCircuit]]
    """The circuits to put the circuit alerts on."""
    protect: NotRequired[bool]
    """Pulumi refuses to delete the workspace the component creates, which holds the audit log (default true)."""


class LockTarget(TypedDict):
    """A resource to lock: what it is, its name and ARM id."""

    kind: LockTargetKind
    """What the resource is: `vault`, `port` or `circuit` (it names the lock's resource and its notes)."""
    name: str
    """Name of the resource."""
    id: pulumi.Input[str]
    """ARM id of the resource (the lock's scope)."""


class ResourceLocksArgs(TypedDict):
    """Arguments of ``ResourceLocks``."""

    targets: list[LockTarget]
    """The resources to put a `CanNotDelete` lock on."""
