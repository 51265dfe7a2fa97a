"""The Azure facts module: one definition of each fact, documented, shared by the config
schema and the policy pack, and the pack still runs on its own."""

from __future__ import annotations

import ast
import inspect
import ipaddress
import os
import re
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from expressroute_encryption import facts
from expressroute_encryption.facts import non_public_reason
from expressroute_encryption.policy import vpn as vpn_policy
from tests.helpers import MICROSOFT, base_config, circuit, only_problem, port

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
FACT_ID = re.compile(r"#\s*fact:\s*([a-z0-9-]+)")


# --- every fact is documented -----------------------------------------------------


def documented_fact_ids() -> set[str]:
    rows = (REPO / "docs/azure-facts.md").read_text().splitlines()
    return {m[1] for row in rows if (m := re.match(r"\|\s*([a-z0-9-]+)\s*\|", row)) and m[1] != "id"}


def test_every_fact_comment_in_src_has_a_row_in_azure_facts_md():
    used = {fact_id: path for path in SRC.rglob("*.py") for fact_id in FACT_ID.findall(path.read_text())}
    assert used, "no '# fact: <id>' comments found"
    missing = {fact_id: str(path.relative_to(REPO)) for fact_id, path in used.items()
               if fact_id not in documented_fact_ids()}
    assert not missing, f"fact ids without a row in docs/azure-facts.md: {missing}"


def test_facts_module_uses_the_standard_library_only():
    imports = re.findall(r"^(?:from|import)\s+([\w.]+)", (SRC / "expressroute_encryption/facts.py").read_text(), re.M)
    assert set(imports) <= {"ipaddress", "re"}, imports


# --- no copies of a fact outside facts.py ---------------------------------------------------

# Words that many unrelated Azure properties share ("Enabled": a link's admin state, a
# peering's state, public network access, ...), and the names this product's config uses
# as keys and values everywhere (link1/link2, the stages): not distinctive of one fact.
COMMON_WORDS = {"Enabled", "Disabled", "None", *facts.LINKS, *facts.STAGES}
# Not scanned: facts.py itself; the alert catalogue, whose rows are facts, each under its
# own `# fact:` id; the Azure mocks, which answer in Azure's own words, independently of
# the rules they test (sharing the constants would hide a wrong one); the benchmark's
# sample estates, written as a user writes a stack file.
NOT_SCANNED = ("facts.py", "alerts.py", "offline/mocks.py", "bench/")


def _fact_values() -> tuple[set[str], set[float]]:
    """Every string, and every distinctive number (100 or more, not a power of two such as a
    size in bytes), among the values of facts.py (not its dict keys: ARM property names)."""
    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, (tuple, list, set, frozenset)):
            for item in value:
                yield from leaves(item)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            yield value

    found: set = set()
    for name, value in vars(facts).items():
        if name.startswith("_") or name.endswith(("_PATTERN", "_RE")) or callable(value) or inspect.ismodule(value):
            continue
        if name == "NON_PUBLIC_NETWORKS":
            value = [str(network) for network, _ in value]
        found.update(leaves(value))
    strings = {v for v in found if isinstance(v, str)} - COMMON_WORDS
    numbers = {v for v in found if not isinstance(v, str) and abs(v) >= 100
               and not (float(v).is_integer() and int(v) > 0 and int(v) & (int(v) - 1) == 0)}
    return strings, numbers


def _stray_literals(path: Path, strings: set[str], numbers: set[float]) -> list[tuple[int, object]]:
    """(line, value) of each literal in ``path`` equal to a fact value; docstrings and other
    bare strings (comments in effect) are not code."""
    tree = ast.parse(path.read_text())
    bare = {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and id(node) not in bare and not isinstance(node.value, bool)
            and ((isinstance(node.value, str) and node.value in strings)
                 or (isinstance(node.value, (int, float)) and node.value in numbers))]


def test_no_module_has_a_copy_of_a_fact():
    """A literal equal to a value of facts.py, anywhere in src/, must be imported from facts."""
    strings, numbers = _fact_values()
    assert {"GcmAesXpn128", "DHGroup2", "100.64.0.0/10", "ErGwScale", "GatewaySubnet", "CanNotDelete"} <= strings
    assert {12076, 65515, 4094, 4294967295} <= numbers
    package = SRC / "expressroute_encryption"
    offenders = [f"{path.relative_to(REPO)}:{line}: {value!r}"
                 for path in sorted(package.rglob("*.py"))
                 if not path.relative_to(package).as_posix().startswith(NOT_SCANNED)
                 for line, value in _stray_literals(path, strings, numbers)]
    assert offenders == [], "import these from expressroute_encryption.facts instead:\n" + "\n".join(offenders)


def test_the_scan_finds_a_stray_fact(tmp_path):
    strings, numbers = _fact_values()
    module = tmp_path / "stray.py"
    module.write_text('"""GcmAes256 in a docstring is prose."""\nCIPHER = "GcmAes256"\nASN = 12076\nSIZE = 1024\n')
    assert _stray_literals(module, strings, numbers) == [(2, "GcmAes256"), (3, 12076)]


# --- the policy pack runs without pydantic, the Azure SDK or the config schema ----------

HEAVY = ("pydantic", "pulumi_azure_native", "expressroute_encryption.config")


