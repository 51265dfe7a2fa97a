"""deployment_identity.py: the change gate reads Azure Monitor as the deployment: the credential the
azure-native provider would use, from its config keys or its ARM_* variables, in its order;
incomplete settings are refused, never replaced by another identity; nothing secret is said."""

from __future__ import annotations

import pytest
from azure import identity

from expressroute_encryption.deployment_identity import (
    IdentityError, credential, identity_plan, provider_settings,
)

SP = {"clientId": "00000000-0000-0000-0000-0000000000c1", "tenantId": "00000000-0000-0000-0000-0000000000a1"}


def settings(config: dict | None = None, **environ: str) -> dict:
    return provider_settings((config or {}).get, environ)


def test_config_keys_come_before_the_environment_and_github_fills_the_oidc_request():
    found = settings({"clientId": "from-config"}, ARM_CLIENT_ID="from-env", ARM_TENANT_ID="t", ARM_USE_OIDC="true",
                     ACTIONS_ID_TOKEN_REQUEST_URL="https://token.actions.example/x",
                     ACTIONS_ID_TOKEN_REQUEST_TOKEN="gh-bearer")
    assert found == {"clientId": "from-config", "tenantId": "t", "useOidc": "true",
                     "oidcRequestUrl": "https://token.actions.example/x", "oidcRequestToken": "gh-bearer"}


@pytest.mark.parametrize("values, kind, cls", [
    ({**SP, "clientSecret": "s3cret"}, "client secret", identity.ClientSecretCredential),
    ({**SP, "useOidc": "true", "oidcToken": "eyJ.token"}, "OIDC token", identity.ClientAssertionCredential),
    ({**SP, "useOidc": "true", "oidcTokenFilePath": "/var/run/token"}, "OIDC token file",
     identity.ClientAssertionCredential),
    ({**SP, "useOidc": "true", "oidcRequestUrl": "https://t.example", "oidcRequestToken": "b"}, "OIDC request",
     identity.ClientAssertionCredential),
    ({"useMsi": "true"}, "managed identity", identity.ManagedIdentityCredential),
    ({"useMsi": "true", "clientId": SP["clientId"]}, "managed identity", identity.ManagedIdentityCredential),
    ({}, "Azure CLI", identity.AzureCliCredential),
    ({"tenantId": SP["tenantId"]}, "Azure CLI", identity.AzureCliCredential),
])
def test_each_provider_setting_maps_to_its_credential(values, kind, cls):
    plan = identity_plan(values)
    assert plan.kind == kind
    assert isinstance(credential(plan), cls)
    said = plan.describe()
    assert "s3cret" not in said and "eyJ" not in said and "public cloud" in said


def test_a_client_secret_outranks_oidc_as_in_the_provider():
    assert identity_plan({**SP, "clientSecret": "x", "useOidc": "true", "oidcToken": "y"}).kind == "client secret"


@pytest.mark.parametrize("values, expected", [
    ({"useOidc": "true", "oidcToken": "t"}, "OIDC (ARM_USE_OIDC) needs clientId (ARM_CLIENT_ID) and tenantId "
                                            "(ARM_TENANT_ID)"),
    ({**SP, "useOidc": "true"}, "OIDC (ARM_USE_OIDC) needs ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH, or "
                                "ARM_OIDC_REQUEST_URL with ARM_OIDC_REQUEST_TOKEN"),
    ({"clientSecret": "x"}, "a client secret needs clientId (ARM_CLIENT_ID) and tenantId (ARM_TENANT_ID)"),
    ({"environment": "mars"}, "environment 'mars' (ARM_ENVIRONMENT) is not one of public, usgovernment, china"),
])
def test_incomplete_settings_are_refused_not_replaced(values, expected):
    with pytest.raises(IdentityError) as info:
        identity_plan(values)
    assert str(info.value).startswith(expected)


def test_sovereign_clouds_take_their_own_endpoints():
    from azure.core import AzureClouds

    from expressroute_encryption.deployment_identity import cloud_setting

    plan = identity_plan({**SP, "clientSecret": "x", "environment": "usgovernment"})
    assert cloud_setting(plan) == AzureClouds.AZURE_US_GOVERNMENT
    assert "usgovernment cloud" in plan.describe()
    assert cloud_setting(identity_plan({})) == AzureClouds.AZURE_PUBLIC_CLOUD
