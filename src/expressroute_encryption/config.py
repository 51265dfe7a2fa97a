"""The stack configuration: its schema, its rules, and its error messages.

Everything a user can put under the ``expressroute-encryption`` config namespace is
described here as frozen pydantic models that reject unknown keys. Each field's
docstring is the one description of that key: the README's config table
(``expressroute-encryption config-reference``) is generated from it. Components
validate their whole ``args`` with models built from the same fields (``*Inputs``
at the end of this module), so a platform team calling a component from code gets the
same checks, and the same "unknown key" error, as a stack file.

Azure's numbers and names (ciphers, reserved ASNs, circuit sizes, weak algorithms,
what is a public address) come from ``facts``, which the policy pack imports too.

How the rules run, so that one round reports every problem:

- A rule about one value is a field-level check (``_rule``), reported at the value.
- A rule that relates several fields is a method marked ``@_cross_rule(*fields)``.
  It sees the whole model, yields ``(path, rule, message)`` with the path relative
  to the model, and runs only when the fields it names passed their own checks, so a
  field that failed is never re-reported by its neighbours (an invalid ``ipv6`` block
  does not also produce "needs the ipv6 block"). Rules do not depend on field order.
- pydantic skips a model's after-validators as soon as one of its fields failed,
  which would hide the cross-field problems until the next round. So ``_Model`` runs
  its rules in a wrap validator instead: when the model failed, it re-validates
  each field that had no error of its own, and runs every rule whose fields are all
  among them. A field named ``"ports*"`` accepts a partial list (or mapping): the
  items that validated, ``None`` for the others; such a rule skips the ``None``
  items and, where a missing item could change its verdict, says nothing.

This module must stay importable without ``pulumi_azure_native`` (slow to import):
a config error is reported before the Azure SDK is even loaded.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Optional, get_args, get_origin
from dataclasses import replace

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic.alias_generators import to_camel, to_snake
from pydantic_core import InitErrorDetails, PydanticCustomError

from . import facts
from . import secret_config
from .secret_config import KEY_NAME_PLACEHOLDER, looks_like_key, mask_key_material
from .facts import CAK_HEX_DIGITS, CKN_HEX_DIGITS, LINKS  # noqa: F401  (offline/stack_file.py imports them from here)
from .alerts import ALERT_KEYS, ALERTS, EVALUATION_FREQUENCIES, WINDOW_SIZES, AlertRule
from .alerts import minutes as alert_minutes

NAMESPACE = "expressroute-encryption"

# Enum-like inputs, as the Literal types pydantic checks (the component schema's enums
# are generated from the same facts, see ``choices``).
Cipher = Literal[facts.CIPHERS]
SciState = Literal[facts.SCI_STATES]
Stage = Literal[facts.STAGES]
PortSpeed = Literal[facts.PORT_SPEEDS_GBPS]
Encapsulation = Literal[facts.ENCAPSULATIONS]
PortBillingType = Literal[facts.PORT_BILLING_TYPES]
CircuitBandwidth = Literal[facts.CIRCUIT_BANDWIDTHS_GBPS]
SkuTier = Literal[facts.SKU_TIERS]
SkuFamily = Literal[facts.SKU_FAMILIES]
RoutingRegistry = Literal[facts.ROUTING_REGISTRIES]
KeyVaultAuthorization = Literal["accessPolicy", "rbac"]
VpnMode = Literal["virtualNetwork", "virtualWan"]
ExpressRouteGatewaySku = Literal["ErGw1AZ", "ErGw2AZ", "ErGw3AZ", "ErGwScale"]
VpnGatewaySku = Literal["VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"]


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


def _rule_error(loc: tuple[str | int, ...], rule: str, message: str) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError(rule, message), loc=loc, input=None)


def _rule(rule: str, check):
    """A field-level rule: ``check(value)`` returns a problem message or None."""

    def validate(value):
        if (problem := check(value)) is not None:
            raise PydanticCustomError(rule, problem)
        return value

    return AfterValidator(validate)


def _secret_rule(rule: str, check):
    return _rule(rule, lambda secret: check(secret.get_secret_value()))


def _plain_rule(rule: str, check):
    """A rule for a component argument that may also be a Pulumi Output: plain strings
    are checked here, anything else is left to Azure."""
    return _rule(rule, lambda value: check(value) if isinstance(value, str) else None)


# ---------------------------------------------------------------------------
# Cross-field rules


def _cross_rule(*needs: str):
    """Mark a model method as a rule over the fields ``needs`` (see the module docstring)."""

    def mark(method):
        method.rule_needs = needs
        return method

    return mark


def _details(exc: ValidationError) -> list[InitErrorDetails]:
    """A ValidationError's errors, as details that can be raised again."""
    return [_rule_error(tuple(err["loc"]), err["type"], err["msg"])
            for err in exc.errors(include_url=False, include_input=False)]


@functools.lru_cache(maxsize=None)
def _adapter(annotation: Any) -> TypeAdapter:
    return TypeAdapter(annotation)


def _field_type(field) -> Any:
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _item_type(annotation: Any) -> tuple[Any, Any] | None:
    """(container, item type) of ``list[X]`` or ``dict[str, X]``, else None."""
    origin = get_origin(annotation)
    if origin in (list, dict):
        return origin, get_args(annotation)[-1]
    if origin is Annotated:
        return _item_type(get_args(annotation)[0])
    return None


class _Model(BaseModel):
    """Frozen, typo-proof base: unknown keys are errors, names are camelCase in YAML.

    Runs the model's ``@_cross_rule`` methods (see the module docstring)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
    )

    @classmethod
    def _rules(cls) -> list:
        """The cross-field rules, base class first, in the order they are written."""
        found: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if hasattr(value, "rule_needs"):
                    found[name] = value
        return list(found.values())

    @model_validator(mode="wrap")
    @classmethod
    def _check_rules(cls, data: Any, handler) -> Any:
        rules = cls._rules()
        if not rules:
            return handler(data)
        try:
            model, errors, complete, partial = handler(data), [], None, set()
        except ValidationError as exc:
            errors = _details(exc)
            if not isinstance(data, Mapping):
                raise
            model, complete, partial = cls._validated_parts(data, errors)
        for rule in rules:
            if complete is not None and not all(
                need.rstrip("*") in complete or (need.endswith("*") and need[:-1] in partial)
                for need in rule.rule_needs
            ):
                continue
            for problem in rule(model):
                errors.append(problem if isinstance(problem, dict) else _rule_error(*problem))
        if errors:
            order = {key: i for i, (name, field) in enumerate(cls.model_fields.items())
                     for key in (name, field.alias)}
            errors.sort(key=lambda e: order.get(e["loc"][0], len(order)) if e["loc"] else -1)
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return model

    @classmethod
    def _validated_parts(cls, data: Mapping, errors: list[InitErrorDetails]) -> tuple[Any, set[str], set[str]]:
        """A stand-in model holding the fields that passed their own checks (and, for
        list and mapping fields, the items that did), the names of the fields that
        passed, and the names of the lists and mappings of which only some items did."""
        failed: dict[str, set] = {}
        for err in errors:
            loc = err["loc"]
            if loc:
                failed.setdefault(loc[0], set()).add(loc[1] if len(loc) > 1 else None)
        values: dict[str, Any] = {}
        partial_fields: set[str] = set()
        for name, field in cls.model_fields.items():
            key = field.alias if field.alias in data else name
            bad = failed.get(key, set()) | failed.get(name, set())
            if key not in data:
                if field.is_required():
                    continue
                values[name] = field.get_default(call_default_factory=True)
            elif not bad:
                try:
                    values[name] = _adapter(_field_type(field)).validate_python(data[key])
                except ValidationError:
                    continue
            elif None not in bad and (container := _item_type(field.annotation)):
                # Some items failed: keep the others, None in place of the failed ones.
                kind, item = container
                raw = data[key]
                if not isinstance(raw, list if kind is list else Mapping):
                    continue
                entries = enumerate(raw) if kind is list else raw.items()
                partial = {}
                for index, value in entries:
                    try:
                        partial[index] = None if index in bad else _adapter(item).validate_python(value)
                    except ValidationError:
                        partial[index] = None
                values[name] = list(partial.values()) if kind is list else partial
                partial_fields.add(name)
        stand_in = cls.__new__(cls)
        object.__setattr__(stand_in, "__dict__", values)
        object.__setattr__(stand_in, "__pydantic_fields_set__", set(values))
        object.__setattr__(stand_in, "__pydantic_extra__", None)
        object.__setattr__(stand_in, "__pydantic_private__", None)
        return stand_in, set(values) - partial_fields, partial_fields

    def _has(self, name: str) -> bool:
        """Whether the field passed its own checks (always, once the model validated)."""
        return name in self.__dict__


# ---------------------------------------------------------------------------
# Key Vault


def vault_name_problem(name: str) -> str | None:
    """Azure Key Vault naming: 3-24 letters, digits and hyphens, starting with a letter,
    ending with a letter or digit, no consecutive hyphens (the name is a DNS label)."""
    if not facts.VAULT_NAME_RE.match(name) or "--" in name:
        return (
            "must be 3-24 characters of letters, digits and hyphens, start with a letter, "
            "end with a letter or digit and contain no '--' (Azure Key Vault naming)"
        )
    return None


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
    # fact: kv-ip-rules-public-only
    if reason := facts.non_public_reason(network):
        return (
            "must be a public range: Key Vault IP rules do not accept private (RFC 1918), "
            f"loopback or link-local addresses (this one is {reason})"
        )
    return None


class KeyVaultSettings(_Model):
    """The vault that holds the MACsec CAK/CKN secrets."""

    name: Optional[Annotated[str, _rule("vault_name", vault_name_problem)]] = None
    """Vault name: 3-24 letters, digits and hyphens, starting with a letter, no `--`; globally unique (it is a DNS name). Required unless `existingId` is given."""
    allowed_ip_ranges: list[Annotated[str, _rule("ip_range", ip_range_problem)]] = Field(default_factory=list)
    """Public IPv4 addresses or CIDR ranges (/16 or narrower) allowed through the vault's firewall besides trusted services, e.g. the deployers' egress."""
    soft_delete_retention_days: Annotated[
        Int, Field(ge=facts.SOFT_DELETE_RETENTION_DAYS[0], le=facts.SOFT_DELETE_RETENTION_DAYS[1])] = 90
    """Days a deleted key stays recoverable, 7-90; 90 as in Microsoft's MACsec procedure. Fixed once the vault exists."""
    purge_protection: bool = True
    """Nobody can permanently delete the keys during the retention period; cannot be turned off again once on (Azure rule)."""
    authorization: KeyVaultAuthorization = "accessPolicy"
    """How the port's identity gets `get` on secrets: `accessPolicy` (Microsoft's documented procedure) or `rbac` (the Key Vault Secrets User role)."""
    existing_id: Optional[Annotated[str, _rule("vault_id", lambda v: arm_id_problem(v, VAULT_TYPE))]] = None
    """ARM id of an existing vault to use instead of creating one: the stack then only adds the secrets and the identity's `get` permission, and refuses a vault ExpressRoute could not read."""

    @_cross_rule("name", "existing_id", "allowed_ip_ranges", "soft_delete_retention_days", "purge_protection")
    def _name_or_existing_id(self):
        yield from existing_vault_key_problems(self)

    @property
    def vault_name(self) -> str:
        """The vault's name: ``name``, or the last segment of ``existingId``."""
        return self.name or arm_id_name(self.existing_id or "")


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
    """Key generation of link1, 1 or more; raise it by one to re-key link1."""
    link2: Annotated[Int, Field(ge=1)] = 1
    """Key generation of link2, 1 or more; raise it by one to re-key link2."""


