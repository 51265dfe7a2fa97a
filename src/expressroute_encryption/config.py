"""The stack configuration: its schema, its rules, and its error messages.

Everything a user can put under the ``expressroute-encryption`` config namespace is
described here as frozen pydantic models that reject unknown keys. Components validate
their typed arguments with the same models, so a platform team calling a component
from code gets the same checks as a stack file.

This module must stay importable without ``pulumi_azure_native`` (slow to import):
a config error is reported before the Azure SDK is even loaded.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, Optional

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    BeforeValidator,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
)
from pydantic.alias_generators import to_camel, to_snake
from pydantic_core import InitErrorDetails, PydanticCustomError

from .alerts import ALERT_KEYS, ALERTS, EVALUATION_FREQUENCIES, WINDOW_SIZES, AlertRule
from .alerts import minutes as alert_minutes

NAMESPACE = "expressroute-encryption"

Cipher = Literal["GcmAes128", "GcmAes256", "GcmAesXpn128", "GcmAesXpn256"]
CIPHERS: tuple[str, ...] = ("GcmAes128", "GcmAes256", "GcmAesXpn128", "GcmAesXpn256")
XPN_CIPHERS = frozenset({"GcmAesXpn128", "GcmAesXpn256"})
# CAK length in hex digits: 16 bytes for the 128-bit ciphers, 32 bytes for the 256-bit ones.
CAK_HEX_DIGITS = {"GcmAes128": 32, "GcmAesXpn128": 32, "GcmAes256": 64, "GcmAesXpn256": 64}
# Generated CKNs use the longest name MACsec allows (32 bytes), so they never collide.
CKN_HEX_DIGITS = 64

Stage = Literal["reserved", "encrypted", "active"]
LINKS = ("link1", "link2")


class ConfigError(Exception):
    """Bad stack config or component arguments: one line per problem, with its path.

    The message never contains a value the user typed, so it is safe to print even
    when the bad value was a key.
    """

    def __init__(self, problems: list[str], source: str = "stack config") -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"{source}: {len(problems)} {noun}; nothing was deployed:"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


def _not_a_bool(value: Any) -> Any:
    """YAML's true/false are not numbers (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer, not true/false")
    return value


# A whole number: integral floats pass (other Pulumi languages send numbers as doubles).
Int = Annotated[int, BeforeValidator(_not_a_bool)]


class _Model(BaseModel):
    """Frozen, typo-proof base: unknown keys are errors, names are camelCase in YAML."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        hide_input_in_errors=True,
    )


def _rule_error(loc: tuple[str | int, ...], rule: str, message: str) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError(rule, message), loc=loc, input=None
    )


def _raise_rules(model: str, errors: list[InitErrorDetails]) -> None:
    """Report cross-field rule failures at the exact config path they concern."""
    if errors:
        raise ValidationError.from_exception_data(model, errors)


def _rule(rule: str, check):
    """A field-level rule: ``check(value)`` returns a problem message or None."""

    def validate(value):
        if (problem := check(value)) is not None:
            raise PydanticCustomError(rule, problem)
        return value

    return AfterValidator(validate)


# ---------------------------------------------------------------------------
# Key Vault


VAULT_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$")


def vault_name_problem(name: str) -> str | None:
    """Azure Key Vault naming: 3-24 letters, digits and hyphens, starting with a letter,
    ending with a letter or digit, no consecutive hyphens (the name is a DNS label)."""
    if not VAULT_NAME_RE.match(name) or "--" in name:
        return (
            "must be 3-24 characters of letters, digits and hyphens, start with a letter, "
            "end with a letter or digit and contain no '--' (Azure Key Vault naming)"
        )
    return None


NON_PUBLIC_RANGES = tuple(
    ipaddress.IPv4Network(r)
    for r in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16")
)


NON_PUBLIC_V6_RANGES = tuple(
    ipaddress.IPv6Network(r) for r in ("fc00::/7", "fe80::/10", "::1/128")
)


# A firewall rule broader than this is not a firewall any more.
MIN_ALLOWED_PREFIX = 16


def ip_range_problem(value: str) -> str | None:
    """Key Vault IP rules take a public IPv4 address or an IPv4 CIDR range."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 address or CIDR range such as 203.0.113.0/24 (host bits zero)"
    if network.prefixlen < MIN_ALLOWED_PREFIX:
        return (
            f"is too broad: /{network.prefixlen} would let a large part of the internet past the vault's "
            f"firewall; list your egress ranges (/{MIN_ALLOWED_PREFIX} or narrower)"
        )
    if any(network.subnet_of(private) for private in NON_PUBLIC_RANGES):
        return (
            "must be a public range: Key Vault IP rules do not accept private (RFC 1918), "
            "loopback or link-local addresses"
        )
    return None


class KeyVaultSettings(_Model):
    """The vault that holds the MACsec CAK/CKN secrets."""

    name: Annotated[str, _rule("vault_name", vault_name_problem)]
    allowed_ip_ranges: list[Annotated[str, _rule("ip_range", ip_range_problem)]] = Field(
        default_factory=list
    )
    soft_delete_retention_days: Annotated[Int, Field(ge=7, le=90)] = 90
    purge_protection: bool = True
    authorization: Literal["accessPolicy", "rbac"] = "accessPolicy"


# ---------------------------------------------------------------------------
# Ports


PORT_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?$")


def port_name_problem(name: str) -> str | None:
    """Port names also name the port's Key Vault secrets, which allow only letters,
    digits and hyphens."""
    if not PORT_NAME_RE.match(name):
        return (
            "must be 1-50 letters, digits and hyphens, starting and ending with a letter "
            "or digit (it also names the port's Key Vault secrets)"
        )
    return None


class KeyGeneration(_Model):
    """A counter per link: raising it generates a new key for that link only."""

    link1: Annotated[Int, Field(ge=1)] = 1
    link2: Annotated[Int, Field(ge=1)] = 1


SciState = Literal["Enabled", "Disabled"]


class LinkMacsecOverride(_Model):
    """One link's cipher or SCI state, while a change is rolled out one link at a time."""

    cipher: Optional[Cipher] = None
    sci_state: Optional[SciState] = None


