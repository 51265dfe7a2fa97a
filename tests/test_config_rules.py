"""The rule engine (config/rules.py): every problem in one round, cross-field rules only on
fields that passed their own checks, rules that do not depend on key order, and numbers that are
numbers (true/false is not one)."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from expressroute_encryption.config.errors import describe_errors
from expressroute_encryption.config.keyvault import KeyVaultSettings
from tests.helpers import (
    BYO_CAK, BYO_CKN, MICROSOFT, VPN, base_config, byo_links, circuit, only_problem, port, problems,
)


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


def test_a_field_error_in_one_port_and_a_vlan_clash_in_another_are_reported_together():
    clash = circuit(name="ckt-2", privatePeering=None, microsoftPeering={**MICROSOFT, "vlanId": 100})
    values = base_config(ports=[port(stage="live"),
                                port(name="port-b", encapsulation="Dot1Q", circuits=[circuit(), clash])])
    assert problems(values) == [
        "ports[0].stage: Input should be 'reserved', 'encrypted' or 'active'",
        "ports[1].circuits[1].microsoftPeering.vlanId: VLAN 100 is already used by circuits[0].privatePeering; "
        "VLAN ids must be unique per port",
    ]


def test_a_field_error_in_a_circuit_does_not_hide_a_duplicate_authorization_on_the_same_port():
    bad = circuit(name="ckt-2", skuTier="Basic", privatePeering=None, authorizations=[])
    values = base_config(ports=[port(circuits=[circuit(authorizations=["a", "a"]), bad])])
    assert [p.split(":")[0] for p in problems(values)] == [
        "ports[0].circuits[0].authorizations[1]", "ports[0].circuits[1].skuTier"]


def test_stack_rules_still_run_on_the_ports_that_validated():
    byo = {"port-a": {link: {"cak": BYO_CAK, "ckn": BYO_CKN} for link in ("link1", "link2")}}
    values = base_config(
        ports=[port(macsec={"cipher": "GcmAes128"}, circuits=[circuit(privatePeering=None)]),
               port(name="port-b", stage="up"), port(name="port-c"), port(name="PORT-C")],
        macsecKeys=byo, vpn=copy.deepcopy(VPN),
    )
    assert problems(values) == [
        "ports[1].stage: Input should be 'reserved', 'encrypted' or 'active'",
        "ports[3].name: port name 'PORT-C' is used twice; port names must be unique",
        "macsecKeys.port-a.link1.cak: must be exactly 32 hexadecimal digits for GcmAes128 (value not shown)",
        "macsecKeys.port-a.link2.cak: must be exactly 32 hexadecimal digits for GcmAes128 (value not shown)",
        "vpn.circuit: circuit 'ckt-1' has no privatePeering; the tunnel runs over private peering",
    ]


def test_a_rule_is_quiet_when_its_inputs_failed_their_own_checks():
    """An invalid ipv6 block used to produce a false 'needs the ipv6 block' as well."""
    ms = {**MICROSOFT, "ipv6": {"primaryPeerAddressPrefix": "2001:db8:5::/64", "secondaryPeerAddressPrefix": "2001:db8:5::4/126"},
          "advertisedPublicPrefixes": ["203.0.113.128/27", "2001:db8:100::/48"]}
    assert problems(base_config(ports=[port(circuits=[circuit(microsoftPeering=ms)])])) == [
        "ports[0].circuits[0].microsoftPeering.ipv6.primaryPeerAddressPrefix: must be an IPv6 /126 network "
        "such as 2001:db8:1::/126 (host bits zero)",
    ]


def test_cross_field_rules_do_not_depend_on_key_order():
    values = base_config(ports=[port(macsec={"cipher": "GcmAesXpn256"})])
    reordered = {k: values["ports"][0][k] for k in reversed(values["ports"][0])}
    assert problems(values) == problems(base_config(ports=[reordered]))


def test_all_problems_are_reported_together_without_key_values():
    values = base_config(
        keyVault={"name": "1-bad", "softDeleteRetentionDays": 1},
        ports=[port(macsec={"cipher": "GcmAesXpn128"}), port(name="port-b", stage="up")],
        macsecKeys=byo_links(link1={"cak": "deadbeef", "ckn": "xyz"}),
    )
    found = problems(values)
    paths = [p.split(":")[0] for p in found]
    assert paths == [
        "keyVault.name",
        "keyVault.softDeleteRetentionDays",
        "ports[0].macsec.cipher",
        "ports[1].stage",
        "macsecKeys.port-a.link1.cak",
        "macsecKeys.port-a.link1.ckn",
    ], found
    text = "\n".join(found)
    assert "deadbeef" not in text and "xyz" not in text


def test_true_false_are_not_numbers():
    msg = only_problem(base_config(ports=[port(macsec={"cipher": "GcmAes256", "keyGeneration": {"link1": True}})]))
    assert msg == "ports[0].macsec.keyGeneration.link1: Input should be a valid integer, not true/false"
