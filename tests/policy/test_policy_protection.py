"""policy/protection.py: the ``critical-resources-protected`` policy. Every resource type the
program registers is critical, supporting, operations or a generated key; the policy passes the
default deployments and, with ``protect: false``, names the config key to set."""

from __future__ import annotations

from expressroute_encryption.offline.mocks import HANDLERS
from expressroute_encryption.policy.protection import CRITICAL_TYPES
from tests.helpers import OPERATIONS, SUPPORTING, UNPROTECTED, full_config, run_stack


def test_every_type_is_critical_supporting_or_a_generated_key():
    assert set(HANDLERS) == set(CRITICAL_TYPES) | SUPPORTING | UNPROTECTED | OPERATIONS
    assert not set(CRITICAL_TYPES) & (SUPPORTING | UNPROTECTED | OPERATIONS)


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
