"""Reusable Pulumi components for encrypted Azure ExpressRoute Direct.

Installed as a package (``pip install`` from a git URL or a path, or editable by
``make venv`` in this repository), they import as ``expressroute_encryption``, the one
name this repository's own program uses too:

    from expressroute_encryption import MacsecKeyVault, EncryptedDirectPort

The components are imported lazily: ``.config`` (the schema and its validation) loads
without the Azure SDK, so a bad config is reported in a fraction of a second. Their
typed arguments (``*Args``) are generated from the config schema (``component_args``).

``python -m expressroute_encryption`` (or ``pulumi package add ./components``) serves
them as a Pulumi component package for TypeScript, Go, C#, Java and YAML programs.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "MacsecKeyVault": "key_vault",
    "EncryptedDirectPort": "direct_port",
    "DirectCircuit": "circuit",
    "PrivatePeeringVpn": "vpn",
    "VirtualWanVpn": "virtual_wan_vpn",
    "CircuitVnetConnection": "circuit_connection",
    "ExpressRouteMonitoring": "monitoring",
    "ResourceLocks": "locks",
    **{f"{component}Args": "component_args" for component in (
        "MacsecKeyVault", "EncryptedDirectPort", "DirectCircuit", "PrivatePeeringVpn", "VirtualWanVpn",
        "CircuitVnetConnection", "ExpressRouteMonitoring", "ResourceLocks")},
    "ConfigError": "config.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
