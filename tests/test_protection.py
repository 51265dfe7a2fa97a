"""`protect` covers everything whose loss breaks encryption or connectivity, and the
advisory policy checks the same set."""

from __future__ import annotations

import pytest

from expressroute_encryption.offline.harness import run_program
from expressroute_encryption.offline.mocks import HANDLERS
from expressroute_encryption.policy.protection import CRITICAL_TYPES
from tests.helpers import MICROSOFT, VPN, base_config, circuit, port, run_stack
from tests.test_secrets import CONNECTION_PROGRAM
from tests.test_virtual_wan import vwan_config

# Protected by the program, but not required by the policy: supporting resources whose
# loss is noticed through the gateway or port that uses them.
SUPPORTING = {"azure-native:resources:ResourceGroup", "azure-native:network:VirtualNetwork",
              "azure-native:network:Subnet", "azure-native:network:PublicIPAddress",
              "azure-native:operationalinsights:Workspace"}  # the vault's audit history
# Operations: their loss breaks neither encryption nor connectivity, and `locks: false` or a
# changed alert must be able to remove them; the next deployment recreates them.
OPERATIONS = {"azure-native:monitor:MetricAlert", "azure-native:monitor:ActionGroup",
              "azure-native:monitor:DiagnosticSetting", "azure-native:authorization:ManagementLockByScope"}
# Generated keys: a rotation replaces them on purpose.
UNPROTECTED = {"random:index/randomBytes:RandomBytes", "random:index/randomPassword:RandomPassword"}


def full_config(protect: bool = True, **vault):
    ckt = circuit(microsoftPeering={**MICROSOFT, "routeFilterCommunities": ["12076:5010"]})
    return base_config(ports=[port(circuits=[ckt])], vpn=dict(VPN), protect=protect,
                       keyVault={"name": "kv-er-test", "authorization": "rbac", **vault})


@pytest.fixture(scope="module")
def protected_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("connection")
    (folder / "__main__.py").write_text(CONNECTION_PROGRAM)
    return [run_stack(full_config()), run_stack(vwan_config()),
            run_program(folder, "app", "dev", {"azure-native:location": "westeurope"}, [])]


def test_every_type_is_critical_supporting_or_a_generated_key():
    assert set(HANDLERS) == set(CRITICAL_TYPES) | SUPPORTING | UNPROTECTED | OPERATIONS
    assert not set(CRITICAL_TYPES) & (SUPPORTING | UNPROTECTED | OPERATIONS)


def test_everything_but_generated_keys_is_protected_by_default(protected_runs):
    types = set()
    for run in protected_runs:
        for reg in run.resources:
            if reg.custom:
                types.add(reg.type)
                assert reg.protect == (reg.type not in UNPROTECTED | OPERATIONS), (reg.type, reg.name)
    for kind in ("ExpressRouteCircuitPeering", "ExpressRouteCircuitAuthorization", "RouteFilter", "RoleAssignment",
                 "VirtualNetworkGatewayConnection", "VpnConnection", "VpnSite", "VirtualHub", "ExpressRouteConnection"):
        assert any(t.endswith(kind) for t in types), kind


def test_protect_false_protects_nothing():
    run = run_stack(full_config(protect=False))
    assert [r.name for r in run.resources if r.custom and r.protect] == []


def test_the_existing_vaults_access_policy_is_protected():
    vault_id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-keys"
    run = run_stack(base_config(keyVault={"existingId": vault_id}))
    [policy] = [r for r in run.resources if r.type == "azure-native:keyvault:AccessPolicy"]
    assert policy.protect


def test_the_policy_passes_a_default_deployment_and_names_the_config_key_otherwise(protected_runs):
    from expressroute_encryption.offline.preview import policy_resources
    from expressroute_encryption.policy.checker import evaluate

    for run in protected_runs:
        assert [v for v in evaluate(policy_resources(run)) if v.policy == "critical-resources-protected"] == []
    unprotected = [v for v in evaluate(policy_resources(run_stack(full_config(protect=False))))
                   if v.policy == "critical-resources-protected"]
    kinds = {v.message.split(" '")[0] for v in unprotected}
    assert {"circuit peering", "circuit authorization", "route filter", "role assignment", "gateway connection",
            "virtual network gateway", "local network gateway"} <= kinds
    assert all("`protect: true`" in v.message and "ResourceOptions" not in v.message for v in unprotected)
