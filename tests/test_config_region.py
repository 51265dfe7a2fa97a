"""``azure-native:location`` (config/region.py): a region of Azure's list, by its
programmatic name, refused with its key otherwise; ``unlistedRegion`` lets exactly one
region the list does not know through."""

from __future__ import annotations

import re

import pytest

from expressroute_encryption import facts
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import stack_config_from
from tests.helpers import base_config, cli_config


def region_problems(location: str | None, **values) -> list[str]:
    with pytest.raises(ConfigError) as info:
        stack_config_from(cli_config(base_config(**values), location=location), [])
    return info.value.problems


@pytest.mark.parametrize("location", sorted(facts.AZURE_REGIONS))
def test_every_listed_region_is_accepted(location):
    assert stack_config_from(cli_config(base_config(), location=location), []).resource_group_name == "rg-er-test"


@pytest.mark.parametrize("location", ['["westeurope"]', '{"name": "westeurope"}'])
def test_a_list_or_an_object_is_refused(location):
    assert region_problems(location) == [
        "azure-native:location: must be one Azure region's name such as westeurope, not a list or an object"]


@pytest.mark.parametrize("location", ["not a region\n", "west-europe", "WESTEUROPE!", "x", "westeurope\x00"])
def test_anything_but_a_programmatic_name_is_refused_without_echoing_it(location):
    [problem] = region_problems(location)
    assert problem.startswith("azure-native:location: must be an Azure region's programmatic name: lower-case "
                              "letters and digits, such as westeurope")
    assert "\n" not in problem and location.strip() not in problem.replace("westeurope", "")


@pytest.mark.parametrize("location", ["West Europe", "WestEurope", "westEurope", "westeurope\n", " westeurope"])
def test_another_spelling_of_a_listed_region_is_refused_with_the_programmatic_name(location):
    assert region_problems(location) == ["azure-native:location: write the region's programmatic name, westeurope "
                                         "(pulumi config set azure-native:location westeurope)"]


def test_a_misspelt_region_is_refused_with_the_nearest_and_the_way_to_confirm_a_new_one():
    [problem] = region_problems("westeurpoe")
    assert problem.startswith("azure-native:location: 'westeurpoe' is not in this product's list of Azure regions")
    assert "azure-regions). Did you mean westeurope? If it is a region newer" in problem
    assert problem.endswith("confirm it: pulumi config set expressroute-encryption:unlistedRegion westeurpoe")


def test_a_region_newer_than_the_list_passes_once_confirmed():
    assert "newregion1" not in facts.AZURE_REGIONS
    assert region_problems("newregion1")  # a likely typo until confirmed
    config = stack_config_from(cli_config(base_config(unlistedRegion="newregion1"), location="newregion1"), [])
    assert config.unlisted_region == "newregion1"


def test_the_confirmation_names_exactly_the_region_of_the_stack():
    assert region_problems("westeurope", unlistedRegion="newregion1") == [
        "unlistedRegion: is 'newregion1' but azure-native:location is 'westeurope': it lets exactly the region of "
        "azure-native:location through; set it to the same name, or remove it"]
    assert region_problems("newregion1", unlistedRegion="newregion1\n") == [
        "azure-native:location: 'newregion1' is not in this product's list of Azure regions (docs/azure-facts.md, "
        "azure-regions). If it is a region newer than the list, a restricted region or a sovereign cloud's, confirm "
        "it: pulumi config set expressroute-encryption:unlistedRegion newregion1",
        "unlistedRegion: must be an Azure region's programmatic name: lower-case letters and digits, such as westeurope"]


def test_the_snapshot_holds_programmatic_names_only():
    assert facts.EXAMPLE_REGION in facts.AZURE_REGIONS
    assert [r for r in facts.AZURE_REGIONS if not re.fullmatch(facts.REGION_NAME_PATTERN, r)] == []
