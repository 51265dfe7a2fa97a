"""Azure facts the policies share: resource type tokens, ARM ids and Key Vault secret identifiers."""

import re
from typing import Any, NamedTuple

from ..facts import VAULT_NAME_PATTERN
from .props import get, text

PORT = "azure-native:network:ExpressRoutePort"
CIRCUIT = "azure-native:network:ExpressRouteCircuit"
VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
VAULT_PRIVATE_ENDPOINT_CONNECTION = "azure-native:keyvault:PrivateEndpointConnection"
VPN_GATEWAY = "azure-native:network:VirtualNetworkGateway"
LOCAL_NETWORK_GATEWAY = "azure-native:network:LocalNetworkGateway"
GATEWAY_CONNECTION = "azure-native:network:VirtualNetworkGatewayConnection"
VWAN_VPN_CONNECTION = "azure-native:network:VpnConnection"
VPN_SITE = "azure-native:network:VpnSite"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"

# Resource inputs carry the Azure name in a type-specific property; outputs carry it as `name`.
NAME_INPUTS = {
    PORT: "expressRoutePortName",
    CIRCUIT: "circuitName",
    VAULT: "vaultName",
    SECRET: "secretName",
    VPN_GATEWAY: "virtualNetworkGatewayName",
    LOCAL_NETWORK_GATEWAY: "localNetworkGatewayName",
    VPN_SITE: "vpnSiteName",
}

# The ARM resource type of each, as it appears in ARM ids: .../providers/Microsoft.Network/expressRoutePorts/<name>.
ARM_TYPES = {
    PORT: "Microsoft.Network/expressRoutePorts",
    CIRCUIT: "Microsoft.Network/expressRouteCircuits",
    VAULT: "Microsoft.KeyVault/vaults",
    VPN_GATEWAY: "Microsoft.Network/virtualNetworkGateways",
    LOCAL_NETWORK_GATEWAY: "Microsoft.Network/localNetworkGateways",
    VPN_SITE: "Microsoft.Network/vpnSites",
}


def arm_name(resource_id: Any, arm_type: str) -> str | None:
    """The name of the ``arm_type`` resource in an ARM id (also the id of one of its children).

    ``arm_name("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/expressRoutePorts/p",
    "Microsoft.Network/expressRoutePorts") == "p"``; ARM ids are compared without case.
    """
    match = re.search(f"/providers/{re.escape(arm_type)}/([^/]+)", text(resource_id) or "", re.IGNORECASE)
    return match[1] if match else None


def arm_resource_group(resource_id: Any) -> str | None:
    """The resource group in an ARM id."""
    match = re.search("/resourceGroups/([^/]+)", text(resource_id) or "", re.IGNORECASE)
    return match[1] if match else None


def azure_name(resource_type: str, props: Any) -> str | None:
    """A resource's Azure name: its ``<type>Name`` input, or the ``name`` output."""
    name_input = NAME_INPUTS.get(resource_type)
    return (text(get(props, name_input)) if name_input else None) or text(get(props, "name"))


def resource_group(props: Any) -> str | None:
    """A resource's resource group: the ``resourceGroupName`` input or the one in its ``id`` output."""
    return text(get(props, "resourceGroupName")) or arm_resource_group(get(props, "id"))


class SecretReference(NamedTuple):
    """A parsed, versioned Key Vault secret identifier."""

    vault: str
    name: str
    version: str

    def same_secret(self, other: "SecretReference") -> bool:
        """Whether both identifiers name the same secret (any version); names are case-insensitive."""
        return (self.vault.lower(), self.name.lower()) == (other.vault.lower(), other.name.lower())


# https://<vault>.vault.azure.net/secrets/<name>/<version>, plus the sovereign clouds' vault DNS suffixes.
# Vault names: 3-24 letters, digits and hyphens, starting with a letter; secret names: 1-127 letters,
# digits and hyphens; versions: 32 hex digits.
_SECRET_IDENTIFIER = re.compile(
    rf"https://(?P<vault>{VAULT_NAME_PATTERN})"
    r"\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net|microsoftazure\.de)(?::443)?"
    r"/secrets/(?P<name>[a-z0-9-]{1,127})/(?P<version>[0-9a-f]{32})/?",
    re.IGNORECASE,
)


def parse_secret_identifier(value: Any) -> SecretReference | None:
    """The vault, secret name and version of a versioned Key Vault secret URL, or ``None``."""
    match = _SECRET_IDENTIFIER.fullmatch(text(value) or "")
    if match is None:
        return None
    return SecretReference(match["vault"], match["name"], match["version"])