class MacsecSettings(_Model):
    """MACsec applied to both links of a port.

    Any change of key, cipher or SCI drops a link until the router matches, so on a live
    port a change goes to one link per deployment: raise one link's ``keyGeneration``,
    or stage a new cipher/SCI state on one link with ``link1``/``link2`` overrides.
    ``allowBothLinks`` lets one deployment change both links (a planned full outage)."""

    cipher: Cipher
    sci_state: SciState = "Disabled"
    key_generation: KeyGeneration = Field(default_factory=KeyGeneration)
    link1: Optional[LinkMacsecOverride] = None
    link2: Optional[LinkMacsecOverride] = None
    allow_both_links: bool = False

    def for_link(self, link: str) -> tuple[str, str]:
        """(cipher, SCI state) that ``link`` gets: its override, else the port's."""
        override = getattr(self, link) or LinkMacsecOverride()
        return override.cipher or self.cipher, override.sci_state or self.sci_state


# ---------------------------------------------------------------------------
# Circuits and peerings on a Direct port


AZURE_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")


def azure_name_problem(name: str) -> str | None:
    """Azure network resource names: 1-80 letters, digits, '_', '.', '-', starting with a
    letter or digit and ending with a letter, digit or '_'."""
    if not AZURE_NAME_RE.match(name):
        return (
            "must be 1-80 letters, digits, '_', '.' or '-', starting with a letter or digit "
            "and ending with a letter, digit or '_' (Azure resource naming)"
        )
    return None


# 12076 is Microsoft's ASN on every peering, 8074/8075 are Microsoft's too, 65515-65520
# are reserved for Azure's internal use, 23456 is AS_TRANS and 65535 and 4294967295 are
# reserved by RFC 7300.
RESERVED_ASNS = frozenset({8074, 8075, 12076, 23456, 65535, 4294967295, *range(65515, 65521)})


def asn_problem(asn: int) -> str | None:
    if asn in RESERVED_ASNS:
        return (
            f"AS {asn} is reserved (Microsoft uses 12076, 8074 and 8075; Azure keeps 65515-65520; "
            "23456, 65535 and 4294967295 are reserved); use your own ASN"
        )
    return None


def peer_prefix_problem(value: str, length: int) -> str | None:
    """Peering links use one /30 (IPv4) or /126 (IPv6) per link: your router takes the
    first address, Microsoft the second."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        network = None
    family = 4 if length == 30 else 6
    if network is None or network.version != family or network.prefixlen != length:
        example = "192.168.100.0/30" if family == 4 else "2001:db8:1::/126"
        return f"must be an IPv{family} /{length} network such as {example} (host bits zero)"
    return None


def _prefix(length: int):
    return Annotated[str, _rule(f"peer_prefix_{length}", lambda v: peer_prefix_problem(v, length))]


def public_prefix_problem(value: str) -> str | None:
    """Microsoft peering carries public address space only (you must own it)."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        return "must be an IPv4 or IPv6 network such as 203.0.113.0/28 (host bits zero)"
    if network.prefixlen == 0 or any(
        network.version == private.version and network.subnet_of(private)
        for private in NON_PUBLIC_RANGES + NON_PUBLIC_V6_RANGES
    ):
        return "must be a public prefix you own: private (RFC 1918), link-local and default routes are not accepted on Microsoft peering"
    return None


PublicPrefix = Annotated[str, _rule("public_prefix", public_prefix_problem)]


def _overlap_problem(primary: str, secondary: str) -> str | None:
    if ipaddress.ip_network(primary).overlaps(ipaddress.ip_network(secondary)):
        return "must not overlap primaryPeerAddressPrefix: each link needs its own subnet"
    return None


class _LinkSubnets(_Model):
    """A primary and a secondary subnet, one per physical link, which must not overlap."""

    @field_validator("secondary_peer_address_prefix", check_fields=False)
    @classmethod
    def _links_do_not_overlap(cls, secondary: str, info: ValidationInfo) -> str:
        if "primary_peer_address_prefix" in info.data:
            if problem := _overlap_problem(info.data["primary_peer_address_prefix"], secondary):
                raise PydanticCustomError("peer_prefix_overlap", problem)
        return secondary


class Ipv6PeeringSettings(_LinkSubnets):
    """IPv6 on a peering: one /126 per link."""

    primary_peer_address_prefix: _prefix(126)
    secondary_peer_address_prefix: _prefix(126)


class PrivatePeeringSettings(_LinkSubnets):
    """Azure private peering: BGP between your routers and Microsoft's over one VLAN."""

    peer_asn: Annotated[Int, Field(ge=1, le=4294967295), _rule("reserved_asn", asn_problem)]
    primary_peer_address_prefix: _prefix(30)
    secondary_peer_address_prefix: _prefix(30)
    vlan_id: Annotated[Int, Field(ge=1, le=4094)]
    ipv6: Optional[Ipv6PeeringSettings] = None


RoutingRegistry = Literal["ARIN", "APNIC", "AFRINIC", "LACNIC", "RIPENCC", "RADB", "ALTDB", "LEVEL3"]


class MicrosoftPeeringSettings(PrivatePeeringSettings):
    """Microsoft peering: Microsoft 365 and Azure public services over your public prefixes."""

    primary_peer_address_prefix: Annotated[_prefix(30), _rule("public_prefix", public_prefix_problem)]
    secondary_peer_address_prefix: Annotated[_prefix(30), _rule("public_prefix", public_prefix_problem)]
    advertised_public_prefixes: Annotated[list[PublicPrefix], Field(min_length=1)]
    customer_asn: Optional[Annotated[Int, Field(ge=1, le=4294967295), _rule("reserved_asn", asn_problem)]] = None
    routing_registry_name: RoutingRegistry

    @field_validator("advertised_public_prefixes")
    @classmethod
    def _prefixes_match_the_sessions(cls, prefixes: list[str], info: ValidationInfo) -> list[str]:
        """IPv4 prefixes ride the IPv4 session (at least one is needed); IPv6 prefixes
        need the peering's ``ipv6`` session."""
        if not any(ipaddress.ip_network(p).version == 4 for p in prefixes):
            raise PydanticCustomError("ipv4_prefix_needed", "needs at least one IPv4 prefix for the IPv4 peering")
        if info.data.get("ipv6") is None:
            _raise_rules("advertisedPublicPrefixes", [
                _rule_error((i,), "ipv6_needs_session",
                            "an IPv6 prefix needs the peering's ipv6 block (its /126 subnets)")
                for i, p in enumerate(prefixes) if ipaddress.ip_network(p).version == 6
            ])
        return prefixes


# Direct circuit sizes per port speed.
CIRCUIT_SIZES = {10: (1, 2, 5, 10), 100: (5, 10, 40, 100)}
OVERSUBSCRIPTION = 2  # circuits on a port may add up to twice its bandwidth


