"""Reusable Pulumi components for encrypted Azure ExpressRoute Direct.

    from components import MacsecKeyVault, EncryptedDirectPort

The components are imported lazily: ``components.config`` (the schema and its
validation) loads without the Azure SDK, so a bad config is reported in a fraction of
a second.
"""

import importlib

_EXPORTS = {
    "MacsecKeyVault": "key_vault",
    "MacsecKeyVaultArgs": "key_vault",
    "EncryptedDirectPort": "direct_port",
    "EncryptedDirectPortArgs": "direct_port",
    "DirectCircuit": "circuit",
    "DirectCircuitArgs": "circuit",
    "PrivatePeeringVpn": "vpn",
    "PrivatePeeringVpnArgs": "vpn",
    "VirtualWanVpn": "virtual_wan_vpn",
    "VirtualWanVpnArgs": "virtual_wan_vpn",
    "ConfigError": "config",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
