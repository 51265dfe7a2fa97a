"""Stack policy: the resources an encrypted ExpressRoute estate cannot lose are protected.

Deleting the port gives up the physical ports and cross-connects (re-ordering takes weeks); deleting the
vault, a key secret, the identity or its permission to read the vault breaks MACsec, and with it the
links, until both ends are re-keyed; deleting a circuit, a peering, an authorization, a route filter, a
gateway, a connection or a VPN site drops connectivity or the tunnel. Pulumi's ``protect`` option makes
``pulumi destroy`` and an accidental refactor refuse to delete them. Generated keys (``random:``
resources) are not listed: a rotation replaces them on purpose.

The Key Vault side (vaults, secrets, access policies, role assignments, identities) counts only where it
serves an ExpressRoute port (``macsec_vaults``): in another team's stack an application's vault is none of
this policy's business. That is why this is a stack policy (its name is unchanged since it was a resource
policy). Messages name the Azure resource and the resource option, and this project's config key only as
such.
"""

from pulumi_policy import EnforcementLevel, ReportViolation, StackValidationArgs, StackValidationPolicy

from .azure import (
    ACCESS_POLICY,
    CIRCUIT,
    GATEWAY_CONNECTION,
    IDENTITY,
    LOCAL_NETWORK_GATEWAY,
    PORT,
    ROLE_ASSIGNMENT,
    SECRET,
    VAULT,
    VPN_GATEWAY,
    VPN_SITE,
    VWAN_VPN_CONNECTION,
    display_name,
)
from .macsec_vaults import KEY_VAULT_SIDE, MacsecVaults

_KINDS = {
    PORT: "ExpressRoute port",
    VAULT: "Key Vault",
    SECRET: "Key Vault secret",
    IDENTITY: "user-assigned identity (it reads the keys)",
    ACCESS_POLICY: "Key Vault access policy",
    ROLE_ASSIGNMENT: "role assignment",
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


def require_protect(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Each critical resource has the ``protect`` resource option set."""
    macsec = None
    for resource in args.resources:
        kind = _KINDS.get(resource.resource_type)
        if kind is None or resource.opts.protect:
            continue
        if resource.resource_type in KEY_VAULT_SIDE:
            macsec = macsec or MacsecVaults(args.resources)
            if macsec.port_served_by(resource) is None:
                continue
        report_violation(
            f"{kind} {display_name(resource.resource_type, resource.props, resource.name)} is not protected: set "
            "Pulumi's `protect` resource option on it so that it cannot be deleted by accident (in this project's "
            "stack: the config key `protect: true`, the default; with its components: their `protect` argument).",
            resource.urn)


# fact: project-protect-critical
critical_resources_protected = StackValidationPolicy(
    name="critical-resources-protected",
    description="Resources whose loss breaks encryption or connectivity (ports, the vaults holding their keys, those "
                "secrets, the identity and its permission, circuits with their peerings and authorizations, gateways, "
                "connections and VPN sites) are protected from deletion.",
    validate=require_protect,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [critical_resources_protected]
