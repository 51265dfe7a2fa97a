"""The deployment's own Azure identity, for the change gate's reads of Azure Monitor.

The gate reads the port through the azure-native provider (an invoke: the provider's own
credentials) and the metrics through the Azure SDK (``live_reads.py``), which needs a
credential of its own. It takes the one the provider uses, from the same settings, so the
metrics are read by the identity that makes the change (docs/operations.md, "The change
gate"). Each setting is the provider's config key (``azure-native:clientId``, set with
``pulumi config set``) or else its environment variable (``ARM_CLIENT_ID``), in the
provider's order of precedence:

1. a client secret (``clientSecret`` / ``ARM_CLIENT_SECRET``): a service principal;
2. a client certificate (``clientCertificatePath`` / ``ARM_CLIENT_CERTIFICATE_PATH``);
3. OIDC (``useOidc`` / ``ARM_USE_OIDC=true``): the token in ``ARM_OIDC_TOKEN``, or in the
   file ``ARM_OIDC_TOKEN_FILE_PATH``, or requested from ``ARM_OIDC_REQUEST_URL`` with
   ``ARM_OIDC_REQUEST_TOKEN`` (GitHub Actions' ``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN``
   when those are not set), as a client assertion for ``clientId`` in ``tenantId``;
4. a managed identity (``useMsi`` / ``ARM_USE_MSI=true``; ``clientId`` picks a
   user-assigned one);
5. otherwise the Azure CLI's login (``az login``), as the provider falls back to.

``environment`` (``ARM_ENVIRONMENT``: ``public``, ``usgovernment``, ``china``) picks the
cloud. A setting that is incomplete (OIDC without a client or tenant id) is refused, never
replaced by another identity. ``identity_plan`` is pure; ``credential`` imports
``azure.identity`` only when called.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

# Provider config key -> environment variable (the provider's own names).
SETTINGS = {
    "clientId": "ARM_CLIENT_ID", "tenantId": "ARM_TENANT_ID", "clientSecret": "ARM_CLIENT_SECRET",
    "clientCertificatePath": "ARM_CLIENT_CERTIFICATE_PATH",
    "clientCertificatePassword": "ARM_CLIENT_CERTIFICATE_PASSWORD",
    "useOidc": "ARM_USE_OIDC", "oidcToken": "ARM_OIDC_TOKEN", "oidcTokenFilePath": "ARM_OIDC_TOKEN_FILE_PATH",
    "oidcRequestToken": "ARM_OIDC_REQUEST_TOKEN", "oidcRequestUrl": "ARM_OIDC_REQUEST_URL",
    "useMsi": "ARM_USE_MSI", "environment": "ARM_ENVIRONMENT",
}
# GitHub Actions' own variables, read when the ARM_ ones are not set (as the provider does).
GITHUB_OIDC = {"oidcRequestToken": "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "oidcRequestUrl": "ACTIONS_ID_TOKEN_REQUEST_URL"}
# The audience Microsoft Entra ID takes a federated token for.
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
# environment -> (azure.core AzureClouds member, azure.identity AzureAuthorityHosts member)
CLOUDS = {
    "public": ("AZURE_PUBLIC_CLOUD", "AZURE_PUBLIC_CLOUD"),
    "usgovernment": ("AZURE_US_GOVERNMENT", "AZURE_GOVERNMENT"),
    "china": ("AZURE_CHINA_CLOUD", "AZURE_CHINA"),
}
TRUE = ("true", "1", "yes")


class IdentityError(Exception):
    """The provider's settings name no identity the gate can use (one line, no secret)."""


@dataclass(frozen=True)
class IdentityPlan:
    """Which credential to make, from which settings (secrets stay in ``settings``)."""

    kind: str  # client secret, client certificate, OIDC token, OIDC token file, OIDC request, managed identity, Azure CLI
    cloud: str
    settings: Mapping[str, str]

    def describe(self) -> str:
        """What the logs say about it: the kind, the client id (never a secret or a token)."""
        client = self.settings.get("clientId")
        who = f" for client {client}" if client else ""
        return f"{self.kind}{who} ({self.cloud} cloud)"


