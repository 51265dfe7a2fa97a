"""``azure-native:location``: the Azure region every resource of the stack is created in.

The Pulumi CLI hands the program the value as a string (a list or an object as JSON). It
must be the programmatic name of an Azure region (``westeurope``), one of the snapshot of
Microsoft's region list in ``facts.AZURE_REGIONS`` (fact: azure-regions).

A well-formed name that is not in the snapshot is refused too (fail closed): a misspelt
region on an existing stack would plan to replace the resource group, the vault and the
ports, and Azure refuses a name it does not know only once the deployment runs. A region
newer than the snapshot, a restricted one or a sovereign cloud's is let through when the
stack names it a second time, in ``unlistedRegion``: a deliberate choice, which the same
typo twice would hardly make.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from .. import facts
from .namespace import LOCATION_KEY, NAMESPACE

REGION_NAME_RE = re.compile(facts.REGION_NAME_PATTERN)  # with fullmatch
UNLISTED_KEY = "unlistedRegion"
_EXAMPLE = facts.EXAMPLE_REGION


def region_name_problem(name: str) -> str | None:
    """The shape of a programmatic region name: lower-case letters and digits."""
    if not REGION_NAME_RE.fullmatch(name):
        return f"must be an Azure region's programmatic name: lower-case letters and digits, such as {_EXAMPLE}"
    return None


def _listed_spelling(value: str) -> str | None:
    """The listed region ``value`` names in another spelling ("West Europe"), or None."""
    squeezed = re.sub(r"\s+", "", value).lower()
    return squeezed if squeezed != value and squeezed in facts.AZURE_REGIONS else None


def location_problems(location: Any, unlisted: Any) -> list[str]:
    """What is wrong with ``azure-native:location`` (as the CLI hands it over) and with
    ``unlistedRegion`` (the namespace's key, decoded; None when unset), one line each."""
    if not isinstance(unlisted, str) or region_name_problem(unlisted):
        unlisted = None  # absent, or refused by its own rule (StackConfig.unlisted_region)
    if location is None:
        return [f"{LOCATION_KEY}: required: the Azure region for the resource group, vault "
                f"and ports (pulumi config set {LOCATION_KEY} {_EXAMPLE})"]
    if not isinstance(location, str) or _is_json_structure(location):
        return [f"{LOCATION_KEY}: must be one Azure region's name such as {_EXAMPLE}, not a list or an object"]
    if spelling := _listed_spelling(location):
        return [f"{LOCATION_KEY}: write the region's programmatic name, {spelling} "
                f"(pulumi config set {LOCATION_KEY} {spelling})"]
    if problem := region_name_problem(location):
        return [f"{LOCATION_KEY}: {problem} (no spaces, line breaks or other characters)"]
    if unlisted is not None and unlisted != location:
        return [f"{UNLISTED_KEY}: is '{unlisted}' but {LOCATION_KEY} is '{location}': it lets exactly the region "
                f"of {LOCATION_KEY} through; set it to the same name, or remove it"]
    if location in facts.AZURE_REGIONS or unlisted == location:
        return []
    near = difflib.get_close_matches(location, sorted(facts.AZURE_REGIONS), n=1)
    hint = f"Did you mean {near[0]}? " if near else ""
    return [f"{LOCATION_KEY}: '{location}' is not in this product's list of Azure regions (docs/azure-facts.md, "
            f"azure-regions). {hint}If it is a region newer than the list, a restricted region or a sovereign "
            f"cloud's, confirm it: pulumi config set {NAMESPACE}:{UNLISTED_KEY} {location}"]


def _is_json_structure(value: str) -> bool:
    """Whether the CLI's string is a list or an object (sent as JSON)."""
    if value[:1] not in ("[", "{"):
        return False
    try:
        return isinstance(json.loads(value), (list, dict))
    except ValueError:
        return False
