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
    assert set(imports) <= {"__future__", "functools", "re", "typing", "unicodedata", ".facts"}, imports


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


# --- resource group names and the segments of an id -----------------------------------------


@pytest.mark.parametrize("name", ["rg-net", "RG_1", "rg.(prod)", "rg-zürich", "g" * 90])
def test_resource_group_names_azure_accepts(name):
    assert arm.resource_group_name_problem(name) is None
    assert split_arm_id(f"/subscriptions/{SUB}/resourceGroups/{name}").group == name


@pytest.mark.parametrize("name", ["rg/../other", "rg-foo.", "rg foo?#", "..", ".", "", "g" * 91, "rg\n", "rg#1", "rg²"])
def test_resource_group_names_azure_refuses(name):
    assert arm.resource_group_name_problem(name) == (
        "must be 1-90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.' (Azure resource group names)")


@pytest.mark.parametrize("value", [
    PORT_ID.replace("/rg-net/", "/../"),  # `..` as the group
    PORT_ID.replace("/rg-net/", "/rg-net./"),
    PORT_ID.replace("/edge-1", "/.."),  # `..` as the name
    PORT_ID.replace("/edge-1", "/."),
    PORT_ID + "/..",
    PORT_ID.replace("/subscriptions/" + SUB, "/subscriptions/.."),
    PORT_ID.replace("edge-1", "edge?1"),
    PORT_ID.replace("edge-1", "edge#1"),
    PORT_ID.replace("edge-1", "edge\x001"),
])
def test_no_segment_is_a_dot_segment_a_url_delimiter_or_a_control_character(value):
    assert split_arm_id(value) is None and parse_arm_id(value, PORT_TYPE, within=True) is None


def test_names_with_dots_inside_stay_names():
    assert parse_arm_id(PORT_ID.replace("edge-1", "edge..1"), PORT_TYPE).name == "edge..1"


# --- every pattern of src/ is matched to the true end of the string ---------------------------


def _package_modules():
    import importlib
    import pkgutil

    import expressroute_encryption

    for info in pkgutil.walk_packages(expressroute_encryption.__path__, "expressroute_encryption."):
        yield importlib.import_module(info.name)


def _ends_with_dollar(pattern: re.Pattern) -> bool:
    """Whether the pattern uses `$` (AT_END), which also matches before a final newline."""
    from re import _constants as constants, _parser as parser

    def walk(items):
        for op, value in items:
            if op is constants.AT and value is constants.AT_END:
                return True
            nested = [v for v in (value if isinstance(value, (list, tuple)) else [value])
                      if isinstance(v, parser.SubPattern)]
            nested += [s for v in (value if isinstance(value, (list, tuple)) else [])
                       if isinstance(v, (list, tuple)) for s in v if isinstance(s, parser.SubPattern)]
            if any(walk(sub) for sub in nested):
                return True
        return False

    return walk(parser.parse(pattern.pattern, pattern.flags))


def test_the_dollar_check_finds_a_dollar():
    assert _ends_with_dollar(re.compile(r"^a(?:b|c$)"))
    assert not _ends_with_dollar(re.compile(r"a(?=.{1,3}\Z)[$]"))


def test_no_pattern_of_src_ends_in_a_dollar_and_none_is_matched_from_the_start_only():
    """`$` matches before a trailing newline, and `X.match` with it lets "value\\n" through:
    every pattern is matched with fullmatch (or searched for), none spells `$`."""
    import ast

    patterns = {f"{module.__name__}.{name}": value for module in _package_modules()
                for name, value in vars(module).items() if isinstance(value, re.Pattern)}
    from expressroute_encryption import facts

    patterns.update({f"facts.{name}": re.compile(value) for name, value in vars(facts).items()
                     if name.endswith("_PATTERN")})
    assert "expressroute_encryption.arm.ARM_ID_RE" in patterns and len(patterns) > 10
    assert [name for name, pattern in patterns.items() if _ends_with_dollar(pattern)] == []
    matched_from_start = [
        f"{path.relative_to(REPO)}:{node.lineno}"
        for path in (REPO / "src").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "match"
        and (isinstance(node.func.value, ast.Name) and (node.func.value.id == "re" or node.func.value.id.endswith("_RE")))
    ]
    assert matched_from_start == []
