"""The components' typed arguments are generated from their ``*Inputs`` models, and the
package schema other languages get says what those models accept: the same keys, types,
required keys, enum values and descriptions. A test fails while the committed
``component_args.py``, the stack files' JSON Schema or the template's pins are stale."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel, SecretStr

from expressroute_encryption import choices, codegen, component_args
from expressroute_encryption.config import literals
from expressroute_encryption.config.inputs import InputOf
from expressroute_encryption.config.rules import describe_fields
from expressroute_encryption.provider import COMPONENTS, package_schema
from expressroute_encryption.tokens import PACKAGE_NAME

TOKEN = f"{PACKAGE_NAME}:index:"


@pytest.fixture(scope="module")
def schema() -> dict:
    return package_schema()


# --- the committed file is the generated one ----------------------------------------------


def test_the_committed_generated_files_are_generated_from_the_models():
    """component_args.py, the stack files' JSON Schema (and its copy in the template), the template's pins."""
    assert {path.relative_to(codegen.REPOSITORY).as_posix() for path in codegen.generated_files()} == {
        "src/expressroute_encryption/component_args.py", "schemas/pulumi-stack.schema.json",
        "templates/expressroute-direct/schemas/pulumi-stack.schema.json", "templates/expressroute-direct/requirements.txt"}
    assert codegen.main(["--check"]) == 0, "a generated file is stale: run python -m expressroute_encryption.codegen --write"


def test_check_fails_on_a_stale_file_and_write_fixes_it(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "component_args.py"
    stale.write_text(codegen.TARGET.read_text().replace("Vault name:", "Name of the vault:"))
    monkeypatch.setattr(codegen, "TARGET", stale)
    monkeypatch.setattr(codegen, "REPOSITORY", tmp_path)  # an installed package: no repository files
    assert codegen.main(["--check"]) == 1
    assert "component_args.py is stale: run python -m expressroute_encryption.codegen --write" in capsys.readouterr().err
    assert codegen.main(["--write"]) == 0
    assert stale.read_text() == codegen.generate()


def test_a_stale_schema_or_template_pin_fails_the_check_by_name(tmp_path, monkeypatch, capsys):
    from expressroute_encryption.stack_schema import render

    for name in ("pyproject.toml", "requirements.txt"):
        (tmp_path / name).write_text((codegen.REPOSITORY / name).read_text())
    template = tmp_path / "templates" / "expressroute-direct"
    template.mkdir(parents=True)
    monkeypatch.setattr(codegen, "REPOSITORY", tmp_path)
    monkeypatch.setattr(codegen, "TEMPLATE", template)
    assert codegen.main(["--write"]) == 0
    assert (tmp_path / "schemas/pulumi-stack.schema.json").read_text() == render()
    assert (template / "requirements.txt").read_text() == (codegen.REPOSITORY / "templates/expressroute-direct/requirements.txt").read_text()
    (tmp_path / "requirements.txt").write_text((tmp_path / "requirements.txt").read_text().replace("pydantic==", "pydantic==9"))
    (template / "schemas/pulumi-stack.schema.json").write_text("{}")
    capsys.readouterr()
    assert codegen.main(["--check"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "templates/expressroute-direct/schemas/pulumi-stack.schema.json is stale: run python -m expressroute_encryption.codegen --write",
        "templates/expressroute-direct/requirements.txt is stale: run python -m expressroute_encryption.codegen --write"]


def test_the_template_pins_are_the_runtime_pins_with_the_package_at_its_version():
    from expressroute_encryption import __version__

    def pins(text: str) -> list[str]:
        return [line for line in text.splitlines() if line and not line.startswith("#")]

    runtime = pins((codegen.REPOSITORY / "requirements.txt").read_text())
    template = pins((codegen.TEMPLATE / "requirements.txt").read_text())
    assert template == [pin for pin in runtime if pin != "-e ."] + [f"expressroute-encryption[tools]=={__version__}"]


def test_every_component_takes_its_generated_args():
    for component in COMPONENTS:
        args = typing.get_type_hints(component.__init__)["args"]
        assert args is getattr(component_args, f"{component.__name__}Args"), component.__name__
        assert component.__name__ in codegen.COMPONENT_INPUTS


def test_a_nested_model_without_a_schema_name_is_refused():
    class Unnamed(BaseModel):
        value: str

    with pytest.raises(TypeError, match="Unnamed: a nested settings model without a name in codegen.NESTED_ARGS"):
        codegen.args_name(Unnamed)


def test_the_enums_have_the_literals_values():
    declared = literals.choices()
    assert set(choices.ENUMS) == set(declared)
    for name, (_, values) in declared.items():
        assert tuple(member.value for member in choices.ENUMS[name]) == values, name


# --- the served schema says what the models accept ----------------------------------------


def unwrap(annotation, metadata=()):
    """(the type inside Optional/Annotated, the metadata met on the way)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            metadata = (*metadata, *annotation.__metadata__)
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation, metadata


