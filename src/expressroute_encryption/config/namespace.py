"""The config namespace of this project's stack config, and what names a stack (standard
library only: the offline reader of stack files and the tools import it without loading the
schema)."""

import re

NAMESPACE = "expressroute-encryption"
# The Azure region every resource of the stack is created in.
LOCATION_KEY = "azure-native:location"

STACK_NAME_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}")  # with fullmatch


def stack_name_problem(stack: object) -> str | None:
    """Why ``stack`` cannot name a stack, or None. The Pulumi CLI's rule: "stack names are
    limited to 100 characters and may only contain alphanumeric, hyphens, underscores, or
    periods" (pulumi/pulumi, the diy backend's reference store); matched whole, so a trailing
    line break is no name either."""
    if isinstance(stack, str) and STACK_NAME_RE.fullmatch(stack):
        return None
    return "a stack name has letters, digits, '-', '_' and '.' only, at most 100 of them (e.g. dev)"