class LinkMacsecOverride(_Model):
    """One link's cipher or SCI state, while a change is rolled out one link at a time."""

    cipher: Optional[Cipher] = None
    """This link's cipher, when it differs from the port's."""
    sci_state: Optional[SciState] = None
    """This link's SCI state, when it differs from the port's."""
    enabled: bool = True
    """MACsec on this link; `false` sends no MACsec settings for it (an adopted live port is encrypted link by link)."""


class MacsecSettings(_Model):
    """MACsec applied to both links of a port.

    Any change of key, cipher or SCI drops a link until the router matches, so on a live
    port a change goes to one link per deployment: raise one link's ``keyGeneration``,
    or stage a new cipher/SCI state on one link with ``link1``/``link2`` overrides.
    ``allowBothLinks`` lets one deployment change both links (a planned full outage)."""

    cipher: Cipher
    """MACsec cipher of both links; XPN ciphers only on 100 Gbps ports (and recommended there)."""
    sci_state: SciState = "Disabled"
    """Secure channel identifier on both links; some router vendors (e.g. Cisco) need `Enabled`."""
    key_generation: KeyGeneration = Field(default_factory=KeyGeneration)
    """`{link1: N, link2: N}`, N >= 1, default 1 each: raise one link's number to generate that link's new keys."""
    link1: Optional[LinkMacsecOverride] = None
    """`cipher` / `sciState` for link1 alone, to roll a change out one link at a time."""
    link2: Optional[LinkMacsecOverride] = None
    """`cipher` / `sciState` for link2 alone, to roll a change out one link at a time."""
    allow_both_links: bool = False
    """Let one deployment change both links of a live port: a planned full outage of the port."""

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


def asn_problem(asn: int) -> str | None:
    """A peer or customer ASN must be the customer's own, not one Microsoft or Azure uses."""
    if asn in facts.RESERVED_ASNS:
        return (
            f"AS {asn} is reserved (Microsoft uses 12076, 8074 and 8075; Azure keeps 65515-65520; "
            "23456, 65535 and 4294967295 are reserved); use your own ASN"
        )
    return None


Asn = Annotated[Int, Field(ge=facts.ASN_MIN, le=facts.ASN_MAX), _rule("reserved_asn", asn_problem)]
# fact: er-customerasn-int32
CustomerAsn = Annotated[Int, Field(ge=facts.ASN_MIN, le=facts.CUSTOMER_ASN_MAX), _rule("reserved_asn", asn_problem)]


def vpn_asn_problem(asn: int) -> str | None:
    """An on-premises VPN device may not use an ASN Azure VPN gateways reserve."""
    if asn in facts.VPN_GATEWAY_RESERVED_ASNS:
        return (
            f"AS {asn} is reserved for Azure VPN gateways (Microsoft's 12076, 8074, 8075; Azure's 65515-65520; "
            "23456, 64496-64511 and 65535-65551); use your own ASN, e.g. in 64512-65514 or 65521-65534"
        )
    return None


# fact: vpn-reserved-asns
VpnAsn = Annotated[Int, Field(ge=facts.ASN_MIN, le=facts.ASN_MAX), _rule("vpn_reserved_asn", vpn_asn_problem)]


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


def _prefix(length: int):
    return Annotated[str, _rule(f"peer_prefix_{length}", lambda v: peer_prefix_problem(v, length))]


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


PublicPrefix = Annotated[str, _rule("public_prefix", public_prefix_problem)]


# fact: rf-community-format: Microsoft's BGP communities are 12076:5xxx for services
# (12076:5010 Exchange) and 12076:5xxxx for Azure regions (12076:51004 East US).
BGP_COMMUNITY_RE = re.compile(r"^12076:5[0-9]{3,4}$")


def bgp_community_problem(value: str) -> str | None:
    """A route filter rule lists Microsoft's BGP community values."""
    if not BGP_COMMUNITY_RE.fullmatch(value):
        return ("must be a Microsoft BGP community such as 12076:5010 (a service) or 12076:51004 "
                "(an Azure region): 12076: followed by 5 and three or four digits")
    return None


BgpCommunity = Annotated[str, _rule("bgp_community", bgp_community_problem)]


def overlap_problem(primary: str, secondary: str) -> str | None:
    """The two links of a peering need their own subnets."""
    if ipaddress.ip_network(primary).overlaps(ipaddress.ip_network(secondary)):
        return "must not overlap primaryPeerAddressPrefix: each link needs its own subnet"
    return None


class _LinkSubnets(_Model):
    """A primary and a secondary subnet, one per physical link, which must not overlap."""

    @_cross_rule("primary_peer_address_prefix", "secondary_peer_address_prefix")
    def _links_do_not_overlap(self):
        if problem := overlap_problem(self.primary_peer_address_prefix, self.secondary_peer_address_prefix):
            yield ("secondary_peer_address_prefix",), "peer_prefix_overlap", problem


class Ipv6PeeringSettings(_LinkSubnets):
    """IPv6 on a peering: one /126 per link."""

    primary_peer_address_prefix: _prefix(126)
    """IPv6 /126 for the primary link (your router takes the first address, Microsoft the second)."""
    secondary_peer_address_prefix: _prefix(126)
    """IPv6 /126 for the secondary link, not overlapping the primary one."""