def provider_settings(config: Callable[[str], str | None], environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The provider's settings: its config key (``config(key)``) or its environment variable."""
    found = {}
    for key, variable in SETTINGS.items():
        value = config(key) or environ.get(variable) or (environ.get(GITHUB_OIDC[key]) if key in GITHUB_OIDC else None)
        if value:
            found[key] = str(value)
    return found


def identity_plan(settings: Mapping[str, str]) -> IdentityPlan:
    """The credential the provider would use with ``settings``. Raises IdentityError."""
    cloud = settings.get("environment", "public").lower()
    if cloud not in CLOUDS:
        raise IdentityError(f"environment {cloud!r} (ARM_ENVIRONMENT) is not one of {', '.join(CLOUDS)}")

    def need(*keys: str) -> None:
        missing = [f"{key} ({SETTINGS[key]})" for key in keys if not settings.get(key)]
        if missing:
            raise IdentityError(f"{what} needs {' and '.join(missing)}")

    if settings.get("clientSecret"):
        what = "a client secret"
        need("clientId", "tenantId")
        return IdentityPlan("client secret", cloud, settings)
    if settings.get("clientCertificatePath"):
        what = "a client certificate"
        need("clientId", "tenantId")
        return IdentityPlan("client certificate", cloud, settings)
    if settings.get("useOidc", "").lower() in TRUE:
        what = "OIDC (ARM_USE_OIDC)"
        need("clientId", "tenantId")
        if settings.get("oidcToken"):
            return IdentityPlan("OIDC token", cloud, settings)
        if settings.get("oidcTokenFilePath"):
            return IdentityPlan("OIDC token file", cloud, settings)
        if settings.get("oidcRequestToken") and settings.get("oidcRequestUrl"):
            return IdentityPlan("OIDC request", cloud, settings)
        raise IdentityError("OIDC (ARM_USE_OIDC) needs ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH, or "
                            "ARM_OIDC_REQUEST_URL with ARM_OIDC_REQUEST_TOKEN (in GitHub Actions: permissions "
                            "id-token: write)")
    if settings.get("useMsi", "").lower() in TRUE:
        return IdentityPlan("managed identity", cloud, settings)
    return IdentityPlan("Azure CLI", cloud, settings)


def _requested_token(url: str, bearer: str) -> str:
    """A federated token from the CI's OIDC endpoint (GitHub Actions' ID token request)."""
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    separator = "&" if "?" in url else "?"
    request = Request(f"{url}{separator}{urlencode({'audience': TOKEN_EXCHANGE_AUDIENCE})}",
                      headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"})
    with urlopen(request, timeout=30) as response:  # noqa: S310 - the CI's own https endpoint
        return json.loads(response.read())["value"]


def credential(plan: IdentityPlan) -> Any:
    """The azure-identity credential of ``plan``."""
    from azure import identity

    settings = plan.settings
    authority = getattr(identity.AzureAuthorityHosts, CLOUDS[plan.cloud][1])
    common = {"authority": authority}
    tenant, client = settings.get("tenantId"), settings.get("clientId")
    if plan.kind == "client secret":
        return identity.ClientSecretCredential(tenant, client, settings["clientSecret"], **common)
    if plan.kind == "client certificate":
        return identity.CertificateCredential(tenant, client, settings["clientCertificatePath"],
                                              password=settings.get("clientCertificatePassword"), **common)
    if plan.kind == "OIDC token":
        return identity.ClientAssertionCredential(tenant, client, lambda: settings["oidcToken"], **common)
    if plan.kind == "OIDC token file":
        path = settings["oidcTokenFilePath"]
        return identity.ClientAssertionCredential(tenant, client, lambda: open(path).read().strip(), **common)
    if plan.kind == "OIDC request":
        return identity.ClientAssertionCredential(
            tenant, client, lambda: _requested_token(settings["oidcRequestUrl"], settings["oidcRequestToken"]),
            **common)
    if plan.kind == "managed identity":
        return identity.ManagedIdentityCredential(client_id=client) if client else identity.ManagedIdentityCredential()
    return identity.AzureCliCredential(tenant_id=tenant) if tenant else identity.AzureCliCredential()


def cloud_setting(plan: IdentityPlan) -> Any:
    """The azure-core cloud of ``plan`` (the management client's endpoints)."""
    from azure.core import AzureClouds

    return getattr(AzureClouds, CLOUDS[plan.cloud][0])
