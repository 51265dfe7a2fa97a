"""Type tokens of the components, and the aliases that keep them stable across renames.

Every component registers as ``expressroute-encryption:index:<ClassName>``: the package
name, Pulumi's ``index`` module, and the class name (the component package looks the
class up by the token's last part, so the two must match). A resource's URN contains
its type token, and the URNs of its children contain it too: renaming a component class
without an alias would make Pulumi replace everything under it, physical ports and Key
Vault secrets included.

Renaming a component safely:

1. rename the class (and ``type_token("NewName")`` in its ``__init__``);
2. add the old class name to ``PREVIOUS_TYPE_NAMES["NewName"]`` (keep older names too);
3. ``pulumi preview`` on every stack that uses it: each resource shows as unchanged
   (the alias matches the old URN), not as a replacement; then release a new version.

Never drop an entry: a stack that skipped a release still has the old URNs.
"""

from typing import Optional

import pulumi

PACKAGE_NAME = "expressroute-encryption"
MODULE = "index"

# Component -> the type names it had before, oldest first. None so far: the package's
# first published version named every component as it is now.
PREVIOUS_TYPE_NAMES: dict[str, tuple[str, ...]] = {
    "MacsecKeyVault": (),
    "EncryptedDirectPort": (),
    "DirectCircuit": (),
    "PrivatePeeringVpn": (),
    "VirtualWanVpn": (),
    "CircuitVnetConnection": (),
    "ExpressRouteMonitoring": (),
    "ResourceLocks": (),
}


def type_token(component: str) -> str:
    """``expressroute-encryption:index:<component>``."""
    return f"{PACKAGE_NAME}:{MODULE}:{component}"


def component_options(component: str, opts: Optional[pulumi.ResourceOptions]) -> Optional[pulumi.ResourceOptions]:
    """``opts`` plus an alias per previous type name of ``component``.

    Children inherit their parent's aliases, so one alias on the component also keeps
    the URNs of everything it created. The caller's options are not modified."""
    aliases = [pulumi.Alias(type_=type_token(old)) for old in PREVIOUS_TYPE_NAMES.get(component, ())]
    if not aliases:
        return opts
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=aliases))
