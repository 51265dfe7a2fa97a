"""The rule engine (config/rules.py): every problem in one round, cross-field rules only on
fields that passed their own checks, and numbers that are numbers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from expressroute_encryption.config.errors import describe_errors
from expressroute_encryption.config.keyvault import KeyVaultSettings
from tests.helpers import VPN, base_config, circuit, port, problems

VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-1"


def vault_problems(values: dict) -> list[str]:
    with pytest.raises(ValidationError) as info:
        KeyVaultSettings.model_validate(values)
    return describe_errors(info.value, KeyVaultSettings, ("keyVault",), camel=True)


def test_a_failed_neighbour_does_not_make_defaults_look_set():
    """The stand-in model of a failed round knows which keys were given: an existing vault
    with a misspelt authorization is not also told its defaults are not allowed."""
    assert vault_problems({"existingId": VAULT_ID, "authorization": "RBAC"}) == [
        "keyVault.authorization: Input should be 'accessPolicy' or 'rbac'"]


def test_cross_rules_still_run_when_a_neighbour_failed():
    assert vault_problems({"existingId": VAULT_ID, "purgeProtection": True, "authorization": "RBAC"}) == [
        "keyVault.purgeProtection: not allowed together with existingId: purgeProtection only shapes a vault this "
        "stack creates, and an existing vault's settings are never changed",
        "keyVault.authorization: Input should be 'accessPolicy' or 'rbac'",
    ]


def test_a_rule_never_sees_a_field_that_failed():
    """An invalid VPN mode: the keys of either mode are not judged against a guess."""
    found = problems(base_config(ports=[port(circuits=[circuit()])], vpn={**VPN, "mode": "vnet"}))
    assert found == ["vpn.mode: Input should be 'virtualNetwork' or 'virtualWan'"]


def test_problems_of_fields_and_of_rules_across_the_stack_come_in_one_round():
    found = problems(base_config(ports=[port(), port(), port(name="port-c", bandwidthInGbps=40)], keyVault={"name": "kv"}))
    assert found == [
        "keyVault.name: must be 3-24 characters of letters, digits and hyphens, start with a letter, end with a "
        "letter or digit and contain no '--' (Azure Key Vault naming)",
        "ports[2].bandwidthInGbps: Input should be 10 or 100",
        "ports[1].name: port name 'port-a' is used twice; port names must be unique",
    ]


@pytest.mark.parametrize("value,accepted", [(7.0, True), (True, False), ("7", True), (7.5, False)])
def test_whole_numbers_take_integral_floats_but_not_booleans(value, accepted):
    settings = {"name": "kv-er-test", "softDeleteRetentionDays": value}
    if accepted:
        assert KeyVaultSettings.model_validate(settings).soft_delete_retention_days == 7
    else:
        assert vault_problems(settings)[0].startswith("keyVault.softDeleteRetentionDays: Input should be a valid integer")


# --- descriptions: the fields' docstrings, read when asked for --------------------------------


def test_field_docstrings_become_descriptions_only_when_asked_for():
    """A config check never reads the models' source; describe_fields gives each field its
    docstring (declared here, inherited, or borrowed by a model built from another's
    fields), an explicit description winning, and the JSON schema has them too."""
    from pydantic import Field, create_model

    from expressroute_encryption.config.rules import ConfigModel, borrows_fields, describe_fields

    class Inner(ConfigModel):
        size: int = 1
        """How big.

        In units."""
        plain: int = 0
        explicit: int = Field(0, description="Said explicitly.")
        """Not this."""

    class Outer(Inner):
        inner: Inner = Field(default_factory=Inner)
        """The inner settings."""
        plain: int = 2

    built = create_model("Built", __base__=ConfigModel, size=(int, Inner.model_fields["size"]))
    borrows_fields(built, Inner)
    assert Inner.model_fields["size"].description is None
    describe_fields()
    assert Inner.model_fields["size"].description == "How big.\n\nIn units."
    assert Inner.model_fields["plain"].description is None
    assert Inner.model_fields["explicit"].description == "Said explicitly."
    assert Outer.model_fields["size"].description == "How big.\n\nIn units."  # inherited
    assert Outer.model_fields["plain"].description is None  # declared again, without a docstring
    assert Outer.model_fields["inner"].description == "The inner settings."
    assert built.model_fields["size"].description == "How big.\n\nIn units."
    schema = Outer.model_json_schema(by_alias=False)
    assert schema["properties"]["inner"]["description"] == "The inner settings."
    assert schema["$defs"]["Inner"]["properties"]["size"]["description"] == "How big.\n\nIn units."
    assert Outer.model_validate({"inner": {"size": 3}}).inner.size == 3


def test_a_config_check_reads_no_source():
    """Checking a stack config (the offline preview's config error, every program run)
    parses no model's source for its docstrings."""
    import subprocess
    import sys

    code = ("import inspect, sys\n"
            "parsed = []\n"
            "real = inspect.findsource\n"
            "inspect.findsource = lambda *a, **k: parsed.append(1) or real(*a, **k)\n"
            "from expressroute_encryption.config.loading import parse_stack_config\n"
            "from expressroute_encryption.config.inputs import EncryptedDirectPortInputs\n"
            "from expressroute_encryption.config.stack import StackConfig\n"
            "assert StackConfig.model_fields['ports'].description is None\n"
            "sys.exit(len(parsed))\n")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
