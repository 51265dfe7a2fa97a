"""Azure facts the stack config schema and the policy pack both encode, in one place.

Standard library only (``ipaddress``, ``re``): the CrossGuard pack imports this module
without pydantic or the Azure SDK, and the config schema imports it without the policy
SDK. Each constant names its source as ``# fact: <id>``; ``docs/azure-facts.md`` has
one row per id with the Microsoft page and sentence behind it (a test keeps the two in
step).
"""

import ipaddress
import re

# ---------------------------------------------------------------------------
# MACsec on an ExpressRoute Direct port

# fact: erport-two-links
# A port is a pair of physical links; MACsec and admin state are set per link.
LINKS = ("link1", "link2")
ADMIN_ENABLED, ADMIN_DISABLED = "Enabled", "Disabled"
ADMIN_STATES = (ADMIN_ENABLED, ADMIN_DISABLED)

# fact: macsec-ciphers
CIPHERS = ("GcmAes128", "GcmAes256", "GcmAesXpn128", "GcmAesXpn256")
# Spellings from older API versions: recognised so a message can name them, never allowed.
LEGACY_CIPHERS = ("gcm-aes-128", "gcm-aes-256", "gcm-aes-xpn-128", "gcm-aes-xpn-256")

# fact: macsec-xpn-not-on-10g
# Extended packet numbering: not supported on 10 Gbps ports, recommended on 100 Gbps ones.
XPN_CIPHERS = ("GcmAesXpn128", "GcmAesXpn256")
NON_XPN_CIPHERS = ("GcmAes128", "GcmAes256")
XPN_UNSUPPORTED_GBPS, XPN_RECOMMENDED_GBPS = 10, 100

# fact: macsec-cak-length
# CAK length in hex digits: 16 bytes for the 128-bit ciphers, 32 bytes for the 256-bit ones.
CAK_HEX_DIGITS = {"GcmAes128": 32, "GcmAesXpn128": 32, "GcmAes256": 64, "GcmAesXpn256": 64}

# fact: macsec-ckn-format
# A CKN is an even number of hex digits, at most 64 (32 bytes).
CKN_MIN_HEX_DIGITS, CKN_MAX_HEX_DIGITS = 2, 64
# Generated CKNs use the longest name MACsec allows, so they never collide.
CKN_HEX_DIGITS = CKN_MAX_HEX_DIGITS

# fact: macsec-sci-state
SCI_STATES = ("Enabled", "Disabled")
SCI_DEFAULT = "Disabled"

# fact: erport-links-after-create
# The port's lifecycle as this product drives it: link settings cannot go into the
# request that creates a port, so a port is 'reserved' first, then 'encrypted' (MACsec
# on, links admin-disabled), then 'active' (links admin-enabled).
STAGES = ("reserved", "encrypted", "active")

# ---------------------------------------------------------------------------
# Ports and circuits

# fact: erd-port-options
PORT_SPEEDS_GBPS = (10, 100)
QINQ, DOT1Q = "QinQ", "Dot1Q"
ENCAPSULATIONS = (QINQ, DOT1Q)
METERED_DATA, UNLIMITED_DATA = "MeteredData", "UnlimitedData"
PORT_BILLING_TYPES = (METERED_DATA, UNLIMITED_DATA)

# fact: erd-circuit-sizes
CIRCUIT_SIZES = {10: (1, 2, 5, 10), 100: (5, 10, 40, 100)}
CIRCUIT_BANDWIDTHS_GBPS = (1, 2, 5, 10, 40, 100)

# fact: erd-oversubscription-2x
# Circuits on a port may add up to twice its bandwidth.
OVERSUBSCRIPTION = 2

# fact: er-sku-enums
SKU_TIERS = ("Standard", "Premium", "Local")
SKU_FAMILIES = (METERED_DATA, UNLIMITED_DATA)

# fact: er-vlan-range
VLAN_MIN, VLAN_MAX = 1, 4094

# fact: er-peerasn-int64-range
ASN_MIN, ASN_MAX = 1, 4294967295