def test_importing_the_policy_pack_loads_no_config_schema_or_azure_sdk():
    script = textwrap.dedent(f"""
        import sys
        import expressroute_encryption.policy.pack
        import expressroute_encryption.policy.checker
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "pulumi_azure_native")
                     or m.split(".")[:2] == ["expressroute_encryption", "config"]))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_running_pack_never_imports_them():
    """Started the CrossGuard way (``python -m pulumi.policy <engine> .`` in policy/), with
    ``-X importtime`` listing every module the process loads until it serves."""
    env = {**os.environ, "PULUMI_PROJECT": "expressroute-encryption", "PULUMI_STACK": "dev",
           "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": "{}"}
    process = subprocess.Popen([sys.executable, "-X", "importtime", "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
                               cwd=REPO / "policy", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 120)
        port = process.stdout.readline().strip() if ready else b""
    finally:
        process.kill()
        _, err = process.communicate(timeout=60)
    assert port.isdigit(), err.decode(errors="replace")[-2000:]
    loaded = {line.rsplit("|", 1)[-1].strip() for line in err.decode().splitlines() if line.startswith("import time:")}
    assert "expressroute_encryption.policy.pack" in loaded and "expressroute_encryption.facts" in loaded
    assert [m for m in loaded if m.split(".")[0] in HEAVY[:2] or m.startswith(HEAVY[2])] == []


# --- one definition of a public address ------------------------------------------------

NON_PUBLIC_SAMPLES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "0.0.0.0/8",
                      "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "198.18.0.0/15",
                      "fc00::/7", "fe80::/10", "ff00::/8", "::1/128", "::ffff:0:0/96"]


def test_every_listed_range_is_non_global_for_ipaddress_too():
    """Cross-check with ``ipaddress`` (which counts multicast and IPv6 site-local as global)."""
    for network, reason in facts.NON_PUBLIC_NETWORKS:
        first = network.network_address
        assert not first.is_global or first.is_multicast or getattr(first, "is_site_local", False), (network, reason)


@pytest.mark.parametrize("network", NON_PUBLIC_SAMPLES)
def test_non_public_ranges_have_a_reason(network):
    assert non_public_reason(network)


@pytest.mark.parametrize("network", ["20.0.0.0/16", "52.96.0.0/14", "2603:1000::/24",
                                     # documentation ranges: what every example uses
                                     "203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24", "2001:db8::/32"])
def test_public_ranges_have_none(network):
    assert non_public_reason(network) is None


def test_a_network_spanning_private_space_is_not_public():
    assert non_public_reason("96.0.0.0/3") == "shared address space (RFC 6598, carrier-grade NAT)"
    assert non_public_reason("0.0.0.0/0") and non_public_reason("::/0")


def addresses_in(network: str):
    net = ipaddress.ip_network(network)
    return st.integers(int(net.network_address), int(net.broadcast_address)).map(
        lambda n: ipaddress.ip_address(n) if net.version == 4 else ipaddress.IPv6Address(n))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(NON_PUBLIC_SAMPLES).flatmap(addresses_in))
def test_every_address_in_a_non_public_range_is_refused(address):
    assert non_public_reason(address)
    assert vpn_policy.is_private(str(address))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["20.0.0.0/8", "52.0.0.0/8", "8.8.0.0/16", "2603::/16"]).flatmap(addresses_in))
def test_every_address_in_a_public_sample_is_accepted(address):
    assert non_public_reason(address) is None
    assert not vpn_policy.is_private(str(address))


# --- config and policy agree (the ranges used to disagree on 100.64.0.0/10) ---------------


def test_shared_address_space_is_not_public_for_config_and_policy():
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "allowedIpRanges": ["100.64.0.0/16"]}))
    assert msg.startswith("keyVault.allowedIpRanges[0]: must be a public range")
    ms = {**MICROSOFT, "advertisedPublicPrefixes": ["203.0.113.128/27", "100.64.0.0/24"]}
    msg = only_problem(base_config(ports=[port(circuits=[circuit(microsoftPeering=ms)])]))
    assert msg.startswith("ports[0].circuits[0].microsoftPeering.advertisedPublicPrefixes[1]: must be a public prefix")
    assert vpn_policy.is_private("100.64.0.1")


def test_loopback_and_link_local_count_as_reached_over_private_peering():
    """Before, the policy knew only RFC 1918, RFC 6598 and unique local; fail closed."""
    assert vpn_policy.is_private("169.254.10.1") and vpn_policy.is_private("fe80::1")
    assert not vpn_policy.is_private("203.0.113.10")


def test_every_policy_names_its_fact_row():
    """Each policy of the pack is declared right under a ``# fact: <id>`` comment whose
    row exists in docs/azure-facts.md (the source it rests on, or "project"/"unverified")."""
    import importlib

    from expressroute_encryption.policy import pack

    documented = documented_fact_ids()
    declared = {}  # policy name -> the fact id above its declaration
    for path in sorted((SRC / "expressroute_encryption" / "policy").glob("*.py")):
        module = importlib.import_module(f"expressroute_encryption.policy.{path.stem}")
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines[:-1]):
            if re.match(r"^\w+ = \w+Policy\($", line):
                match = re.search(r'name=(?:"([^"]+)"|([A-Z_]+))', lines[i + 1])
                name = match[1] or getattr(module, match[2]) if match else None
                found = FACT_ID.findall(lines[i - 1]) if i else []
                declared[name] = found[0] if found else None
    missing = [p.name for p in pack.POLICIES if declared.get(p.name) not in documented]
    assert missing == [], f"policies without a documented '# fact:' line above their declaration: {missing}"
