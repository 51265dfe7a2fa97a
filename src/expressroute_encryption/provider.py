"""The components as a Pulumi component package, for programs in any Pulumi language.

``pulumi package add ./components`` runs ``components/__main__.py`` (see
``PulumiPlugin.yaml``), which calls ``serve()``: the Python SDK's component provider
host infers the package schema from the components' type annotations (the ``*Args``
TypedDicts of ``component_args`` are the inputs, the ``pulumi.Output[...]`` class annotations the outputs,
the docstrings their descriptions) and constructs a component when a TypeScript, Go,
C#, Java or YAML program asks for one. The arguments then go through the same
validation as in Python.

``package_schema()`` is the schema the host serves, computed in-process (no Pulumi CLI).
"""

import json
import sys
from typing import Any, Optional

import pulumi

from . import __version__
from .circuit import DirectCircuit
from .circuit_connection import CircuitVnetConnection
from .direct_port import EncryptedDirectPort
from .key_vault import MacsecKeyVault
from .locks import ResourceLocks
from .monitoring import ExpressRouteMonitoring
from .tokens import PACKAGE_NAME
from .virtual_wan_vpn import VirtualWanVpn
from .vpn import PrivatePeeringVpn

# Generated SDKs are named after it, e.g. the npm package @expressroute/expressroute-encryption.
NAMESPACE = "expressroute"

COMPONENTS: list[type[pulumi.ComponentResource]] = [
    MacsecKeyVault,
    EncryptedDirectPort,
    DirectCircuit,
    PrivatePeeringVpn,
    VirtualWanVpn,
    CircuitVnetConnection,
    ExpressRouteMonitoring,
    ResourceLocks,
]

# Outputs that hold key material. The SDK's schema inference has no way to flag a
# property as secret, so the schema only says so in the description ("Secret. ...");
# the values themselves reach other languages as secrets (the engine keeps an
# Output.secret secret across the component provider boundary).
SECRET_OUTPUTS: dict[str, tuple[str, ...]] = {
    "EncryptedDirectPort": ("routerKeys", "keyFingerprints"),
    "DirectCircuit": ("authorizationKeys",),
    "PrivatePeeringVpn": ("sharedKey",),
    "VirtualWanVpn": ("sharedKey",),
}


def package_schema() -> dict[str, Any]:
    """The package schema, exactly as the component provider host serves it."""
    from pulumi.provider.experimental.component import ComponentProvider

    provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, NAMESPACE, __version__)
    return json.loads(provider.schema or "{}")


def serve(args: Optional[list[str]] = None) -> None:
    """Run the component provider (what the Pulumi engine starts as the plugin)."""
    from pulumi.provider.experimental import component_provider_host

    if args is not None:
        sys.argv[1:] = args
    component_provider_host(COMPONENTS, PACKAGE_NAME, namespace=NAMESPACE, version=__version__)
