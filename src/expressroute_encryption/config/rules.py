"""The rule engine of the config schema: a frozen, typo-proof model base whose rules all
run in one round.

Everything a user can put under the ``expressroute-encryption`` config namespace is a
``ConfigModel``: frozen, unknown keys rejected, camelCase in YAML, each field's docstring
the one description of that key (the config table of docs/config-reference.md, the stack
files' JSON Schema and the component package schema are generated from it).

Field docstrings become descriptions only when asked for (``describe_fields``): reading
them means reading and parsing each model's source, which a config check never needs and
every program run and config error would pay (pydantic's ``use_attribute_docstrings``
reads them for every model as it is defined).

How the rules run, so that one round reports every problem:

- A rule about one value is a field-level check (``rule``), reported at the value.
- A rule that relates several fields is a method marked ``@cross_rule(*fields)``.
  It sees the whole model, yields ``(path, rule, message)`` with the path relative
  to the model, and runs only when the fields it names passed their own checks, so a
  field that failed is never re-reported by its neighbours (an invalid ``ipv6`` block
  does not also produce "needs the ipv6 block"). Rules do not depend on field order.
- pydantic skips a model's after-validators as soon as one of its fields failed,
  which would hide the cross-field problems until the next round. So ``ConfigModel`` runs
  its rules in a wrap validator instead: when the model failed, it re-validates
  each field that had no error of its own, and runs every rule whose fields are all
  among them, on a stand-in model (``model_construct``) that holds those fields. A
  field named ``"ports*"`` accepts a partial list (or mapping): the items that
  validated, ``None`` for the others; such a rule skips the ``None`` items and, where a
  missing item could change its verdict, says nothing. A rule that reads a field it
  does not name asks ``_has(field)`` first.
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
from collections.abc import Mapping
from typing import Annotated, Any, Optional, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError


def _not_a_bool(value: Any) -> Any:
    """YAML's true/false are not numbers (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer, not true/false")
    return value


def _not_a_bool_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "Input should be a number, not true/false")
    return value


# A whole number: integral floats pass (other Pulumi languages send numbers as doubles).
Int = Annotated[int, BeforeValidator(_not_a_bool)]
# Any number, but not true/false.
Number = Annotated[float, BeforeValidator(_not_a_bool_number)]


def rule_error(loc: tuple[str | int, ...], rule: str, message: str) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError(rule, message), loc=loc, input=None)


# Plain values whose verdict a rule remembers: a component checks again what the stack
# config checked (its prefixes, names and ids), and a large estate repeats values.
_REMEMBERED = (str, int, float, bool)


def rule(name: str, check):
    """A field-level rule: ``check(value)`` returns a problem message or None. A rule is a
    function of the value alone, so its verdict on a plain value is remembered."""
    verdicts = functools.lru_cache(maxsize=4096)(lambda kind, value: check(value))

    def validate(value):
        problem = verdicts(type(value), value) if type(value) in _REMEMBERED else check(value)
        if problem is not None:
            raise PydanticCustomError(name, problem)
        return value

    return AfterValidator(validate)


def secret_rule(name: str, check):
    """A rule over a ``SecretStr``'s value."""
    return rule(name, lambda secret: check(secret.get_secret_value()))


def plain_rule(name: str, check):
    """A rule for a component argument that may also be a Pulumi Output: plain strings
    are checked here, anything else is left to Azure."""
    return rule(name, lambda value: check(value) if isinstance(value, str) else None)


def cross_rule(*needs: str):
    """Mark a model method as a rule over the fields ``needs`` (see the module docstring)."""

    def mark(method):
        method.rule_needs = needs
        return method

    return mark


def _details(exc: ValidationError) -> list[InitErrorDetails]:
    """A ValidationError's errors, as details that can be raised again."""
    return [rule_error(tuple(err["loc"]), err["type"], err["msg"])
            for err in exc.errors(include_url=False, include_input=False)]


