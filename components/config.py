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
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

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


def ip_range_problem(value: str) -> str | None:
    """Key Vault IP rules take a public IPv4 address or an IPv4 CIDR range."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 address or CIDR range such as 203.0.113.0/24 (host bits zero)"
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
    soft_delete_retention_days: Annotated[int, Field(ge=7, le=90)] = 90
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

    link1: Annotated[int, Field(ge=1)] = 1
    link2: Annotated[int, Field(ge=1)] = 1


class MacsecSettings(_Model):
    """MACsec applied to both links of a port."""

    cipher: Cipher
    sci_state: Literal["Enabled", "Disabled"] = "Disabled"
    key_generation: KeyGeneration = Field(default_factory=KeyGeneration)


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

    @field_validator("macsec")
    @classmethod
    def _xpn_needs_100g(cls, macsec: MacsecSettings, info: ValidationInfo) -> MacsecSettings:
        """XPN ciphers are not supported on 10 Gbps ports."""
        if macsec.cipher in XPN_CIPHERS and info.data.get("bandwidth_in_gbps") == 10:
            _raise_rules("MacsecSettings", [_rule_error(
                ("cipher",), "xpn_needs_100g",
                f"{macsec.cipher} is not supported on 10 Gbps ports; "
                "use GcmAes128 or GcmAes256 (XPN ciphers need a 100 Gbps port)",
            )])
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

    def problems(self, cipher: str | None) -> list[tuple[tuple[str, ...], str, str]]:
        """CAK length problems for the port's cipher (None: not known), as
        (path under this port, rule, message); never the value."""
        found = []
        for link in LINKS:
            key: LinkKey = getattr(self, link)
            if problem := cak_problem(key.cak.get_secret_value(), cipher):
                found.append(((link, "cak"), "cak_length", problem))
        return found


# ---------------------------------------------------------------------------
# The whole stack


class StackConfig(_Model):
    """Everything under the ``expressroute-encryption`` config namespace."""

    resource_group_name: Annotated[str, Field(min_length=1, max_length=90)]
    protect: bool = True
    key_vault: KeyVaultSettings
    ports: Annotated[list[PortSettings], Field(min_length=1)]
    macsec_keys: dict[str, PortKeys] = Field(default_factory=dict)

    @field_validator("ports")
    @classmethod
    def _unique_port_names(cls, ports: list[PortSettings]) -> list[PortSettings]:
        """Port names are Azure names in one resource group and prefix secret names."""
        errors, seen = [], set()
        for i, port in enumerate(ports):
            if port.name.lower() in seen:
                errors.append(_rule_error(
                    (i, "name"), "duplicate_port",
                    f"port name '{port.name}' is used twice; port names must be unique",
                ))
            seen.add(port.name.lower())
        _raise_rules("ports", errors)
        return ports

    @field_validator("macsec_keys")
    @classmethod
    def _keys_match_ports(cls, keys: dict[str, PortKeys], info: ValidationInfo) -> dict[str, PortKeys]:
        """Keys belong to a listed port, with the CAK length of that port's cipher."""
        ports = info.data.get("ports")  # absent when the ports have errors of their own
        ciphers = {port.name: port.macsec.cipher for port in ports or []}
        errors = []
        for port_name, port_keys in keys.items():
            if ports is not None and port_name not in ciphers:
                errors.append(_rule_error(
                    (port_name,), "unknown_port",
                    f"no port named '{port_name}' in ports[]; keys must be listed under a port's name",
                ))
                continue
            for path, rule, message in port_keys.problems(ciphers.get(port_name)):
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
    from typing import get_args, get_origin

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
        while get_origin(model) is Annotated:
            model = get_args(model)[0]
    return model


def describe_errors(exc: ValidationError, root: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[str]:
    """One line per problem: its config path, what is wrong and what is allowed.

    pydantic is told to hide inputs, and custom rules never quote key material, so the
    lines are safe to print."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        path = format_loc(prefix + loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_at(root, loc[:-1])
            allowed = ", ".join(_field_keys(parent)) if parent else ""
            lines.append(f"{path}: unknown key" + (f" (allowed: {allowed})" if allowed else ""))
        elif err["type"] == "missing":
            lines.append(f"{path}: required")
        else:
            lines.append(f"{path}: {err['msg']}")
    return lines


def parse_stack_config(values: Mapping[str, Any]) -> StackConfig:
    """Validate the namespace's config (keys without the namespace prefix).

    Raises ConfigError listing every problem at once."""
    try:
        return StackConfig.model_validate(dict(values))
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, StackConfig)) from None


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
    try:
        config = parse_stack_config(values)
    except ConfigError as exc:
        problems += exc.problems
    if problems:
        raise ConfigError(problems)
    return config