# fact: vpn-reserved-asns
# Microsoft's own ASNs (12076 on every peering, 8074, 8075) and the private ASNs Azure
# keeps for itself (65515-65520; Microsoft's list omits 65516, refused here to fail
# closed). AS_TRANS 23456 (RFC 6793) and 65535 / 4294967295 (RFC 7300) are reserved.
MICROSOFT_ASNS = (8074, 8075, 12076)
AZURE_PRIVATE_ASNS = tuple(range(65515, 65521))
AS_TRANS = 23456
RFC7300_ASNS = (65535, 4294967295)
RESERVED_ASNS = frozenset({*MICROSOFT_ASNS, *AZURE_PRIVATE_ASNS, AS_TRANS, *RFC7300_ASNS})

# fact: vpn-default-asn
# A VPN gateway next to an ExpressRoute gateway keeps Azure's default ASN.
AZURE_VPN_GATEWAY_ASN = 65515

# fact: vpn-reserved-asns
# ASNs an on-premises VPN device may not use towards an Azure VPN gateway: Azure's own
# (Microsoft's public ones and 65515-65520) and the ones IANA reserves, as Microsoft
# lists them ("23456, 64496-64511, 65535-65551").
VPN_GATEWAY_RESERVED_ASNS = frozenset({*RESERVED_ASNS, *range(64496, 64512), *range(65535, 65552)})

# fact: er-customerasn-int32
# Microsoft peering's customerASN is a 32-bit signed integer in the REST API.
CUSTOMER_ASN_MAX = 2147483647

# fact: ergw-skus
# The availability-zone ExpressRoute gateway SKUs, and the scalable one.
SCALABLE_EXPRESS_ROUTE_GATEWAY_SKU = "ErGwScale"
EXPRESS_ROUTE_GATEWAY_SKUS = ("ErGw1AZ", "ErGw2AZ", "ErGw3AZ", SCALABLE_EXPRESS_ROUTE_GATEWAY_SKU)

# fact: ergwscale-range-1-40
# A scalable ExpressRoute gateway (ErGwScale) scales between 1 and 40 units.
ERGW_SCALE_UNITS = (1, 40)

# fact: vpngw-az-skus
# The availability-zone VPN gateway SKUs (with a Standard public IP); VpnGw1AZ is a
# generation 1 gateway, the others generation 2.
VPN_GATEWAY_SKUS = ("VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ")
GENERATION1_VPN_GATEWAY_SKUS = ("VpnGw1AZ",)
PUBLIC_IP_SKU = "Standard"

# fact: gatewaysubnet-27
# Gateways live in a subnet named GatewaySubnet, a /27 or larger.
GATEWAY_SUBNET_NAME = "GatewaySubnet"
GATEWAY_SUBNET_MAX_PREFIX_LENGTH = 27

# fact: er-connection-routing-weight
ROUTING_WEIGHT = (0, 32000)

# fact: vpn-shared-key-length
# A VPN connection's pre-shared key: printable ASCII, at most 128 characters; fewer than
# 16 is refused here as guessable.
SHARED_KEY_LENGTH = (16, 128)

# ---------------------------------------------------------------------------
# Virtual WAN

# fact: vwan-standard-for-er
# ExpressRoute and VPN gateways in a hub need a Standard Virtual WAN (and hub).
VIRTUAL_WAN_TYPE = VIRTUAL_HUB_SKU = "Standard"

# fact: vhub-address-prefix-24
# A virtual hub's address range is a /24 or larger.
VIRTUAL_HUB_MAX_PREFIX_LENGTH = 24

# fact: vhub-scale-units
# Scale units of a hub's ExpressRoute gateway (1-10) and VPN gateway (1-20).
HUB_EXPRESS_ROUTE_SCALE_UNITS = (1, 10)
HUB_VPN_SCALE_UNITS = (1, 20)

# fact: vwan-ipsec-er-bgp-addr
# A Virtual WAN VPN site's BGP address may not be APIPA (169.254.0.0/16) over ExpressRoute.
APIPA_RANGE = "169.254.0.0/16"