class PrivatePeeringSettings(_LinkSubnets):
    """Azure private peering: BGP between your routers and Microsoft's over one VLAN."""

    peer_asn: Asn
    """Your BGP ASN, 1-4294967295; not 12076, 8074, 8075, 65515-65520 or another reserved ASN."""
    primary_peer_address_prefix: _prefix(30)
    """IPv4 /30 for the primary link (your router takes the first address, Microsoft the second)."""
    secondary_peer_address_prefix: _prefix(30)
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

    primary_peer_address_prefix: Annotated[_prefix(30), _rule("public_prefix", public_prefix_problem)]
    """Public IPv4 /30 you own, for the primary link."""
    secondary_peer_address_prefix: Annotated[_prefix(30), _rule("public_prefix", public_prefix_problem)]
    """Public IPv4 /30 you own, for the secondary link, not overlapping the primary one."""
    advertised_public_prefixes: Annotated[
        list[PublicPrefix], Field(min_length=1), _rule("ipv4_prefix_needed", _needs_ipv4_prefix)]
    """Public prefixes you own and announce to Microsoft, at least one IPv4; IPv6 ones need the `ipv6` block."""
    customer_asn: Optional[CustomerAsn] = None
    """The ASN the prefixes originate from, when it is not `peerAsn` (1-2147483647: a 32-bit signed integer in Azure's API)."""
    routing_registry_name: RoutingRegistry
    """Routing registry where the prefixes and ASN are registered."""
    # fact: rf-required-after-2017-08-01, rf-one-rule-allow
    route_filter_communities: Optional[Annotated[list[BgpCommunity], Field(min_length=1)]] = None
    """BGP communities to receive (e.g. `12076:5010`): a route filter with one Allow rule for them is attached to the peering. Without it the peering receives no Microsoft prefixes (peerings configured after 1 August 2017)."""

    @_cross_rule("advertised_public_prefixes", "ipv6")
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
    if value == "UnlimitedData":
        raise PydanticCustomError("direct_metered_only", (
            "UnlimitedData is not offered for circuits on ExpressRoute Direct: use MeteredData "
            "(the port's billingType may still be UnlimitedData)"))
    return value


class CircuitSettings(_Model):
    """An ExpressRoute circuit on a Direct port, with its peerings and authorizations."""

    name: Annotated[str, _rule("circuit_name", azure_name_problem)]
    """Circuit name (Azure naming, 1-80 characters), unique in the stack."""
    bandwidth_in_gbps: CircuitBandwidth
    """1, 2, 5 or 10 on a 10 Gbps port; 5, 10, 40 or 100 on a 100 Gbps port. The circuits of a port add up to at most 2x its bandwidth."""
    sku_tier: SkuTier
    """Circuit SKU tier."""
    sku_family: Annotated[SkuFamily, BeforeValidator(_direct_is_metered)]
    """Circuit SKU family: `MeteredData`, the only one Microsoft offers for circuits on ExpressRoute Direct."""
    allow_classic_operations: bool = False
    """Let classic (ASM) virtual networks use the circuit."""
    authorizations: list[Annotated[str, _rule("authorization_name", azure_name_problem)]] = Field(default_factory=list)
    """Names of authorization keys to create, one each for gateways in other subscriptions (secret output `authorizationKeys`)."""
    private_peering: Optional[PrivatePeeringSettings] = None
    """Azure private peering (keys as below)."""
    microsoft_peering: Optional[MicrosoftPeeringSettings] = None
    """Microsoft peering: as `privatePeering` with public /30s, plus `advertisedPublicPrefixes`, optional `customerAsn` and `routingRegistryName`."""
    import_id: Optional[Annotated[str, _rule("circuit_import_id", lambda v: arm_id_problem(v, CIRCUIT_TYPE))]] = None
    """ARM id of an existing circuit on this port to adopt (Pulumi `import`); its peerings and authorizations follow by their child ids."""

    @_cross_rule("import_id", "name")
    def _import_id_names_this_circuit(self):
        yield from import_id_name_problems(self)

    @_cross_rule("authorizations")
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
            "circuits need the port's stage to be 'encrypted' or 'active': on a 'reserved' port "
            "traffic could flow before MACsec is configured"
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


def vlan_problems(circuits: list, encapsulation: str | None = "Dot1Q"):
    """VLAN ids (C-Tags): with Dot1Q unique across all circuits and peerings of the port
    pair (fact: erd-dot1q-ctag); with QinQ each circuit has its own S-Tag, so a C-Tag only
    has to be unique among the peerings of one circuit (fact: erd-qinq-ctag)."""
    qinq = encapsulation == "QinQ"
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


def circuit_problems(circuits: list, bandwidth: int | None, stage: str | None, encapsulation: str | None = "Dot1Q"):
    """Every rule for the circuits of one port, as (path under circuits, rule, message)."""
    yield from stage_problems(circuits, stage)
    yield from size_problems(circuits, bandwidth)
    yield from vlan_problems(circuits, encapsulation)
    yield from peer_subnet_problems(circuits)


def xpn_problems(macsec: MacsecSettings, bandwidth: int):
    """XPN ciphers are not supported on 10 Gbps ports (paths under ``macsec``)."""
    if bandwidth != 10:
        return
    ciphers = [(("cipher",), macsec.cipher)] + [
        ((link, "cipher"), getattr(macsec, link).cipher) for link in LINKS if getattr(macsec, link)
    ]
    for path, cipher in ciphers:
        if cipher in facts.XPN_CIPHERS:
            yield path, "xpn_needs_100g", (
                f"{cipher} is not supported on 10 Gbps ports; "
                f"use {' or '.join(facts.NON_XPN_CIPHERS)} (XPN ciphers need a 100 Gbps port)"
            )


class PortSettings(_Model):
    """One ExpressRoute Direct port (a pair of physical links) and its MACsec settings.

    ``stage`` follows the port's physical lifecycle, because Azure ignores link settings
    in the request that creates a port: ``reserved`` (port ordered, keys stored, links
    untouched), ``encrypted`` (MACsec on both links, admin state Disabled), ``active``
    (MACsec on and both links admin-enabled).
    """

    name: Annotated[str, _rule("port_name", port_name_problem)]
    """Port name: 1-50 letters, digits and hyphens, unique; also prefixes the port's Key Vault secret names."""
    peering_location: Annotated[str, Field(min_length=1)]
    """ExpressRoute Direct peering location, e.g. `Equinix-Amsterdam-AM5`."""
    bandwidth_in_gbps: PortSpeed
    """Port bandwidth."""
    encapsulation: Encapsulation
    """Port encapsulation; fixed once the port exists (Azure rule)."""
    billing_type: PortBillingType
    """Port billing type."""
    stage: Stage
    """Lifecycle stage: `reserved` (no link settings), `encrypted` (MACsec on, links admin-disabled), `active` (links admin-enabled); see the lifecycle below."""
    macsec: MacsecSettings
    """MACsec settings of both links (keys as below)."""
    circuits: list[CircuitSettings] = Field(default_factory=list)
    """Circuits on the port (keys as below); only on an `encrypted` or `active` port."""
    import_id: Optional[Annotated[str, _rule("port_import_id", lambda v: arm_id_problem(v, PORT_TYPE))]] = None
    """ARM id of an existing port to adopt (Pulumi `import`): the config must describe it as it is in Azure; `make adopt` writes it."""

    @_cross_rule("bandwidth_in_gbps", "macsec")
    def _xpn_needs_100g(self):
        for path, rule, message in xpn_problems(self.macsec, self.bandwidth_in_gbps):
            yield ("macsec", *path), rule, message

    @_cross_rule("circuits*", "stage")
    def _circuits_on_an_encrypted_port(self):
        for path, rule, message in stage_problems(self.circuits, self.stage):
            yield ("circuits", *path), rule, message

    @_cross_rule("circuits*", "bandwidth_in_gbps")
    def _circuits_fit_the_port(self):
        for path, rule, message in size_problems(self.circuits, self.bandwidth_in_gbps):
            yield ("circuits", *path), rule, message

    @_cross_rule("circuits*", "encapsulation")
    def _unique_vlans_and_subnets(self):
        for path, rule, message in [*vlan_problems(self.circuits, self.encapsulation),
                                    *peer_subnet_problems(self.circuits)]:
            yield ("circuits", *path), rule, message

    @_cross_rule("import_id", "name")
    def _import_id_names_this_port(self):
        yield from import_id_name_problems(self)


# ---------------------------------------------------------------------------
# Bring-your-own keys


# Always with fullmatch: re.match with `$` would let a trailing newline through.
HEX_RE = re.compile(r"[0-9A-Fa-f]*")


def whitespace_problem(key: str) -> str | None:
    """Key material is taken exactly as given: a space, tab or line break (a trailing
    newline from `cat key.txt` or a paste) would be part of the key Azure receives but
    not of the one the router holds, so nothing is stripped and it is refused."""
    if any(c.isspace() for c in key):
        return ("must not contain spaces, tabs or line breaks (a trailing newline from a file or a paste?); "
                "nothing is stripped (value not shown)")
    return None


def ckn_problem(ckn: str) -> str | None:
    """A CKN is an even-length hexadecimal string of 2 to 64 digits."""
    if (not HEX_RE.fullmatch(ckn) or not facts.CKN_MIN_HEX_DIGITS <= len(ckn) <= facts.CKN_MAX_HEX_DIGITS
            or len(ckn) % 2):
        return "must be an even number (2-64) of hexadecimal digits (value not shown)"
    return None


def cak_problem(cak: str, cipher: str | None = None) -> str | None:
    """A CAK is exactly 32 hex digits for 128-bit ciphers and 64 for 256-bit ones
    (either, while the port's cipher is unknown).

    Azure pads a short key with zeros; a padded key is a weak key, so it is refused."""
    if cipher is None:
        if len(cak) not in set(CAK_HEX_DIGITS.values()):
            return "must be exactly 32 (128-bit ciphers) or 64 (256-bit ciphers) hexadecimal digits (value not shown)"
        return None
    want = CAK_HEX_DIGITS[cipher]
    if len(cak) != want:
        return f"must be exactly {want} hexadecimal digits for {cipher} (value not shown)"
    return None