class CircuitSettings(_Model):
    """An ExpressRoute circuit on a Direct port, with its peerings and authorizations."""

    name: Annotated[str, _rule("circuit_name", azure_name_problem)]
    bandwidth_in_gbps: Literal[1, 2, 5, 10, 40, 100]
    sku_tier: Literal["Standard", "Premium", "Local"]
    sku_family: Literal["MeteredData", "UnlimitedData"]
    allow_classic_operations: bool = False
    authorizations: list[Annotated[str, _rule("authorization_name", azure_name_problem)]] = Field(
        default_factory=list
    )
    private_peering: Optional[PrivatePeeringSettings] = None
    microsoft_peering: Optional[MicrosoftPeeringSettings] = None

    @field_validator("authorizations")
    @classmethod
    def _unique_authorizations(cls, names: list[str]) -> list[str]:
        _raise_rules("authorizations", [
            _rule_error((i,), "duplicate_authorization", f"authorization '{name}' is listed twice")
            for i, name in enumerate(names) if name in names[:i]
        ])
        return names

    def peerings(self) -> list[tuple[str, PrivatePeeringSettings]]:
        """(config key, settings) of the peerings present."""
        return [
            (key, peering)
            for key, peering in (("privatePeering", self.private_peering), ("microsoftPeering", self.microsoft_peering))
            if peering is not None
        ]


def circuit_problems(circuits: list[CircuitSettings], bandwidth: int | None, stage: str | None):
    """Rules for the circuits of one port, as (path under circuits, rule, message)."""
    if stage == "reserved" and circuits:
        yield (), "circuit_on_reserved_port", (
            "circuits need the port's stage to be 'encrypted' or 'active': on a 'reserved' port "
            "traffic could flow before MACsec is configured"
        )
    if bandwidth is not None:
        wrong_size = [i for i, c in enumerate(circuits) if c.bandwidth_in_gbps not in CIRCUIT_SIZES[bandwidth]]
        for i in wrong_size:
            sizes = ", ".join(map(str, CIRCUIT_SIZES[bandwidth]))
            yield (i, "bandwidthInGbps"), "circuit_size", (
                f"{circuits[i].bandwidth_in_gbps} Gbps is not offered on a {bandwidth} Gbps port; use {sizes}"
            )
        total = sum(c.bandwidth_in_gbps for c in circuits)
        if not wrong_size and total > OVERSUBSCRIPTION * bandwidth:
            yield (), "oversubscribed", (
                f"circuits add up to {total} Gbps; a {bandwidth} Gbps port allows at most "
                f"{OVERSUBSCRIPTION * bandwidth} Gbps (2x oversubscription)"
            )
    seen_vlans: dict[int, str] = {}
    seen_prefixes: list[tuple[ipaddress._BaseNetwork, str]] = []
    for i, circuit in enumerate(circuits):
        for key, peering in circuit.peerings():
            where = f"circuits[{i}].{key}"
            if peering.vlan_id in seen_vlans:
                yield (i, key, "vlanId"), "duplicate_vlan", (
                    f"VLAN {peering.vlan_id} is already used by {seen_vlans[peering.vlan_id]}; VLAN ids must be unique per port"
                )
            seen_vlans.setdefault(peering.vlan_id, where)
            prefixes = [("primaryPeerAddressPrefix", peering.primary_peer_address_prefix),
                        ("secondaryPeerAddressPrefix", peering.secondary_peer_address_prefix)]
            if peering.ipv6:
                prefixes += [("ipv6.primaryPeerAddressPrefix", peering.ipv6.primary_peer_address_prefix),
                             ("ipv6.secondaryPeerAddressPrefix", peering.ipv6.secondary_peer_address_prefix)]
            for field, value in prefixes:
                network = ipaddress.ip_network(value)
                clash = next((owner for other, owner in seen_prefixes
                              if other.version == network.version and other.overlaps(network)
                              and not owner.startswith(where + ".")), None)
                if clash:
                    yield (i, key, *field.split(".")), "duplicate_peer_prefix", (
                        f"{value} overlaps {clash}; peering subnets must be unique per port"
                    )
                seen_prefixes.append((network, f"{where}.{field}"))



class PortSettings(_Model):
    """One ExpressRoute Direct port (a pair of physical links) and its MACsec settings.

    ``stage`` follows the port's physical lifecycle, because Azure ignores link settings
    in the request that creates a port: ``reserved`` (port ordered, keys stored, links
    untouched), ``encrypted`` (MACsec on both links, admin state Disabled), ``active``
    (MACsec on and both links admin-enabled).
    """

    name: Annotated[str, _rule("port_name", port_name_problem)]
    peering_location: Annotated[str, Field(min_length=1)]
    bandwidth_in_gbps: Literal[10, 100]
    encapsulation: Literal["QinQ", "Dot1Q"]
    billing_type: Literal["MeteredData", "UnlimitedData"]
    stage: Stage
    macsec: MacsecSettings
    circuits: list[CircuitSettings] = Field(default_factory=list)

    @field_validator("circuits")
    @classmethod
    def _circuits_fit_the_port(cls, circuits: list[CircuitSettings], info: ValidationInfo) -> list[CircuitSettings]:
        """Circuit sizes, oversubscription, lifecycle stage and unique VLANs and subnets."""
        _raise_rules("circuits", [
            _rule_error(path, rule, message)
            for path, rule, message in circuit_problems(
                circuits, info.data.get("bandwidth_in_gbps"), info.data.get("stage")
            )
        ])
        return circuits

    @field_validator("macsec")
    @classmethod
    def _xpn_needs_100g(cls, macsec: MacsecSettings, info: ValidationInfo) -> MacsecSettings:
        """XPN ciphers are not supported on 10 Gbps ports."""
        if info.data.get("bandwidth_in_gbps") != 10:
            return macsec
        ciphers = [(("cipher",), macsec.cipher)] + [
            ((link, "cipher"), getattr(macsec, link).cipher) for link in LINKS if getattr(macsec, link)
        ]
        _raise_rules("MacsecSettings", [
            _rule_error(path, "xpn_needs_100g",
                        f"{cipher} is not supported on 10 Gbps ports; "
                        "use GcmAes128 or GcmAes256 (XPN ciphers need a 100 Gbps port)")
            for path, cipher in ciphers if cipher in XPN_CIPHERS
        ])
        return macsec


# ---------------------------------------------------------------------------
# Bring-your-own keys


HEX_RE = re.compile(r"^[0-9A-Fa-f]*$")


def ckn_problem(ckn: str) -> str | None:
    """A CKN is an even-length hexadecimal string of 2 to 64 digits."""
    if not HEX_RE.match(ckn) or not 2 <= len(ckn) <= 64 or len(ckn) % 2:
        return "must be an even number (2-64) of hexadecimal digits (value not shown)"
    return None


