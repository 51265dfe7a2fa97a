"""The policy pack (policy/pack.py) sits on top of the layers, beside the offline tools, and
imports downward only: loading it loads neither the offline tools nor what only they need."""

import json
import subprocess
import sys
import textwrap

import pytest

# The pack's own modules may load these families only through the policy SDK itself.
NEVER = ("expressroute_encryption.offline", "expressroute_encryption.config", "pydantic", "pulumi_azure_native")
NOT_OURS = ("yaml",)


@pytest.mark.smoke
def test_importing_the_pack_loads_no_offline_tool_yaml_reader_pydantic_or_azure_sdk():
    """In a fresh interpreter. PyYAML is loaded by ``import pulumi`` itself (its automation
    API), so it is taken out of ``sys.modules`` once the policy SDK is loaded: an import of
    it by the pack would load it again."""
    script = textwrap.dedent(f"""
        import json, sys
        import pulumi_policy
        for name in [m for m in sys.modules if m.split(".")[0] in {NOT_OURS!r}]:
            del sys.modules[name]
        sdk = set(sys.modules)
        import expressroute_encryption.policy.pack
        print(json.dumps({{"all": sorted(sys.modules), "added": sorted(set(sys.modules) - sdk)}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)

    def family(name: str, families: tuple[str, ...]) -> bool:
        return any(name == f or name.startswith(f + ".") for f in families)

    assert [m for m in loaded["all"] if family(m, NEVER)] == []
    assert [m for m in loaded["added"] if family(m, NOT_OURS)] == []
    assert "expressroute_encryption.policy.pack" in loaded["added"]