def cak_format_problem(cak: str) -> str | None:
    """What can be checked before the port's cipher is known."""
    if not HEX_RE.fullmatch(cak):
        return "must contain only hexadecimal digits 0-9 and a-f (value not shown)"
    if len(set(cak.lower())) == 1:
        # All zeros is what a template or a padded key looks like: anyone could guess it.
        return "must not be one digit repeated (such as all zeros): that key is guessable (value not shown)"
    return cak_problem(cak)


def _key_rule(rule: str, check):
    """A key's own rule, after the whitespace rule (one problem per key)."""
    return _secret_rule(rule, lambda key: whitespace_problem(key) or check(key))


class LinkKey(_Model):
    """A pre-shared MACsec key for one link, as the customer's router holds it."""

    cak: Annotated[SecretStr, _key_rule("cak_format", cak_format_problem)]
    """Connectivity association key: 32 hex digits (128-bit ciphers) or 64 (256-bit ciphers), not one digit repeated."""
    ckn: Annotated[SecretStr, _key_rule("ckn_format", ckn_problem)]
    """Connectivity association key name: an even number (2-64) of hex digits."""


class PortKeys(_Model):
    """Bring-your-own keys for both links of one port."""

    link1: LinkKey
    """The key of link1."""
    link2: LinkKey
    """The key of link2."""

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

    def cak_of(self, link: str) -> str:
        """The link's CAK, lower case (hex digits are compared without case). Never log."""
        return getattr(self, link).cak.get_secret_value().lower()

    def fingerprint(self, link: str) -> str:
        """A digest that changes when the link's key changes. It is only ever kept as a
        secret output (the keys themselves are in the state too, encrypted alike)."""
        key: LinkKey = getattr(self, link)
        material = f"{key.cak.get_secret_value().lower()}:{key.ckn.get_secret_value().lower()}"
        return hashlib.sha256(material.encode()).hexdigest()[:32]


def key_reuse_warnings(keys: Mapping[str, PortKeys], where: str = "macsecKeys",
                       across_ports_only: bool = False) -> list[str]:
    """One CAK on both links of a port, or on two ports: allowed (Azure does not mind),
    but one leaked key then opens more than one link. Names the places, never the key.
    ``keys`` by port name ("" for a component's one port); ``across_ports_only`` leaves
    a port's own two links to the component, which warns about them itself."""
    places: dict[str, list[tuple[str, str]]] = {}
    for port_name, port_keys in keys.items():
        for link in LINKS:
            places.setdefault(port_keys.cak_of(link), []).append((port_name, link))
    warnings = []
    for shared in places.values():
        one_port = len({port for port, _ in shared}) == 1
        if len(shared) < 2 or (across_ports_only and one_port):
            continue
        named = ", ".join(f"{where}.{port}.{link}.cak" if port else f"{where}.{link}.cak" for port, link in shared)
        scope = "both links of one port" if one_port else "more than one port"
        warnings.append(f"{named}: the same CAK is used on {scope}; a leaked key would open all of them: "
                        "give each link its own key")
    return [mask_key_material(w) for w in warnings]


# ---------------------------------------------------------------------------
# IPsec VPN over the private peering


def weak_algorithm_problem(field: str, value: str) -> str | None:
    """An algorithm Microsoft's guidance calls weak (``field`` is the ARM property name)."""
    weak = facts.WEAK_IPSEC_ALGORITHMS[field]
    if value in weak:
        return f"{value} is weak; choose another ({', '.join(sorted(weak))} are refused)"
    return None


def _algorithm(field: str):
    return Annotated[Literal[facts.IPSEC_ALGORITHMS[field]],
                     _rule("weak_algorithm", lambda value: weak_algorithm_problem(field, value))]


def gcm_pair_problem(encryption: str, integrity: str) -> str | None:
    """With GCM, IPsec encryption and integrity are the same GCMAES algorithm and key length."""
    if (encryption.startswith("GCM") or integrity.startswith("GCM")) and encryption != integrity:
        return f"must equal ipsecEncryption ({encryption}) when either uses GCM (Azure rule)"
    return None


class IpsecPolicySettings(_Model):
    """A custom IPsec/IKE policy. Azure's default policies offer DH group 2 (1024-bit), so
    a custom policy is always set; the default here is CNSA-style (GCM-AES-256, SHA-384,
    ECP384)."""

    ike_encryption: _algorithm("ikeEncryption") = facts.CNSA_IPSEC_POLICY["ikeEncryption"]
    """IKE (phase 1) encryption; DES and DES3 are refused as weak."""
    ike_integrity: _algorithm("ikeIntegrity") = facts.CNSA_IPSEC_POLICY["ikeIntegrity"]
    """IKE (phase 1) integrity; MD5 and SHA1 are refused as weak."""
    dh_group: _algorithm("dhGroup") = facts.CNSA_IPSEC_POLICY["dhGroup"]
    """IKE Diffie-Hellman group; None, DHGroup1 and DHGroup2 are refused as weak."""
    ipsec_encryption: _algorithm("ipsecEncryption") = facts.CNSA_IPSEC_POLICY["ipsecEncryption"]
    """IPsec (phase 2) encryption; None, DES and DES3 are refused as weak."""
    ipsec_integrity: _algorithm("ipsecIntegrity") = facts.CNSA_IPSEC_POLICY["ipsecIntegrity"]
    """IPsec (phase 2) integrity; MD5 and SHA1 are refused as weak; equal to `ipsecEncryption` when either is GCM."""
    pfs_group: _algorithm("pfsGroup") = facts.CNSA_IPSEC_POLICY["pfsGroup"]
    """Perfect forward secrecy group; None, PFS1 and PFS2 are refused as weak."""
    sa_life_time_seconds: Annotated[Int, Field(ge=facts.SA_LIFETIME_MIN_SECONDS)] = facts.SA_LIFETIME_DEFAULT_SECONDS
    """IPsec SA lifetime in seconds, 300 or more (Azure's default 27000)."""
    sa_data_size_kilobytes: Annotated[Int, Field(ge=facts.SA_DATA_SIZE_MIN_KB)] = facts.SA_DATA_SIZE_DEFAULT_KB
    """IPsec SA data size in KB, 1024 or more (Azure's default 102400000)."""

    @_cross_rule("ipsec_encryption", "ipsec_integrity")
    def _gcm_pairs(self):
        if problem := gcm_pair_problem(self.ipsec_encryption, self.ipsec_integrity):
            yield ("ipsec_integrity",), "gcm_pair", problem


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


def _gateway_subnet_size(message: str):
    return _rule("gateway_subnet_size",
                 lambda prefix: message if ipaddress.IPv4Network(prefix).prefixlen > 27 else None)


class VirtualNetworkSettings(_Model):
    """The virtual network the tunnel lands in, with the GatewaySubnet for both gateways."""

    name: Annotated[str, _rule("vnet_name", azure_name_problem)]
    """Virtual network name."""
    address_space: Annotated[list[Cidr], Field(min_length=1)]
    """IPv4 CIDR ranges of the virtual network."""
    gateway_subnet_prefix: Annotated[Cidr, _gateway_subnet_size(
        "must be a /27 or larger: both gateways share the GatewaySubnet")]
    """The GatewaySubnet: a /27 or larger inside `addressSpace`, shared by the ExpressRoute and VPN gateways."""

    @_cross_rule("gateway_subnet_prefix", "address_space")
    def _gateway_subnet_inside(self):
        subnet = ipaddress.IPv4Network(self.gateway_subnet_prefix)
        if not any(subnet.subnet_of(ipaddress.IPv4Network(s)) for s in self.address_space):
            yield ("gateway_subnet_prefix",), "gateway_subnet_inside", "must lie inside the virtual network's addressSpace"


class BgpPeerSettings(_Model):
    """BGP on the tunnel: the on-premises device's ASN and BGP peering address."""

    asn: VpnAsn
    """The on-premises device's ASN: not one Azure VPN gateways reserve (23456, 64496-64511, 65515-65520, 65535-65551, Microsoft's)."""
    peering_address: Ipv4Address
    """The on-premises BGP peering address (not the VPN device's own address)."""


class OnPremisesSettings(_Model):
    """The on-premises VPN device, reached at its private address over private peering."""

    name: Annotated[str, _rule("local_gateway_name", azure_name_problem)]
    """Name of the local network gateway (or VPN site) for the device."""
    vpn_device_ip: Ipv4Address
    """The device's private address, reachable over the private peering; outside Azure's side."""
    address_prefixes: Annotated[list[Cidr], Field(min_length=1)]
    """On-premises prefixes sent through the tunnel; more specific than those announced over ExpressRoute."""
    bgp: Optional[BgpPeerSettings] = None
    """BGP over the tunnel: `asn` and `peeringAddress` of the device."""

    # fact: vpn-bgp-peer-not-public-ip
    # fact: vwan-ipsec-er-bgp-addr
    @_cross_rule("vpn_device_ip", "bgp")
    def _bgp_address_is_not_the_device(self):
        """The BGP peer address is not the address the tunnel ends on (both modes)."""
        if self.bgp is not None and self.bgp.peering_address == self.vpn_device_ip:
            yield ("bgp", "peering_address"), "bgp_address_is_device", (
                "must differ from vpnDeviceIp: Azure requires the on-premises BGP peer address to be another "
                "address than the VPN device's (e.g. a loopback of the device)")