def cak_problem(cak: str, cipher: str | None = None) -> str | None:
    """A CAK is exactly 32 hex digits for 128-bit ciphers and 64 for 256-bit ones
    (either, while the port's cipher is unknown).

    Azure pads a short key with zeros; a padded key is a weak key, so it is refused."""
    if cipher is None:
        if len(cak) not in (32, 64):
            return "must be exactly 32 (128-bit ciphers) or 64 (256-bit ciphers) hexadecimal digits (value not shown)"
        return None
    want = CAK_HEX_DIGITS[cipher]
    if len(cak) != want:
        return f"must be exactly {want} hexadecimal digits for {cipher} (value not shown)"
    return None


def cak_format_problem(cak: str) -> str | None:
    """What can be checked before the port's cipher is known."""
    if not HEX_RE.match(cak):
        return "must contain only hexadecimal digits 0-9 and a-f (value not shown)"
    return cak_problem(cak)


def _secret_rule(rule: str, check):
    return _rule(rule, lambda secret: check(secret.get_secret_value()))


class LinkKey(_Model):
    """A pre-shared MACsec key for one link, as the customer's router holds it."""

    cak: Annotated[SecretStr, _secret_rule("cak_format", cak_format_problem)]
    ckn: Annotated[SecretStr, _secret_rule("ckn_format", ckn_problem)]


class PortKeys(_Model):
    """Bring-your-own keys for both links of one port."""

    link1: LinkKey
    link2: LinkKey

    def plain(self) -> dict[str, dict[str, str]]:
        """The key values, for a component that wraps them as secrets at once. Never log."""
        return {
            link: {"cak": getattr(self, link).cak.get_secret_value(),
                   "ckn": getattr(self, link).ckn.get_secret_value()}
            for link in LINKS
        }

    def problems(self, macsec: MacsecSettings | None) -> list[tuple[tuple[str, ...], str, str]]:
        """CAK length problems for each link's cipher (None: not known), as
        (path under this port, rule, message); never the value."""
        found = []
        for link in LINKS:
            key: LinkKey = getattr(self, link)
            cipher = macsec.for_link(link)[0] if macsec else None
            if problem := cak_problem(key.cak.get_secret_value(), cipher):
                found.append(((link, "cak"), "cak_length", problem))
        return found

    def fingerprint(self, link: str) -> str:
        """A digest that changes when the link's key changes. It is only ever kept as a
        secret output (the keys themselves are in the state too, encrypted alike)."""
        import hashlib

        key: LinkKey = getattr(self, link)
        material = f"{key.cak.get_secret_value().lower()}:{key.ckn.get_secret_value().lower()}"
        return hashlib.sha256(material.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------
# IPsec VPN over the private peering


WEAK_ALGORITHMS = {
    "ike_encryption": {"DES", "DES3"},
    "ike_integrity": {"MD5", "SHA1"},
    "dh_group": {"None", "DHGroup1", "DHGroup2"},
    "ipsec_encryption": {"None", "DES", "DES3"},
    "ipsec_integrity": {"MD5", "SHA1"},
    "pfs_group": {"None", "PFS1", "PFS2"},
}


def _strong(field: str):
    weak = WEAK_ALGORITHMS[field]
    return _rule("weak_algorithm", lambda value: (
        f"{value} is weak; choose another ({', '.join(sorted(weak))} are refused)" if value in weak else None
    ))


class IpsecPolicySettings(_Model):
    """A custom IPsec/IKE policy. Azure's default policies offer DH group 2 (1024-bit), so
    a custom policy is always set; the default here is CNSA-style (GCM-AES-256, SHA-384,
    ECP384)."""

    ike_encryption: Annotated[Literal["DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES256"], _strong("ike_encryption")] = "GCMAES256"
    ike_integrity: Annotated[Literal["MD5", "SHA1", "SHA256", "SHA384", "GCMAES128", "GCMAES256"], _strong("ike_integrity")] = "SHA384"
    dh_group: Annotated[Literal["None", "DHGroup1", "DHGroup2", "DHGroup14", "DHGroup2048", "ECP256", "ECP384", "DHGroup24"], _strong("dh_group")] = "ECP384"
    ipsec_encryption: Annotated[Literal["None", "DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES192", "GCMAES256"], _strong("ipsec_encryption")] = "GCMAES256"
    ipsec_integrity: Annotated[Literal["MD5", "SHA1", "SHA256", "GCMAES128", "GCMAES192", "GCMAES256"], _strong("ipsec_integrity")] = "GCMAES256"
    pfs_group: Annotated[Literal["None", "PFS1", "PFS2", "PFS2048", "PFS14", "ECP256", "ECP384", "PFS24", "PFSMM"], _strong("pfs_group")] = "ECP384"
    sa_life_time_seconds: Annotated[Int, Field(ge=300)] = 27000
    sa_data_size_kilobytes: Annotated[Int, Field(ge=1024)] = 102400000

    @field_validator("ipsec_integrity")
    @classmethod
    def _gcm_pairs(cls, integrity: str, info: ValidationInfo) -> str:
        """With GCM, IPsec encryption and integrity are the same GCMAES algorithm and key length."""
        encryption = info.data.get("ipsec_encryption")
        if encryption and (encryption.startswith("GCM") or integrity.startswith("GCM")) and encryption != integrity:
            raise PydanticCustomError(
                "gcm_pair", f"must equal ipsecEncryption ({encryption}) when either uses GCM (Azure rule)"
            )
        return integrity


def _cidr_problem(value: str) -> str | None:
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 CIDR range such as 10.20.0.0/16 (host bits zero)"
    return None


def _ipv4_address_problem(value: str) -> str | None:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return "must be an IPv4 address such as 10.1.0.10"
    return None


Cidr = Annotated[str, _rule("cidr", _cidr_problem)]
Ipv4Address = Annotated[str, _rule("ipv4_address", _ipv4_address_problem)]


class VirtualNetworkSettings(_Model):
    """The virtual network the tunnel lands in, with the GatewaySubnet for both gateways."""

    name: Annotated[str, _rule("vnet_name", azure_name_problem)]
    address_space: Annotated[list[Cidr], Field(min_length=1)]
    gateway_subnet_prefix: Cidr

    @field_validator("gateway_subnet_prefix")
    @classmethod
    def _gateway_subnet(cls, prefix: str, info: ValidationInfo) -> str:
        """The ExpressRoute and VPN gateways share the GatewaySubnet: /27 or larger,
        inside the address space."""
        subnet = ipaddress.IPv4Network(prefix)
        if subnet.prefixlen > 27:
            raise PydanticCustomError("gateway_subnet_size", "must be a /27 or larger: both gateways share the GatewaySubnet")
        space = info.data.get("address_space")
        if space and not any(subnet.subnet_of(ipaddress.IPv4Network(s)) for s in space):
            raise PydanticCustomError("gateway_subnet_inside", "must lie inside the virtual network's addressSpace")
        return prefix


class BgpPeerSettings(_Model):
    """BGP on the tunnel: the on-premises device's ASN and BGP peering address."""

    asn: Annotated[Int, Field(ge=1, le=4294967295), _rule("reserved_asn", asn_problem)]
    peering_address: Ipv4Address


class OnPremisesSettings(_Model):
    """The on-premises VPN device, reached at its private address over private peering."""

    name: Annotated[str, _rule("local_gateway_name", azure_name_problem)]
    vpn_device_ip: Ipv4Address
    address_prefixes: Annotated[list[Cidr], Field(min_length=1)]
    bgp: Optional[BgpPeerSettings] = None


class VirtualHubSettings(_Model):
    """The Virtual WAN hub the tunnel terminates in, and its gateways' scale units."""

    name: Annotated[str, _rule("hub_name", azure_name_problem)]
    address_prefix: Cidr
    express_route_gateway_scale_units: Annotated[Int, Field(ge=1, le=10)] = 1
    vpn_gateway_scale_units: Annotated[Int, Field(ge=1, le=20)] = 1

    @field_validator("address_prefix")
    @classmethod
    def _hub_range_size(cls, prefix: str) -> str:
        """A virtual hub needs a /24 or larger range for its routers and gateways."""
        if ipaddress.IPv4Network(prefix).prefixlen > 24:
            raise PydanticCustomError("hub_prefix_size", "must be a /24 or larger (Azure's minimum for a virtual hub)")
        return prefix


VIRTUAL_WAN_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualWans/[^/]+$", re.IGNORECASE
)


