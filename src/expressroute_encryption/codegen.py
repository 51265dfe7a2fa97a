"""The files generated from the config models: the components' typed arguments, the
stack files' JSON Schema, and the template's pins.

Each component's arguments are defined once, as a pydantic model in ``config/inputs.py``
(with the stack config's fields and docstrings). Pulumi's component provider infers the
package schema for other languages from TypedDicts, and reads their docstrings from the
source, so this module writes them out as real source code: ``component_args.py``, one
``*Args`` TypedDict per model a component takes, with the models' docstrings.

In this repository it also writes (``REPOSITORY_FILES``): the JSON Schema of
``Pulumi.<stack>.yaml`` (``stack_schema``) to ``schemas/`` and into the template, and the
template's ``requirements.txt``: this repository's runtime pins with this package, at its
version, instead of the checkout (so a project made from the template runs the program and
the pins it was released with).

    python -m expressroute_encryption.codegen --check   exit 1 when a generated file is stale
    python -m expressroute_encryption.codegen --write   rewrite them

A field's type becomes: ``str``/``int``/``float``/``bool`` for plain values (integer
choices are integers), the enum of ``choices`` for a string ``Literal`` (named by its
``Choice``), ``pulumi.Input[str]`` for an argument that may be an Output (``Input``) and
for a secret, the nested model's ``*Args``, and ``list``/``dict`` of those. A field with a
default is ``NotRequired``.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from .config import inputs
from .config.literals import Choice
from .config.rules import describe_fields
from .exit_codes import ExitCode

TARGET = Path(__file__).with_name("component_args.py")
# The repository this package is checked out in (src/expressroute_encryption/ -> ..): its
# other generated files exist only there, not in an installed copy of the package.
REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATE = REPOSITORY / "templates" / "expressroute-direct"
STACK_SCHEMA = Path("schemas") / "pulumi-stack.schema.json"

# Component -> the model its ``args`` are validated with.
COMPONENT_INPUTS: dict[str, type[BaseModel]] = {
    "MacsecKeyVault": inputs.MacsecKeyVaultInputs,
    "EncryptedDirectPort": inputs.EncryptedDirectPortInputs,
    "DirectCircuit": inputs.DirectCircuitInputs,
    "PrivatePeeringVpn": inputs.PrivatePeeringVpnInputs,
    "VirtualWanVpn": inputs.VirtualWanVpnInputs,
    "CircuitVnetConnection": inputs.CircuitVnetConnectionInputs,
    "ExpressRouteMonitoring": inputs.ExpressRouteMonitoringInputs,
    "ResourceLocks": inputs.ResourceLocksInputs,
}

# The name of each nested settings model's TypedDict: a name in the package schema (and
# so a class name in every generated SDK), never to be changed once published.
NESTED_ARGS: dict[str, str] = {
    "MacsecSettings": "MacsecArgs",
    "KeyGeneration": "KeyGenerationArgs",
    "LinkMacsecOverride": "LinkMacsecArgs",
    "PortKeys": "PortKeysArgs",
    "LinkKey": "LinkKeyArgs",
    "PrivatePeeringSettings": "PeeringArgs",
    "MicrosoftPeeringSettings": "MicrosoftPeeringArgs",
    "Ipv6PeeringSettings": "Ipv6PeeringArgs",
    "VirtualNetworkSettings": "VirtualNetworkArgs",
    "OnPremisesSettings": "OnPremisesArgs",
    "BgpPeerSettings": "BgpPeerArgs",
    "IpsecPolicySettings": "IpsecPolicyArgs",
    "VirtualWanSettings": "VirtualWanArgs",
    "VirtualHubSettings": "VirtualHubArgs",
    "GatewayVirtualNetworkSettings": "ConnectedVirtualNetworkArgs",
    "ScaleUnits": "ScaleUnitsArgs",
    "AlertOverrides": "AlertOverridesArgs",
    "AlertOverride": "AlertOverrideArgs",
    "DynamicAlertOverride": "DynamicAlertOverrideArgs",
    "MonitoredPortSettings": "MonitoredPort",
    "MonitoredCircuitSettings": "MonitoredCircuit",
    "LockTargetSettings": "LockTarget",
}

HEADER = '''"""The components' typed arguments: one ``*Args`` TypedDict per settings model a component
takes, from which Pulumi infers the component package schema for other languages.

Generated from config/inputs.py by ``python -m expressroute_encryption.codegen --write``;
do not edit. ``codegen --check`` (and tests/test_codegen.py) fails while it is stale.
"""

'''


def args_name(model: type[BaseModel]) -> str:
    """The TypedDict name of a component's model or of a nested settings model."""
    for component, component_model in COMPONENT_INPUTS.items():
        if model is component_model:
            return f"{component}Args"
    if model.__name__ not in NESTED_ARGS:
        raise TypeError(f"{model.__name__}: a nested settings model without a name in codegen.NESTED_ARGS")
    return NESTED_ARGS[model.__name__]


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


