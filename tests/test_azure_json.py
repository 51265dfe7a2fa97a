"""Reading Azure's JSON (``azure_json.py``): both shapes, every field read checked, bounded input."""

import json

import pytest

from expressroute_encryption.azure_json import MAX_DEPTH, AzureJsonError, flatten, load_list, load_vault, shape_problems
from expressroute_encryption.azure_json import NUM, STR, Field, ListOf, Obj

SHAPE = Obj({"name": Field(STR, True), "size": Field(NUM), "items": Field(ListOf(Obj({"id": Field(STR, True)})))})


def test_arm_properties_are_read_as_az_prints_them():
    arm = {"id": "x", "properties": {"links": [{"name": "link1", "properties": {"adminState": "Enabled"}}]}}
    assert flatten(arm) == {"id": "x", "links": [{"name": "link1", "adminState": "Enabled"}]}


def test_each_field_is_named_with_what_it_holds_and_null_counts_as_absent():
    assert shape_problems({"name": 5, "size": "big", "items": [{"id": 1}, "x"]}, SHAPE, "") == [
        "name: expected a string, got a number", "size: expected a number, got a string",
        "items[0].id: expected a string, got a number", "items[1]: expected an object, got a string"]
    assert shape_problems({"name": None, "size": None}, SHAPE, "") == ["name: missing"]
    assert shape_problems({"name": "n", "size": True}, SHAPE, "") == ["size: expected a number, got true/false"]


def test_a_list_names_the_item_and_its_field(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps({"value": [{"name": "a"}, {"name": ["b"]}, 3]}))
    with pytest.raises(AzureJsonError) as info:
        load_list(str(path), "things", SHAPE)
    assert info.value.problems == [f"{path}: [1].name: expected a string, got a list",
                                   f"{path}: [2]: expected an object, got a number"]


def test_a_vault_file_is_checked_before_use(tmp_path):
    path = tmp_path / "vault.json"
    path.write_text(json.dumps({"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/expressRoutePorts/p",
                                "name": "p"}))
    with pytest.raises(AzureJsonError, match="id: not the ARM id of a Microsoft.KeyVault/vaults resource"):
        load_vault(str(path))
    path.write_text("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(AzureJsonError, match=f"nested more than {MAX_DEPTH} levels deep"):
        load_vault(str(path))