class VirtualWanSettings(_Model):
    """A Virtual WAN to create (``name``) or an existing one (``id``), and its hub."""

    name: Optional[Annotated[str, _rule("virtual_wan_name", azure_name_problem)]] = None
    id: Optional[Annotated[str, _rule("virtual_wan_id", lambda v: None if VIRTUAL_WAN_ID_RE.match(v) else (
        "must be the ARM id of a Virtual WAN: /subscriptions/<id>/resourceGroups/<group>/providers/"
        "Microsoft.Network/virtualWans/<name>"))]] = Field(default=None, validate_default=True)
    hub: VirtualHubSettings

    @field_validator("id")
    @classmethod
    def _name_or_id(cls, wan_id: Optional[str], info: ValidationInfo) -> Optional[str]:
        if (wan_id is None) == (info.data.get("name") is None) and "name" in info.data:
            raise PydanticCustomError(
                "name_or_id", "give either name (a Virtual WAN to create) or id (an existing one), not both or neither"
            )
        return wan_id


# Microsoft's ExpressRoute/VPN coexistence rule: the VPN gateway keeps Azure's ASN.
AZURE_VPN_GATEWAY_ASN = 65515


def vpn_gateway_asn_problem(asn: int) -> str | None:
    if asn != AZURE_VPN_GATEWAY_ASN:
        return (
            f"must be {AZURE_VPN_GATEWAY_ASN} (or left out): a VPN gateway that shares its virtual network with an "
            "ExpressRoute gateway only works with Azure's default ASN (ExpressRoute/VPN coexistence)"
        )
    return None


VpnMode = Literal["virtualNetwork", "virtualWan"]
# Which mode each mode-specific key belongs to, and whether that mode requires it.
MODE_KEYS: dict[str, tuple[str, bool]] = {
    "virtual_network": ("virtualNetwork", True),
    "express_route_gateway_sku": ("virtualNetwork", True),
    "vpn_gateway_sku": ("virtualNetwork", True),
    "active_active": ("virtualNetwork", False),
    "vpn_gateway_asn": ("virtualNetwork", False),
    "virtual_wan": ("virtualWan", True),
}


def _mode_field():
    """A key that belongs to one mode: None by default, checked even when absent."""
    return Field(default=None, validate_default=True)


