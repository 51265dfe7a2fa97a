# shellcheck shell=bash
# Sourced by the Azure Pipelines steps, inside AzureCLI@2 with a workload identity federation
# service connection and `addSpnToEnvironment: true` (which hands the script servicePrincipalId,
# tenantId and idToken). No stored secret: the identity is the service connection's.
#
#   source pipelines/azure-devops-env.sh     # needs STACK_NAME; PULUMI_STATE_ACCOUNT,
#                                            # PULUMI_STATE_CONTAINER (and PULUMI_ORG) from the
#                                            # variable group
#
# - the azure-native provider authenticates with OIDC from ARM_* (it reads ARM_OIDC_TOKEN;
#   it does not read Azure Pipelines' own OIDC request variables);
# - the state backend (azblob) and the azurekeyvault secrets provider use the Azure SDK's
#   credentials instead, here the az CLI session AzureCLI@2 opened;
# - STACK is the fully qualified stack name (an azblob backend's organization is "organization").

: "${servicePrincipalId:?run inside AzureCLI@2 with addSpnToEnvironment: true}"
: "${tenantId:?run inside AzureCLI@2 with addSpnToEnvironment: true}"
: "${idToken:?the service connection must use workload identity federation}"
: "${STACK_NAME:?set STACK_NAME to the stack (Pulumi.<stack>.yaml)}"

export ARM_USE_OIDC=true
export ARM_CLIENT_ID="$servicePrincipalId"
export ARM_TENANT_ID="$tenantId"
export ARM_OIDC_TOKEN="$idToken"
ARM_SUBSCRIPTION_ID="$(az account show --query id --output tsv)"
export ARM_SUBSCRIPTION_ID
export AZURE_KEYVAULT_AUTH_VIA_CLI=true
export PULUMI_SKIP_UPDATE_CHECK=true
export STACK="${PULUMI_ORG:-organization}/expressroute-encryption/${STACK_NAME}"

# Fetch the Storage and Key Vault tokens while the federated token is fresh; the az CLI
# caches them for the rest of the step.
az account get-access-token --resource https://storage.azure.com/ --output none
az account get-access-token --resource https://vault.azure.net --output none
pulumi login "azblob://${PULUMI_STATE_CONTAINER:?}?storage_account=${PULUMI_STATE_ACCOUNT:?}"
