"""Azure Resource Manager names: resource types, resource ids and Key Vault secret URLs.

Standard library only, like ``facts``: the config schema, ``adopt``, the alerts and the
policy pack all parse and build ids here, with one rule each.

- A resource id is ``/subscriptions/<id>/resourceGroups/<group>/providers/<namespace>/<type>/<name>``,
  optionally followed by the segments of a child (``/secrets/<name>``) or an extension
  resource (``/providers/Microsoft.Insights/diagnosticSettings/<name>``); a resource
  group's id stops after the group. Ids are compared without case (fact: arm-id-format).
- A Key Vault secret URL is ``https://<vault>.<vault DNS suffix>/secrets/<name>[/<version>]``
  (fact: kv-object-identifier), also compared without case.

Every pattern is matched with ``fullmatch``: ``re.match`` with ``$`` would let a value
with a trailing newline through. No segment of an id is ``.`` or ``..`` (a URL client
would resolve ``/rg/../other`` to another resource), and the group follows Azure's
resource group name rules.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import NamedTuple, Optional

from .facts import (
    KEY_VAULT_DNS_SUFFIXES,
    RESOURCE_GROUP_NAME_CATEGORIES,
    RESOURCE_GROUP_NAME_LENGTH,
    RESOURCE_GROUP_NAME_PUNCTUATION,
    SECRET_NAME_PATTERN,
    SECRET_VERSION_PATTERN,
    VAULT_NAME_PATTERN,
)

# ---------------------------------------------------------------------------
# Resource types, as they appear in ids (``.../providers/Microsoft.Network/expressRoutePorts/<name>``)

PORT_TYPE = "Microsoft.Network/expressRoutePorts"
CIRCUIT_TYPE = "Microsoft.Network/expressRouteCircuits"
VAULT_TYPE = "Microsoft.KeyVault/vaults"
VIRTUAL_WAN_TYPE = "Microsoft.Network/virtualWans"
VPN_GATEWAY_TYPE = "Microsoft.Network/virtualNetworkGateways"
LOCAL_NETWORK_GATEWAY_TYPE = "Microsoft.Network/localNetworkGateways"
VPN_SITE_TYPE = "Microsoft.Network/vpnSites"
WORKSPACE_TYPE = "Microsoft.OperationalInsights/workspaces"
ROLE_DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"

# ---------------------------------------------------------------------------
# Resource ids

# ---------------------------------------------------------------------------
# Resource group names

# fact: rg-name-characters
def resource_group_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a resource group, or None: 1-90 letters (Unicode ones too),
    digits, '_', '-', '.', '(' or ')', not ending in '.' (so never '.' or '..')."""
    shortest, longest = RESOURCE_GROUP_NAME_LENGTH
    if (isinstance(name, str) and shortest <= len(name) <= longest and not name.endswith(".")
            and all(c in RESOURCE_GROUP_NAME_PUNCTUATION or unicodedata.category(c) in RESOURCE_GROUP_NAME_CATEGORIES
                    for c in name)):
        return None
    return (f"must be {shortest}-{longest} letters, digits, '_', '-', '.', '(' or ')', not ending in '.' "
            "(Azure resource group names)")


# ---------------------------------------------------------------------------
# Resource ids

# fact: arm-id-format
# A segment is anything but a slash, white space, a control character or a URL's '?' and
# '#' (a pasted id keeps no line break), and never '.' or '..'.
_SEGMENT = r"(?!\.\.?(?:/|\Z))[^/\s\x00-\x1f\x7f?#]+"
ARM_ID_RE = re.compile(
    rf"/subscriptions/(?P<subscription>{_SEGMENT})"
    rf"(?:/resourceGroups/(?P<group>{_SEGMENT})"
    rf"(?:/providers/(?P<namespace>{_SEGMENT})/(?P<collection>{_SEGMENT})/(?P<name>{_SEGMENT})"
    rf"(?P<rest>(?:/{_SEGMENT})*))?)?",
    re.IGNORECASE,
)