class _Types:
    """Turns field annotations into TypedDict annotations, noting the names they use."""

    def __init__(self) -> None:
        self.enums: set[str] = set()
        self.models: list[type[BaseModel]] = []
        self.any = False  # an argument of any shape (``input_of(Any)``) was written

    def expression(self, annotation: Any, metadata: tuple = ()) -> str:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            return self.expression(args[0], (*metadata, *annotation.__metadata__))
        for item in metadata:
            if isinstance(item, Choice):
                self.enums.add(item.name)
                return item.name
            if isinstance(item, inputs.InputOf):
                if item.type is typing.Any:
                    self.any = True
                return self.expression(item.type) if _is_model(item.type) else f"pulumi.Input[{item.type.__name__}]"
        if origin is typing.Union:
            kept = [a for a in args if a is not type(None)]
            if len(kept) != 1:
                raise TypeError(f"{annotation}: only Optional[X] unions are supported")
            return self.expression(kept[0], metadata)
        if origin is typing.Literal:
            if all(isinstance(v, int) and not isinstance(v, bool) for v in args):
                return "int"
            raise TypeError(f"{annotation}: a string Literal needs a Choice (config.literals) to become an enum")
        if origin is list:
            return f"list[{self.expression(args[0])}]"
        if origin is dict:
            return f"dict[str, {self.expression(args[1])}]"
        if annotation is SecretStr:
            return "pulumi.Input[str]"
        if annotation in (str, int, float, bool):
            return annotation.__name__
        if _is_model(annotation):
            if annotation not in self.models:
                self.models.append(annotation)
            return args_name(annotation)
        raise TypeError(f"{annotation}: no TypedDict type for it (use input_of(...) for an Output)")


def _docstring(text: str, indent: str) -> str:
    text = inspect.cleandoc(text).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = text.splitlines()
    body = "\n".join(lines[:1] + [f"{indent}{line}" if line else "" for line in lines[1:]])
    return f'{indent}"""{body}"""\n'


def _typed_dict(model: type[BaseModel], types: _Types) -> str:
    out = f"class {args_name(model)}(TypedDict):\n"
    out += _docstring(model.__doc__ or args_name(model), "    ") + "\n"
    for name, field in model.model_fields.items():
        expression = types.expression(field.annotation, tuple(field.metadata))
        if not field.is_required():
            expression = f"NotRequired[{expression}]"
        out += f"    {name}: {expression}\n"
        if field.description:
            out += _docstring(field.description, "    ")
    return out


def generate() -> str:
    """The text of ``component_args.py``."""
    describe_fields()
    types = _Types()
    classes: dict[str, str] = {}

    def emit(model: type[BaseModel]) -> None:
        if args_name(model) in classes:
            return
        before = len(types.models)
        text = _typed_dict(model, types)
        for nested in types.models[before:]:
            emit(nested)  # a TypedDict's annotations need the nested ones defined first
        classes[args_name(model)] = text

    for model in COMPONENT_INPUTS.values():
        emit(model)
    imports = (f"from typing import {'Any, ' if types.any else ''}TypedDict\n\nimport pulumi\n"
               "from typing_extensions import NotRequired\n")
    if types.enums:
        imports += "\nfrom .choices import (\n" + "".join(f"    {name},\n" for name in sorted(types.enums)) + ")\n"
    return HEADER + imports + "".join(f"\n\n{text}" for text in classes.values())


TEMPLATE_REQUIREMENTS_HEADER = """\
# The runtime of expressroute-encryption {version}, as its requirements.txt pins it, with the
# package itself instead of its checkout: the stack program and its components (__main__.py
# runs expressroute_encryption.program) and the offline tools ([tools]), at the version this
# template was released with. Written into the template by the repository's codegen; in a
# project made from the template, this file is yours.
# pip takes the package from your package index (publish its wheel there), or replace the
# last line with the repository at the release tag:
#   expressroute-encryption[tools] @ git+https://github.com/<org>/expressroute-encryption.git@v{version}
"""


def template_requirements() -> str:
    """The template's requirements.txt: this repository's pinned runtime, with the package
    at its version instead of the checkout (``-e .``)."""
    from . import __version__

    pins = [line for line in (REPOSITORY / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#") and line.strip() != "-e ."]
    return (TEMPLATE_REQUIREMENTS_HEADER.format(version=__version__) + "\n".join(pins)
            + f"\nexpressroute-encryption[tools]=={__version__}\n")


def generated_files() -> dict[Path, Any]:
    """Every file this module writes -> the function that makes its text."""
    from .stack_schema import render

    files: dict[Path, Any] = {TARGET: generate}
    if (REPOSITORY / "pyproject.toml").is_file() and TEMPLATE.is_dir():
        files[REPOSITORY / STACK_SCHEMA] = render
        files[TEMPLATE / STACK_SCHEMA] = render
        files[TEMPLATE / "requirements.txt"] = template_requirements
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m expressroute_encryption.codegen", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true", help="exit 1 when a generated file is stale")
    group.add_argument("--write", action="store_true", help="rewrite the generated files")
    args = parser.parse_args(argv)
    stale = []
    for path, make in generated_files().items():
        text = make()
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        elif not path.is_file() or path.read_text() != text:
            stale.append(path)
    for path in stale:
        name = path.name if path == TARGET else path.relative_to(REPOSITORY).as_posix()
        print(f"{name} is stale: run python -m expressroute_encryption.codegen --write", file=sys.stderr)
    return ExitCode.REFUSED if stale else ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