# fact: er-peering-subnets
# One /30 (IPv4) or /126 (IPv6) per link: your router takes the first address,
# Microsoft's the second.
PEER_PREFIX_LENGTH = {4: 30, 6: 126}

# fact: er-routing-registries
ROUTING_REGISTRIES = ("ARIN", "APNIC", "AFRINIC", "LACNIC", "RIPENCC", "RADB", "ALTDB", "LEVEL3")

# ---------------------------------------------------------------------------
# Key Vault

# fact: kv-vault-name
# 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or
# digit, no "--" (a vault name is a DNS label).
VAULT_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]"
VAULT_NAME_RE = re.compile(VAULT_NAME_PATTERN)  # with fullmatch

# fact: kv-retention-7-90-immutable
SOFT_DELETE_RETENTION_DAYS = (7, 90)

# fact: kv-object-identifier
# A secret is addressed as https://<vault>.<DNS suffix of the cloud>/secrets/<name>/<version>:
# names of 1-127 letters, digits and hyphens, versions of 32 characters (hex digits in
# practice), compared without case.
KEY_VAULT_DNS_SUFFIXES = ("vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de")
SECRET_NAME_PATTERN = r"[A-Za-z0-9-]{1,127}"
SECRET_VERSION_PATTERN = r"[0-9A-Fa-f]{32}"

# fact: macsec-kv-trusted-service
# The vault's firewall denies by default and lets trusted Microsoft services through.
KEY_VAULT_DEFAULT_ACTION = "Deny"
KEY_VAULT_BYPASS = "AzureServices"

# fact: project-kv-ip-rule-breadth
# A vault firewall rule broader than a /16 is not a firewall any more (this project's limit).
KEY_VAULT_MIN_IP_RULE_PREFIX_LENGTH = 16

# fact: kv-secrets-user-role
# The built-in role "Key Vault Secrets User": read secret contents, nothing else.
KEY_VAULT_SECRETS_USER_ROLE = "4633458b-17de-408a-b874-0445c86b69e6"

# ---------------------------------------------------------------------------
# Names, tags, alerts and locks

# fact: rg-name-length
RESOURCE_GROUP_NAME_LENGTH = (1, 90)

# fact: rg-name-characters
# A resource group name's characters: the REST spec's pattern ^[-\w\._\(\)]+$, in .NET,
# whose \w is these Unicode categories (letters, non-spacing marks, decimal digits,
# connector punctuation such as '_'), plus '-', '.', '(' and ')'; not ending in '.'.
RESOURCE_GROUP_NAME_CATEGORIES = ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Nd", "Pc")
RESOURCE_GROUP_NAME_PUNCTUATION = "-.()"

# fact: tag-limits
# At most 50 tags per resource; names up to 512 characters without < > % & \ ? /,
# values up to 256 characters.
MAX_TAGS = 50
TAG_NAME_MAX_LENGTH, TAG_VALUE_MAX_LENGTH = 512, 256
TAG_NAME_FORBIDDEN_CHARACTERS = "<>%&\\?/"

# fact: tag-names-case-insensitive
# "Tag names are case-insensitive for operations": two names that differ only in case are
# one tag to Azure. (Compared with str.casefold.)

# fact: project-no-control-characters
# Control characters (Unicode category Cc: C0, DEL, C1) in a tag name or value: Azure
# documents no rule, this project refuses them (a newline or escape sequence in a tag
# breaks exports and terminals).
CONTROL_CHARACTER_CATEGORY = "Cc"

