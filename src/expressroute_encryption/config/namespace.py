"""The config namespace of this project's stack config (standard library only: the offline
reader of stack files imports it without loading the schema)."""

NAMESPACE = "expressroute-encryption"
# The Azure region every resource of the stack is created in.
LOCATION_KEY = "azure-native:location"