class VpnSettings(_Model):
    """An IPsec tunnel to an on-premises device, carried over a circuit's private peering,
    for end-to-end encryption: from a VPN gateway in a virtual network
    (``mode: virtualNetwork``, the default), or from a Virtual WAN hub's VPN gateway
    (``mode: virtualWan``)."""

    mode: VpnMode = "virtualNetwork"
    circuit: str
    virtual_network: Optional[VirtualNetworkSettings] = _mode_field()
    virtual_wan: Optional[VirtualWanSettings] = _mode_field()
    express_route_gateway_sku: Optional[Literal["ErGw1AZ", "ErGw2AZ", "ErGw3AZ", "ErGwScale"]] = _mode_field()
    vpn_gateway_sku: Optional[Literal["VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"]] = _mode_field()
    active_active: Optional[bool] = _mode_field()
    vpn_gateway_asn: Optional[Annotated[Int, _rule("coexistence_asn", vpn_gateway_asn_problem)]] = _mode_field()
    on_premises: OnPremisesSettings
    ipsec_policy: IpsecPolicySettings = Field(default_factory=IpsecPolicySettings)
    shared_key: Optional[Annotated[SecretStr, _secret_rule("shared_key", lambda key: (
        "must be 16-128 printable ASCII characters (value not shown)"
        if not (16 <= len(key) <= 128 and key.isascii() and key.isprintable()) else None
    ))]] = None
    advertised_over_express_route: list[Cidr] = Field(default_factory=list)

    @field_validator(*MODE_KEYS)
    @classmethod
    def _keys_of_the_mode(cls, value: Any, info: ValidationInfo) -> Any:
        """Each mode has its own keys: required ones must be there, the other mode's must not."""
        mode = info.data.get("mode")
        owner, required = MODE_KEYS[info.field_name]
        if mode is None:
            return value
        if value is None and required and mode == owner:
            raise PydanticCustomError("mode_key_required", f"required with mode: {owner}")
        if value is not None and mode != owner:
            raise PydanticCustomError(
                "mode_key_not_allowed", f"not allowed with mode: {mode} (it belongs to mode: {owner})"
            )
        return value

    def address_space(self) -> list[ipaddress.IPv4Network]:
        """Azure's side of the tunnel: the VNet's address space, or the hub's range."""
        if self.virtual_network:
            return [ipaddress.IPv4Network(s) for s in self.virtual_network.address_space]
        if self.virtual_wan:
            return [ipaddress.IPv4Network(self.virtual_wan.hub.address_prefix)]
        return []

    @field_validator("on_premises")
    @classmethod
    def _on_premises_outside_azure(cls, on_prem: OnPremisesSettings, info: ValidationInfo) -> OnPremisesSettings:
        """The device and the on-premises prefixes cannot overlap Azure's side."""
        if info.data.get("virtual_network"):
            space = [ipaddress.IPv4Network(s) for s in info.data["virtual_network"].address_space]
            where = "the virtual network's addressSpace"
        elif info.data.get("virtual_wan"):
            space = [ipaddress.IPv4Network(info.data["virtual_wan"].hub.address_prefix)]
            where = "the virtual hub's addressPrefix"
        else:
            return on_prem
        errors = []
        if any(ipaddress.IPv4Address(on_prem.vpn_device_ip) in s for s in space):
            errors.append(_rule_error(("vpnDeviceIp",), "device_in_azure",
                                      f"must be an on-premises address outside {where}"))
        for i, prefix in enumerate(on_prem.address_prefixes):
            if any(ipaddress.IPv4Network(prefix).overlaps(s) for s in space):
                errors.append(_rule_error(("addressPrefixes", i), "prefix_in_azure",
                                          f"{prefix} overlaps {where}"))
        _raise_rules("onPremises", errors)
        return on_prem

    @field_validator("advertised_over_express_route")
    @classmethod
    def _tunnel_prefixes_more_specific(cls, advertised: list[str], info: ValidationInfo) -> list[str]:
        """Azure prefers the longest prefix, and ExpressRoute over VPN for equal ones: a
        tunnel prefix equal to or broader than one announced over the circuit would send
        that traffic down the unencrypted ExpressRoute path."""
        on_prem = info.data.get("on_premises")
        if on_prem is None:
            return advertised
        errors = []
        for j, er_prefix in enumerate(advertised):
            er = ipaddress.IPv4Network(er_prefix)
            for i, tunnel_prefix in enumerate(on_prem.address_prefixes):
                tunnel = ipaddress.IPv4Network(tunnel_prefix)
                if er.subnet_of(tunnel):
                    errors.append(_rule_error((j,), "tunnel_prefix_not_specific", (
                        f"{er_prefix} is also announced over ExpressRoute, and onPremises.addressPrefixes[{i}] "
                        f"({tunnel_prefix}) is equal or broader, so Azure would send that traffic over the "
                        "unencrypted ExpressRoute path; send more specific prefixes through the tunnel"
                    )))
        _raise_rules("advertisedOverExpressRoute", errors)
        device = ipaddress.IPv4Address(on_prem.vpn_device_ip)
        if (info.data.get("mode") == "virtualWan" and advertised
                and not any(device in ipaddress.IPv4Network(p) for p in advertised)):
            raise PydanticCustomError("device_not_advertised", (
                "must include the on-premises device's address (onPremises.vpnDeviceIp): the Virtual WAN "
                "hub reaches the device only through prefixes advertised over private peering"
            ))
        return advertised


# ---------------------------------------------------------------------------
# A virtual network on an existing circuit (an application team's stack)


ExpressRouteGatewaySku = Literal["ErGw1AZ", "ErGw2AZ", "ErGw3AZ", "ErGwScale"]

CIRCUIT_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/expressRouteCircuits/[^/]+$",
    re.IGNORECASE,
)
GUID_RE = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


def circuit_id_problem(value: str) -> str | None:
    if not CIRCUIT_ID_RE.match(value):
        return (
            "must be the ARM id of an ExpressRoute circuit: /subscriptions/<id>/resourceGroups/<group>/"
            "providers/Microsoft.Network/expressRouteCircuits/<name>"
        )
    return None


def authorization_key_problem(key: str) -> str | None:
    """A circuit authorization key is a GUID."""
    if not GUID_RE.match(key):
        return "must be a circuit authorization key: a GUID such as 0a1b2c3d-... (value not shown)"
    return None


class GatewayVirtualNetworkSettings(VirtualNetworkSettings):
    """A virtual network whose GatewaySubnet holds one ExpressRoute gateway."""

    @field_validator("gateway_subnet_prefix")
    @classmethod
    def _gateway_subnet(cls, prefix: str, info: ValidationInfo) -> str:
        """Microsoft's minimum for an ExpressRoute gateway's subnet is a /27, inside the
        address space."""
        subnet = ipaddress.IPv4Network(prefix)
        if subnet.prefixlen > 27:
            raise PydanticCustomError(
                "gateway_subnet_size", "must be a /27 or larger (Microsoft's minimum GatewaySubnet for an ExpressRoute gateway)"
            )
        space = info.data.get("address_space")
        if space and not any(subnet.subnet_of(ipaddress.IPv4Network(s)) for s in space):
            raise PydanticCustomError("gateway_subnet_inside", "must lie inside the virtual network's addressSpace")
        return prefix


class CircuitConnectionSettings(_Model):
    """A virtual network with an ExpressRoute gateway, connected to an existing circuit.

    The circuit usually belongs to the network team's stack, often in another
    subscription: the connection then redeems one of the circuit's authorization keys
    (``DirectCircuit`` ``authorizations``, stack output ``authorizationKeys``). The
    circuit id and the key are checked here when given as plain strings; when they come
    from a stack reference they are Outputs, and Azure checks them."""

    virtual_network: GatewayVirtualNetworkSettings
    express_route_gateway_sku: ExpressRouteGatewaySku
    routing_weight: Annotated[Int, Field(ge=0, le=32000)] = 0
    express_route_circuit_id: Optional[Annotated[str, _rule("circuit_id", circuit_id_problem)]] = None
    authorization_key: Optional[Annotated[SecretStr, _secret_rule("authorization_key", authorization_key_problem)]] = None


# ---------------------------------------------------------------------------
# Operations: tags, alerts, the vault's audit log


def tag_name_problem(name: str) -> str | None:
    """Azure tag names: up to 512 characters, none of < > % & \\ ? /."""
    if not name or len(name) > 512 or any(c in name for c in "<>%&\\?/"):
        return "must be 1-512 characters without < > % & \\ ? / (Azure tag names)"
    return None


# Azure allows 50 tags per resource; the stack sets none of its own, so all 50 are the user's.
MAX_TAGS = 50



def _check_tag_names(tags: dict[str, str]) -> dict[str, str]:
    _raise_rules("tags", [
        _rule_error((name,), "tag_name", problem) for name in tags if (problem := tag_name_problem(name))
    ])
    return tags


# Tag values are strings of up to 256 characters (quote numbers in YAML: "1234").
Tags = Annotated[dict[str, Annotated[str, Field(max_length=256)]], Field(max_length=MAX_TAGS),
                 AfterValidator(_check_tag_names)]

