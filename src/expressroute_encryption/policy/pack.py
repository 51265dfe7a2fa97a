"""The policy pack's contents: its name, its policies and their default enforcement levels.

``policy/__main__.py`` builds the ``PolicyPack`` from ``pack_arguments()``; the offline checker evaluates
the very same ``POLICIES``.
"""

from typing import Any

from pulumi_policy import EnforcementLevel, Policy

from . import exemptions, expressroute, keyvault, operations, protection, stack, vpn

PACK_NAME = "expressroute-encryption-policies"
DESCRIPTION = ("MACsec on ExpressRoute Direct ports, the Key Vault holding the keys, circuits on encrypted "
               "ports, IPsec over ExpressRoute private peering, and the alerts and audit log that operate them.")
# Every policy sets its own level; this only applies to a policy that would not.
DEFAULT_ENFORCEMENT_LEVEL = EnforcementLevel.ADVISORY

POLICIES: list[Policy] = [
    *expressroute.POLICIES,
    *keyvault.POLICIES,
    *stack.POLICIES,
    *vpn.POLICIES,
    *protection.POLICIES,
    *operations.POLICIES,
    *exemptions.POLICIES,
]

POLICY_NAMES = [policy.name for policy in POLICIES]


def pack_arguments() -> dict[str, Any]:
    """Keyword arguments for ``pulumi_policy.PolicyPack``."""
    return {
        "name": PACK_NAME,
        "policies": POLICIES,
        "enforcement_level": DEFAULT_ENFORCEMENT_LEVEL,
        "description": DESCRIPTION,
        "provider": "azure",
        "tags": ["azure", "expressroute", "macsec", "keyvault", "ipsec"],
    }
