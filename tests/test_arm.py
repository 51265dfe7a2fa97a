"""ARM resource ids and Key Vault secret URLs: one rule each, matched to the end of the
string, and the module loads with the standard library only (the policy pack uses it)."""

from __future__ import annotations

import re

import pytest

from expressroute_encryption import arm
from expressroute_encryption.arm import (
    CIRCUIT_TYPE,
    PORT_TYPE,
    VAULT_TYPE,
    arm_id_name,
    arm_id_problem,
    format_arm_id,
    format_secret_url,
    parse_arm_id,
    parse_secret_url,
    split_arm_id,
)
from tests.helpers import REPO

SUB = "00000000-0000-0000-0000-000000000001"
PORT_ID = f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/expressRoutePorts/edge-1"
VERSION = "0123456789abcdef0123456789abcdef"


def test_arm_uses_the_standard_library_and_facts_only():
    imports = re.findall(r"^(?:from|import)\s+([\w.]+)", (REPO / "src/expressroute_encryption/arm.py").read_text(), re.M)
    assert set(imports) <= {"__future__", "re", "typing", ".facts"}, imports


def test_a_resource_id_is_parsed_into_its_parts():
    parts = parse_arm_id(PORT_ID, PORT_TYPE)
    assert (parts.subscription, parts.group, parts.name) == (SUB, "rg-net", "edge-1")
    assert format_arm_id(SUB, "rg-net", PORT_TYPE, "edge-1") == PORT_ID
    assert arm_id_name(PORT_ID) == "edge-1"


def test_types_and_segment_names_compare_without_case():
    assert parse_arm_id(PORT_ID.replace("resourceGroups", "resourcegroups").replace("expressRoutePorts", "EXPRESSROUTEPORTS"),
                        PORT_TYPE) is not None


@pytest.mark.parametrize("value", [
    PORT_ID + "\n",  # re.match with `$` lets this through; fullmatch does not
    " " + PORT_ID,
    PORT_ID + "/",
    PORT_ID.replace("expressRoutePorts", "expressRouteCircuits"),
    PORT_ID.replace("/resourceGroups/rg-net", ""),
    "edge-1",
    None,
])
def test_anything_else_is_not_a_port_id(value):
    assert parse_arm_id(value, PORT_TYPE) is None


def test_a_child_or_extension_id_names_its_resource_only_when_asked():
    secret = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-1/secrets/port-a-link1-cak"
    setting = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-1/providers/Microsoft.Insights/diagnosticSettings/audit"
    for value in (secret, setting):
        assert parse_arm_id(value, VAULT_TYPE) is None
        assert parse_arm_id(value, VAULT_TYPE, within=True).name == "kv-1"
    assert split_arm_id(f"/subscriptions/{SUB}/resourceGroups/rg").group == "rg"
    assert split_arm_id(f"/subscriptions/{SUB}/resourceGroups/rg").type is None


def test_the_id_problem_names_the_type_and_the_format():
    assert arm_id_problem(PORT_ID, PORT_TYPE) is None
    assert arm_id_problem("x", CIRCUIT_TYPE) == (
        "must be the ARM id of an existing resource of type Microsoft.Network/expressRouteCircuits: "
        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/expressRouteCircuits/<name>")
    assert arm_id_problem("x", CIRCUIT_TYPE, "an ExpressRoute circuit").startswith(
        "must be the ARM id of an ExpressRoute circuit: /subscriptions/<id>/")


@pytest.mark.parametrize("suffix", ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net", "vault.microsoftazure.de"])
def test_secret_urls_of_every_cloud_parse_with_and_without_version(suffix):
    assert parse_secret_url(f"https://kv-1.{suffix}/secrets/port-a-link1-cak/{VERSION}") == ("kv-1", "port-a-link1-cak", VERSION)
    assert parse_secret_url(f"https://KV-1.{suffix.upper()}:443/secrets/port-a-link1-cak/") == ("KV-1", "port-a-link1-cak", None)


@pytest.mark.parametrize("value", [
    f"https://kv-1.vault.azure.net/secrets/cak/{VERSION}\n",
    f"http://kv-1.vault.azure.net/secrets/cak/{VERSION}",
    f"https://kv-1.vault.example.com/secrets/cak/{VERSION}",
    f"https://kv-1.vault.azure.net/keys/cak/{VERSION}",
    f"https://1kv.vault.azure.net/secrets/cak/{VERSION}",
    f"https://kv-1.vault.azure.net/secrets/{'x' * 128}",
    f"https://kv-1.vault.azure.net/secrets/cak/{VERSION[:-1]}",
    "0123456789abcdef" * 4,  # a key pasted where a URL belongs
])
def test_anything_else_is_not_a_secret_url(value):
    assert parse_secret_url(value) is None


def test_a_secret_url_round_trips_and_compares_without_case():
    url = format_secret_url("kv-1", "port-a-link1-cak", VERSION)
    assert url == f"https://kv-1.vault.azure.net/secrets/port-a-link1-cak/{VERSION}"
    assert parse_secret_url(url).same_secret(parse_secret_url(url.upper().replace("HTTPS", "https")))
    assert not parse_secret_url(url).same_secret(parse_secret_url(format_secret_url("kv-1", "port-a-link1-ckn")))


def test_no_other_module_spells_an_arm_type_or_parses_ids_itself():
    """ARM types live in arm.py (the Azure mocks answer in Azure's own words on purpose)."""
    types = {value for name, value in vars(arm).items() if name.endswith("_TYPE")}
    package = REPO / "src/expressroute_encryption"
    offenders = [f"{path.relative_to(REPO)}: {t}" for path in package.rglob("*.py")
                 if path.name != "arm.py" and path.relative_to(package).as_posix() != "offline/mocks.py"
                 for t in types if f'"{t}"' in path.read_text()]
    assert offenders == []