# A pragmatic address check (RFC 5322 allows more, Azure Monitor e-mail receivers do not need it):
# local part, '@', a domain of DNS labels with at least one dot.
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def email_problem(address: str) -> str | None:
    if not EMAIL_RE.match(address) or ".." in address or address.split("@")[0].startswith("."):
        return "must be an e-mail address such as noc@example.com"
    return None


WORKSPACE_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.OperationalInsights/workspaces/[^/]+$",
    re.IGNORECASE,
)


def workspace_id_problem(value: str) -> str | None:
    if not WORKSPACE_ID_RE.match(value):
        return (
            "must be the ARM id of a Log Analytics workspace: /subscriptions/<id>/resourceGroups/<group>/"
            "providers/Microsoft.OperationalInsights/workspaces/<name>"
        )
    return None


def _not_a_bool_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "Input should be a number, not true/false")
    return value


class AlertOverride(_Model):
    """A baseline alert with another threshold, severity, window or frequency."""

    threshold: Optional[Annotated[float, BeforeValidator(_not_a_bool_number)]] = None
    severity: Optional[Annotated[Int, Field(ge=0, le=4)]] = None
    window_size: Optional[Literal[WINDOW_SIZES]] = None
    evaluation_frequency: Optional[Literal[EVALUATION_FREQUENCIES]] = None


# One optional override per alert of the catalogue (alerts.py), named as there.
AlertOverrides = create_model(
    "AlertOverrides",
    __base__=_Model,
    __doc__="Overrides of the baseline alerts, by alert key (see README, Monitoring).",
    **{to_snake(key): (Optional[AlertOverride], None) for key in ALERT_KEYS},
)


class MonitoringSettings(_Model):
    """Alerts on every link and circuit peering, and the vault's audit log.

    With ``alertEmails`` the stack creates one action group and the baseline alerts
    (alerts.py); the vault's audit log goes to ``logAnalyticsWorkspaceId``, or to a
    workspace the stack creates."""

    alert_emails: Optional[Annotated[list[Annotated[str, _rule("email", email_problem)]], Field(min_length=1)]] = None
    log_analytics_workspace_id: Optional[Annotated[str, _rule("workspace_id", workspace_id_problem)]] = None
    alerts: AlertOverrides = Field(default_factory=AlertOverrides)

    @field_validator("alert_emails")
    @classmethod
    def _unique_emails(cls, emails: Optional[list[str]]) -> Optional[list[str]]:
        """Each address is one receiver of the action group; a second copy would mail twice."""
        seen, errors = set(), []
        for i, address in enumerate(emails or []):
            if address.lower() in seen:
                errors.append(_rule_error((i,), "duplicate_email", "is listed twice"))
            seen.add(address.lower())
        _raise_rules("alertEmails", errors)
        return emails

    @field_validator("alerts")
    @classmethod
    def _window_covers_frequency(cls, alerts: BaseModel) -> BaseModel:
        """Azure Monitor evaluates a rule at most once per window: the window is at least
        as long as the evaluation frequency."""
        errors = []
        for rule in ALERTS:
            effective = _apply_override(rule, getattr(alerts, to_snake(rule.key)))
            if alert_minutes(effective.frequency) > alert_minutes(effective.window):
                errors.append(_rule_error(
                    (rule.key, "evaluationFrequency"), "window_frequency",
                    f"{effective.frequency} is longer than the window ({effective.window}); "
                    "the window must be at least the evaluation frequency",
                ))
        _raise_rules("alerts", errors)
        return alerts

    def rules(self, target: str) -> tuple[AlertRule, ...]:
        """The catalogue's alerts for a 'port' or a 'circuit', with this stack's overrides."""
        return tuple(
            _apply_override(rule, getattr(self.alerts, to_snake(rule.key)))
            for rule in ALERTS if rule.target == target
        )


def _apply_override(rule: AlertRule, override: Optional[AlertOverride]) -> AlertRule:
    if override is None:
        return rule
    changes = {
        "threshold": override.threshold, "severity": override.severity,
        "window": override.window_size, "frequency": override.evaluation_frequency,
    }
    return replace(rule, **{k: v for k, v in changes.items() if v is not None})


# ---------------------------------------------------------------------------
# The whole stack


class StackConfig(_Model):
    """Everything under the ``expressroute-encryption`` config namespace."""

    resource_group_name: Annotated[str, Field(min_length=1, max_length=90)]
    protect: bool = True
    key_vault: KeyVaultSettings
    ports: Annotated[list[PortSettings], Field(min_length=1)]
    macsec_keys: dict[str, PortKeys] = Field(default_factory=dict)
    vpn: Optional[VpnSettings] = None
    tags: Tags = Field(default_factory=dict)
    monitoring: Optional[MonitoringSettings] = None
    locks: Optional[bool] = None

    @property
    def locks_enabled(self) -> bool:
        """``locks`` when set, else on exactly when ``protect`` is on."""
        return self.protect if self.locks is None else self.locks

    @field_validator("vpn")
    @classmethod
    def _vpn_circuit_has_private_peering(cls, vpn: Optional[VpnSettings], info: ValidationInfo) -> Optional[VpnSettings]:
        """The tunnel rides a circuit's private peering, so that circuit must exist and have one."""
        ports = info.data.get("ports")
        if vpn is None or ports is None:
            return vpn
        circuits = {c.name: c for port in ports for c in port.circuits}
        if vpn.circuit not in circuits:
            names = ", ".join(sorted(circuits)) or "none are defined"
            problem = f"no circuit named '{vpn.circuit}' in ports[].circuits[] (circuits: {names})"
        elif circuits[vpn.circuit].private_peering is None:
            problem = f"circuit '{vpn.circuit}' has no privatePeering; the tunnel runs over private peering"
        else:
            return vpn
        _raise_rules("vpn", [_rule_error(("circuit",), "vpn_circuit", problem)])

    @field_validator("ports")
    @classmethod
    def _unique_names(cls, ports: list[PortSettings]) -> list[PortSettings]:
        """Port and circuit names are Azure names in one resource group (Azure names are
        case-insensitive); port names also prefix secret names."""
        errors, ports_seen, circuits_seen = [], set(), set()
        for i, port in enumerate(ports):
            if port.name.lower() in ports_seen:
                errors.append(_rule_error(
                    (i, "name"), "duplicate_port",
                    f"port name '{port.name}' is used twice; port names must be unique",
                ))
            ports_seen.add(port.name.lower())
            for j, circuit in enumerate(port.circuits):
                if circuit.name.lower() in circuits_seen:
                    errors.append(_rule_error(
                        (i, "circuits", j, "name"), "duplicate_circuit",
                        f"circuit name '{circuit.name}' is used twice; circuit names must be unique in the stack",
                    ))
                circuits_seen.add(circuit.name.lower())
        _raise_rules("ports", errors)
        return ports

    @field_validator("macsec_keys")
    @classmethod
    def _keys_match_ports(cls, keys: dict[str, PortKeys], info: ValidationInfo) -> dict[str, PortKeys]:
        """Keys belong to a listed port, with the CAK length of that port's cipher."""
        ports = info.data.get("ports")  # absent when the ports have errors of their own
        macsecs = {port.name: port.macsec for port in ports or []}
        errors = []
        for port_name, port_keys in keys.items():
            if ports is not None and port_name not in macsecs:
                errors.append(_rule_error(
                    (port_name,), "unknown_port",
                    f"no port of that name in ports[] ({', '.join(sorted(macsecs)) or 'none'}); "
                    "keys must be listed under a port's name",
                ))
                continue
            for path, rule, message in port_keys.problems(macsecs.get(port_name)):
                errors.append(_rule_error((port_name, *path), rule, message))
        _raise_rules("macsecKeys", errors)
        return keys


