"""Azure names the policies share: resource type tokens, and ARM ids and Key Vault secret
identifiers read through ``arm`` (one rule each, shared with the config and ``adopt``)."""

from typing import Any

from .. import arm
from ..arm import SecretUrl
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
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
ACCESS_POLICY = "azure-native:keyvault:AccessPolicy"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"

# Resource inputs carry the Azure name in a type-specific property; outputs carry it as `name`.
NAME_INPUTS = {
    PORT: "expressRoutePortName",
    CIRCUIT: "circuitName",
    VAULT: "vaultName",
    SECRET: "secretName",
    VPN_GATEWAY: "virtualNetworkGatewayName",
    LOCAL_NETWORK_GATEWAY: "localNetworkGatewayName",
    VPN_SITE: "vpnSiteName",
    IDENTITY: "resourceName",
    ROLE_ASSIGNMENT: "roleAssignmentName",
    PRIVATE_ENDPOINT: "privateEndpointName",
    GATEWAY_CONNECTION: "virtualNetworkGatewayConnectionName",
    VWAN_VPN_CONNECTION: "connectionName",
    "azure-native:network:ExpressRouteCircuitPeering": "peeringName",
    "azure-native:network:ExpressRouteCircuitAuthorization": "authorizationName",
    "azure-native:network:RouteFilter": "routeFilterName",
    "azure-native:network:VirtualWan": "virtualWANName",
    "azure-native:network:VirtualHub": "virtualHubName",
    "azure-native:network:ExpressRouteGateway": "expressRouteGatewayName",
    "azure-native:network:ExpressRouteConnection": "connectionName",
    "azure-native:network:VpnGateway": "gatewayName",
}

# The ARM resource type of each, as it appears in ARM ids: .../providers/Microsoft.Network/expressRoutePorts/<name>.
ARM_TYPES = {
    PORT: arm.PORT_TYPE,
    CIRCUIT: arm.CIRCUIT_TYPE,
    VAULT: arm.VAULT_TYPE,
    VPN_GATEWAY: arm.VPN_GATEWAY_TYPE,
    LOCAL_NETWORK_GATEWAY: arm.LOCAL_NETWORK_GATEWAY_TYPE,
    VPN_SITE: arm.VPN_SITE_TYPE,
    IDENTITY: arm.IDENTITY_TYPE,
}


def arm_name(resource_id: Any, arm_type: str) -> str | None:
    """The name of the ``arm_type`` resource in an ARM id (also the id of one of its children
    or extension resources); ARM ids are compared without case."""
    parts = arm.parse_arm_id(text(resource_id), arm_type, within=True)
    return parts.name if parts else None


def arm_resource_group(resource_id: Any) -> str | None:
    """The resource group in an ARM id."""
    parts = arm.split_arm_id(text(resource_id))
    return parts.group if parts else None


def azure_name(resource_type: str, props: Any) -> str | None:
    """A resource's Azure name: its ``<type>Name`` input, or the ``name`` output."""
    name_input = NAME_INPUTS.get(resource_type)
    return (text(get(props, name_input)) if name_input else None) or text(get(props, "name"))


def display_name(resource_type: str, props: Any, pulumi_name: str) -> str:
    """How a message names a resource: its Azure name, quoted; while that is not known (a resource
    Pulumi names itself, during preview) its Pulumi name, said to be one."""
    name = azure_name(resource_type, props)
    return f"'{name}'" if name else f"(Pulumi resource '{pulumi_name}')"


def resource_group(props: Any) -> str | None:
    """A resource's resource group: the ``resourceGroupName`` input or the one in its ``id`` output."""
    return text(get(props, "resourceGroupName")) or arm_resource_group(get(props, "id"))


def parse_secret_identifier(value: Any) -> SecretUrl | None:
    """The vault, secret name and version of a *versioned* Key Vault secret URL (what a
    port's link needs: fact: macsec-secret-identifier-versioned), or ``None``."""
    reference = arm.parse_secret_url(text(value))
    return reference if reference is not None and reference.version is not None else None