# fact: azure-regions
# Snapshot of the Azure public cloud's region names (the "Programmatic name" column of
# Microsoft's "Azure regions list", reliability-docs articles/reliability/regions-list.md,
# ms.date 09/23/2025), taken 2026-12. A region missing here (newer, restricted, or a
# sovereign cloud's) is refused unless the stack names it in `unlistedRegion`.
AZURE_REGIONS = frozenset((
    "australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "austriaeast",
    "belgiumcentral", "brazilsouth", "brazilsoutheast", "canadacentral", "canadaeast", "centralindia",
    "centralus", "chilecentral", "denmarkeast", "eastasia", "eastus", "eastus2", "francecentral",
    "francesouth", "germanynorth", "germanywestcentral", "indonesiacentral", "israelcentral", "italynorth",
    "japaneast", "japanwest", "koreacentral", "koreasouth", "malaysiawest", "mexicocentral",
    "newzealandnorth", "northcentralus", "northeurope", "norwayeast", "norwaywest", "polandcentral",
    "qatarcentral", "southafricanorth", "southafricawest", "southcentralus", "southeastasia", "southindia",
    "spaincentral", "swedencentral", "switzerlandnorth", "switzerlandwest", "uaecentral", "uaenorth",
    "uksouth", "ukwest", "westcentralus", "westeurope", "westindia", "westus", "westus2", "westus3",
))
# The region the messages and examples name.
EXAMPLE_REGION = "westeurope"
# The shape of a programmatic region name (every name above has it): lower-case letters
# and digits, starting with a letter (this project's rule for a name not in the list).
REGION_NAME_PATTERN = r"[a-z][a-z0-9]{1,63}"

# fact: metric-alert-windows
# The windows and evaluation frequencies a metric alert rule accepts, and its severities.
ALERT_WINDOW_SIZES = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H", "PT6H", "PT12H", "P1D")
ALERT_EVALUATION_FREQUENCIES = ("PT1M", "PT5M", "PT15M", "PT30M", "PT1H")
ALERT_SEVERITIES = (0, 4)

# fact: metric-alert-dynamic-threshold
# A dynamic threshold learns the metric's usual range: how far a value may stray
# (sensitivity), over windows and evaluation frequencies of five minutes to one hour.
ALERT_SENSITIVITIES = ("Low", "Medium", "High")
DYNAMIC_ALERT_WINDOW_SIZES = ("PT5M", "PT15M", "PT30M", "PT1H")
DYNAMIC_ALERT_EVALUATION_FREQUENCIES = DYNAMIC_ALERT_WINDOW_SIZES

# fact: alert-resolve-three-evaluations
# A stateful metric alert resolves once its condition is not met for this many consecutive
# evaluations (so about this many evaluation periods after the metric is healthy again).
ALERT_RESOLVE_EVALUATIONS = 3

# fact: metric-erp-dimensions
# The port metric that shows a link's line protocol, and the dimension naming the link.
LINE_PROTOCOL_METRIC, LINK_DIMENSION = "LineProtocol", "Link"
# The port's traffic per link (dimension Link), bits per second into and out of Azure.
PORT_BITS_METRICS = ("PortBitsInPerSecond", "PortBitsOutPerSecond")

# fact: metric-erc-dimensions
# The dimensions of a circuit's ARP and BGP availability: the peering, and the session
# (which MSEE) within it.
PEERING_TYPE_DIMENSION, PEER_DIMENSION = "PeeringType", "Peer"

# fact: metric-time-grain-pt1m
# The one time grain of the port metrics and of the circuits' ARP and BGP availability, and
# the aggregation the change gate reads them in.
METRIC_TIME_GRAIN, METRIC_AGGREGATION = "PT1M", "Average"

# fact: macsec-mismatch-arp-bgp
# A MACsec misconfiguration (a key mismatch included) shows as no ARP at layer 2 and no
# BGP at layer 3: the circuits' metrics that show a link is back after a MACsec change.
MACSEC_MISMATCH_METRICS = ("ArpAvailability", "BgpAvailability")

# fact: lock-cannotdelete-semantics
LOCK_LEVEL = "CanNotDelete"

# ---------------------------------------------------------------------------
# IPsec/IKE policies (keys are the ARM property names)

# fact: ipsec-policy-algorithms
IPSEC_ALGORITHMS = {
    "ikeEncryption": ("DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES256"),
    "ikeIntegrity": ("MD5", "SHA1", "SHA256", "SHA384", "GCMAES128", "GCMAES256"),
    "dhGroup": ("None", "DHGroup1", "DHGroup2", "DHGroup14", "DHGroup2048", "ECP256", "ECP384", "DHGroup24"),
    "ipsecEncryption": ("None", "DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES192", "GCMAES256"),
    "ipsecIntegrity": ("MD5", "SHA1", "SHA256", "GCMAES128", "GCMAES192", "GCMAES256"),
    "pfsGroup": ("None", "PFS1", "PFS2", "PFS2048", "PFS14", "ECP256", "ECP384", "PFS24", "PFSMM"),
}

