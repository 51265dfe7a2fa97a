"""A JSON Schema for ``Pulumi.<stack>.yaml``, generated from the stack config's models.

Editors that speak the YAML language server (VS Code's YAML extension, JetBrains IDEs,
Neovim) then complete every key under ``config:``, show its docstring, offer the allowed
values and flag a typo or a value out of range while it is typed. A stack file asks for it
with its first line::

    # yaml-language-server: $schema=schemas/pulumi-stack.schema.json

It is written by ``python -m expressroute_encryption.codegen --write`` (with the
components' ``*Args``), to ``schemas/`` and into the template; ``codegen --check`` and
``tests/test_codegen.py`` fail while it is stale. JSON Schema draft-07, the newest draft
the YAML language server supports.

What it knows is the shape (keys, types, allowed values, ranges, the secrets); the rules
that relate values (a cipher for the bandwidth, VLANs unique on a port, ...) are the
program's, as ``make preview`` reports them. Besides the nested keys it takes:

- keys without the namespace (they belong to the project, ``expressroute-encryption``);
- keys written as a path (``expressroute-encryption:ports[0].stage``), as ``pulumi new``
  saves a template's answers (``config/paths.py``);
- ``secure:`` values where the config holds key material (``macsecKeys``, ``vpn.sharedKey``),
  the only form allowed there.
"""

from __future__ import annotations

import json
import re
import typing
from typing import Any

from expressroute_encryption import facts
from expressroute_encryption.config.namespace import LOCATION_KEY, NAMESPACE
from expressroute_encryption.config_reference import bounds, flatten, is_model

SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"
# The stack file's own keys (workspace.ProjectStack), besides `config`.
STACK_FILE_STRINGS = {
    "secretsprovider": "The secrets provider of this stack (written by pulumi stack init / change-secrets-provider).",
    "encryptedkey": "The data key of a cloud secrets provider, encrypted (written by the Pulumi CLI).",
    "encryptionsalt": "The passphrase provider's salt (written by the Pulumi CLI).",
}
SECURE = {
    "type": "object",
    "description": "An encrypted value, as `pulumi config set --secret` writes it.",
    "properties": {"secure": {"type": "string", "description": "Ciphertext written by the Pulumi CLI."}},
    "required": ["secure"],
    "additionalProperties": False,
}


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


