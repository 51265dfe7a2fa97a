"""Resources in the shapes the policy engine sends, and helpers that run one policy the way the analyzer
server does: properties go through a protobuf ``Struct`` (so numbers arrive as floats), are deserialized
(secrets unwrapped) and wrapped in ``unknown_checking_proxy``."""

import copy
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from expressroute_encryption.policy import azure

PROJECT_URN = "urn:pulumi:dev::expressroute-encryption::"
SUBSCRIPTION = "/subscriptions/00000000-0000-0000-0000-000000000000"
RESOURCE_GROUP = "rg-er"
VERSION = "0123456789abcdef0123456789abcdef"
IDENTITY_ID = (f"{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/"
               "Microsoft.ManagedIdentity/userAssignedIdentities/id-erport")


def urn(resource_type: str, name: str) -> str:
    return f"{PROJECT_URN}{resource_type}::{name}"


def arm_id(arm_type: str, name: str) -> str:
    return f"{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/{arm_type}/{name}"


def secret_url(vault: str = "kv-macsec", name: str = "link1-cak", version: str = VERSION) -> str:
    return f"https://{vault}.vault.azure.net/secrets/{name}/{version}"


def secret(value: Any) -> dict:
    """A value marked secret, as the engine marshals it to the analyzer."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def macsec(link: str, cipher: str = "GcmAes256", vault: str = "kv-macsec") -> dict:
    return {
        "cipher": cipher,
        "cakSecretIdentifier": secret_url(vault, f"{link}-cak"),
        "cknSecretIdentifier": secret_url(vault, f"{link}-ckn"),
        "sciState": "Disabled",
    }


def port(stage: str = "active", *, cipher: str = "GcmAes256", bandwidth: int = 10,
         vault: str = "kv-macsec") -> dict:
    """A port's inputs in a lifecycle stage: ``reserved`` (no links), ``encrypted`` (MACsec, links
    admin-disabled) or ``active`` (MACsec, links admin-enabled)."""
    props = {
        "resourceGroupName": RESOURCE_GROUP,
        "expressRoutePortName": "erp-weu-1",
        "location": "westeurope",
        "peeringLocation": "Amsterdam",
        "bandwidthInGbps": bandwidth,
        "encapsulation": "QinQ",
        "billingType": "MeteredData",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": [IDENTITY_ID]},
    }
    if stage != "reserved":
        admin_state = "Enabled" if stage == "active" else "Disabled"
        props["links"] = [{"name": link, "adminState": admin_state, "macSecConfig": macsec(link, cipher, vault)}
                          for link in ("link1", "link2")]
    return props


def port_outputs(stage: str = "active", **kwargs: Any) -> dict:
    """The same port as its outputs (stack state): ``name`` and ``id`` instead of the name input, and the
    identities as a map."""
    props = port(stage, **kwargs)
    del props["expressRoutePortName"], props["resourceGroupName"]
    props["name"] = "erp-weu-1"
    props["id"] = arm_id("Microsoft.Network/expressRoutePorts", "erp-weu-1")
    props["identity"]["userAssignedIdentities"] = {IDENTITY_ID: {"clientId": "c", "principalId": "p"}}
    return props


def vault(name: str = "kv-macsec", **properties: Any) -> dict:
    """A compliant vault's inputs; ``properties`` override its ``properties``."""
    return {
        "resourceGroupName": RESOURCE_GROUP,
        "vaultName": name,
        "location": "westeurope",
        "properties": {
            "tenantId": "11111111-1111-1111-1111-111111111111",
            "sku": {"family": "A", "name": "standard"},
            "enableSoftDelete": True,
            "softDeleteRetentionInDays": 90,
            "enablePurgeProtection": True,
            "enableRbacAuthorization": True,
            "publicNetworkAccess": "Enabled",
            "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices",
                            "ipRules": [{"value": "203.0.113.0/24"}]},
            **properties,
        },
    }


def engine_props(props: dict) -> Any:
    """``props`` as a policy receives them from the analyzer server."""
    struct = struct_pb2.Struct()
    struct.update(copy.deepcopy(props))
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct)))


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def resource_violations(policy: Policy, resource_type: str, props: dict, *, name: str = "port",
                        protect: bool = False, config: dict | None = None) -> list[str]:
    """The messages a resource policy reports for one resource."""
    args = ResourceValidationArgs(resource_type, engine_props(props), urn(resource_type, name), name,
                                  options(protect), None, config)
    messages: list[str] = []
    policy.validate(args, lambda message, _urn=None: messages.append(message))
    return messages


def stack_resource(resource_type: str, name: str, props: dict,
                   dependencies: tuple[PolicyResource, ...] = ()) -> PolicyResource:
    return PolicyResource(resource_type, engine_props(props), urn(resource_type, name), name, options(), None,
                          None, list(dependencies), {})


def stack_violations(policy: Policy, resources: list[PolicyResource],
                     config: dict | None = None) -> list[tuple[str, str]]:
    """``(urn, message)`` for each violation a stack policy reports."""
    found: list[tuple[str, str]] = []
    policy.validate(StackValidationArgs(resources, config), lambda message, urn_=None: found.append((urn_, message)))
    return found


PORT, VAULT, SECRET, CIRCUIT = azure.PORT, azure.VAULT, azure.SECRET, azure.CIRCUIT