# fact: ipsec-weak-algorithms
WEAK_IPSEC_ALGORITHMS = {
    "ipsecEncryption": ("None", "DES", "DES3"),
    "ipsecIntegrity": ("MD5", "SHA1"),
    "ikeEncryption": ("DES", "DES3"),
    "ikeIntegrity": ("MD5", "SHA1"),
    "dhGroup": ("None", "DHGroup1", "DHGroup2"),
    "pfsGroup": ("None", "PFS1", "PFS2"),
}

# fact: ipsec-strong-algorithms
STRONG_IPSEC_ALGORITHMS = {
    "ikeEncryption": ("GCMAES256", "GCMAES128", "AES256"),
    "ikeIntegrity": ("SHA384", "SHA256"),
    "dhGroup": ("ECP384", "ECP256", "DHGroup14", "DHGroup2048"),
    "ipsecEncryption": ("GCMAES256", "GCMAES128", "AES256"),
    "ipsecIntegrity": ("GCMAES256", "GCMAES128", "SHA256"),
    "pfsGroup": ("ECP384", "ECP256", "PFS2048"),
}
# The CNSA-style policy this product sets by default.
CNSA_IPSEC_POLICY = {
    "ikeEncryption": "GCMAES256", "ikeIntegrity": "SHA384", "dhGroup": "ECP384",
    "ipsecEncryption": "GCMAES256", "ipsecIntegrity": "GCMAES256", "pfsGroup": "ECP384",
}

# fact: ipsec-gcm-pair
# With GCM, IPsec encryption and integrity use the same GCMAES algorithm and key length.
GCM_ALGORITHMS = ("GCMAES128", "GCMAES192", "GCMAES256")

# fact: ipsec-sa-minimums
SA_LIFETIME_MIN_SECONDS, SA_LIFETIME_DEFAULT_SECONDS = 300, 27000
SA_DATA_SIZE_MIN_KB, SA_DATA_SIZE_DEFAULT_KB = 1024, 102400000

# ---------------------------------------------------------------------------
# Public and non-public addresses

# fact: non-public-ranges
# Address space that is not a public, routable range you can own: Key Vault IP rules
# and Microsoft peering refuse it, and an on-premises VPN device at such an address is
# reached over ExpressRoute private peering. Documentation ranges (192.0.2.0/24,
# 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are deliberately not listed: every
# example and test uses them as stand-ins for public space.
NON_PUBLIC_NETWORKS = tuple((ipaddress.ip_network(network), reason) for network, reason in (
    ("0.0.0.0/8", "'this network' (RFC 791)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared address space (RFC 6598, carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("fc00::/7", "unique local (RFC 4193)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
))


def non_public_reason(value: "str | ipaddress.IPv4Network | ipaddress.IPv6Network | ipaddress.IPv4Address | ipaddress.IPv6Address") -> str | None:
    """Why an address or network is not public space (``None``: it is public).

    A network counts as non-public when any of its addresses is: the default route and
    a /8 that spans 10.0.0.0/8 are refused as surely as 10.1.2.0/24. ``ipaddress``'s own
    flags back up the explicit list for anything it misses. Raises ``ValueError`` for a
    string that is no address or network."""
    if isinstance(value, str):
        network = ipaddress.ip_network(value, strict=False)
    elif isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        network = ipaddress.ip_network(value)
    else:
        network = value
    for other, reason in NON_PUBLIC_NETWORKS:
        if other.version == network.version and other.overlaps(network):
            return reason
    first = network.network_address
    for flag, reason in (("is_multicast", "multicast"), ("is_link_local", "link-local"),
                         ("is_loopback", "loopback"), ("is_unspecified", "unspecified"),
                         ("is_reserved", "reserved")):
        if getattr(first, flag):
            return reason
    return None