@functools.lru_cache(maxsize=None)
def _adapter(annotation: Any) -> TypeAdapter:
    return TypeAdapter(annotation)


def _field_type(field) -> Any:
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _item_type(annotation: Any) -> tuple[Any, Any] | None:
    """(container, item type) of ``list[X]`` or ``dict[str, X]``, else None."""
    origin = get_origin(annotation)
    if origin in (list, dict):
        return origin, get_args(annotation)[-1]
    if origin is Annotated:
        return _item_type(get_args(annotation)[0])
    return None


class ConfigModel(BaseModel):
    """Frozen, typo-proof base: unknown keys are errors, names are camelCase in YAML.

    Runs the model's ``@cross_rule`` methods (see the module docstring)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        hide_input_in_errors=True,
        # Read when asked for: describe_fields.
        use_attribute_docstrings=False,
    )

    # On a stand-in (a model that failed), the fields that passed their own checks; None
    # on a model that validated, which has them all.
    _passed: Optional[frozenset[str]] = PrivateAttr(default=None)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _MODELS.append(cls)

    @classmethod
    def _rules(cls) -> list:
        """The cross-field rules, base class first, in the order they are written (looked
        up once per class: every validation of every model asks)."""
        rules = cls.__dict__.get("_rules_found")
        if rules is None:
            found: dict[str, Any] = {}
            for klass in reversed(cls.__mro__):
                for name, value in list(vars(klass).items()):
                    if inspect.isfunction(value) and hasattr(value, "rule_needs"):
                        found[name] = value
            rules = list(found.values())
            type.__setattr__(cls, "_rules_found", rules)
        return rules

    @model_validator(mode="wrap")
    @classmethod
    def _check_rules(cls, data: Any, handler) -> Any:
        rules = cls._rules()
        if not rules:
            return handler(data)
        try:
            model, errors, complete, partial = handler(data), [], None, set()
        except ValidationError as exc:
            errors = _details(exc)
            if not isinstance(data, Mapping):
                raise
            model, complete, partial = cls._validated_parts(data, errors)
        for check in rules:
            if complete is not None and not all(
                need.rstrip("*") in complete or (need.endswith("*") and need[:-1] in partial)
                for need in check.rule_needs
            ):
                continue
            for problem in check(model):
                errors.append(problem if isinstance(problem, dict) else rule_error(*problem))
        if errors:
            order = {key: i for i, (name, field) in enumerate(cls.model_fields.items())
                     for key in (name, field.alias)}
            errors.sort(key=lambda e: order.get(e["loc"][0], len(order)) if e["loc"] else -1)
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return model

    @classmethod
    def _validated_parts(cls, data: Mapping, errors: list[InitErrorDetails]) -> tuple[Any, set[str], set[str]]:
        """A stand-in model holding the fields that passed their own checks (and, for
        list and mapping fields, the items that did), the names of the fields that
        passed, and the names of the lists and mappings of which only some items did."""
        failed: dict[str, set] = {}
        for err in errors:
            loc = err["loc"]
            if loc:
                failed.setdefault(loc[0], set()).add(loc[1] if len(loc) > 1 else None)
        values: dict[str, Any] = {}
        given: set[str] = set()
        partial_fields: set[str] = set()
        for name, field in cls.model_fields.items():
            key = field.alias if field.alias in data else name
            bad = failed.get(key, set()) | failed.get(name, set())
            if key not in data:
                if field.is_required():
                    continue
                values[name] = field.get_default(call_default_factory=True)
                continue
            if not bad:
                try:
                    values[name] = _adapter(_field_type(field)).validate_python(data[key])
                except ValidationError:
                    continue
            elif None not in bad and (container := _item_type(field.annotation)):
                # Some items failed: keep the others, None in place of the failed ones.
                kind, item = container
                raw = data[key]
                if not isinstance(raw, list if kind is list else Mapping):
                    continue
                entries = enumerate(raw) if kind is list else raw.items()
                partial = {}
                for index, value in entries:
                    try:
                        partial[index] = None if index in bad else _adapter(item).validate_python(value)
                    except ValidationError:
                        partial[index] = None
                values[name] = list(partial.values()) if kind is list else partial
                partial_fields.add(name)
            else:
                continue
            given.add(name)
        # Fields that failed are filled with their defaults by model_construct; ``_passed``
        # is what tells the rules they are not there.
        stand_in = cls.model_construct(_fields_set=given, **values)
        stand_in._passed = frozenset(values)
        return stand_in, set(values) - partial_fields, partial_fields

    def _has(self, name: str) -> bool:
        """Whether the field passed its own checks (always, once the model validated)."""
        return self._passed is None or name in self._passed


# ---------------------------------------------------------------------------------------
# Field descriptions: the fields' docstrings, read when asked for

# Every ConfigModel subclass, in the order they were defined (a model's nested models first).
_MODELS: list[type[ConfigModel]] = []
# A model built from another's fields (create_model): its fields' docstrings are that model's.
_BORROWED: dict[type, type] = {}
_described = 0  # how many of _MODELS describe_fields has done


def borrows_fields(model: type[ConfigModel], source: type[ConfigModel]) -> None:
    """Say that ``model`` was built from ``source``'s fields: a field ``model`` has no
    docstring for takes ``source``'s (``describe_fields``)."""
    _BORROWED[model] = source


