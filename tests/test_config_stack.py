"""StackConfig's own inputs (config/stack.py): the resource group's name and the tags, by
the rules Azure documents, each problem with its config path; its defaults and top-level keys,
port and circuit names unique in the stack, and the types Pulumi.yaml declares for its keys."""

from __future__ import annotations

import pytest
import yaml

from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.config.namespace import NAMESPACE
from tests.helpers import PROJECT_DIR, base_config, circuit, only_problem, port, problems


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


def test_base_config_is_valid():
    config = parse_stack_config(base_config())
    assert config.protect is True
    assert config.key_vault.soft_delete_retention_days == 90
    assert config.key_vault.purge_protection is True
    assert config.key_vault.authorization == "accessPolicy"
    macsec = config.ports[0].macsec
    assert (macsec.sci_state, macsec.key_generation.link1, macsec.key_generation.link2) == ("Disabled", 1, 1)


@pytest.mark.smoke
def test_unknown_top_level_key_is_named_with_allowed_keys():
    msg = only_problem(base_config(keyVualt={"name": "x"}))
    assert msg == "keyVualt: unknown key (allowed: resourceGroupName, protect, keyVault, ports, macsecKeys, vpn, decommission, tags, monitoring, changeGate, locks, lockExistingVault, unlistedRegion)"


def test_duplicate_port_names():
    msg = only_problem(base_config(ports=[port(), port(name="PORT-A")]))
    assert msg == "ports[1].name: port name 'PORT-A' is used twice; port names must be unique"


def test_circuit_names_unique_in_the_stack():
    values = base_config(ports=[
        port(circuits=[circuit()]),
        port(name="port-b", circuits=[circuit(name="CKT-1", privatePeering=None)]),
    ])
    assert only_problem(values) == "ports[1].circuits[0].name: circuit name 'CKT-1' is used twice; circuit names must be unique in the stack"


def test_the_project_file_types_every_key_pulumi_project_config_can_type():
    """Pulumi.yaml states a type for each top-level key whose value is text, a number or a
    boolean and whose absence means nothing but a fixed default (the CLI applies the default,
    and demands a key without one); as the model defines it. Every stack file here meets
    those types as the CLI checks them when it reads a stack's config."""
    from expressroute_encryption.config.stack import StackConfig
    from expressroute_encryption.config_reference import flatten

    types = {str: "string", bool: "boolean", int: "integer"}
    expected = {}
    for name, field in StackConfig.model_fields.items():
        kind = types.get(flatten(field.annotation)[0])
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        if kind and (field.is_required() or default is not None):
            expected[f"{NAMESPACE}:{field.alias or name}"] = {"type": kind, **({} if default is None else {"default": default})}
    declared = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert {key: {k: v for k, v in value.items() if k != "description"} for key, value in declared.items()} == expected
    assert set(expected) == {f"{NAMESPACE}:resourceGroupName", f"{NAMESPACE}:protect", f"{NAMESPACE}:lockExistingVault"}
    for stack in ("dev", "prod", "vpn", "vwan"):
        config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
        for key, declaration in declared.items():
            if declaration["type"] == "string":
                assert isinstance(config[key], str), (stack, key)  # required: no default
            elif key in config:
                assert isinstance(config[key], bool), (stack, key)
