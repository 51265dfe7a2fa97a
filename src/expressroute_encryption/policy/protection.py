"""Resource policy: the resources an encrypted ExpressRoute estate cannot lose are protected.

Deleting the port gives up the physical ports and cross-connects (re-ordering takes weeks); deleting the
vault, a key secret, the identity or its permission to read the vault breaks MACsec, and with it the
links, until both ends are re-keyed; deleting a circuit, a peering, an authorization, a route filter, a
gateway, a connection or a VPN site drops connectivity or the tunnel. Pulumi's ``protect`` option makes
``pulumi destroy`` and an accidental refactor refuse to delete them. Generated keys (``random:``
resources) are not listed: a rotation replaces them on purpose.
"""

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .azure import (
    CIRCUIT,
    GATEWAY_CONNECTION,
    LOCAL_NETWORK_GATEWAY,
    PORT,
    SECRET,
    VAULT,
    VPN_GATEWAY,
    VPN_SITE,
    VWAN_VPN_CONNECTION,
)
from .resources import applies_to

_KINDS = {
    PORT: "ExpressRoute port",
    VAULT: "Key Vault",
    SECRET: "Key Vault secret",
    "azure-native:managedidentity:UserAssignedIdentity": "user-assigned identity (it reads the keys)",
    "azure-native:keyvault:AccessPolicy": "Key Vault access policy",
    "azure-native:authorization:RoleAssignment": "role assignment",
    CIRCUIT: "ExpressRoute circuit",
    "azure-native:network:ExpressRouteCircuitPeering": "circuit peering",
    "azure-native:network:ExpressRouteCircuitAuthorization": "circuit authorization",
    "azure-native:network:RouteFilter": "route filter",
    VPN_GATEWAY: "virtual network gateway",
    GATEWAY_CONNECTION: "gateway connection",
    LOCAL_NETWORK_GATEWAY: "local network gateway",
    "azure-native:network:VirtualWan": "virtual WAN",
    "azure-native:network:VirtualHub": "virtual hub",
    "azure-native:network:ExpressRouteGateway": "hub ExpressRoute gateway",
    "azure-native:network:ExpressRouteConnection": "hub ExpressRoute connection",
    "azure-native:network:VpnGateway": "hub VPN gateway",
    VPN_SITE: "VPN site",
    VWAN_VPN_CONNECTION: "VPN connection",
}
CRITICAL_TYPES = tuple(_KINDS)


@applies_to(*_KINDS)
def require_protect(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """The resource has the ``protect`` resource option set."""
    if not args.opts.protect:
        report_violation(
            f"{_KINDS[args.resource_type]} '{args.name}' is not protected: set the stack config key "
            "`protect: true` (the default), or the component's `protect` argument, so that it cannot be "
            "deleted by accident.")


# fact: project-protect-critical
critical_resources_protected = ResourceValidationPolicy(
    name="critical-resources-protected",
    description="Resources whose loss breaks encryption or connectivity (ports, vaults, secrets, the identity and its "
                "permission, circuits with their peerings and authorizations, gateways, connections and VPN sites) "
                "are protected from deletion.",
    validate=require_protect,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [critical_resources_protected]