class _Writer:
    """Turns the config models into JSON Schema, each model once under ``definitions``."""

    def __init__(self) -> None:
        self.definitions: dict[str, Any] = {}

    def value(self, annotation: Any, metadata=()) -> dict[str, Any]:
        from pydantic import SecretStr

        annotation, metadata = flatten(annotation, metadata)
        limits = bounds(metadata)
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Literal:
            kinds = {"integer" if isinstance(v, int) else "string" for v in args}
            return {"type": kinds.pop() if len(kinds) == 1 else sorted(kinds), "enum": list(args)}
        if annotation is bool:
            return {"type": "boolean"}
        if annotation in (int, float):
            schema: dict[str, Any] = {"type": "integer" if annotation is int else "number"}
            for limit, keyword in (("ge", "minimum"), ("le", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum")):
                if limit in limits:
                    schema[keyword] = limits[limit]
            return schema
        if annotation is str:
            schema = {"type": "string"}
            schema.update({k: limits[b] for b, k in (("min_length", "minLength"), ("max_length", "maxLength")) if b in limits})
            return schema
        if annotation is SecretStr:
            return dict(SECURE)
        if origin is list:
            schema = {"type": "array", "items": self.value(args[0])}
            schema.update({k: limits[b] for b, k in (("min_length", "minItems"), ("max_length", "maxItems")) if b in limits})
            return schema
        if origin is dict:
            schema = {"type": "object", "additionalProperties": self.value(args[-1])}
            schema.update({k: limits[b] for b, k in (("min_length", "minProperties"), ("max_length", "maxProperties"))
                           if b in limits})
            return schema
        if is_model(annotation):
            return {"$ref": f"#/definitions/{self.model(annotation)}"}
        raise TypeError(f"stack schema: no JSON Schema for the type {annotation!r}; add it to stack_schema")

    def field(self, field) -> dict[str, Any]:
        from pydantic import BaseModel

        schema = self.value(field.annotation, field.metadata)
        if "$ref" in schema:
            schema = {"allOf": [schema]}  # draft-07 ignores keywords next to $ref
        if field.description:
            schema["description"] = _one_line(field.description)
        if not field.is_required():
            default = field.get_default(call_default_factory=True)
            if default is not None and not isinstance(default, BaseModel):
                schema["default"] = default
        return schema

    def model(self, model) -> str:
        name = model.__name__
        if name not in self.definitions:
            self.definitions[name] = {}  # a model that contains itself would recurse forever
            properties = {field.alias or key: self.field(field) for key, field in model.model_fields.items()}
            self.definitions[name] = {
                "type": "object",
                "description": _one_line((model.__doc__ or "").split("\n\n")[0]),
                "properties": properties,
                "required": [field.alias or key for key, field in model.model_fields.items() if field.is_required()],
                "additionalProperties": False,
            }
            if not self.definitions[name]["required"]:
                del self.definitions[name]["required"]
        return name


def stack_file_schema() -> dict[str, Any]:
    """The JSON Schema of ``Pulumi.<stack>.yaml`` for this project (the field docstrings as descriptions)."""
    from expressroute_encryption.config.rules import describe_fields
    from expressroute_encryption.config.stack import StackConfig

    describe_fields()

    writer = _Writer()
    top = {field.alias or key: writer.field(field) for key, field in StackConfig.model_fields.items()}
    names = "|".join(re.escape(name) for name in top)
    properties: dict[str, Any] = {
        LOCATION_KEY: {
            "description": "The Azure region of the resource group, vault and ports: a programmatic name "
                           f"(`{facts.EXAMPLE_REGION}`); a region missing from this product's list also needs "
                           "`unlistedRegion`.",
            "anyOf": [{"enum": sorted(facts.AZURE_REGIONS)}, {"type": "string", "pattern": f"^{facts.REGION_NAME_PATTERN}$"}],
        },
    }
    for name, schema in top.items():
        properties[f"{NAMESPACE}:{name}"] = schema
        properties[name] = schema  # a key without a namespace belongs to the project
    path_value = {"description": "A key written as a path (as `pulumi new` saves a template's answers): the same "
                                 "value as the nested key.",
                  "type": ["string", "number", "boolean"]}
    config = {
        "type": "object",
        "description": "The stack's config: the `expressroute-encryption` namespace (or no namespace) and "
                       "`azure-native:location`; other namespaces are the providers'.",
        "properties": properties,
        "patternProperties": {
            # ports[0].stage, keyVault.name, ... with or without the namespace
            rf"^({re.escape(NAMESPACE)}:)?({names})[.\[]": path_value,
            # Anything else in the namespace, or without one, is a typo.
            rf"^{re.escape(NAMESPACE)}:(?!({names})($|[.\[]))": False,
            rf"^(?![^:]*:)(?!({names})($|[.\[]))": False,
        },
    }
    return {
        "$schema": SCHEMA_DRAFT,
        "title": "Pulumi.<stack>.yaml of expressroute-encryption",
        "description": "Generated from the stack config's models by python -m expressroute_encryption.codegen --write; "
                       "do not edit. The reference: docs/config-reference.md.",
        "type": "object",
        "properties": {
            "config": config,
            **{key: {"type": "string", "description": text} for key, text in STACK_FILE_STRINGS.items()},
            "environment": {"description": "Pulumi ESC environments the stack imports (not read offline)."},
        },
        "additionalProperties": False,
        "definitions": dict(sorted(writer.definitions.items())),
    }


def render() -> str:
    """The schema as the file holds it."""
    return json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"