@functools.lru_cache(maxsize=None)
def _module_tree(module_name: str) -> ast.Module | None:
    module = sys.modules.get(module_name)
    try:
        return ast.parse(inspect.getsource(module)) if module is not None else None
    except (OSError, TypeError, SyntaxError):
        return None


def _class_body(cls: type) -> list[ast.stmt] | None:
    """The statements of ``cls``'s ``class`` block, found by its qualified name (through the
    functions and classes it is defined in); None for a class that has none (built by
    ``create_model`` or ``type``)."""
    tree = _module_tree(cls.__module__)
    body = tree.body if tree is not None else None
    *outer, name = cls.__qualname__.split(".")
    for part in outer:
        if body is None:
            return None
        if part != "<locals>":
            body = next((node.body for node in body if isinstance(node, _SCOPES) and node.name == part), None)
    if body is None:
        return None
    return next((node.body for node in body if isinstance(node, ast.ClassDef) and node.name == name), None)


_SCOPES = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _docstrings(cls: type) -> dict[str, str | None] | None:
    """The fields ``cls``'s class block annotates, each with its docstring (the string right
    after the annotation, cleaned as ``inspect.cleandoc`` does), as pydantic reads them."""
    body = _class_body(cls)
    if body is None:
        return None
    found: dict[str, str | None] = {}
    for statement, following in zip(body, [*body[1:], None]):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            doc = None
            if (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)):
                doc = inspect.cleandoc(following.value.value)
            found[statement.target.id] = doc
    return found


def _field_doc(model: type, name: str) -> str | None:
    """The docstring of ``model``'s field ``name``: where the field is annotated (the model, or
    the first of its bases that annotates it), or else in the model its fields were borrowed from."""
    for klass in model.__mro__:
        if not (isinstance(klass, type) and issubclass(klass, ConfigModel)):
            continue
        own = _docstrings(klass)
        if own is not None and name in own:
            return own[name]
    source = _BORROWED.get(model)
    if source is not None and name in source.model_fields:
        return source.model_fields[name].description or _field_doc(source, name)
    return None


def describe_fields() -> None:
    """Give every field of every ConfigModel without a description its docstring as one,
    and rebuild the models' schemas so that their JSON schema has them too. For what shows
    descriptions (codegen, config-reference, docs); the config check needs none."""
    global _described
    models = _MODELS[_described:]
    for model in models:
        for name, field in model.model_fields.items():
            if field.description is None:
                field.description = _field_doc(model, name)
    for model in models:
        model.model_rebuild(force=True)
    _described += len(models)