class VirtualHubSettings(_Model):
    """The Virtual WAN hub the tunnel terminates in, and its gateways' scale units."""

    name: Annotated[str, _rule("hub_name", azure_name_problem)]
    """Virtual hub name."""
    address_prefix: Annotated[Cidr, _rule("hub_prefix_size", lambda prefix: (
        "must be a /24 or larger (Azure's minimum for a virtual hub)"
        if ipaddress.IPv4Network(prefix).prefixlen > 24 else None))]
    """The hub's address range, a /24 or larger."""
    express_route_gateway_scale_units: Annotated[Int, Field(ge=1, le=10)] = 1
    """Scale units of the hub's ExpressRoute gateway, 1-10."""
    vpn_gateway_scale_units: Annotated[Int, Field(ge=1, le=20)] = 1
    """Scale units of the hub's VPN gateway, 1-20."""


VIRTUAL_WAN_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualWans/[^/]+$", re.IGNORECASE
)


class VirtualWanSettings(_Model):
    """A Virtual WAN to create (``name``) or an existing one (``id``), and its hub."""

    name: Optional[Annotated[str, _rule("virtual_wan_name", azure_name_problem)]] = None
    """Name of a Virtual WAN to create (or give `id`)."""
    id: Optional[Annotated[str, _rule("virtual_wan_id", lambda v: None if VIRTUAL_WAN_ID_RE.match(v) else (
        "must be the ARM id of a Virtual WAN: /subscriptions/<id>/resourceGroups/<group>/providers/"
        "Microsoft.Network/virtualWans/<name>"))]] = None
    """ARM id of an existing Virtual WAN (or give `name`)."""
    hub: VirtualHubSettings
    """The virtual hub to create in it."""

    @_cross_rule("name", "id")
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
    if not (16 <= len(key) <= 128 and key.isascii() and key.isprintable()):
        return "must be 16-128 printable ASCII characters (value not shown)"
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


class _VpnRules(_Model):
    """The rules of an IPsec tunnel over private peering, shared by the stack config's
    ``vpn`` and the two VPN components (which fix the mode and take only its keys)."""

    # The mode of a component that has no ``mode`` key (it is the component's choice).
    fixed_mode: ClassVar[Optional[str]] = None

    def vpn_mode(self) -> str | None:
        """The mode: the component's, or the ``mode`` key; None when it failed its checks."""
        return self.fixed_mode or (self.mode if self._has("mode") else None)

    @_cross_rule()
    def _keys_of_the_mode(self):
        """Each mode has its own keys: required ones must be there, the other mode's must not."""
        mode = self.vpn_mode()
        if mode is None:
            return
        for key, (owner, required) in MODE_KEYS.items():
            if not self._has(key):
                continue
            value = getattr(self, key)
            if value is None and required and mode == owner:
                yield (key,), "mode_key_required", f"required with mode: {owner}"
            if value is not None and mode != owner:
                yield (key,), "mode_key_not_allowed", f"not allowed with mode: {mode} (it belongs to mode: {owner})"

    def address_space(self) -> list[ipaddress.IPv4Network]:
        """Azure's side of the tunnel: the VNet's address space, or the hub's range."""
        if self._has("virtual_network") and self.virtual_network:
            return [ipaddress.IPv4Network(s) for s in self.virtual_network.address_space]
        if self._has("virtual_wan") and self.virtual_wan:
            return [ipaddress.IPv4Network(self.virtual_wan.hub.address_prefix)]
        return []

    @_cross_rule("on_premises")
    def _on_premises_outside_azure(self):
        """The device and the on-premises prefixes cannot overlap Azure's side."""
        space = self.address_space()
        if not space:
            return
        where = ("the virtual network's addressSpace" if self._has("virtual_network") and self.virtual_network
                 else "the virtual hub's addressPrefix")
        on_prem = self.on_premises
        if any(ipaddress.IPv4Address(on_prem.vpn_device_ip) in s for s in space):
            yield ("on_premises", "vpn_device_ip"), "device_in_azure", f"must be an on-premises address outside {where}"
        for i, prefix in enumerate(on_prem.address_prefixes):
            if any(ipaddress.IPv4Network(prefix).overlaps(s) for s in space):
                yield ("on_premises", "address_prefixes", i), "prefix_in_azure", f"{prefix} overlaps {where}"

    @_cross_rule("on_premises")
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

    @_cross_rule("advertised_over_express_route", "on_premises")
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


class VpnSettings(_VpnRules):
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
    express_route_gateway_sku: Optional[Annotated[ExpressRouteGatewaySku, _rule("ergwscale_no_ipsec", lambda sku: (
        "ErGwScale does not carry IPsec over ExpressRoute (Microsoft: \"IPsec traffic over ExpressRoute isn't "
        "currently supported\" on the scalable gateway); use ErGw1AZ, ErGw2AZ or ErGw3AZ"
        if sku == facts.SCALABLE_EXPRESS_ROUTE_GATEWAY_SKU else None))]] = None
    """`mode: virtualNetwork` only, required there: SKU of the ExpressRoute gateway next to the VPN gateway."""
    vpn_gateway_sku: Optional[VpnGatewaySku] = None
    """`mode: virtualNetwork` only, required there: SKU of the VPN gateway."""
    active_active: Optional[bool] = None
    """`mode: virtualNetwork` only: an active-active VPN gateway (two tunnel addresses)."""
    vpn_gateway_asn: Optional[Annotated[Int, _rule("coexistence_asn", vpn_gateway_asn_problem)]] = None
    """`mode: virtualNetwork` only: the VPN gateway's ASN, which must stay Azure's 65515 next to an ExpressRoute gateway."""
    on_premises: OnPremisesSettings
    """The on-premises VPN device: `name`, `vpnDeviceIp` (private), `addressPrefixes`, optional `bgp`."""
    ipsec_policy: IpsecPolicySettings = Field(default_factory=IpsecPolicySettings)
    """Custom IPsec/IKE policy; defaults to GCMAES256 / SHA384 / ECP384, weak algorithms are refused."""
    shared_key: Optional[Annotated[SecretStr, _secret_rule("shared_key", shared_key_problem)]] = None
    """Pre-shared key, 16-128 printable ASCII characters, secret config only; generated (40 characters) when absent."""
    advertised_over_express_route: list[Cidr] = Field(default_factory=list)
    """On-premises prefixes also announced over private peering; the tunnel's must be more specific."""


# ---------------------------------------------------------------------------
# A virtual network on an existing circuit (an application team's stack)


CIRCUIT_ID_RE = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/expressRouteCircuits/[^/]+$",
    re.IGNORECASE,
)
GUID_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def circuit_id_problem(value: str) -> str | None:
    if not CIRCUIT_ID_RE.fullmatch(value):
        return (
            "must be the ARM id of an ExpressRoute circuit: /subscriptions/<id>/resourceGroups/<group>/"
            "providers/Microsoft.Network/expressRouteCircuits/<name>"
        )
    return None


def authorization_key_problem(key: str) -> str | None:
    """A circuit authorization key is a GUID."""
    if not GUID_RE.fullmatch(key):
        return "must be a circuit authorization key: a GUID such as 0a1b2c3d-... (value not shown)"
    return None


class GatewayVirtualNetworkSettings(VirtualNetworkSettings):
    """A virtual network whose GatewaySubnet holds one ExpressRoute gateway."""

    gateway_subnet_prefix: Annotated[Cidr, _gateway_subnet_size(
        "must be a /27 or larger (Microsoft's minimum GatewaySubnet for an ExpressRoute gateway)")]
    """The GatewaySubnet: a /27 or larger inside `addressSpace` (Microsoft's minimum for an ExpressRoute gateway)."""


# ---------------------------------------------------------------------------
# Operations: tags, alerts, the vault's audit log


def tag_name_problem(name: str) -> str | None:
    """Azure tag names: up to 512 characters, none of < > % & \\ ? /."""
    if not name or len(name) > 512 or any(c in name for c in "<>%&\\?/"):
        return "must be 1-512 characters without < > % & \\ ? / (Azure tag names)"
    return None


# Azure allows 50 tags per resource; the stack sets none of its own, so all 50 are the user's.
MAX_TAGS = 50