def assert_property_matches(prop: dict, annotation, metadata, where: str) -> None:
    """One schema property against the field type it was generated from."""
    annotation, metadata = unwrap(annotation, metadata)
    choice = next((m for m in metadata if isinstance(m, literals.Choice)), None)
    output = next((m.type for m in metadata if isinstance(m, InputOf)), None)
    if choice is not None:
        assert prop.get("$ref") == f"#/types/{TOKEN}{choice.name}", where
        return
    if output is typing.Any:
        assert prop.get("$ref") == "pulumi.json#/Any" and "plain" not in prop, where  # any shape, maybe an Output
        return
    if output is not None and not (isinstance(output, type) and issubclass(output, BaseModel)):
        assert prop.get("type") == "string" and "plain" not in prop, where  # an Output is never plain
        return
    if output is not None:
        annotation = output
    origin = typing.get_origin(annotation)
    if origin is list:
        assert prop.get("type") == "array", where
        assert_property_matches(prop["items"], typing.get_args(annotation)[0], (), f"{where}[]")
    elif origin is dict:
        assert prop.get("type") == "object", where
        assert_property_matches(prop["additionalProperties"], typing.get_args(annotation)[1], (), f"{where}{{}}")
    elif origin is typing.Literal:
        assert prop.get("type") == "integer", where
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        assert prop.get("$ref") == f"#/types/{TOKEN}{codegen.args_name(annotation)}", where
    else:
        expected = {str: "string", int: "integer", float: "number", bool: "boolean", SecretStr: "string"}[annotation]
        assert prop.get("type") == expected, where


def models_of(schema: dict) -> list[tuple[str, type[BaseModel], dict]]:
    """(where, model, its schema object) for every component and every type its arguments use."""
    found = []
    for component, model in codegen.COMPONENT_INPUTS.items():
        resource = schema["resources"][TOKEN + component]
        found.append((component, model, {"properties": resource["inputProperties"],
                                         "required": resource.get("requiredInputs", [])}))
    seen, queue = set(), [model for _, model, _ in found]
    while queue:
        model = queue.pop()
        for field in model.model_fields.values():
            annotation, metadata = unwrap(field.annotation, tuple(field.metadata))
            for inner in (annotation, *typing.get_args(annotation),
                          *(m.type for m in metadata if isinstance(m, InputOf))):
                inner = unwrap(inner)[0]
                if isinstance(inner, type) and issubclass(inner, BaseModel) and inner not in seen:
                    seen.add(inner)
                    queue.append(inner)
                    found.append((inner.__name__, inner, schema["types"][TOKEN + codegen.args_name(inner)]))
    return found


def test_every_input_of_every_component_is_in_the_schema_as_its_model_says(schema):
    describe_fields()  # the models' docstrings, as codegen reads them
    checked = 0
    for where, model, spec in models_of(schema):
        camel = {field.alias or name: (name, field) for name, field in model.model_fields.items()}
        assert set(spec["properties"]) == set(camel), where
        assert set(spec.get("required", [])) == {key for key, (_, f) in camel.items() if f.is_required()}, where
        for key, (name, field) in camel.items():
            prop = spec["properties"][key]
            assert prop.get("description") == field.description, f"{where}.{key}"
            assert_property_matches(prop, field.annotation, tuple(field.metadata), f"{where}.{key}")
            checked += 1
    assert checked > 150


def test_the_served_schema_has_the_enums(schema):
    cipher = schema["types"][TOKEN + "Cipher"]
    assert [e["value"] for e in cipher["enum"]] == list(literals.choices()["Cipher"][1])
    port = schema["resources"][TOKEN + "EncryptedDirectPort"]["inputProperties"]
    assert port["stage"]["$ref"] == f"#/types/{TOKEN}Stage" and port["stage"]["plain"] is True
    dh = schema["types"][TOKEN + "DhGroup"]
    assert {e["value"] for e in dh["enum"]} >= {"ECP384", "DHGroup14"}
    window = schema["types"][TOKEN + "WindowSize"]
    assert [e["value"] for e in window["enum"]][:2] == ["PT1M", "PT5M"]