class ArmId(NamedTuple):
    """The parts of a resource id. ``type`` and ``name`` are None for a resource group's id;
    ``rest`` holds what follows the resource's name in the id of a child or an extension
    resource ("" for the resource itself)."""

    subscription: str
    group: Optional[str]
    type: Optional[str]
    name: Optional[str]
    rest: str

    def is_type(self, resource_type: str) -> bool:
        return self.type is not None and self.type.lower() == resource_type.lower()


def split_arm_id(value: object) -> ArmId | None:
    """Any resource id (of a subscription, a resource group, a resource, a child or an
    extension resource) into its parts, or None when ``value`` is no such id."""
    return _split_text(value) if isinstance(value, str) else None


@functools.lru_cache(maxsize=8192)
def _split_text(value: str) -> ArmId | None:
    # Remembered: the policies look the same ids up once per resource that names them.
    match = ARM_ID_RE.fullmatch(value)
    if match is None or (match["group"] is not None and resource_group_name_problem(match["group"])):
        return None
    arm_type = f"{match['namespace']}/{match['collection']}" if match["namespace"] else None
    return ArmId(match["subscription"], match["group"], arm_type, match["name"], match["rest"] or "")


def parse_arm_id(value: object, resource_type: str, *, within: bool = False) -> ArmId | None:
    """The parts of the id of a ``resource_type`` resource, or None. With ``within``, the id
    may also be that of a child or an extension resource of one (the parts are then the
    ``resource_type`` resource's)."""
    parts = split_arm_id(value)
    if parts is None or not parts.is_type(resource_type) or (parts.rest and not within):
        return None
    return parts


def format_arm_id(subscription: str, group: str | None, resource_type: str | None = None,
                  name: str | None = None) -> str:
    """A resource id: of a resource group (no ``resource_type``), of a resource in a group, or
    of a subscription-level resource (``group`` None), such as a role definition."""
    scope = f"/subscriptions/{subscription}" + (f"/resourceGroups/{group}" if group is not None else "")
    return scope if resource_type is None else f"{scope}/providers/{resource_type}/{name}"


def arm_id_name(value: str) -> str:
    """The last segment of an ARM id (the resource's name)."""
    return value.rstrip("/").rsplit("/", 1)[-1]


def arm_id_problem(value: str, resource_type: str, what: str | None = None) -> str | None:
    """Why ``value`` is not the id of a ``resource_type`` resource (``what`` names it in the
    message), or None."""
    if parse_arm_id(value, resource_type) is not None:
        return None
    example = f"/subscriptions/<id>/resourceGroups/<group>/providers/{resource_type}/<name>"
    if what is not None:
        return f"must be the ARM id of {what}: {example}"
    return f"must be the ARM id of an existing resource of type {resource_type}: {example}"


# ---------------------------------------------------------------------------
# Key Vault secret URLs

# fact: kv-object-identifier
SECRET_URL_RE = re.compile(
    rf"https://(?P<vault>{VAULT_NAME_PATTERN})\.(?P<suffix>{'|'.join(map(re.escape, KEY_VAULT_DNS_SUFFIXES))})"
    rf"(?::443)?/secrets/(?P<name>{SECRET_NAME_PATTERN})(?:/(?P<version>{SECRET_VERSION_PATTERN}))?/?",
    re.IGNORECASE,
)


class SecretUrl(NamedTuple):
    """A Key Vault secret URL: the vault's name, the secret's name and its version (None
    for a URL that names the secret without a version)."""

    vault: str
    name: str
    version: Optional[str]

    def same_secret(self, other: "SecretUrl") -> bool:
        """Whether both URLs name the same secret (any version); names are case-insensitive."""
        return (self.vault.lower(), self.name.lower()) == (other.vault.lower(), other.name.lower())


def parse_secret_url(value: object) -> SecretUrl | None:
    """The vault, name and version of a Key Vault secret URL, or None."""
    match = SECRET_URL_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    return SecretUrl(match["vault"], match["name"], match["version"])


def format_secret_url(vault: str, name: str, version: str | None = None,
                      suffix: str = KEY_VAULT_DNS_SUFFIXES[0]) -> str:
    """``https://<vault>.vault.azure.net/secrets/<name>[/<version>]``."""
    return f"https://{vault}.{suffix}/secrets/{name}" + (f"/{version}" if version else "")
