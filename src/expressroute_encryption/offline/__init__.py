"""The offline tools: the preview and rotation plan, run against mocks that answer like Azure."""

# The subscription and tenant the mocks answer for (a deployment's, when the stack sets no
# azure-native:subscriptionId). Here, not in mocks.py, so that what the preview says before
# it runs the program does not load the SDK that mocks.py needs.
SUBSCRIPTION_ID = "9b2c1f4e-7d3a-4c55-9e61-2f0a8d6b3c17"
TENANT_ID = "5f3e8a21-6b4c-4d7e-8f90-1a2b3c4d5e6f"
