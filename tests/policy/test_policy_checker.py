"""The offline checker: its command line against hand-written exports and previews, and its Python API."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.policy.policy_builders import PORT, VAULT, port, secret_url, urn, vault
from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from expressroute_encryption.policy import checker
from expressroute_encryption.cli import main
from expressroute_encryption.policy.checker import InputError, Violation, evaluate

FIXTURES = Path(__file__).parent / "fixtures"
REPO_ROOT = Path(__file__).resolve().parents[2]
# These fixtures and resources predate the monitoring policies and have no alerts or audit log: the
# tests below are about the other policies and the checker (tests/policy/test_policy_operations.py
# covers the monitoring ones), so they run with those two disabled.
UNMONITORED_FILE = FIXTURES / "config-unmonitored.json"
UNMONITORED = json.loads(UNMONITORED_FILE.read_text())
PORT_URN = "urn:pulumi:prod::expressroute-encryption::azure-native:network:ExpressRoutePort::erport"
VAULT_URN = "urn:pulumi:prod::expressroute-encryption::azure-native:keyvault:Vault::erport-vault"
CIRCUIT_URN = "urn:pulumi:prod::expressroute-encryption::azure-native:network:ExpressRouteCircuit::erport-circuit"


def run(capsys, *args):
    """Run the command line in-process; returns (exit status, stdout lines, stderr). Without a
    ``--config``, the monitoring policies are disabled (see UNMONITORED)."""
    if "--config" not in args:
        args = (*args, "--config", UNMONITORED_FILE)
    status = main(["check-policy", *[str(arg) for arg in args]])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


class TestCommandLine:
    def test_compliant_export_passes(self, capsys):
        status, lines, err = run(capsys, FIXTURES / "export-compliant.json")
        assert status == 0 and err == ""
        assert lines == [(f"expressroute-encryption-policies: 0 mandatory and 0 advisory violation(s) in 4 resource(s) "
                          f"of {FIXTURES / 'export-compliant.json'} (stack export).")]

    def test_violations_are_listed_one_per_line(self, capsys):
        status, lines, _ = run(capsys, FIXTURES / "export-violations.json")
        assert status == 1
        assert [line.split(": ", 3)[:3] for line in lines[:-1]] == [
            ["mandatory", "expressroute-port-macsec-required", PORT_URN],
            ["mandatory", "keyvault-no-private-endpoint-for-macsec", VAULT_URN],
            ["mandatory", "expressroute-circuit-on-encrypted-port", CIRCUIT_URN],
            ["advisory", "critical-resources-protected", VAULT_URN],
        ]
        assert "ExpressRoute port 'erport' has link settings but MACsec is not on both links" in lines[0]
        assert "Key Vault 'kv-erport-prod' holds the MACsec keys of ExpressRoute port 'erp-weu-2'" in lines[1]
        assert "ExpressRoute circuit 'erport-circuit' is on ExpressRoute Direct port 'erport'" in lines[2]
        # Azure's name, and a fix for any stack (this project's config key only as such).
        assert lines[3].endswith(": Key Vault 'kv-erport-prod' is not protected: set Pulumi's `protect` resource "
                                 "option on it so that it cannot be deleted by accident (in this project's stack: the "
                                 "config key `protect: true`, the default; with its components: their `protect` "
                                 "argument).")
        assert "3 mandatory and 1 advisory violation(s) in 3 resource(s)" in lines[-1]

    def test_encrypted_secrets_are_not_judged_nor_printed(self, capsys):
        _, lines, _ = run(capsys, FIXTURES / "export-violations.json")
        output = "\n".join(lines)
        assert "expressroute-port-secret-identifiers" not in output
        assert "cipher-cak-url" not in output and "/secrets/" not in output

    def test_preview_reads_new_states_and_skips_deletions(self, capsys):
        status, lines, _ = run(capsys, FIXTURES / "preview.json")
        assert status == 1
        assert len(lines) == 2
        assert lines[0].startswith("mandatory: expressroute-port-macsec-cipher: urn:pulumi:dev::expressroute-encryption"
                                   "::azure-native:network:ExpressRoutePort::erport: ")
        assert "XPN ciphers are not supported on 10 Gbps ports" in lines[0]
        assert "old-vault" not in "\n".join(lines)
        assert lines[1].endswith("in 2 resource(s) of " + str(FIXTURES / "preview.json") + " (preview).")

    def test_config_changes_an_enforcement_level(self, capsys):
        status, lines, _ = run(capsys, FIXTURES / "preview.json", "--config", FIXTURES / "config-cipher-advisory.json")
        assert status == 0
        assert lines[0].startswith("advisory: expressroute-port-macsec-cipher: ")
        assert "0 mandatory and 1 advisory" in lines[-1]

    def test_config_changes_the_cipher_allow_list(self, capsys):
        status, lines, _ = run(capsys, FIXTURES / "export-compliant.json",
                               "--config", FIXTURES / "config-allow-gcmaes128.json")
        assert status == 1
        [violation] = lines[:-1]
        assert violation.startswith("mandatory: expressroute-port-macsec-cipher: ")
        assert "cipher 'GcmAes256', which is not allowed; set macSecConfig.cipher to one of GcmAes128" in violation

    def test_json_summary(self, capsys):
        status, lines, _ = run(capsys, FIXTURES / "export-violations.json", "--json")
        summary = json.loads("\n".join(lines))
        assert status == 1
        assert {key: summary[key] for key in ("format", "policyPack", "resources", "mandatory", "advisory")} == {
            "format": "stack export", "policyPack": "expressroute-encryption-policies",
            "resources": 3, "mandatory": 3, "advisory": 1}
        assert [(v["level"], v["policy"], v["urn"]) for v in summary["violations"]] == [
            ("mandatory", "expressroute-port-macsec-required", PORT_URN),
            ("mandatory", "keyvault-no-private-endpoint-for-macsec", VAULT_URN),
            ("mandatory", "expressroute-circuit-on-encrypted-port", CIRCUIT_URN),
            ("advisory", "critical-resources-protected", VAULT_URN),
        ]

    @pytest.mark.parametrize(("file", "expected"), [
        ("truncated-preview.txt", "is not valid JSON"),
        ("not-pulumi.json", "expected the output of `pulumi stack export`"),
        ("export-resource-without-type.json", "resource 0 (urn:pulumi:dev::"),
        ("does-not-exist.json", "cannot read FILE"),
    ])
    def test_unreadable_or_malformed_file_exits_2(self, capsys, file, expected):
        status, lines, err = run(capsys, FIXTURES / file)
        assert status == 2 and lines == []
        assert err.startswith("check-policy: error: ") and expected in err and file in err

    @pytest.mark.parametrize(("config", "expected"), [
        ({"expressroute-port-macsec-ciphers": "advisory"}, "unknown policies: expressroute-port-macsec-ciphers"),
        ({"all": "block"}, "invalid enforcement level"),
        ({"expressroute-port-macsec-cipher": {"allowedCiphers": "GcmAes256"}}, "must be of type array"),
        ({"expressroute-port-macsec-cipher": {"allowedCiphers": ["gcm-aes-128"]}}, "allowedCiphers[0] must be one of"),
        ({"expressroute-port-identity": {"strict": True}}, "unknown property 'strict'"),
        ([], "must be a JSON object"),
    ])
    def test_malformed_config_exits_2(self, capsys, tmp_path, config, expected):
        config_file = tmp_path / "config.json"
        config_file.write_text(json.dumps(config))
        status, lines, err = run(capsys, FIXTURES / "export-compliant.json", "--config", config_file)
        assert status == 2 and lines == []
        assert "CONFIG" in err and expected in err

    @pytest.mark.parametrize(("file", "status"), [
        ("export-compliant.json", 0), ("export-violations.json", 1), ("truncated-preview.txt", 2)])
    def test_module_runs_from_the_repository_root(self, file, status):
        result = subprocess.run(
            [sys.executable, "-m", "expressroute_encryption.cli", "check-policy", str(FIXTURES / file)],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == status
        assert "Traceback" not in result.stderr + result.stdout


def resource(resource_type, name, inputs, **fields):
    return {"type": resource_type, "urn": urn(resource_type, name), "inputs": inputs, **fields}


class TestEvaluate:
    def test_resources_in_the_stack_export_shape(self):
        resources = [resource(PORT, "port", port(), protect=True), resource(VAULT, "kv", vault(), protect=True)]
        assert evaluate(resources, UNMONITORED) == []

    def test_enforcement_levels_from_config(self):
        # An unprotected vault holding the keys of a (protected) port.
        resources = [resource(PORT, "port", port(), protect=True), resource(VAULT, "kv", vault())]
        [violation] = evaluate(resources, UNMONITORED)
        assert violation == Violation("advisory", "critical-resources-protected", urn(VAULT, "kv"),
                                      "Key Vault 'kv-macsec' is not protected: set Pulumi's `protect` resource option "
                                      "on it so that it cannot be deleted by accident (in this project's stack: the "
                                      "config key `protect: true`, the default; with its components: their `protect` "
                                      "argument).")
        assert [v.level for v in evaluate(resources, {**UNMONITORED, "all": "mandatory"})] == ["mandatory"]
        assert [v.level for v in evaluate(resources, {**UNMONITORED, "critical-resources-protected": "remediate"})] == \
            ["mandatory"]
        assert evaluate(resources, {**UNMONITORED, "all": "mandatory", "critical-resources-protected": "disabled"}) == []

    def test_stack_policies_use_outputs_and_resolve_dependencies(self):
        reserved = resource(PORT, "port", {}, outputs={"name": "erp-weu-1", "bandwidthInGbps": 10}, protect=True)
        circuit = resource("azure-native:network:ExpressRouteCircuit", "circuit",
                           {"expressRoutePort": {"id": UNKNOWN_STRING_VALUE}}, dependencies=[reserved["urn"]],
                           protect=True)
        [violation] = evaluate([reserved, circuit], UNMONITORED)
        assert (violation.policy, violation.urn) == ("expressroute-circuit-on-encrypted-port", circuit["urn"])

    def test_plaintext_secrets_are_read_and_encrypted_ones_are_not(self):
        def marked(**content):
            return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, **content}

        props = port()
        link1, link2 = (link["macSecConfig"] for link in props["links"])
        link1["cakSecretIdentifier"] = marked(plaintext=json.dumps("https://kv-macsec.vault.azure.net/secrets/x"))
        link2["cakSecretIdentifier"] = marked(ciphertext="v1:abc:def")
        [violation] = evaluate([resource(PORT, "port", props, protect=True)], UNMONITORED)
        assert violation.policy == "expressroute-port-secret-identifiers"
        assert "link1 macSecConfig.cakSecretIdentifier" in violation.message and "link2" not in violation.message
        assert "/secrets/x" not in violation.message and secret_url() not in violation.message

    def test_skips_the_stack_providers_and_pending_deletions(self):
        resources = [
            resource("pulumi:pulumi:Stack", "stack", {}),
            resource("pulumi:providers:azure-native", "default", {}),
            resource(VAULT, "replaced", {"properties": {"publicNetworkAccess": "Disabled"}}, delete=True),
        ]
        assert evaluate(resources) == []

    @pytest.mark.parametrize("bad", [[{"urn": "x"}], [{"type": VAULT, "urn": "x", "inputs": []}], "resources"])
    def test_malformed_resources_raise_input_error(self, bad):
        with pytest.raises(InputError):
            evaluate(bad)

    def test_unknown_value_errors_become_advisory_diagnostics_like_the_engine(self):
        policy = ResourceValidationPolicy("reads-unknown", "Reads a value unknown during preview.",
                                          validate=lambda args, report: report(args.props["links"][0]))
        args = ResourceValidationArgs(PORT, unknown_checking_proxy({"links": [UNKNOWN_STRING_VALUE]}),
                                      urn(PORT, "port"), "port", checker.resource_options({}), None)
        [violation] = checker.run_policy(policy, args, EnforcementLevel.MANDATORY, urn(PORT, "port"))
        assert violation.level == "advisory"
        assert violation.message == ("can't run policy 'reads-unknown' during preview: string value at .links.0 "
                                     "can't be known during preview")


def test_json_mode_prints_one_document_on_bad_input_too(tmp_path, capsys):
    from expressroute_encryption.cli import main as cli_main

    assert cli_main(["check-policy", str(tmp_path / "missing.json"), "--json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["exitCode"] == 2 and document["errors"][0].startswith("check-policy: error:")


def test_resource_policies_run_only_on_the_types_they_declare(monkeypatch):
    """Each resource policy says which types it applies to (its check's applies_to); the
    checker calls it for those only, and finds what calling it for every resource finds."""
    from expressroute_encryption.policy.pack import POLICIES
    from expressroute_encryption.policy.resources import ResourcePolicy

    resource_policies = [policy for policy in POLICIES if isinstance(policy, ResourceValidationPolicy)]
    assert resource_policies and all(isinstance(policy, ResourcePolicy) and policy.resource_types == {PORT}
                                     for policy in resource_policies)
    exports = [json.loads((FIXTURES / name).read_text())["deployment"]["resources"]
               for name in ("export-violations.json", "export-compliant.json")]
    called = []
    real_validate = ResourceValidationPolicy.validate
    monkeypatch.setattr(ResourceValidationPolicy, "validate",
                        lambda policy, args, report: called.append(args.resource_type) or real_validate(policy, args, report))
    skipping = [evaluate(resources, UNMONITORED) for resources in exports]
    assert called and set(called) == {PORT}
    monkeypatch.setattr(ResourcePolicy, "applies_to", lambda policy, resource_type: True)
    assert [evaluate(resources, UNMONITORED) for resources in exports] == skipping
    assert set(called) > {PORT}
    assert any(violation.urn.endswith("ExpressRoutePort::erport") for violation in skipping[0])
