"""Stack policy for IPsec VPN connections, in particular IPsec over ExpressRoute private peering.

IPsec encrypts end to end at layer 3, independently of MACsec. Azure's default IPsec/IKE policies use
DH group 2 (1024-bit), so a connection needs a custom policy, and a custom policy must set every field.
Over ExpressRoute private peering both ends use private addresses: the connection sets
``useLocalAzureIpAddress: true`` and its VPN gateway ``enablePrivateIpAddress: true``; with only one of
them set the tunnel does not come up over private peering.

This is a stack policy because the private-IP rule spans the connection and its gateway (and the local
network gateway that shows a private on-premises address). A stack policy runs at the end of a preview,
so ``pulumi preview --policy-pack`` reports everything; during ``pulumi up`` it runs after the deployment.

A connection is taken to run over private peering when the connection or its gateway already uses a
private IP, when its local network gateway's address is not a public one (``facts.non_public_reason``:
RFC 1918, RFC 6598, IPv6 unique local, loopback, link-local, ...), or always when the
policy's ``requirePrivateIp`` config is true. Virtual WAN link connections (``VpnConnection``) have no
gateway-side setting; there ``useLocalAzureIpAddress`` ("use Azure private IP address") is required when
the connection's VPN site is at a private address, or under ``requirePrivateIp``.
"""

import ipaddress
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..facts import (
    GCM_ALGORITHMS,
    SA_DATA_SIZE_MIN_KB,
    SA_LIFETIME_MIN_SECONDS,
    WEAK_IPSEC_ALGORITHMS as WEAK_ALGORITHMS,
    non_public_reason,
)
from .azure import GATEWAY_CONNECTION, LOCAL_NETWORK_GATEWAY, VPN_GATEWAY, VPN_SITE, VWAN_VPN_CONNECTION
from .configuration import config_flag
from .props import UNKNOWN, elements, equals_ignoring_case, get, number, text
from .resources import of_type, referenced_resource

IPSEC_POLICY_FIELDS = ("saLifeTimeSeconds", "saDataSizeKilobytes", "ipsecEncryption", "ipsecIntegrity",
                       "ikeEncryption", "ikeIntegrity", "dhGroup", "pfsGroup")
MINIMUMS = (("saLifeTimeSeconds", SA_LIFETIME_MIN_SECONDS, "seconds"), ("saDataSizeKilobytes", SA_DATA_SIZE_MIN_KB, "KB"))
STRONG_CHOICE = ("for example IKE GCMAES256 with SHA384 and ECP384, IPsec GCMAES256/GCMAES256 with PFS "
                 "ECP384")