# Tag values are strings of up to 256 characters (quote numbers in YAML: "1234").
Tags = Annotated[dict[str, Annotated[str, Field(max_length=256)]], Field(max_length=MAX_TAGS)]

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
    """The metric value the alert compares with (see the catalogue for each alert's operator)."""
    severity: Optional[Annotated[Int, Field(ge=0, le=4)]] = None
    """Alert severity, 0 (critical) to 4 (verbose)."""
    window_size: Optional[Literal[WINDOW_SIZES]] = None
    """Period the metric is aggregated over (ISO 8601 duration)."""
    evaluation_frequency: Optional[Literal[EVALUATION_FREQUENCIES]] = None
    """How often the rule is evaluated; not longer than `windowSize`."""


# One optional override per alert of the catalogue (alerts.py), named as there.
AlertOverrides = create_model(
    "AlertOverrides",
    __base__=_Model,
    __doc__="Overrides of the baseline alerts, by alert key (see README, Monitoring).",
    **{to_snake(key): (Optional[AlertOverride], Field(None, description=(
        f"Override of the baseline alert `{key}` (`threshold`, `severity`, `windowSize`, `evaluationFrequency`).")))
       for key in ALERT_KEYS},
)


class MonitoringSettings(_Model):
    """Alerts on every link and circuit peering, and the vault's audit log.

    With ``alertEmails`` the stack creates one action group and the baseline alerts
    (alerts.py); the vault's audit log goes to ``logAnalyticsWorkspaceId``, or to a
    workspace the stack creates."""

    alert_emails: Optional[Annotated[list[Annotated[str, _rule("email", email_problem)]], Field(min_length=1)]] = None
    """E-mail addresses of the action group: with them, the stack creates the baseline alerts on every link and peering."""
    log_analytics_workspace_id: Optional[Annotated[str, _rule("workspace_id", workspace_id_problem)]] = None
    """ARM id of an existing Log Analytics workspace for the vault's audit log; the stack creates one when absent."""
    alerts: AlertOverrides = Field(default_factory=AlertOverrides)
    """Overrides of the baseline alerts' threshold, severity, window or frequency, by alert key."""

    @_cross_rule("alert_emails")
    def _unique_emails(self):
        """Each address is one receiver of the action group; a second copy would mail twice."""
        seen = set()
        for i, address in enumerate(self.alert_emails or []):
            if address.lower() in seen:
                yield ("alert_emails", i), "duplicate_email", "is listed twice"
            seen.add(address.lower())

    @_cross_rule("alerts")
    def _window_covers_frequency(self):
        """Azure Monitor evaluates a rule at most once per window: the window is at least
        as long as the evaluation frequency."""
        for rule in ALERTS:
            effective = _apply_override(rule, getattr(self.alerts, to_snake(rule.key)))
            if alert_minutes(effective.frequency) > alert_minutes(effective.window):
                yield ("alerts", to_snake(rule.key), "evaluation_frequency"), "window_frequency", (
                    f"{effective.frequency} is longer than the window ({effective.window}); "
                    "the window must be at least the evaluation frequency")

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


class DecommissionEntry(_Model):
    """A live port (``encrypted`` or ``active``) or a circuit with peerings that the next
    deployment may delete. Without an entry naming it, removing one from the config is
    refused: it would delete a physical port, or a circuit and its BGP sessions."""

    port: Optional[str] = None
    """Name of a live port to delete."""
    circuit: Optional[str] = None
    """Name of a circuit with peerings to delete."""

    @_cross_rule("port", "circuit")
    def _port_or_circuit(self):
        if (self.circuit is None) == (self.port is None):
            yield ("circuit",), "decommission_entry", "give exactly one of port: <port name> or circuit: <circuit name>"

    @property
    def kind(self) -> str:
        return "port" if self.port is not None else "circuit"

    @property
    def name(self) -> str:
        return self.port if self.port is not None else self.circuit


class StackConfig(_Model):
    """Everything under the ``expressroute-encryption`` config namespace."""

    resource_group_name: Annotated[str, Field(min_length=1, max_length=90)]
    """Resource group for everything the stack creates (the program creates it), 1-90 characters."""
    protect: bool = True
    """Pulumi `protect` on everything whose loss breaks encryption or connectivity: the resource group, vault, identity and its permission, secrets, ports, circuits with their peerings, authorizations and route filters, and the VPN's gateways, connections and sites (generated keys excepted: rotation replaces them)."""
    key_vault: KeyVaultSettings
    """The Key Vault holding the MACsec keys (keys as below)."""
    ports: Annotated[list[PortSettings], Field(min_length=1)]
    """ExpressRoute Direct ports, at least one (keys as below)."""
    macsec_keys: dict[str, PortKeys] = Field(default_factory=dict)
    """Bring-your-own keys, secret config only: `macsecKeys.<port>.<link1|link2>.{cak,ckn}`; CKN an even number (2-64) of hex digits, CAK exactly 32 hex digits (128-bit ciphers) or 64 (256-bit ciphers). Generated when absent."""
    vpn: Optional[VpnSettings] = None
    """IPsec over a circuit's private peering, see the VPN section."""
    decommission: list[DecommissionEntry] = Field(default_factory=list)
    """Live ports (`- port: <name>`) and circuits with peerings (`- circuit: <name>`) the next deployment may delete; removing one without an entry is refused."""
    tags: Tags = Field(default_factory=dict)
    """Tags for every resource that takes tags (resource group, vault, identity, ports, circuits, gateways, alerts); at most 50, values up to 256 characters."""
    monitoring: Optional[MonitoringSettings] = None
    """Alerts and the vault's audit log (keys as below): see "Monitoring, audit logs and locks"."""
    locks: Optional[bool] = None
    """`CanNotDelete` management locks on the vault, each port and each circuit; default: on when `protect` is on."""

    @property
    def locks_enabled(self) -> bool:
        """``locks`` when set, else on exactly when ``protect`` is on."""
        return self.protect if self.locks is None else self.locks

    @_cross_rule("tags")
    def _tag_names(self):
        for name in self.tags:
            if problem := tag_name_problem(name):
                yield ("tags", name), "tag_name", problem

    @_cross_rule("ports*", "resource_group_name")
    def _imports_in_the_resource_group(self):
        if None not in self.ports:
            yield from import_resource_group_problems(self)

    @_cross_rule("ports*")
    def _unique_names(self):
        """Port and circuit names are Azure names in one resource group (Azure names are
        case-insensitive); port names also prefix secret names."""
        ports_seen, circuits_seen = set(), set()
        for i, port in enumerate(self.ports):
            if port is None:
                continue
            if port.name.lower() in ports_seen:
                yield ("ports", i, "name"), "duplicate_port", (
                    f"port name '{port.name}' is used twice; port names must be unique")
            ports_seen.add(port.name.lower())
            for j, circuit in enumerate(port.circuits):
                if circuit.name.lower() in circuits_seen:
                    yield ("ports", i, "circuits", j, "name"), "duplicate_circuit", (
                        f"circuit name '{circuit.name}' is used twice; circuit names must be unique in the stack")
                circuits_seen.add(circuit.name.lower())

    @_cross_rule("vpn", "ports*")
    def _vpn_circuit_has_private_peering(self):
        """The tunnel rides a circuit's private peering, so that circuit must exist and have one."""
        vpn = self.vpn
        if vpn is None:
            return
        circuits = {c.name: c for port in self.ports if port is not None for c in port.circuits}
        if vpn.circuit not in circuits:
            if None in self.ports:
                return  # it may be on a port that failed its own checks
            names = ", ".join(sorted(circuits)) or "none are defined"
            yield ("vpn", "circuit"), "vpn_circuit", (
                f"no circuit named '{vpn.circuit}' in ports[].circuits[] (circuits: {names})")
        elif circuits[vpn.circuit].private_peering is None:
            yield ("vpn", "circuit"), "vpn_circuit", (
                f"circuit '{vpn.circuit}' has no privatePeering; the tunnel runs over private peering")

    @_cross_rule("macsec_keys*")
    def _keys_match_ports(self):
        """Keys belong to a listed port, with the CAK length of that port's cipher."""
        ports = self.ports if self._has("ports") else None
        macsecs = {port.name: port.macsec for port in ports or [] if port is not None}
        names_known = ports is not None and None not in ports
        for port_name, port_keys in self.macsec_keys.items():
            if port_keys is None:
                continue
            if names_known and port_name not in macsecs:
                yield ("macsec_keys", port_name), "unknown_port", (
                    f"no port of that name in ports[] ({', '.join(sorted(macsecs)) or 'none'}); "
                    "keys must be listed under a port's name")
                continue
            for path, rule, message in port_keys.problems(macsecs.get(port_name)):
                yield ("macsec_keys", port_name, *path), rule, message


# ---------------------------------------------------------------------------
# Adopting existing resources: ports[i].importId, ports[i].circuits[j].importId,
# keyVault.existingId
#
# An adopted port or circuit is registered with Pulumi's ``import`` option: Pulumi reads
# it from Azure and refuses the import when the program's inputs differ from what Azure
# holds, so the names and the resource group in the config must be Azure's own.


PORT_TYPE = "Microsoft.Network/expressRoutePorts"
CIRCUIT_TYPE = "Microsoft.Network/expressRouteCircuits"
VAULT_TYPE = "Microsoft.KeyVault/vaults"

