"""StackConfig's own inputs (config/stack.py): the resource group's name and the tags, by
the rules Azure documents, each problem with its config path."""

from __future__ import annotations

import pytest

from expressroute_encryption.config.loading import parse_stack_config
from tests.helpers import base_config, only_problem, problems

RG_RULE = ("resourceGroupName: must be 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.' "
           "(Azure resource group names)")


@pytest.mark.parametrize("name", ["rg/../other", "rg-foo.", "rg foo?#", "..", ".", "", "r" * 91, "rg\n", "rg\t1",
                                  "rg:1", "rg%2F..", "rg+1"])
def test_a_resource_group_name_azure_refuses_is_refused(name):
    assert only_problem(base_config(resourceGroupName=name)) == RG_RULE


@pytest.mark.parametrize("name", ["rg-er", "RG_er.1", "rg(prod)", "r" * 90, "rg.net-1", "rg-zürich", "ресурсы", "_rg"])
def test_a_resource_group_name_azure_accepts_passes(name):
    assert parse_stack_config(base_config(resourceGroupName=name)).resource_group_name == name


def test_tag_names_that_differ_only_in_case_are_one_tag_to_azure():
    assert only_problem(base_config(tags={"CostCenter": "1", "costcenter": "2"})) == (
        "tags.costcenter: is the tag 'CostCenter' to Azure (tag names are case-insensitive): keep one of them")
    assert parse_stack_config(base_config(tags={"CostCenter": "1", "Owner": "noc"})).tags["Owner"] == "noc"


def test_control_characters_are_refused_in_tag_names_and_values_in_one_round():
    found = problems(base_config(tags={"env\nprod": "x", "team": "net\x1b[31mwork", "ok": "tab\there"}))
    assert found == [
        "tags.team: must not hold control characters (a line break, tab or escape)",
        "tags.ok: must not hold control characters (a line break, tab or escape)",
        "tags.env\\nprod: must not hold control characters (a line break, tab or escape)",
    ]
    assert all("\n" not in line and "\x1b" not in line for line in found)


@pytest.mark.parametrize("name", ["a<b", "a/b", "a?b", "x" * 513])
def test_tag_names_keep_azures_character_and_length_rules(name):
    assert only_problem(base_config(tags={name: "v"})).endswith("without < > % & \\ ? / (Azure tag names)")


def test_unicode_and_spaces_remain_allowed_in_tags():
    tags = {"Kostenstelle Zürich": "Netz & Sicherheit", "owner": "noc@example.com"}
    assert parse_stack_config(base_config(tags=tags)).tags == tags
