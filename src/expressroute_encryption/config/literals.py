"""The enum-like inputs: each a ``Literal`` of the values Azure (``facts``) or this project
allows, marked with the name and description of the enum the component package schema
gives it (``choices`` builds the enums from these, ``codegen`` uses them in the typed
arguments). Standard library only."""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

from .. import facts


class Choice(NamedTuple):
    """Names a ``Literal`` as an enum of the component package schema."""

    name: str
    doc: str


def _choice(values: tuple, name: str, doc: str):
    return Annotated[Literal[values], Choice(name, doc)]


Cipher = _choice(facts.CIPHERS, "Cipher", "MACsec cipher; XPN ciphers only on 100 Gbps ports.")
SciState = _choice(facts.SCI_STATES, "SciState", "Secure channel identifier on or off.")
Stage = _choice(facts.STAGES, "Stage", "Lifecycle stage of an ExpressRoute Direct port.")
Encapsulation = _choice(facts.ENCAPSULATIONS, "Encapsulation", "Encapsulation of an ExpressRoute Direct port.")
PortBillingType = _choice(facts.PORT_BILLING_TYPES, "PortBillingType", "Billing type of an ExpressRoute Direct port.")
KeyVaultAuthorization = _choice(("accessPolicy", "rbac"), "KeyVaultAuthorization",
                                "How the port's identity gets `get` on the vault's secrets.")
SkuTier = _choice(facts.SKU_TIERS, "SkuTier", "Circuit SKU tier.")
SkuFamily = _choice(facts.SKU_FAMILIES, "SkuFamily", "Circuit SKU family.")
RoutingRegistry = _choice(facts.ROUTING_REGISTRIES, "RoutingRegistry", "Routing registry of Microsoft peering prefixes.")
ExpressRouteGatewaySku = _choice(facts.EXPRESS_ROUTE_GATEWAY_SKUS, "ExpressRouteGatewaySku", "ExpressRoute gateway SKU.")
VpnGatewaySku = _choice(facts.VPN_GATEWAY_SKUS, "VpnGatewaySku", "VPN gateway SKU.")
VpnMode = _choice(("virtualNetwork", "virtualWan"), "VpnMode", "Where an IPsec tunnel over private peering ends.")
WindowSize = _choice(facts.ALERT_WINDOW_SIZES, "WindowSize", "Period a metric alert aggregates over (ISO 8601).")
EvaluationFrequency = _choice(facts.ALERT_EVALUATION_FREQUENCIES, "EvaluationFrequency",
                              "How often a metric alert is evaluated (ISO 8601).")
AlertSensitivity = _choice(facts.ALERT_SENSITIVITIES, "AlertSensitivity",
                           "How far a metric may stray from its learned pattern before a dynamic threshold fires.")
LinkName = _choice(facts.LINKS, "LinkName", "One of the two links of an ExpressRoute Direct port.")
LockTargetKind = _choice(("vault", "port", "circuit"), "LockTargetKind", "What a delete lock protects.")

# Integer choices: plain integers in the component schema.
PortSpeed = Literal[facts.PORT_SPEEDS_GBPS]
CircuitBandwidth = Literal[facts.CIRCUIT_BANDWIDTHS_GBPS]

# The algorithms of a custom IPsec/IKE policy, by ARM property name.
IkeEncryption = _choice(facts.IPSEC_ALGORITHMS["ikeEncryption"], "IkeEncryption", "IKE (phase 1) encryption.")
IkeIntegrity = _choice(facts.IPSEC_ALGORITHMS["ikeIntegrity"], "IkeIntegrity", "IKE (phase 1) integrity.")
DhGroup = _choice(facts.IPSEC_ALGORITHMS["dhGroup"], "DhGroup", "IKE Diffie-Hellman group.")
IpsecEncryption = _choice(facts.IPSEC_ALGORITHMS["ipsecEncryption"], "IpsecEncryption", "IPsec (phase 2) encryption.")
IpsecIntegrity = _choice(facts.IPSEC_ALGORITHMS["ipsecIntegrity"], "IpsecIntegrity", "IPsec (phase 2) integrity.")
PfsGroup = _choice(facts.IPSEC_ALGORITHMS["pfsGroup"], "PfsGroup", "Perfect forward secrecy group.")
IPSEC_ALGORITHM_CHOICES = {
    "ikeEncryption": IkeEncryption, "ikeIntegrity": IkeIntegrity, "dhGroup": DhGroup,
    "ipsecEncryption": IpsecEncryption, "ipsecIntegrity": IpsecIntegrity, "pfsGroup": PfsGroup,
}


def choices() -> dict[str, tuple[Choice, tuple]]:
    """Every enum of this module: its name -> (its Choice, its values)."""
    from typing import get_args

    found = {}
    for value in globals().values():
        args = get_args(value)
        if len(args) == 2 and isinstance(args[1], Choice):
            found[args[1].name] = (args[1], get_args(args[0]))
    return found
