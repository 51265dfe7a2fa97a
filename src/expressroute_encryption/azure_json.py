"""Reading what Azure says about a resource: the JSON of the az CLI or of the ARM REST API.

``adopt`` reads a port, its circuits and a vault this way, and the offline preview reads a
vault (``--vault``). Files are read up to ``MAX_INPUT_BYTES`` (8 MiB: a port is a few KiB, a
subscription's circuit list rarely more than a few hundred) and ``MAX_DEPTH`` levels of nesting
(Azure's JSON has fewer than ten); a key twice in one object, ``NaN`` and text that is not
UTF-8 are refused. A resource in ARM's shape (a ``properties`` envelope) is read as az prints
it (``flatten``), and every field a caller reads is checked for its JSON type first
(``shape_problems``): one line per field, naming the file and the field, never a traceback.
Standard library only, with ``arm`` and ``printable``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .arm import PORT_TYPE, VAULT_TYPE, parse_arm_id
from .printable import one_line

MAX_INPUT_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32


class AzureJsonError(Exception):
    """A file that is not the resource it should be: one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))



def kind_of(value: Any) -> str:
    """A JSON value's kind, for a message ('a list', 'a number', ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` levels of lists and objects (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"the key {json.dumps(key)} appears twice in one object")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(path: str, what: str) -> Any:
    """The JSON document in ``path``, or AzureJsonError naming the file and why it cannot be read."""
    shown = one_line(path)
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise AzureJsonError([f"{shown}: cannot read {what}: {exc.strerror or type(exc).__name__}"]) from None
    if len(raw) > MAX_INPUT_BYTES:
        raise AzureJsonError([f"{shown}: more than {MAX_INPUT_BYTES // (1024 * 1024)} MiB: refused unread ({what} is "
                          "a few KiB; adopt reads inputs up to that size)"])
    try:
        document = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_object, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise AzureJsonError([f"{shown}: not UTF-8 text ({what} expected, as az prints it)"]) from None
    except RecursionError:
        raise AzureJsonError([f"{shown}: nested too deeply to be {what}"]) from None
    except ValueError as exc:  # json.JSONDecodeError, a duplicate key, NaN, a number too long
        raise AzureJsonError([f"{shown}: not JSON ({what} expected): {one_line(exc)}"]) from None
    if _deeper_than(document, MAX_DEPTH):
        raise AzureJsonError([f"{shown}: nested more than {MAX_DEPTH} levels deep: not {what} (Azure's JSON has "
                          "fewer than ten)"])
    return document


# ---------------------------------------------------------------------------
# The shapes adopt reads: each field it uses, with its JSON type. Other fields are ignored;
# null counts as absent (az prints absent sub-objects as null).


@dataclass(frozen=True)
class Field:
    shape: Any
    required: bool = False


@dataclass(frozen=True)
class Obj:
    fields: dict[str, Field]


@dataclass(frozen=True)
class ListOf:
    item: Any


STR, NUM, BOOL, ANY = "a string", "a number", "true/false", "anything"


def shape_problems(value: Any, shape: Any, where: str) -> list[str]:
    """Where ``value`` is not of ``shape``: one line per field, naming it and what it holds."""
    if shape == ANY:
        return []
    if shape == STR:
        ok = isinstance(value, str)
    elif shape == NUM:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif shape == BOOL:
        ok = isinstance(value, bool)
    elif isinstance(shape, ListOf):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {kind_of(value)}"]
        return [problem for index, item in enumerate(value)
                for problem in shape_problems(item, shape.item, f"{where}[{index}]")]
    else:
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {kind_of(value)}"]
        problems = []
        for key, field in shape.fields.items():
            inner = f"{where}.{key}" if where else key
            if value.get(key) is None:
                if field.required:
                    problems.append(f"{inner}: missing")
                continue
            problems += shape_problems(value[key], field.shape, inner)
        return problems
    return [] if ok else [f"{where}: expected {shape}, got {kind_of(value)}"]


# What is read of a port (adopt, and the preview's --live-port).
MACSEC_SHAPE = Obj({"cipher": Field(STR), "cakSecretIdentifier": Field(STR), "cknSecretIdentifier": Field(STR),
                    "sciState": Field(STR)})
LINK_SHAPE = Obj({"name": Field(STR, True), "adminState": Field(STR), "macSecConfig": Field(MACSEC_SHAPE)})
PORT_SHAPE = Obj({
    "id": Field(STR, True), "name": Field(STR, True), "location": Field(STR, True),
    "peeringLocation": Field(STR, True), "bandwidthInGbps": Field(NUM, True), "encapsulation": Field(STR, True),
    "billingType": Field(STR), "links": Field(ListOf(LINK_SHAPE), True),
    "circuits": Field(ListOf(Obj({"id": Field(STR)}))),
})
# What the guard reads of a port as it is live (the preview's --live-port): its links.
PORT_LINKS_SHAPE = Obj({"id": Field(STR), "name": Field(STR, True), "links": Field(ListOf(LINK_SHAPE), True)})

VAULT_SHAPE = Obj({
    "id": Field(STR, True), "name": Field(STR, True), "enableSoftDelete": Field(BOOL),
    "enableRbacAuthorization": Field(BOOL), "publicNetworkAccess": Field(STR),
    "networkAcls": Field(Obj({"defaultAction": Field(STR), "bypass": Field(STR)})),
    "privateEndpointConnections": Field(ListOf(ANY)),
})


def flatten(resource: Any) -> Any:
    """The az CLI shape of a resource: ARM's ``properties`` hoisted to the top level, in
    the resource and its sub-resources (links, peerings, authorizations)."""
    if isinstance(resource, list):
        return [flatten(item) for item in resource]
    if not isinstance(resource, dict):
        return resource
    merged = {k: v for k, v in resource.items() if k != "properties"}
    if isinstance(resource.get("properties"), dict):
        merged.update(resource["properties"])
    return {k: flatten(v) if k in ("links", "peerings", "authorizations") else v for k, v in merged.items()}


def _checked(path: str, value: Any, shape: Obj, what: str) -> dict[str, Any]:
    if isinstance(value, dict) and value.get("properties") is not None and not isinstance(value["properties"], dict):
        raise AzureJsonError([f"{one_line(path)}: properties: expected an object, got {kind_of(value['properties'])}"])
    resource = flatten(value)
    if problems := shape_problems(resource, shape, ""):
        raise AzureJsonError([f"{one_line(path)}: {one_line(problem)}" for problem in problems])
    return resource


def load_resource(path: str, resource_type: str, what: str, shape: Obj) -> dict[str, Any]:
    """One resource of ``resource_type``, flattened, each field it is read for checked."""
    data = load_json(path, what)
    if not isinstance(data, dict):
        raise AzureJsonError([f"{one_line(path)}: expected {what}: a JSON object, got {kind_of(data)}"])
    if isinstance(data.get("id"), str) and parse_arm_id(data["id"], resource_type) is None:
        raise AzureJsonError([f"{one_line(path)}: id: not the ARM id of a {resource_type} resource: not {what}"])
    return _checked(path, data, shape, what)


def load_list(path: str, what: str, shape: Obj) -> list[dict[str, Any]]:
    """A list as the az CLI prints it, or as ARM returns it (``{"value": [...]}``), each item's
    fields of ``shape`` checked."""
    data = load_json(path, what)
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        data = data["value"]
    if not isinstance(data, list):
        raise AzureJsonError([f"{one_line(path)}: expected a list of {what} (az CLI) or {{\"value\": [...]}} (ARM), "
                          f"got {kind_of(data)}"])
    problems, items = [], []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(f"{one_line(path)}: [{index}]: expected an object, got {kind_of(item)}")
            continue
        try:
            items.append(_checked(path, item, shape, what))
        except AzureJsonError as exc:
            shown = f"{one_line(path)}: "
            problems += [f"{shown}[{index}].{problem[len(shown):]}" for problem in exc.problems]
    if problems:
        raise AzureJsonError(problems)
    return items


def load_vault(path: str) -> dict[str, Any]:
    """The vault of ``az keyvault show`` (or its ARM GET), each field read checked."""
    return load_resource(path, VAULT_TYPE, "a Key Vault (az keyvault show)", VAULT_SHAPE)


def load_port(path: str, shape: Obj = PORT_SHAPE) -> dict[str, Any]:
    """The port of ``az network express-route port show`` (or its ARM GET), each field of
    ``shape`` checked: all that adopt reads by default, its name and links for ``PORT_LINKS_SHAPE``."""
    return load_resource(path, PORT_TYPE, "an ExpressRoute Direct port (az network express-route port show)", shape)
