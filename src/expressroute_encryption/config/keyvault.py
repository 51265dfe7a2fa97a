"""``keyVault``: the vault that holds the MACsec keys, created by the stack or existing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Annotated, Optional

from pydantic import Field

from .. import facts
from ..arm import VAULT_TYPE, arm_id_name, arm_id_problem
from .literals import KeyVaultAuthorization
from .rules import ConfigModel, Int, cross_rule, rule


def vault_name_problem(name: str) -> str | None:
    """Azure Key Vault naming: 3-24 letters, digits and hyphens, starting with a letter,
    ending with a letter or digit, no consecutive hyphens (the name is a DNS label)."""
    if not facts.VAULT_NAME_RE.fullmatch(name) or "--" in name:
        return (
            "must be 3-24 characters of letters, digits and hyphens, start with a letter, "
            "end with a letter or digit and contain no '--' (Azure Key Vault naming)"
        )
    return None


def ip_range_problem(value: str) -> str | None:
    """Key Vault IP rules take a public IPv4 address or an IPv4 CIDR range."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        return "must be an IPv4 address or CIDR range such as 203.0.113.0/24 (host bits zero)"
    narrowest = facts.KEY_VAULT_MIN_IP_RULE_PREFIX_LENGTH
    if network.prefixlen < narrowest:
        return (
            f"is too broad: /{network.prefixlen} would let a large part of the internet past the vault's "
            f"firewall; list your egress ranges (/{narrowest} or narrower)"
        )
    # fact: kv-ip-rules-public-only
    if reason := facts.non_public_reason(network):
        return (
            "must be a public range: Key Vault IP rules do not accept private (RFC 1918), "
            f"loopback or link-local addresses (this one is {reason})"
        )
    return None


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


class KeyVaultSettings(ConfigModel):
    """The vault that holds the MACsec CAK/CKN secrets."""

    name: Optional[Annotated[str, rule("vault_name", vault_name_problem)]] = None
    """Vault name: 3-24 letters, digits and hyphens, starting with a letter, no `--`; globally unique (it is a DNS name). Required unless `existingId` is given."""
    allowed_ip_ranges: list[Annotated[str, rule("ip_range", ip_range_problem)]] = Field(default_factory=list)
    """Public IPv4 addresses or CIDR ranges (/16 or narrower) allowed through the vault's firewall besides trusted services, e.g. the deployers' egress."""
    soft_delete_retention_days: Annotated[
        Int, Field(ge=facts.SOFT_DELETE_RETENTION_DAYS[0], le=facts.SOFT_DELETE_RETENTION_DAYS[1])] = 90
    """Days a deleted key stays recoverable, 7-90; 90 as in Microsoft's MACsec procedure. Fixed once the vault exists."""
    purge_protection: bool = True
    """Nobody can permanently delete the keys during the retention period; cannot be turned off again once on (Azure rule)."""
    authorization: KeyVaultAuthorization = "accessPolicy"
    """How the port's identity gets `get` on secrets: `accessPolicy` (Microsoft's documented procedure) or `rbac` (the Key Vault Secrets User role)."""
    existing_id: Optional[Annotated[str, rule("vault_id", lambda v: arm_id_problem(v, VAULT_TYPE))]] = None
    """ARM id of an existing vault to use instead of creating one: the stack then only adds the secrets and the identity's `get` permission, and refuses a vault ExpressRoute could not read."""

    @cross_rule("name", "existing_id", "allowed_ip_ranges", "soft_delete_retention_days", "purge_protection")
    def _name_or_existing_id(self):
        yield from existing_vault_key_problems(self)

    @property
    def vault_name(self) -> str:
        """The vault's name: ``name``, or the last segment of ``existingId``."""
        return self.name or arm_id_name(self.existing_id or "")
