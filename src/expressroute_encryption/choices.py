"""The enum-like inputs of the components, as enums for the component package schema.

The Pulumi SDK's schema inference turns ``enum.Enum`` classes into schema enums (it has
no support for ``typing.Literal``), so the ``*Args`` TypedDicts use these. Each enum is
generated from the ``Literal`` type the config schema validates with, so the allowed
values exist once (``tests/test_schema_parity.py`` checks the TypedDicts against the
models). Members are ``StrEnum``s: a Python caller may pass the member or the plain
string; the component provider hands over members, which ``validate_args`` turns back
into their values. A value outside the enum becomes a stand-in member instead of the
provider's own "Invalid value" error, so it reaches the config schema and gets the same
message (with the allowed values and the argument's path) as everywhere else.
"""

import keyword
from enum import StrEnum
from typing import Any, get_args

from . import config


def _enum(name: str, literal: Any, doc: str) -> type[StrEnum]:
    values = get_args(literal)
    members = [(v if v.isidentifier() and not keyword.iskeyword(v) else f"{v}_", v) for v in values]
    enum = StrEnum(name, members, module=__name__, qualname=name)
    enum.__doc__ = doc
    enum._missing_ = classmethod(_stand_in)
    return enum


def _stand_in(cls, value: Any):
    """A member for a value the enum does not have, for the schema to refuse."""
    if not isinstance(value, str):
        return None
    member = str.__new__(cls, value)
    member._name_, member._value_ = value, value
    return member


Cipher = _enum("Cipher", config.Cipher, "MACsec cipher; XPN ciphers only on 100 Gbps ports.")
SciState = _enum("SciState", config.SciState, "Secure channel identifier on or off.")
Stage = _enum("Stage", config.Stage, "Lifecycle stage of an ExpressRoute Direct port.")
Encapsulation = _enum("Encapsulation", config.Encapsulation, "Encapsulation of an ExpressRoute Direct port.")
PortBillingType = _enum("PortBillingType", config.PortBillingType, "Billing type of an ExpressRoute Direct port.")
KeyVaultAuthorization = _enum("KeyVaultAuthorization", config.KeyVaultAuthorization,
                              "How the port's identity gets `get` on the vault's secrets.")
SkuTier = _enum("SkuTier", config.SkuTier, "Circuit SKU tier.")
SkuFamily = _enum("SkuFamily", config.SkuFamily, "Circuit SKU family.")
RoutingRegistry = _enum("RoutingRegistry", config.RoutingRegistry, "Routing registry of Microsoft peering prefixes.")
ExpressRouteGatewaySku = _enum("ExpressRouteGatewaySku", config.ExpressRouteGatewaySku, "ExpressRoute gateway SKU.")
VpnGatewaySku = _enum("VpnGatewaySku", config.VpnGatewaySku, "VPN gateway SKU.")


def _algorithm(name: str, field: str, doc: str) -> type[StrEnum]:
    return _enum(name, config.IpsecPolicySettings.model_fields[field].annotation, doc)


IkeEncryption = _algorithm("IkeEncryption", "ike_encryption", "IKE (phase 1) encryption.")
IkeIntegrity = _algorithm("IkeIntegrity", "ike_integrity", "IKE (phase 1) integrity.")
DhGroup = _algorithm("DhGroup", "dh_group", "IKE Diffie-Hellman group.")
IpsecEncryption = _algorithm("IpsecEncryption", "ipsec_encryption", "IPsec (phase 2) encryption.")
IpsecIntegrity = _algorithm("IpsecIntegrity", "ipsec_integrity", "IPsec (phase 2) integrity.")
PfsGroup = _algorithm("PfsGroup", "pfs_group", "Perfect forward secrecy group.")
