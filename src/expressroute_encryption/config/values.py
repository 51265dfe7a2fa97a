"""Single-value rules that several areas of the config share: Azure resource names, ASNs,
IPv4 ranges and addresses, gateway subnet sizes, the name an ``importId`` carries."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import Field

from .. import facts
from ..arm import arm_id_name
from .rules import Int, rule

# fact: er-resource-names
AZURE_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?")


def azure_name_problem(name: str) -> str | None:
    """Azure network resource names: 1-80 letters, digits, '_', '.', '-', starting with a
    letter or digit and ending with a letter, digit or '_'."""
    if not AZURE_NAME_RE.fullmatch(name):
        return (
            "must be 1-80 letters, digits, '_', '.' or '-', starting with a letter or digit "
            "and ending with a letter, digit or '_' (Azure resource naming)"
        )
    return None


def asn_problem(asn: int) -> str | None:
    """A peer or customer ASN must be the customer's own, not one Microsoft or Azure uses."""
    if asn in facts.RESERVED_ASNS:
        return (
            f"AS {asn} is reserved (Microsoft uses 12076, 8074 and 8075; Azure keeps 65515-65520; "
            "23456, 65535 and 4294967295 are reserved); use your own ASN"
        )
    return None


Asn = Annotated[Int, Field(ge=facts.ASN_MIN, le=facts.ASN_MAX), rule("reserved_asn", asn_problem)]
# fact: er-customerasn-int32
CustomerAsn = Annotated[Int, Field(ge=facts.ASN_MIN, le=facts.CUSTOMER_ASN_MAX), rule("reserved_asn", asn_problem)]


def vpn_asn_problem(asn: int) -> str | None:
    """An on-premises VPN device may not use an ASN Azure VPN gateways reserve."""
    if asn in facts.VPN_GATEWAY_RESERVED_ASNS:
        return (
            f"AS {asn} is reserved for Azure VPN gateways (Microsoft's 12076, 8074, 8075; Azure's 65515-65520; "
            "23456, 64496-64511 and 65535-65551); use your own ASN, e.g. in 64512-65514 or 65521-65534"
        )
    return None


# fact: vpn-reserved-asns
VpnAsn = Annotated[Int, Field(ge=facts.ASN_MIN, le=facts.ASN_MAX), rule("vpn_reserved_asn", vpn_asn_problem)]


def cidr_problem(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 CIDR range such as 10.20.0.0/16 (host bits zero)"
    return None


def ipv4_address_problem(value: str) -> str | None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return "must be an IPv4 address such as 10.1.0.10"
    return None


Cidr = Annotated[str, rule("cidr", cidr_problem)]
Ipv4Address = Annotated[str, rule("ipv4_address", ipv4_address_problem)]


def gateway_subnet_size(message: str):
    """The GatewaySubnet is a /27 or larger (fact: gatewaysubnet-27)."""
    return rule("gateway_subnet_size", lambda prefix: (
        message if ipaddress.IPv4Network(prefix).prefixlen > facts.GATEWAY_SUBNET_MAX_PREFIX_LENGTH else None))


def import_id_name_problems(settings: Any) -> Iterator:
    """Pulumi imports the resource under the config's ``name``: it must be Azure's name."""
    if settings.import_id is not None and arm_id_name(settings.import_id) != settings.name:
        yield ("import_id",), "import_id_name", (
            f"names '{arm_id_name(settings.import_id)}' but name is '{settings.name}': the import must "
            "describe the resource as it is in Azure, so name must be its Azure name"
        )
