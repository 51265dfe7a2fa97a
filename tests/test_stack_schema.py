"""The JSON Schema of Pulumi.<stack>.yaml (stack_schema.py): what an editor checks while a
stack file is typed. It knows every key of the config models with its docstring, refuses a
typo, a value that is not allowed and a plain key where a secret belongs, and takes every
stack file this repository ships; each of them asks for it on its first line."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from expressroute_encryption.config.stack import StackConfig
from expressroute_encryption.stack_schema import stack_file_schema
from tests.helpers import BYO_CAK, PROJECT_DIR, dev_live_config

SCHEMA_FILE = PROJECT_DIR / "schemas" / "pulumi-stack.schema.json"
MODELINE = "# yaml-language-server: $schema=schemas/pulumi-stack.schema.json"
NS = "expressroute-encryption"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def problems(validator, config: dict) -> list[tuple[str, str]]:
    """(path in the stack file, the validator's message) for each problem."""
    return sorted(("/".join(map(str, error.absolute_path)), error.message)
                  for error in validator.iter_errors({"config": config}))


@pytest.mark.parametrize("stack", ["dev", "prod", "vpn", "vwan"])
def test_every_stack_file_asks_for_the_schema_and_meets_it(validator, stack):
    text = (PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()
    assert text.splitlines()[0] == MODELINE
    assert (PROJECT_DIR / MODELINE.split("$schema=")[1]).is_file()  # relative to the stack file
    assert problems(validator, yaml.safe_load(text)["config"]) == []


def test_every_key_of_the_models_is_known_with_its_docstring():
    schema = stack_file_schema()
    properties = schema["properties"]["config"]["properties"]
    for name, field in StackConfig.model_fields.items():
        key = field.alias or name
        assert properties[f"{NS}:{key}"]["description"] == " ".join(field.description.split())
        assert properties[key] == properties[f"{NS}:{key}"]  # without a namespace: the project's
    port = schema["definitions"]["PortSettings"]["properties"]
    assert port["stage"]["enum"] == ["reserved", "encrypted", "active"]
    assert port["bandwidthInGbps"] == {"type": "integer", "enum": [10, 100], "description": "Port bandwidth."}


def test_a_typo_a_wrong_value_and_a_plain_key_are_flagged_where_they_are(validator):
    config = dev_live_config()
    config[f"{NS}:keyVault"]["purgeProtecton"] = True
    config[f"{NS}:ports"][0]["macsec"]["cipher"] = "gcm-aes-256"
    config[f"{NS}:ports"][0]["circuits"][0]["privatePeering"]["vlanId"] = 5000
    config[f"{NS}:portz"] = []
    config[f"{NS}:macsecKeys"] = {"er-direct-ams-dev": {"link1": {"cak": BYO_CAK, "ckn": {"secure": "v1:x"}},
                                                        "link2": {"cak": {"secure": "v1:y"}, "ckn": {"secure": "v1:z"}}}}
    found = problems(validator, config)
    assert [path for path, _ in found] == [
        "config", f"config/{NS}:keyVault", f"config/{NS}:macsecKeys/er-direct-ams-dev/link1/cak",
        f"config/{NS}:ports/0/circuits/0/privatePeering/vlanId", f"config/{NS}:ports/0/macsec/cipher"]
    assert "'purgeProtecton' was unexpected" in dict(found)[f"config/{NS}:keyVault"]
    assert "is not of type 'object'" in dict(found)[f"config/{NS}:macsecKeys/er-direct-ams-dev/link1/cak"]  # secure: only


def test_keys_written_as_paths_and_other_namespaces_are_taken(validator):
    assert problems(validator, {
        f"{NS}:ports[0].stage": "reserved", f"{NS}:keyVault.name": "kv-x", "ports[0].bandwidthInGbps": 10,
        "azure-native:location": "westeurope", "azure-native:subscriptionId": "0000", "pulumi:tags": {"a": "b"},
    }) == []
    assert [path for path, _ in problems(validator, {"azure-native:location": "West Europe"})] == [
        "config/azure-native:location"]