ARM_ID_RE = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)"
    r"/providers/(?P<namespace>[^/]+)/(?P<collection>[^/]+)/(?P<name>[^/]+)$",
    re.IGNORECASE,
)


def parse_arm_id(value: str, resource_type: str) -> dict[str, str] | None:
    """Subscription, group and name of the ARM id of a ``resource_type`` resource, or None."""
    match = ARM_ID_RE.match(value or "")
    if not match or f"{match['namespace']}/{match['collection']}".lower() != resource_type.lower():
        return None
    return {"subscription": match["subscription"], "group": match["group"], "name": match["name"]}


def arm_id_problem(value: str, resource_type: str) -> str | None:
    if parse_arm_id(value, resource_type) is None:
        return (
            f"must be the ARM id of an existing resource of type {resource_type}: "
            f"/subscriptions/<id>/resourceGroups/<group>/providers/{resource_type}/<name>"
        )
    return None


def arm_id_name(value: str) -> str:
    """The last segment of an ARM id (the resource's name)."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def import_id_name_problems(settings: Any) -> Iterator:
    """Pulumi imports the resource under the config's ``name``: it must be Azure's name."""
    if settings.import_id is not None and arm_id_name(settings.import_id) != settings.name:
        yield ("import_id",), "import_id_name", (
            f"names '{arm_id_name(settings.import_id)}' but name is '{settings.name}': the import must "
            "describe the resource as it is in Azure, so name must be its Azure name"
        )


# Keys that only shape a vault this stack creates.
VAULT_CREATION_KEYS = {
    "allowed_ip_ranges": "allowedIpRanges",
    "soft_delete_retention_days": "softDeleteRetentionDays",
    "purge_protection": "purgeProtection",
}


def existing_vault_key_problems(vault: "KeyVaultSettings") -> Iterator:
    """A vault to create needs ``name``; an existing vault (``existingId``) takes its name
    from the id, and the settings of an existing vault are never changed by this stack."""
    if vault.existing_id is None:
        if vault.name is None:
            yield ("name",), "vault_name_or_id", (
                "required: the name of the vault to create (or give existingId, the ARM id of an existing vault)")
        return
    if vault.name is not None:
        yield ("name",), "name_with_existing_id", "not allowed together with existingId: the vault's name is taken from the id"
    for field, key in VAULT_CREATION_KEYS.items():
        if field in vault.model_fields_set:
            yield (field,), "creation_key_with_existing_id", (
                f"not allowed together with existingId: {key} only shapes a vault this stack creates, "
                "and an existing vault's settings are never changed")


def import_resource_group_problems(config: "StackConfig") -> Iterator:
    """Adopted ports and circuits stay where they are: in ``resourceGroupName`` (the stack
    manages them there), all in one subscription (the provider's)."""
    subscriptions = set()
    for i, port in enumerate(config.ports):
        imports = [((i, "import_id"), port.import_id, "port")] + [
            ((i, "circuits", j, "import_id"), circuit.import_id, "circuit")
            for j, circuit in enumerate(port.circuits)
        ]
        for loc, import_id, noun in imports:
            parts = parse_arm_id(import_id or "", PORT_TYPE if noun == "port" else CIRCUIT_TYPE)
            if parts is None:
                continue
            if parts["group"].lower() != config.resource_group_name.lower():
                yield ("ports", *loc), "import_resource_group", (
                    f"the {noun} is in resource group '{parts['group']}' but resourceGroupName is "
                    f"'{config.resource_group_name}': an adopted {noun} stays in its resource group, so set "
                    f"resourceGroupName: {parts['group']}"
                )
            elif subscriptions and parts["subscription"].lower() not in subscriptions:
                yield ("ports", *loc), "import_subscription", (
                    "is in another subscription than the other adopted resources: one stack deploys to one subscription"
                )
            subscriptions.add(parts["subscription"].lower())


def resource_group_import_id(config: "StackConfig") -> str | None:
    """The ARM id of ``resourceGroupName`` when the stack adopts resources in it (the group
    then exists already, so it is adopted too), else None."""
    for port in config.ports:
        for import_id, kind in [(port.import_id, PORT_TYPE)] + [(c.import_id, CIRCUIT_TYPE) for c in port.circuits]:
            if parts := parse_arm_id(import_id or "", kind):
                return f"/subscriptions/{parts['subscription']}/resourceGroups/{config.resource_group_name}"
    return None


# ---------------------------------------------------------------------------
# Component arguments: the same fields, plus what only a component takes
#
# A component's ``args`` are validated as a whole with one of these models, so an
# unknown key (a typo) is an error. Arguments that may be Pulumi Outputs (resource
# group, ids, keys) are typed ``Any``; plain strings among them are still checked.

Input = Any  # a plain value or a pulumi.Output


def _fields_of(model: type[BaseModel], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's field definitions (type and docstring), to build a component's model."""
    return {name: (field.annotation, field) for name, field in model.model_fields.items() if name not in drop}


def _component_field(annotation: Any, doc: str, default: Any = ...) -> tuple[Any, Any]:
    return annotation, Field(default, description=doc)


_RESOURCE_GROUP = _component_field(Input, "Resource group for what the component creates.")
_PROTECT = _component_field(
    bool, "Pulumi `protect` on what the component creates, generated keys excepted (default true).", True)


class MacsecKeyVaultInputs(KeyVaultSettings):
    """Arguments of ``MacsecKeyVault``: the stack config's ``keyVault`` and these."""

    resource_group_name: Input
    """Resource group for the vault and the identity."""
    protect: bool = True
    """Pulumi refuses to delete the vault, the identity and its permission to read the keys (default true)."""


# Component inputs are kept in the caller's state (pulumi/pulumi PR 20357, fact:
# pulumi-comp-inputs-in-state), and Pulumi has no convention that a component wraps a
# plain key for the caller (fact: pulumi-comp-no-secret-schema): a plain key is refused.
PLAIN_SECRET = (
    "a plain value would be stored unencrypted in your program's state (Pulumi keeps component inputs); "
    "pass it as a secret: pulumi.Output.secret(...) in Python, fn::secret in YAML, pulumi.secret(...) in TypeScript"
)


def _secret_input(rule: str):
    """A key argument: a plain string is refused; a secret Output is checked when it
    resolves (``secret_inputs``)."""
    return _rule(rule, lambda value: PLAIN_SECRET if isinstance(value, str) else None)


def port_keys_problems(keys: Any, macsec: MacsecSettings) -> Iterator:
    """Bring-your-own keys: both links with cak and ckn, none a plain string (their
    format is checked when the secret values resolve: ``port_keys_lines``)."""
    try:
        leaves = {(link, kind): keys[link][kind] for link in LINKS for kind in ("cak", "ckn")}
    except (KeyError, TypeError, IndexError):
        yield ("keys",), "port_keys", "needs link1 and link2, each with cak and ckn"
        return
    for (link, kind), value in leaves.items():
        if isinstance(value, str):
            yield ("keys", link, kind), "plain_secret", PLAIN_SECRET


def port_keys_lines(plain: Any, macsec: MacsecSettings) -> tuple[list[str], list[str]]:
    """(problems, warnings) of resolved bring-your-own keys, as lines under ``keys``:
    format, the CAK length of each link's cipher, one CAK on both links. Never a value."""
    try:
        port_keys = PortKeys.model_validate(_plain_values(plain))
    except ValidationError as exc:
        return describe_errors(exc, PortKeys, ("keys",)), []
    problems = [f"{format_loc(('keys', *path))}: {message}" for path, _, message in port_keys.problems(macsec)]
    return problems, key_reuse_warnings({"": port_keys}, where="keys")


class _EncryptedDirectPortRules(_Model):
    @_cross_rule("keys", "macsec")
    def _keys_fit_the_cipher(self):
        if self.keys is not None:
            yield from port_keys_problems(self.keys, self.macsec)

    # The port's own rules (XPN), without the circuits, which are components of their own.
    _xpn_needs_100g = PortSettings._xpn_needs_100g


EncryptedDirectPortInputs = create_model(
    "EncryptedDirectPortInputs",
    __base__=_EncryptedDirectPortRules,
    __doc__="Arguments of ``EncryptedDirectPort``: the stack config's ``ports[i]`` without circuits, and these.",
    resource_group_name=_component_field(Input, "Resource group for the port."),
    vault_name=_component_field(Input, "Key Vault that stores the port's CAK/CKN secrets."),
    identity_id=_component_field(Input, "User-assigned identity with `get` on the vault's secrets."),
    **_fields_of(PortSettings, drop=("circuits",)),
    keys=_component_field(Optional[Input], "Bring-your-own keys `{link1: {cak, ckn}, link2: {cak, ckn}}`, as secrets (plain strings are refused); generated when absent.", None),
    protect=_PROTECT,
    vault_resource_group_name=_component_field(
        Optional[Input], "Resource group of the vault, when it is not resource_group_name (an existing vault).", None),
    adopting=_component_field(
        bool, "With import_id, on the deployment that imports the port: keep Azure's identity and link settings "
        "as they are, so adopting the port changes nothing on it; the next deployment applies them.", False),
)


class DirectCircuitInputs(CircuitSettings):
    """Arguments of ``DirectCircuit``: the stack config's ``ports[i].circuits[j]`` and these."""

    resource_group_name: Input
    """Resource group for the circuit."""
    express_route_port_id: Input
    """ARM id of the ExpressRoute Direct port."""
    port_bandwidth_in_gbps: Optional[PortSpeed] = None
    """The port's bandwidth, to check the circuit size against it."""
    port_stage: Optional[Stage] = None
    """The port's lifecycle stage; a circuit on a 'reserved' port is refused."""
    protect: bool = True
    """Pulumi refuses to delete the circuit, its peerings, authorizations and route filter (default true)."""
    adopting: bool = False
    """With import_id, on the deployment that imports the circuit: its peerings and authorizations are imported by their child ids too."""

    @_cross_rule("bandwidth_in_gbps", "private_peering", "microsoft_peering", "port_bandwidth_in_gbps", "port_stage")
    def _fits_its_port(self):
        """The rules for the circuits of a port, for this one circuit."""
        for path, rule, message in circuit_problems([self], self.port_bandwidth_in_gbps, self.port_stage):
            if path == ():
                path = (0, "port_stage" if rule == "circuit_on_reserved_port" else "bandwidth_in_gbps")
            yield path[1:], rule, message


def _vpn_component(name: str, mode: str, drop: tuple[str, ...], doc: str, **component_fields):
    """A VPN component's model: the ``vpn`` settings of its mode without ``mode``, its
    own arguments, and a shared key that may be an Output."""
    rules = type(f"_{name}Rules", (_VpnRules,), {"fixed_mode": mode, "__module__": __name__})
    fields = _fields_of(VpnSettings, drop=("mode", *drop))
    fields["shared_key"] = _component_field(
        Optional[Annotated[Input, _secret_input("plain_secret")]],
        "Pre-shared key, 16-128 printable ASCII characters, as a secret (a plain string is refused); "
        "generated (40 characters) when absent.", None)
    return create_model(name, __base__=rules, __doc__=doc, __module__=__name__,
                        resource_group_name=_RESOURCE_GROUP, **component_fields, **fields, protect=_PROTECT)


PrivatePeeringVpnInputs = _vpn_component(
    "PrivatePeeringVpnInputs", "virtualNetwork", ("virtual_wan",),
    "Arguments of ``PrivatePeeringVpn``: the stack config's ``vpn`` (``mode: virtualNetwork``) and these.",
    express_route_circuit_id=_component_field(
        Input, "ARM id of the circuit whose private peering carries the tunnel."),
)

VirtualWanVpnInputs = _vpn_component(
    "VirtualWanVpnInputs", "virtualWan",
    tuple(key for key, (owner, _) in MODE_KEYS.items() if owner == "virtualNetwork"),
    "Arguments of ``VirtualWanVpn``: the stack config's ``vpn`` (``mode: virtualWan``) and these.",
    express_route_circuit_private_peering_id=_component_field(
        Input, "ARM id of the circuit's AzurePrivatePeering."),
)


class ScaleUnits(_Model):
    """Scale units of a scalable ExpressRoute gateway (ErGwScale); 1 Gbps each."""

    # fact: ergwscale-range-1-40
    min: Annotated[Int, Field(ge=facts.ERGW_SCALE_UNITS[0], le=facts.ERGW_SCALE_UNITS[1])]
    """Minimum scale units, 1-40 (2 or more to autoscale)."""
    max: Annotated[Int, Field(ge=facts.ERGW_SCALE_UNITS[0], le=facts.ERGW_SCALE_UNITS[1])]
    """Maximum scale units, 1-40, not below `min`."""

    @_cross_rule("min", "max")
    def _min_not_above_max(self):
        # fact: ergwscale-max1-min1
        if self.min > self.max:
            yield ("min",), "scale_units_order", f"must not exceed max ({self.max})"


class CircuitVnetConnectionInputs(_Model):
    """Arguments of ``CircuitVnetConnection``: a virtual network with an ExpressRoute
    gateway, connected to an existing circuit.

    The circuit usually belongs to the network team's stack, often in another
    subscription: the connection then redeems one of the circuit's authorization keys
    (``DirectCircuit`` ``authorizations``, stack output ``authorizationKeys``). The
    circuit id and the key are checked here when given as plain strings; when they come
    from a stack reference they are Outputs, and Azure checks them."""

    resource_group_name: Input
    """Resource group for the virtual network, the gateway and the connection."""
    express_route_circuit_id: Annotated[Input, _plain_rule("circuit_id", circuit_id_problem)]
    """ARM id of the circuit (the network team's stack output `circuits.<name>.id`)."""
    authorization_key: Optional[Annotated[Input, _secret_input("plain_secret")]] = None
    """One of the circuit's authorization keys, as a secret (a plain string is refused); needed when the circuit is in another subscription."""
    virtual_network: GatewayVirtualNetworkSettings
    """The virtual network to create, with its GatewaySubnet."""
    express_route_gateway_sku: ExpressRouteGatewaySku
    """SKU of the ExpressRoute gateway."""
    routing_weight: Annotated[Int, Field(ge=0, le=32000)] = 0
    """Routing weight of the connection, 0-32000."""
    protect: bool = True
    """Pulumi refuses to delete the virtual network, the gateway and the connection (default true)."""
    scale_units: Optional[ScaleUnits] = None
    """With `ErGwScale` only, and required there: the gateway's minimum and maximum scale units (1-40; equal for a fixed size)."""

    @_cross_rule("express_route_gateway_sku", "scale_units")
    def _scale_units_with_the_scalable_sku(self):
        scalable = self.express_route_gateway_sku == facts.SCALABLE_EXPRESS_ROUTE_GATEWAY_SKU
        if scalable and self.scale_units is None:
            yield ("scale_units",), "scale_units_required", (
                "required with ErGwScale: {min, max} scale units (1-40), e.g. {min: 2, max: 10}")
        elif not scalable and self.scale_units is not None:
            yield ("scale_units",), "scale_units_not_allowed", "only with express_route_gateway_sku ErGwScale"


def _plain_values(value: Any) -> Any:
    """Enum members (what the component provider hands over for enum inputs) as their values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_values(v) for v in value]
    return value


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


def _field_keys(model: type[BaseModel], camel: bool = True) -> list[str]:
    """The keys a model takes, as YAML spells them (camelCase) or as Python does."""
    return [(f.alias or name) if camel else name for name, f in model.model_fields.items()]


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


def describe_errors(exc: ValidationError, root: type[BaseModel], prefix: tuple[str, ...] = (),
                    camel: bool = False) -> list[str]:
    """One line per problem: its config path, what is wrong and what is allowed.

    pydantic is told to hide inputs, and custom rules never quote key material. On top of
    that, by rule rather than case by case, a name in the path holding a run of 16+ hex
    digits (a key pasted as a port name, `cak=<hex>` typed as a key) is replaced, and so is
    any such run in a message: the lines are safe to print."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        if camel:
            # A key checked while absent is reported by its Python name; name it as in YAML.
            loc = tuple(to_camel(part) if isinstance(part, str) and "_" in part else part for part in loc)
        loc = tuple(KEY_NAME_PLACEHOLDER if looks_like_key(part) else part for part in loc)
        path = format_loc(prefix + loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_at(root, loc[:-1])
            allowed = ", ".join(_field_keys(parent, camel)) if parent else ""
            lines.append(f"{path}: unknown key" + (f" (allowed: {allowed})" if allowed else ""))
        elif err["type"] == "missing":
            lines.append(f"{path}: required")
        elif err["type"] == "model_type":
            model = _model_at(root, loc)
            keys = ", ".join(_field_keys(model, camel)) if isinstance(model, type) and issubclass(model, BaseModel) else ""
            lines.append(f"{path}: must be a mapping" + (f" with the keys {keys}" if keys else ""))
        elif err["type"] in ("list_type", "dict_type"):
            lines.append(f"{path}: must be a {'list' if err['type'] == 'list_type' else 'mapping'}")
        else:
            lines.append(f"{path}: {err['msg']}")
    return [mask_key_material(line) for line in lines]


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
    """Validate a component's arguments (under ``prefix``) with its model: the stack
    config's fields, the component's own, and no others."""
    try:
        return model.model_validate(_plain_values(dict(args)))
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
    as plain text, which would sit unencrypted in the stack file (each leaf is checked in
    the stack file, see ``secret_config``; under the offline harness the offline reader
    has done that already)."""
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
    if not secret_config.checked_by_offline_reader():
        # Whether each key leaf is encrypted in Pulumi.<stack>.yaml (the CLI only says
        # whether the top-level key is secret): see secret_config.
        from pathlib import Path

        from .offline.stack_file import deployed_secret_problems

        problems += deployed_secret_problems(values, pulumi.get_stack(), Path.cwd())
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
