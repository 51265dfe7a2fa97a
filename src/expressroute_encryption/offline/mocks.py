"""Pulumi mocks that answer like Azure, for previews and tests without a subscription.

Each resource type the program uses has a handler that returns the state Azure (or the
random provider) would: ARM-style ids, the computed outputs each type really has
(versioned Key Vault secret URLs, identity principal ids, the port's two links), and
output shapes where they differ from inputs (an identity list comes back as a map).
Values are derived from the resource's name and inputs, so two runs of the same config
give the same ids, and a changed key gives a new secret version, as in Azure.

An unknown resource type or function is an error: a mock that silently echoes inputs
would let a preview "pass" on resources nobody has modelled.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import uuid
from typing import Any, Callable

import pulumi

from expressroute_encryption.offline import SUBSCRIPTION_ID, TENANT_ID, wire
_NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")

Handler = Callable[["pulumi.runtime.MockResourceArgs", dict], tuple[str, dict]]


def fake_uuid(*parts: Any) -> str:
    """A stable GUID for a name, like the ones Azure hands out."""
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def fake_hex(digits: int, *parts: Any) -> str:
    """Stable hex of the requested length (versions, fake key material)."""
    out = ""
    counter = 0
    while len(out) < digits:
        out += hashlib.sha256("/".join(map(str, (*parts, counter))).encode()).hexdigest()
        counter += 1
    return out[:digits]


def arm_id(resource_group: str, provider: str, *path: str) -> str:
    return (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{resource_group}"
        f"/providers/{provider}/" + "/".join(path)
    )


def _autoname(args: pulumi.runtime.MockResourceArgs, key: str) -> str:
    """azure-native names a resource after its logical name plus a random suffix when
    no explicit name is given."""
    return args.inputs.get(key) or f"{args.name}{fake_hex(7, args.name)}"


def _location(inputs: dict) -> str:
    return inputs.get("location") or "westeurope"


def network_resource(args, name_key: str, collection: str) -> tuple[str, dict]:
    """Id and state of a Microsoft.Network resource directly under a resource group:
    the inputs, plus what every such resource reports. Handlers add their own fields."""
    name = _autoname(args, name_key)
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.Network", collection, name)
    return rid, {
        **args.inputs,
        "name": name,
        "location": _location(args.inputs),
        "type": f"Microsoft.Network/{collection}",
        "provisioningState": "Succeeded",
        "azureApiVersion": "2024-05-01",
    }


def resource_group(args, known):
    name = _autoname(args, "resourceGroupName")
    rid = f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{name}"
    return rid, {
        **args.inputs,
        "name": name,
        "location": _location(args.inputs),
        "type": "Microsoft.Resources/resourceGroups",
        "properties": {"provisioningState": "Succeeded"},
        "azureApiVersion": "2024-03-01",
    }


def user_assigned_identity(args, known):
    name = _autoname(args, "resourceName")
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.ManagedIdentity", "userAssignedIdentities", name)
    return rid, {
        **args.inputs,
        "name": name,
        "location": _location(args.inputs),
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        "principalId": fake_uuid("principal", rid),
        "clientId": fake_uuid("client", rid),
        "tenantId": TENANT_ID,
        "azureApiVersion": "2023-01-31",
    }


def vault_uri(vault_name: str) -> str:
    return f"https://{vault_name}.vault.azure.net/"


def vault(args, known):
    name = _autoname(args, "vaultName")
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.KeyVault", "vaults", name)
    return rid, {
        **args.inputs,
        "name": name,
        "location": _location(args.inputs),
        "type": "Microsoft.KeyVault/vaults",
        "properties": {
            **args.inputs.get("properties", {}),
            "vaultUri": vault_uri(name),
            "provisioningState": "Succeeded",
            "hsmPoolResourceId": "",
        },
        "azureApiVersion": "2024-11-01",
    }


def access_policy(args, known):
    """One access policy entry added to an existing vault (the vault itself is not touched)."""
    vault_name = args.inputs["vaultName"]
    policy = args.inputs.get("policy") or {}
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.KeyVault", "vaults", vault_name,
                 "accessPolicies", policy.get("objectId") or args.name)
    return rid, {**args.inputs, "name": policy.get("objectId"), "azureApiVersion": "2024-11-01"}


def existing_vault_state(group: str, name: str, overrides: dict | None = None,
                         subscription: str = SUBSCRIPTION_ID) -> dict:
    """What ``az keyvault show`` / the vault GET answers for a vault set up as Microsoft's
    MACsec procedure asks (soft delete, firewall denying by default with the trusted
    services bypass, access policies, no private endpoint); ``overrides`` replace
    properties (e.g. a wrong firewall in a test)."""
    rid = f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}"
    return {
        "id": rid,
        "name": name,
        "location": "westeurope",
        "type": "Microsoft.KeyVault/vaults",
        "tags": {},
        "properties": {
            "tenantId": TENANT_ID,
            "sku": {"family": "A", "name": "standard"},
            "accessPolicies": [],
            "vaultUri": vault_uri(name),
            "enabledForDeployment": False,
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": 90,
            "enablePurgeProtection": True,
            "enableRbacAuthorization": False,
            "publicNetworkAccess": "Enabled",
            "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
            "privateEndpointConnections": [],
            "provisioningState": "Succeeded",
            "hsmPoolResourceId": "",
            **(overrides or {}),
        },
        "azureApiVersion": "2024-11-01",
    }


def secret(args, known):
    name = args.inputs["secretName"]
    vault_name = args.inputs["vaultName"]
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.KeyVault", "vaults", vault_name, "secrets", name)
    props = dict(args.inputs.get("properties", {}))
    # Azure never returns the value; a new value is a new version of the same secret.
    value = props.pop("value", "")
    version = fake_hex(32, rid, value)
    uri = f"{vault_uri(vault_name)}secrets/{name}"
    return rid, {
        **{k: v for k, v in args.inputs.items() if k != "properties"},
        "name": name,
        "type": "Microsoft.KeyVault/vaults/secrets",
        "properties": {
            **props,
            "secretUri": uri,
            "secretUriWithVersion": f"{uri}/{version}",
            "attributes": {"enabled": True, "created": 1764000000, "updated": 1764000000},
        },
        "azureApiVersion": "2024-11-01",
    }


def role_assignment(args, known):
    name = args.inputs.get("roleAssignmentName") or fake_uuid("role", args.name)
    scope = args.inputs["scope"]
    rid = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    return rid, {
        **args.inputs,
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "principalType": args.inputs.get("principalType", "ServicePrincipal"),
        "azureApiVersion": "2022-04-01",
    }


def express_route_port(args, known):
    name = _autoname(args, "expressRoutePortName")
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.Network", "expressRoutePorts", name)
    sent = {link.get("name"): link for link in args.inputs.get("links") or []}
    links = []
    for index, link_name in enumerate(("link1", "link2"), start=1):
        link = sent.get(link_name, {})
        links.append({
            **link,
            "name": link_name,
            "id": f"{rid}/links/{link_name}",
            "adminState": link.get("adminState", "Disabled"),
            "connectorType": "LC" if args.inputs.get("bandwidthInGbps") == 10 else "SC",
            "interfaceName": f"HundredGigE2/2/{index}",
            "patchPanelId": f"PP:0123:{1234560 + index}",
            "rackId": f"AM5-0{index}-COLO1",
            "routerName": f"{name[:6].lower()}-{index:02d}gmr-cis-1",
            "provisioningState": "Succeeded",
            "etag": f'W/"{fake_uuid(rid, link_name)}"',
        })
    identity = args.inputs.get("identity")
    if identity:
        identity = {
            "type": identity.get("type"),
            "userAssignedIdentities": {
                i: {"principalId": fake_uuid("principal", i), "clientId": fake_uuid("client", i)}
                for i in identity.get("userAssignedIdentities", [])
            },
        }
    return rid, {
        **args.inputs,
        "identity": identity,
        "name": name,
        "location": _location(args.inputs),
        "type": "Microsoft.Network/expressRoutePorts",
        "links": links,
        "allocationDate": "Tuesday, November 25, 2026",
        "etherType": "0x8100" if args.inputs.get("encapsulation") == "Dot1Q" else "0x88a8",
        "mtu": "1500",
        "provisionedBandwidthInGbps": 0.0,
        "provisioningState": "Succeeded",
        "resourceGuid": fake_uuid("guid", rid),
        "circuits": [],
        "etag": f'W/"{fake_uuid(rid)}"',
        "azureApiVersion": "2024-05-01",
    }


def _children(known: dict, kind: str, parent_id: str) -> list[dict]:
    """Child resources Azure lists inside their parent (``known[kind][parent id]``: created
    earlier in this run, or set by a test to stand for a parent that exists in Azure)."""
    return [child for _, child in sorted(known.get(kind, {}).get(parent_id, {}).items())]


def _remember(known: dict, kind: str, parent_id: str, name: str, state: dict) -> None:
    known.setdefault(kind, {}).setdefault(parent_id, {})[name] = state


def express_route_circuit(args, known):
    """A circuit as Azure returns it. Like Azure, it lists the authorizations it already has,
    each with its key (``known["authorizations"][circuit id]``: created earlier in this run,
    or set by a test to stand for a circuit that exists in Azure), and its peerings, each
    with its BGP key when it has one."""
    rid, state = network_resource(args, "circuitName", "expressRouteCircuits")
    authorizations = [
        {"name": name, "id": f"{rid}/authorizations/{name}",
         "properties": {"authorizationKey": key, "authorizationUseStatus": "Available", "provisioningState": "Succeeded"}}
        for name, key in sorted(known.get("authorizations", {}).get(rid, {}).items())
    ]
    return rid, {
        **state,
        "serviceKey": fake_uuid("service-key", rid),
        "circuitProvisioningState": "Enabled",
        # Direct circuits have no provider to wait for.
        "serviceProviderProvisioningState": "Provisioned",
        "globalReachEnabled": False,
        "stag": 100 + int(fake_hex(4, rid), 16) % 3000,
        "authorizations": authorizations,
        "peerings": _children(known, "peerings", rid),
        "etag": f'W/"{fake_uuid(rid)}"',
    }


def express_route_circuit_peering(args, known):
    name = args.inputs.get("peeringName") or args.inputs.get("peeringType")
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.Network", "expressRouteCircuits",
                 args.inputs["circuitName"], "peerings", name)
    _remember(known, "peerings", rid.rsplit("/peerings/", 1)[0], name, {
        "name": name, "id": rid,
        "properties": {k: v for k, v in args.inputs.items() if k not in ("resourceGroupName", "circuitName")}})
    return rid, {
        **args.inputs,
        "name": name,
        "type": "Microsoft.Network/expressRouteCircuits/peerings",
        "azureASN": 12076,
        "primaryAzurePort": "",
        "secondaryAzurePort": "",
        "state": args.inputs.get("state", "Enabled"),
        "provisioningState": "Succeeded",
        "lastModifiedBy": "Customer",
        "etag": f'W/"{fake_uuid(rid)}"',
        "azureApiVersion": "2024-05-01",
    }


def express_route_circuit_authorization(args, known):
    name = _autoname(args, "authorizationName")
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.Network", "expressRouteCircuits",
                 args.inputs["circuitName"], "authorizations", name)
    key = fake_uuid("authorization-key", rid)
    circuit_id = rid.rsplit("/authorizations/", 1)[0]
    known.setdefault("authorizations", {}).setdefault(circuit_id, {})[name] = key
    return rid, {
        **args.inputs,
        "name": name,
        "type": "Microsoft.Network/expressRouteCircuits/authorizations",
        "authorizationKey": key,
        "authorizationUseStatus": "Available",
        "provisioningState": "Succeeded",
        "etag": f'W/"{fake_uuid(rid)}"',
        "azureApiVersion": "2024-05-01",
    }


def route_filter(args, known):
    rid, state = network_resource(args, "routeFilterName", "routeFilters")
    rules = [{**rule, "id": f"{rid}/routeFilterRules/{rule.get('name')}", "provisioningState": "Succeeded"}
             for rule in args.inputs.get("rules", [])]
    return rid, {**state, "rules": rules, "peerings": [], "ipv6Peerings": [], "etag": f'W/"{fake_uuid(rid)}"'}


def virtual_network(args, known):
    rid, state = network_resource(args, "virtualNetworkName", "virtualNetworks")
    subnets = []
    for subnet in args.inputs.get("subnets") or []:
        subnet_id = f"{rid}/subnets/{subnet['name']}"
        known[subnet_id] = subnet.get("addressPrefix")
        subnets.append({**subnet, "id": subnet_id, "provisioningState": "Succeeded",
                        "type": "Microsoft.Network/virtualNetworks/subnets"})
    return rid, {**state, "subnets": subnets, "resourceGuid": fake_uuid("guid", rid)}


def subnet(args, known):
    name = _autoname(args, "subnetName")
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.Network", "virtualNetworks",
                 args.inputs["virtualNetworkName"], "subnets", name)
    # As for inline subnets: a gateway in this subnet gets its private addresses from it.
    known[rid] = args.inputs.get("addressPrefix")
    return rid, {
        **args.inputs,
        "name": name,
        "type": "Microsoft.Network/virtualNetworks/subnets",
        "provisioningState": "Succeeded",
        "azureApiVersion": "2024-05-01",
    }


def public_ip_address(args, known):
    rid, state = network_resource(args, "publicIpAddressName", "publicIPAddresses")
    digest = bytes.fromhex(fake_hex(4, rid))
    # Documentation range (RFC 5737): realistic shape, never a real address.
    return rid, {**state, "ipAddress": f"198.51.100.{digest[0] % 250 + 1}", "publicIPAddressVersion": "IPv4"}


def virtual_network_gateway(args, known):
    rid, state = network_resource(args, "virtualNetworkGatewayName", "virtualNetworkGateways")
    configs = []
    taken = known.setdefault("allocated", set())
    for config in args.inputs.get("ipConfigurations") or []:
        subnet_id = (config.get("subnet") or {}).get("id")
        prefix = known.get(subnet_id)
        address = None
        if prefix:
            # Azure keeps the first four addresses of a subnet for itself.
            address = next(str(ip) for ip in list(ipaddress.ip_network(prefix).hosts())[3:] if (subnet_id, str(ip)) not in taken)
            taken.add((subnet_id, address))
        configs.append({**config, "id": f"{rid}/ipConfigurations/{config.get('name')}",
                        "privateIPAddress": address, "provisioningState": "Succeeded"})
    state = {**state, "ipConfigurations": configs, "resourceGuid": fake_uuid("guid", rid)}
    if args.inputs.get("gatewayType") == "Vpn":
        asn = (args.inputs.get("bgpSettings") or {}).get("asn") or 65515
        state["bgpSettings"] = {
            "asn": asn,
            "peerWeight": 0,
            "bgpPeeringAddress": ",".join(c["privateIPAddress"] or "" for c in configs),
            "bgpPeeringAddresses": [
                {"ipconfigurationId": c["id"], "defaultBgpIpAddresses": [c["privateIPAddress"]],
                 "customBgpIpAddresses": [], "tunnelIpAddresses": [c["privateIPAddress"]]}
                for c in configs
            ],
        }
    return rid, state


def local_network_gateway(args, known):
    rid, state = network_resource(args, "localNetworkGatewayName", "localNetworkGateways")
    return rid, {**state, "resourceGuid": fake_uuid("guid", rid)}


def virtual_network_gateway_connection(args, known):
    rid, state = network_resource(args, "virtualNetworkGatewayConnectionName", "connections")
    return rid, {**state, "connectionStatus": "Unknown", "ingressBytesTransferred": 0,
                 "egressBytesTransferred": 0, "resourceGuid": fake_uuid("guid", rid)}


def virtual_wan(args, known):
    return network_resource(args, "virtualWANName", "virtualWans")


def virtual_hub(args, known):
    rid, state = network_resource(args, "virtualHubName", "virtualHubs")
    known[rid] = args.inputs.get("addressPrefix")
    return rid, {**state, "routingState": "Provisioned", "virtualRouterAsn": 65515}


def express_route_gateway(args, known):
    """Like Azure, the gateway lists its connections, authorization keys included."""
    rid, state = network_resource(args, "expressRouteGatewayName", "expressRouteGateways")
    return rid, {**state, "expressRouteConnections": _children(known, "expressRouteConnections", rid)}


def express_route_connection(args, known):
    name = args.inputs.get("name") or args.name
    gateway_id = arm_id(args.inputs["resourceGroupName"], "Microsoft.Network", "expressRouteGateways",
                        args.inputs["expressRouteGatewayName"])
    rid = f"{gateway_id}/expressRouteConnections/{name}"
    state = {**args.inputs, "name": name, "provisioningState": "Succeeded", "azureApiVersion": "2024-05-01"}
    _remember(known, "expressRouteConnections", gateway_id, name, {"name": name, "id": rid, "properties": state})
    return rid, state


def vpn_gateway(args, known):
    """Like Azure, the gateway lists its connections, shared keys included."""
    rid, state = network_resource(args, "gatewayName", "vpnGateways")
    prefix = known.get((args.inputs.get("virtualHub") or {}).get("id"))
    hosts = list(ipaddress.ip_network(prefix).hosts()) if prefix else []
    configs = []
    for instance in range(2):  # a hub VPN gateway always runs two instances
        private = str(hosts[12 + instance]) if hosts else None
        configs.append({"id": f"Instance{instance}", "privateIpAddress": private,
                        "publicIpAddress": f"198.51.100.{200 + instance}"})
    return rid, {
        **state,
        "connections": _children(known, "vpnConnections", rid),
        "ipConfigurations": configs,
        "bgpSettings": {
            "asn": 65515, "peerWeight": 0,
            "bgpPeeringAddresses": [
                {"ipconfigurationId": c["id"], "defaultBgpIpAddresses": [c["privateIpAddress"]],
                 "customBgpIpAddresses": [], "tunnelIpAddresses": [c["publicIpAddress"], c["privateIpAddress"]]}
                for c in configs
            ],
        },
    }


def vpn_site(args, known):
    rid, state = network_resource(args, "vpnSiteName", "vpnSites")
    links = [{**link, "id": f"{rid}/vpnSiteLinks/{link.get('name')}", "provisioningState": "Succeeded"}
             for link in args.inputs.get("vpnSiteLinks") or []]
    return rid, {**state, "vpnSiteLinks": links}


def vpn_connection(args, known):
    """As Azure returns it: each link connection with its id and its shared key."""
    name = args.inputs.get("connectionName") or args.name
    gateway_id = arm_id(args.inputs["resourceGroupName"], "Microsoft.Network", "vpnGateways", args.inputs["gatewayName"])
    rid = f"{gateway_id}/vpnConnections/{name}"
    links = [{**link, "id": f"{rid}/vpnLinkConnections/{link.get('name')}", "provisioningState": "Succeeded",
              "connectionStatus": "Unknown", "ingressBytesTransferred": 0, "egressBytesTransferred": 0}
             for link in args.inputs.get("vpnLinkConnections") or []]
    state = {**args.inputs, "name": name, "vpnLinkConnections": links, "provisioningState": "Succeeded",
             "connectionStatus": "Unknown", "azureApiVersion": "2024-05-01"}
    _remember(known, "vpnConnections", gateway_id, name, {"name": name, "id": rid, "properties": state})
    return rid, state


# Azure Monitor and Log Analytics: alerts, the action group, the vault's audit log.


def action_group(args, known):
    name = _autoname(args, "actionGroupName")
    rid = arm_id(args.inputs["resourceGroupName"], "microsoft.insights", "actionGroups", name)
    receivers = [{**r, "status": "Enabled"} for r in args.inputs.get("emailReceivers") or []]
    return rid, {
        **args.inputs,
        "name": name,
        "location": args.inputs.get("location", "Global"),
        "type": "Microsoft.Insights/ActionGroups",
        "emailReceivers": receivers,
        "azureApiVersion": "2024-10-01-preview",
    }


def metric_alert(args, known):
    name = _autoname(args, "ruleName")
    rid = arm_id(args.inputs["resourceGroupName"], "microsoft.insights", "metricAlerts", name)
    return rid, {
        **args.inputs,
        "name": name,
        "location": "global",
        "type": "Microsoft.Insights/metricAlerts",
        "isMigrated": False,
        "lastUpdatedTime": "2026-11-25T10:00:00.0000000Z",
        "azureApiVersion": "2018-03-01",
    }


def workspace(args, known):
    name = _autoname(args, "workspaceName")
    rid = arm_id(args.inputs["resourceGroupName"], "Microsoft.OperationalInsights", "workspaces", name)
    return rid, {
        **args.inputs,
        "name": name,
        "location": _location(args.inputs),
        "type": "Microsoft.OperationalInsights/workspaces",
        "customerId": fake_uuid("workspace", rid),
        "sku": {**(args.inputs.get("sku") or {}), "lastSkuUpdate": "2026-11-25T10:00:00.0000000Z"},
        "features": {"enableLogAccessUsingOnlyResourcePermissions": True, "legacy": 0, "searchVersion": 1},
        "workspaceCapping": {"dailyQuotaGb": -1.0, "dataIngestionStatus": "RespectQuota", "quotaNextResetTime": ""},
        "publicNetworkAccessForIngestion": "Enabled",
        "publicNetworkAccessForQuery": "Enabled",
        "createdDate": "2026-11-25T10:00:00.0000000Z",
        "modifiedDate": "2026-11-25T10:00:00.0000000Z",
        "provisioningState": "Succeeded",
        "etag": f'"{fake_uuid(rid)}"',
        "azureApiVersion": "2023-09-01",
    }


def diagnostic_setting(args, known):
    """An extension resource: its id hangs off the resource it watches."""
    name = _autoname(args, "name")
    rid = f"{args.inputs['resourceUri']}/providers/microsoft.insights/diagnosticSettings/{name}"
    return rid, {
        **args.inputs,
        "name": name,
        "type": "Microsoft.Insights/diagnosticSettings",
        "logs": [{**log, "retentionPolicy": {"days": 0, "enabled": False}} for log in args.inputs.get("logs") or []],
        "metrics": [{**m, "retentionPolicy": {"days": 0, "enabled": False}} for m in args.inputs.get("metrics") or []],
        "azureApiVersion": "2021-05-01-preview",
    }


def management_lock(args, known):
    """A lock is an extension resource too: <scope>/providers/Microsoft.Authorization/locks/<name>."""
    name = _autoname(args, "lockName")
    rid = f"{args.inputs['scope']}/providers/Microsoft.Authorization/locks/{name}"
    return rid, {
        **args.inputs,
        "name": name,
        "type": "Microsoft.Authorization/locks",
        "owners": args.inputs.get("owners") or [],
        "azureApiVersion": "2020-05-01",
    }


def random_password(args, known):
    length = int(args.inputs.get("length", 16))
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    digest = bytes.fromhex(fake_hex(length * 2, args.name, json.dumps(args.inputs, sort_keys=True)))
    return fake_uuid("random", args.name), {
        **args.inputs,
        "result": "".join(alphabet[b % len(alphabet)] for b in digest),
        "bcryptHash": "$2a$10$" + fake_hex(53, "bcrypt", args.name),
    }


def random_bytes(args, known):
    """Stand-in key material: stable, of the requested length, and new when a keeper
    (the key generation) changes, as the random provider would."""
    length = int(args.inputs["length"])
    raw = bytes.fromhex(fake_hex(length * 2, args.name, json.dumps(args.inputs, sort_keys=True)))
    return fake_uuid("random", args.name), {
        **args.inputs,
        "hex": raw.hex(),
        "base64": base64.b64encode(raw).decode(),
    }


HANDLERS: dict[str, Handler] = {
    "azure-native:resources:ResourceGroup": resource_group,
    "azure-native:managedidentity:UserAssignedIdentity": user_assigned_identity,
    "azure-native:keyvault:Vault": vault,
    "azure-native:keyvault:Secret": secret,
    "azure-native:keyvault:AccessPolicy": access_policy,
    "azure-native:authorization:RoleAssignment": role_assignment,
    "azure-native:network:ExpressRoutePort": express_route_port,
    "azure-native:network:ExpressRouteCircuit": express_route_circuit,
    "azure-native:network:ExpressRouteCircuitPeering": express_route_circuit_peering,
    "azure-native:network:ExpressRouteCircuitAuthorization": express_route_circuit_authorization,
    "azure-native:network:RouteFilter": route_filter,
    "azure-native:network:VirtualNetwork": virtual_network,
    "azure-native:network:Subnet": subnet,
    "azure-native:network:PublicIPAddress": public_ip_address,
    "azure-native:network:VirtualNetworkGateway": virtual_network_gateway,
    "azure-native:network:LocalNetworkGateway": local_network_gateway,
    "azure-native:network:VirtualNetworkGatewayConnection": virtual_network_gateway_connection,
    "azure-native:network:VirtualWan": virtual_wan,
    "azure-native:network:VirtualHub": virtual_hub,
    "azure-native:network:ExpressRouteGateway": express_route_gateway,
    "azure-native:network:ExpressRouteConnection": express_route_connection,
    "azure-native:network:VpnGateway": vpn_gateway,
    "azure-native:network:VpnSite": vpn_site,
    "azure-native:network:VpnConnection": vpn_connection,
    "azure-native:monitor:ActionGroup": action_group,
    "azure-native:monitor:MetricAlert": metric_alert,
    "azure-native:monitor:DiagnosticSetting": diagnostic_setting,
    "azure-native:operationalinsights:Workspace": workspace,
    "azure-native:authorization:ManagementLockByScope": management_lock,
    "random:index/randomBytes:RandomBytes": random_bytes,
    "random:index/randomPassword:RandomPassword": random_password,
}


class UnknownTypeError(Exception):
    """The program used a resource type or function the mocks do not model."""


class UnansweredStackReference(Exception):
    """The program referenced another stack whose outputs were not given."""


# What the provider's getExpressRoutePort returns (wire names): a port as Azure describes it,
# with its properties at the top level, and each link likewise. Anything else in the JSON
# given for it (e.g. the az CLI's own "resourceGroup") is not part of the answer.
PORT_READ_KEYS = frozenset({
    "allocationDate", "azureApiVersion", "bandwidthInGbps", "billingType", "circuits", "encapsulation", "etag",
    "etherType", "id", "identity", "links", "location", "mtu", "name", "peeringLocation",
    "provisionedBandwidthInGbps", "provisioningState", "resourceGuid", "tags", "type",
})
LINK_READ_KEYS = frozenset({
    "adminState", "coloLocation", "connectorType", "etag", "id", "interfaceName", "macSecConfig", "name",
    "patchPanelId", "provisioningState", "rackId", "routerName",
})


def port_read_answer(port: dict) -> dict:
    """``port`` (Azure's JSON, properties at the top level) as the provider's
    getExpressRoutePort answers it."""
    answer = {k: v for k, v in port.items() if k in PORT_READ_KEYS}
    answer["links"] = [{k: v for k, v in link.items() if k in LINK_READ_KEYS} for link in port.get("links") or []]
    return answer


class AzureMocks(pulumi.runtime.Mocks):
    """Answers resource registrations with realistic Azure state (see module docstring)."""

    def __init__(self, previous_outputs: dict[str, Any] | None = None,
                 stack_outputs: dict[str, dict[str, Any]] | None = None,
                 vaults: dict[str, dict[str, Any]] | None = None,
                 live_ports: dict[str, dict[str, Any]] | None = None,
                 metrics: list[Any] | None = None) -> None:
        # What earlier registrations told us, e.g. subnet prefixes by subnet id, so that
        # a gateway gets its private addresses from its own subnet.
        self.known: dict[str, Any] = {}
        # The stack's last outputs, answered to the program's stack reference to itself;
        # none means a first deployment.
        self.previous_outputs = previous_outputs or {}
        # Other stacks' outputs (wire form), by stack name: "org/project/stack", or a
        # shorter name the engine would resolve in this organization and project.
        self.stack_outputs = dict(stack_outputs or {})
        # Existing vaults' properties, by vault name (lower case), as overrides of a vault
        # set up for MACsec (existing_vault_state); any other vault answers as set up.
        self.vaults = {k.lower(): v for k, v in (vaults or {}).items()}
        # Existing ports as Azure describes them (az network express-route port show, flattened),
        # by port name (lower case): the answer to the program's read of a port it adopts. A
        # port without one is an error: guessing its links would compare the guard with nothing.
        self.live_ports = {k.lower(): v for k, v in (live_ports or {}).items()}
        # Azure Monitor's answers for the change gate (live_metrics.Metrics, from --metrics
        # files), by kind and name (lower case); and the gate's report once the program ran.
        from expressroute_encryption.offline.live_port import FileReads

        self.gate_files = FileReads("<resource group>", {}, metrics or [])
        self.gate_report = None

    def _referenced_outputs(self, name: str) -> dict[str, Any]:
        """The outputs a stack reference to ``name`` gets: the stack's own last outputs
        for itself, the given outputs for another stack; any other stack is an error
        (answering it with made-up outputs would let a preview pass on nothing)."""
        own = (pulumi.get_organization() or "organization", pulumi.get_project(), pulumi.get_stack())

        def qualified(stack: str) -> str:
            parts = stack.split("/")
            return "/".join((*own[: 3 - len(parts)], *parts)) if len(parts) < 3 else stack

        given = {qualified(stack): outputs for stack, outputs in self.stack_outputs.items()}
        if qualified(name) in given:
            return given[qualified(name)]
        if qualified(name) == "/".join(own):
            return self.previous_outputs
        raise UnansweredStackReference(
            f"no outputs for the stack reference to '{name}'; give them from a "
            f"`pulumi stack export` of that stack (offline preview: --stack-output {name}=<export file>)"
        )

    # --- explicit providers: a resource registered through one lives in its subscription ---------

    def deployment_subscription(self) -> str:
        """The default provider's subscription: the stack's azure-native:subscriptionId, else
        the stand-in subscription of these mocks."""
        # The runtime's config as pulumi.Config("azure-native").get reads it, without its checks
        # (asked for every resource).
        return pulumi.runtime.get_config("azure-native:subscriptionId") or SUBSCRIPTION_ID

    def _provider(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        """An explicit provider: nothing in Azure; its subscription is remembered by its id."""
        inputs = wire.unwrap(args.inputs)
        provider_id = fake_uuid("provider", args.typ, args.name)
        self.known.setdefault("provider subscriptions", {})[provider_id] = inputs.get("subscriptionId")
        return provider_id, inputs

    def subscription_of(self, provider_reference: str | None) -> str:
        """The subscription a resource or call goes to: its explicit provider's, else the deployment's."""
        provider_id = (provider_reference or "").rsplit("::", 1)[-1]
        return self.known.get("provider subscriptions", {}).get(provider_id) or self.deployment_subscription()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        if args.typ.startswith("pulumi:providers:"):
            return self._provider(args)
        if args.typ == "pulumi:pulumi:StackReference":
            outputs = self._referenced_outputs(args.inputs.get("name") or args.name)
            return args.name, {
                "name": args.name,
                "outputs": outputs,
                "secretOutputNames": [k for k, v in outputs.items() if wire.is_secret(v)],
            }
        if not args.custom:
            # Our own components: nothing is created in Azure.
            return "", args.inputs
        handler = HANDLERS.get(args.typ)
        if handler is None:
            raise UnknownTypeError(
                f"offline mocks do not model resource type {args.typ} ({args.name}); "
                "add a handler to offline/mocks.py"
            )
        secret_inputs = {k for k, v in args.inputs.items() if wire.is_secret(v)}
        args.inputs = wire.unwrap(args.inputs)
        resource_id, state = handler(args, self.known)
        subscription = self.subscription_of(args.provider)
        if subscription != SUBSCRIPTION_ID:
            resource_id = resource_id.replace(f"/subscriptions/{SUBSCRIPTION_ID}/", f"/subscriptions/{subscription}/", 1)
        if args.resource_id:
            # An imported resource keeps the id Azure gave it.
            resource_id = args.resource_id
        # As the engine does: an output property whose input was secret stays secret.
        return resource_id, {
            k: wire.secret(v) if k in secret_inputs else v for k, v in state.items()
        }

    # --- Azure Monitor, for the change gate (live_reads.answered_offline) ----------------------

    def metrics(self, resource_id: str, query, lookback_minutes: int):
        """The --metrics file given for the resource; none given: the gate is not run for it."""
        return self.gate_files.metrics(resource_id, query, lookback_minutes)

    def require_port(self, name: str, resource_group: str) -> None:
        """Raise live_gate.NotGiven unless a --live-port file answers the read of port ``name``."""
        from expressroute_encryption.offline.live_port import FileReads

        FileReads(resource_group, self.live_ports, []).port(name)

    def gate_decided(self, report) -> None:
        self.gate_report = report

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list | None]:
        if args.token == "azure-native:keyvault:getVault":
            name = args.args["vaultName"]
            return existing_vault_state(args.args["resourceGroupName"], name, self.vaults.get(name.lower()),
                                        self.subscription_of(args.provider)), []
        if args.token == "azure-native:authorization:getClientConfig":
            return {"clientId": fake_uuid("client", "deployment"), "objectId": fake_uuid("object", "deployment"),
                    "subscriptionId": self.subscription_of(args.provider), "tenantId": TENANT_ID}, []
        if args.token == "azure-native:network:getExpressRoutePort":
            name, group = args.args["expressRoutePortName"], args.args["resourceGroupName"]
            if name.lower() not in self.live_ports:
                # As the provider answers a read it cannot serve: a failure, which the program reports.
                return {}, [("expressRoutePortName", (
                    f"offline, no answer for port '{name}': give its JSON with --live-port FILE (az network "
                    f"express-route port show --resource-group {group} --name {name} > FILE)"))]
            return port_read_answer(self.live_ports[name.lower()]), []
        raise UnknownTypeError(
            f"offline mocks do not model function {args.token}; add it to offline/mocks.py"
        )
