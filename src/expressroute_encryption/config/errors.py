"""Config problems as lines a user can act on: ``ConfigError`` and its rendering.

Every line names the config path (``ports[0].macsec.cipher``), what is wrong and what is
allowed, and never a value the user typed: pydantic is told to hide inputs, custom rules
never quote key material, and on top of that any run of 16+ hex digits is masked.

Standard library only at import time (pydantic is imported where an error is rendered):
the offline reader of stack files uses ``format_loc`` before the schema is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..printable import one_line
from ..secret_config import KEY_NAME_PLACEHOLDER, looks_like_key, mask_key_material

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


class ConfigError(Exception):
    """Bad stack config or component arguments: one line per problem, with its path.

    The message never contains a value the user typed, so it is safe to print even
    when the bad value was a key.
    """

    def __init__(self, problems: list[str], source: str = "stack config") -> None:
        self.problems = problems
        noun = "problem" if len(problems) == 1 else "problems"
        lines = [f"{source}: {len(problems)} {noun}; nothing was deployed:"]
        lines += [f"  {p}" for p in problems]
        super().__init__("\n".join(lines))


def format_loc(loc: Iterable[str | int]) -> str:
    """('ports', 0, 'macsec', 'cipher') -> 'ports[0].macsec.cipher'. A key the user typed
    (a tag name, say) is shown with its control characters escaped (``\\n``), so that a
    problem stays one line."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = one_line(part)
            out += f".{text}" if out else text
    return out


def config_set_path(*parts: str | int) -> str:
    """A config path as ``pulumi config set --path`` takes it: ``macsecKeys.port-a.link1.cak``,
    with a key that holds anything but letters, digits, '_' and '-' (a port named ``er.ams``)
    quoted as ``["er.ams"]``, since the CLI splits unquoted keys at '.'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part and all(c.isascii() and (c.isalnum() or c in "_-") for c in part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def _field_keys(model: type[BaseModel], camel: bool = True) -> list[str]:
    """The keys a model takes, as YAML spells them (camelCase) or as Python does."""
    return [(f.alias or name) if camel else name for name, f in model.model_fields.items()]


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_at(model: Any, loc: tuple[str | int, ...]) -> Any:
    """Walk the schema along an error location, to name the keys allowed there."""
    from typing import Annotated, Union, get_args, get_origin

    def unwrap(annotation: Any) -> Any:
        while True:
            if get_origin(annotation) is Annotated:
                annotation = get_args(annotation)[0]
            elif get_origin(annotation) is Union:  # Optional[X]
                annotation = next(a for a in get_args(annotation) if a is not type(None))
            else:
                return annotation

    model = unwrap(model)
    for part in loc:
        if _is_model(model):
            field = next(
                (f for n, f in model.model_fields.items() if part in (n, f.alias)), None
            )
            if field is None:
                return None
            model = field.annotation
        elif get_origin(model) in (list, dict):
            model = get_args(model)[-1]
        else:
            return None
        model = unwrap(model)
    return model


def describe_errors(exc: ValidationError, root: type[BaseModel], prefix: tuple[str, ...] = (),
                    camel: bool = False) -> list[str]:
    """One line per problem: its config path, what is wrong and what is allowed.

    pydantic is told to hide inputs, and custom rules never quote key material. On top of
    that, by rule rather than case by case, a name in the path holding a run of 16+ hex
    digits (a key pasted as a port name, `cak=<hex>` typed as a key) is replaced, and so is
    any such run in a message: the lines are safe to print."""
    from pydantic.alias_generators import to_camel

    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err["loc"])
        if camel:
            # A key checked while absent is reported by its Python name; name it as in YAML.
            loc = tuple(to_camel(part) if isinstance(part, str) and "_" in part else part for part in loc)
        loc = tuple(KEY_NAME_PLACEHOLDER if looks_like_key(part) else part for part in loc)
        path = format_loc(prefix + loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            parent = _model_at(root, loc[:-1])
            allowed = ", ".join(_field_keys(parent, camel)) if parent else ""
            lines.append(f"{path}: unknown key" + (f" (allowed: {allowed})" if allowed else ""))
        elif err["type"] == "missing":
            lines.append(f"{path}: required")
        elif err["type"] == "model_type":
            model = _model_at(root, loc)
            keys = ", ".join(_field_keys(model, camel)) if _is_model(model) else ""
            lines.append(f"{path}: must be a mapping" + (f" with the keys {keys}" if keys else ""))
        elif err["type"] in ("list_type", "dict_type"):
            lines.append(f"{path}: must be a {'list' if err['type'] == 'list_type' else 'mapping'}")
        else:
            lines.append(f"{path}: {err['msg']}")
    return [mask_key_material(line) for line in lines]