def check_ipsec_connections(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """IPsec connections use a strong custom IPsec/IKE policy and, over private peering, private IPs."""
    require_private_ip = config_flag(args, "requirePrivateIp", False)
    gateways = of_type(args.resources, VPN_GATEWAY)
    local_gateways = of_type(args.resources, LOCAL_NETWORK_GATEWAY)
    for connection in of_type(args.resources, GATEWAY_CONNECTION):
        if not equals_ignoring_case(get(connection.props, "connectionType"), "IPsec"):
            continue
        gateway = referenced_resource(connection, ("virtualNetworkGateway1", "id"), gateways)
        local_gateway = referenced_resource(connection, ("localNetworkGateway2", "id"), local_gateways)
        problems = ipsec_policy_problems(get(connection.props, "ipsecPolicies"))
        problems += private_ip_problems(connection, gateway, local_gateway, require_private_ip)
        report_problems(report_violation, connection, problems)
    sites = of_type(args.resources, VPN_SITE)
    for connection in of_type(args.resources, VWAN_VPN_CONNECTION):
        problems = []
        private_site = site_has_private_address(referenced_resource(connection, ("remoteVpnSite", "id"), sites))
        for label, settings in vwan_link_settings(connection):
            problems += [label + problem for problem in ipsec_policy_problems(get(settings, "ipsecPolicies"))]
            flag = get(settings, "useLocalAzureIpAddress")
            if (require_private_ip or private_site) and flag is not True and flag is not UNKNOWN:
                problems.append(f"{label}set useLocalAzureIpAddress to true (the connection runs over "
                                "ExpressRoute private peering)")
        report_problems(report_violation, connection, problems)


def report_problems(report_violation: ReportViolation, connection: PolicyResource, problems: list[str]) -> None:
    """One violation per connection, listing everything to change."""
    if problems:
        report_violation(f"IPsec connection '{connection.name}': {'; '.join(problems)}.", connection.urn)


def vwan_link_settings(connection: PolicyResource) -> list[tuple[str, Any]]:
    """``(label, settings)`` for each link connection of a Virtual WAN connection, or the connection's own
    settings when it has no link connections. Labels prefix problems."""
    links = get(connection.props, "vpnLinkConnections")
    if links is UNKNOWN:
        return []
    entries = elements(links)
    if not entries:
        return [("", connection.props)]
    return [(f"link connection '{text(get(entry, 'name')) or index}': ", entry)
            for index, entry in enumerate(entries) if entry is not UNKNOWN]


def ipsec_policy_problems(policies: Any) -> list[str]:
    """What is wrong with a connection's ``ipsecPolicies``; unknown policies (preview) are not judged."""
    if policies is UNKNOWN:
        return []
    entries = elements(policies)
    if not entries:
        return [("it has no custom IPsec/IKE policy, so Azure's default policies (DH group 2, 1024-bit) apply: "
                 f"add an ipsecPolicies entry with strong algorithms ({STRONG_CHOICE})")]
    return [f"ipsecPolicies[{index}] {problem}"
            for index, entry in enumerate(entries) if entry is not UNKNOWN
            for problem in single_policy_problems(entry)]


def single_policy_problems(policy: Any) -> list[str]:
    """What is wrong with one custom IPsec/IKE policy. Only Azure's own algorithm names are quoted."""
    problems = []
    missing = [field for field in IPSEC_POLICY_FIELDS if get(policy, field) is None]
    if missing:
        problems.append(f"lacks {', '.join(missing)} (a custom policy needs every field)")
    weak = [f"{field} {weak}" for field, weak_values in WEAK_ALGORITHMS.items()
            if (weak := matching_name(get(policy, field), weak_values))]
    if weak:
        problems.append(f"uses weak {', '.join(weak)}; use strong algorithms ({STRONG_CHOICE})")
    for field, minimum, unit in MINIMUMS:
        value = get(policy, field)
        amount = number(value)
        if value not in (None, UNKNOWN) and (amount is None or amount < minimum):
            problems.append(f"sets {field} below the minimum of {minimum} {unit}")
    gcm = matching_name(get(policy, "ipsecEncryption"), GCM_ALGORITHMS)
    integrity = get(policy, "ipsecIntegrity")
    if gcm and integrity not in (None, UNKNOWN) and not equals_ignoring_case(integrity, gcm):
        problems.append(f"sets ipsecEncryption {gcm}, which needs ipsecIntegrity {gcm} too")
    return problems


def matching_name(value: Any, names: tuple[str, ...]) -> str | None:
    """The name in ``names`` that ``value`` spells (ignoring case), in its canonical spelling."""
    found = (text(value) or "").lower()
    return next((name for name in names if name.lower() == found), None)


def private_ip_problems(connection: PolicyResource, gateway: PolicyResource | None,
                        local_gateway: PolicyResource | None, required: bool) -> list[str]:
    """For a connection over ExpressRoute private peering: the private-IP settings missing on either end."""
    connection_flag = get(connection.props, "useLocalAzureIpAddress")
    gateway_flag = get(gateway.props, "enablePrivateIpAddress") if gateway else None
    if not (required or connection_flag is True or gateway_flag is True or has_private_address(local_gateway)):
        return []
    changes = []
    if connection_flag not in (True, UNKNOWN):
        changes.append("set useLocalAzureIpAddress to true on the connection")
    if gateway is not None and gateway_flag not in (True, UNKNOWN):
        changes.append(f"set enablePrivateIpAddress to true on VPN gateway '{gateway.name}'")
    if not changes:
        return []
    return [f"it runs over ExpressRoute private peering, so both ends must use private IPs: {' and '.join(changes)}"]


def has_private_address(local_gateway: PolicyResource | None) -> bool:
    """Whether a local network gateway points at an address that is not public (RFC 1918, RFC 6598, unique
    local, ...), which Azure can reach only over ExpressRoute private peering."""
    return is_private(get(local_gateway.props, "gatewayIpAddress")) if local_gateway else False


def site_has_private_address(site: PolicyResource | None) -> bool:
    """Whether a Virtual WAN VPN site (or one of its links) is at a private address: the hub reaches it
    only over ExpressRoute private peering, so its link connections must use Azure private IPs."""
    if site is None:
        return False
    links = get(site.props, "vpnSiteLinks")
    addresses = [get(site.props, "ipAddress")] + (
        [] if links is UNKNOWN else [get(link, "ipAddress") for link in elements(links) if link is not UNKNOWN])
    return any(is_private(address) for address in addresses)


def is_private(address: Any) -> bool:
    """Whether an address is not public space (one definition, ``facts.non_public_reason``)."""
    try:
        parsed = ipaddress.ip_address(text(address) or "")
    except ValueError:
        return False
    return non_public_reason(parsed) is not None


# fact: s2s-er-gw-private-ip
ipsec_policy_strength = StackValidationPolicy(
    name="vpn-ipsec-policy-strength",
    description="IPsec connections use a strong custom IPsec/IKE policy, and private IPs on both ends over "
                "ExpressRoute private peering.",
    validate=check_ipsec_connections,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties={
        "requirePrivateIp": {
            "type": "boolean",
            "default": False,
            "description": "Treat every IPsec connection as running over ExpressRoute private peering.",
        },
    }),
    url="https://learn.microsoft.com/azure/vpn-gateway/site-to-site-vpn-private-peering",
)

POLICIES = [ipsec_policy_strength]