# ---------------------------------------------------------------------------
# Error formatting


def format_loc(loc: Iterable[str | int]) -> str:
    """('ports', 0, 'macsec', 'cipher') -> 'ports[0].macsec.cipher'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _field_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(model: Any, loc: tuple[str | int, ...]) -> Any:
    """Walk the schema along an error location, to name the keys allowed there."""
    from typing import Union, get_args, get_origin

    def unwrap(annotation: Any) -> Any:
        while True:
            if get_origin(annotation) is Annotated:
                annotation = get_args(annotation)[0]
            elif get_origin(annotation) is Union:  # Optional[X]
                annotation = next(a for a in get_args(annotation) if a is not type(None))
            else:
                return annotation

    model = unwrap(model)
    for part in loc:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = next(
                (f for n, f in model.model_fields.items() if part in (n, f.alias)), None
            )
            if field is None:
                return None
            model = field.annotation
        elif get_origin(model) in (list, dict):
            model = get_args(model)[-1]
        else:
            return None
        model = unwrap(model)
    return model


def _looks_like_key(name: Any) -> bool:
    return isinstance(name, str) and len(name) >= 16 and bool(HEX_RE.match(name))


def describe_errors(exc: ValidationError, root: type[BaseModel], prefix: tuple[str, ...] = (),
                    camel: bool = False) -> list[str]:
    """One line per problem: its config path, what is wrong and what is allowed.

    pydantic is told to hide inputs, and custom rules never quote key material, so the
    lines are safe to print."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        if camel:
            # A key checked while absent is reported by its Python name; name it as in YAML.
            loc = tuple(to_camel(part) if isinstance(part, str) and "_" in part else part for part in loc)
        if len(loc) > 1 and loc[0] in ("macsecKeys", "macsec_keys") and _looks_like_key(loc[1]):
            # A key pasted where a port name belongs must not be printed back.
            loc = (loc[0], "<a name that looks like key material>", *loc[2:])
        path = format_loc(prefix + loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_at(root, loc[:-1])
            allowed = ", ".join(_field_keys(parent)) if parent else ""
            lines.append(f"{path}: unknown key" + (f" (allowed: {allowed})" if allowed else ""))
        elif err["type"] == "missing":
            lines.append(f"{path}: required")
        elif err["type"] == "model_type":
            model = _model_at(root, loc)
            keys = ", ".join(_field_keys(model)) if isinstance(model, type) and issubclass(model, BaseModel) else ""
            lines.append(f"{path}: must be a mapping" + (f" with the keys {keys}" if keys else ""))
        elif err["type"] in ("list_type", "dict_type"):
            lines.append(f"{path}: must be a {'list' if err['type'] == 'list_type' else 'mapping'}")
        else:
            lines.append(f"{path}: {err['msg']}")
    return lines


def parse_stack_config(values: Mapping[str, Any]) -> StackConfig:
    """Validate the namespace's config (keys without the namespace prefix).

    Raises ConfigError listing every problem at once."""
    try:
        return StackConfig.model_validate(dict(values))
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, StackConfig, camel=True)) from None


def validate_args(
    model: type[_Model], args: Mapping[str, Any], source: str, prefix: tuple[str, ...] = ()
) -> Any:
    """Validate a component's arguments (under ``prefix``) with the stack config's model."""
    try:
        return model.model_validate(dict(args))
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, model, prefix), source=source) from None


# ---------------------------------------------------------------------------
# Reading the stack's config from Pulumi


def _decode(raw: str) -> Any:
    """Pulumi hands every config value over as a string: objects and lists as JSON, and
    top-level values as typed (``pulumi config set protect false`` gives "false")."""
    import json

    if raw in ("true", "false") or raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw


def _namespace_keys() -> set[str]:
    """Every key set under our namespace, so that a misspelt top-level key is reported."""
    from pulumi.runtime import config as runtime_config

    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = NAMESPACE + ":"
    return {k[len(prefix):] for k in keys if k.startswith(prefix)}


def load_stack_config() -> StackConfig:
    """Read and validate the running stack's config (inside a Pulumi program).

    Raises ConfigError with every problem, including a bring-your-own key that was set
    as plain text, which would sit unencrypted in the stack file."""
    import pulumi
    from pulumi.runtime.config import is_config_secret

    cfg = pulumi.Config(NAMESPACE)
    values = {key: _decode(raw) for key in sorted(_namespace_keys()) if (raw := cfg.get(key)) is not None}
    problems = []
    if pulumi.Config("azure-native").get("location") is None:
        problems.append(
            "azure-native:location: required: the Azure region for the resource group, vault "
            "and ports (pulumi config set azure-native:location westeurope)"
        )
    if "macsecKeys" in values and not is_config_secret(f"{NAMESPACE}:macsecKeys"):
        problems.append(
            "macsecKeys: must be a secret config value; remove it from the stack file and set each key "
            "with: pulumi config set --secret --type string --path 'macsecKeys.<port>.link1.cak' <hex>"
        )
    vpn = values.get("vpn")
    if isinstance(vpn, dict) and "sharedKey" in vpn and not is_config_secret(f"{NAMESPACE}:vpn"):
        problems.append(
            "vpn.sharedKey: must be a secret config value; remove it from the stack file and set it "
            "with: pulumi config set --secret --type string --path vpn.sharedKey <key> (or leave it out to generate one)"
        )
    try:
        config = parse_stack_config(values)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return config
