"""Read ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` into the config a program would get.

The Pulumi CLI hands a program its config as strings (objects as JSON) plus the list
of keys that hold secrets. This module does the same from the files, offline, and parses
them as the CLI does (Go's yaml.v3 into ``config.Value``, pulumi/pulumi
``sdk/go/common/resource/config/value.go``):

- keys without a namespace belong to the project;
- a top-level value that is a scalar reaches the program as its text as written
  (``0x10`` stays ``"0x10"``), and ``~``/``null``/nothing as the empty string, never as
  the text "null"; objects and lists reach it as JSON, keys sorted, with only ``true``
  and ``false`` as booleans (``yes``/``on`` stay strings: YAML 1.2, as yaml.v3 reads them);
- a key written twice in one mapping is an error naming the key (yaml.v3 refuses it too);
- aliases (``*name``) are followed, but a document that expands beyond
  ``MAX_VALUES`` values or nests deeper than ``MAX_DEPTH``, or a file above ``MAX_BYTES``,
  is refused at once (an "alias bomb" is refused in milliseconds, not parsed for hours);
- ``secure:`` values are decrypted when the stack uses the passphrase provider and
  ``PULUMI_CONFIG_PASSPHRASE`` (or ``PULUMI_CONFIG_PASSPHRASE_FILE``) is set; otherwise they
  are unknown secrets, replaced by stand-ins of the right shape (so the rest of the config
  can still be checked), and a note says so. Stand-ins exist only here: the real CLI always
  decrypts;
- an ``environment:`` block (Pulumi ESC) is noted: its values cannot be read offline;
- a key written as a path (``expressroute-encryption:ports[0].stage``, as ``pulumi new``
  writes a template's answers) is folded into its top-level key (``config/paths.py``);
- every leaf under ``macsecKeys`` and ``vpn.sharedKey`` must be a ``secure:`` value. The CLI
  tells a program only whether a top-level key is secret, so this reader is where each
  leaf is checked (``secret_config``): ``make preview`` and both pipelines run it before
  any deployment.

Every error names the file and, where there is one, the config path; none carries a value
from the file, and a key name that looks like key material is not printed either.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from expressroute_encryption.config.errors import format_loc
from expressroute_encryption.config.namespace import NAMESPACE, stack_name_problem
from expressroute_encryption.config.paths import fold_path_keys
from expressroute_encryption.facts import CAK_HEX_DIGITS, CKN_HEX_DIGITS
from expressroute_encryption.secret_config import (
    KEY_NAME_PLACEHOLDER,
    is_secure,
    looks_like_key,
    mask_key_material,
    set_secret_command,
    unencrypted_leaves,
)

# Far above any real stack (the bench's 200-port estate is ~150 KiB), far below what
# takes a parser more than a fraction of a second.
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
# Values after following aliases: a real stack has a few thousand.
MAX_VALUES = 100_000

# Top-level keys of a stack file the CLI reads (workspace.ProjectStack).
STACK_FILE_KEYS = ("config", "encryptionsalt", "encryptedkey", "secretsprovider", "environment")
# Stack names the CLI accepts (tokens.QName parts); anything else cannot name a stack file.
class StackFileError(Exception):
    """The project or stack file is missing, unreadable or malformed: one line per problem,
    each naming the file (and the config path where there is one), no secrets."""


@dataclass
class StackFile:
    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# Paths in messages


def display_path(path: tuple) -> str:
    """A config path as the config errors print it: ``ports[0].macsec.cipher`` for our
    namespace, ``azure-native:location`` for others; a name that holds key material
    (a run of 16+ hex digits, e.g. a CAK pasted as a port name, `cak=<hex>`) is not printed."""
    if not path:
        return "(top level)"
    first, *rest = path
    if isinstance(first, str) and first.startswith(f"{NAMESPACE}:"):
        first = first[len(NAMESPACE) + 1:]
    parts = [first, *rest]
    return format_loc(
        KEY_NAME_PLACEHOLDER if looks_like_key(part) else part for part in parts
    )


# ---------------------------------------------------------------------------------------
# YAML as yaml.v3 reads it


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Composes nodes only; every plain scalar is tagged ``!plain`` and resolved below
    the way yaml.v3 resolves it (PyYAML would apply YAML 1.1: yes/no as booleans,
    timestamps as dates). libyaml's C parser when the wheel has it (large stacks parse in
    milliseconds); it also refuses nesting deeper than 1000 before Python sees it."""


_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver("!plain", re.compile(r"(?s).*"), None)

_TAG = "tag:yaml.org,2002:"
_NULLS = ("", "~", "null", "Null", "NULL")
_INT_RE = re.compile(r"[-+]?(0b[01]+|0o[0-7]+|0x[0-9a-fA-F]+|[0-9]+)")
_OLD_OCTAL_RE = re.compile(r"[-+]?0[0-7]+")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")  # yaml.v3 yamlStyleFloat
_SPECIAL_FLOATS = {
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}


def _number(text: str) -> int | float | None:
    """yaml.v3's resolve for a plain scalar that may be a number: a 64-bit integer
    (decimal, 0x, 0o, 0b, leading-0 octal; underscores ignored), else a finite float,
    else None (it stays a string, as an out-of-range number does in Go)."""
    plain = text.replace("_", "")
    if len(plain) <= 70 and _INT_RE.fullmatch(plain):
        sign = -1 if plain[0] == "-" else 1
        digits = plain.lstrip("+-")
        value = sign * (int(digits, 8) if _OLD_OCTAL_RE.fullmatch(digits) else int(digits, 0))
        if -(2 ** 63) <= value < 2 ** 64:
            return value
    if len(plain) <= 400 and _FLOAT_RE.fullmatch(plain):
        value = float(plain)
        if math.isfinite(value):
            return value
    return None


class _Reader:
    """Turns composed nodes into Python values, with yaml.v3's rules and the size limits."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.values = 0

    def error(self, path: tuple, problem: str) -> StackFileError:
        if path[:1] == ("config",) and len(path) > 1:
            path = path[1:]  # a config path, as `pulumi config` names it
        where = f"{display_path(path)}: " if path else ""
        return StackFileError(f"{self.file_name}: {where}{mask_key_material(problem)}")

    def scalar(self, node: yaml.ScalarNode, path: tuple) -> Any:
        text, tag = node.value, node.tag
        if tag == "!plain":
            if text in _NULLS:
                return None
            if text in ("true", "True", "TRUE"):
                return True
            if text in ("false", "False", "FALSE"):
                return False
            if text in _SPECIAL_FLOATS:
                return _SPECIAL_FLOATS[text]
            number = _number(text) if text[:1] in "+-.0123456789" else None
            return text if number is None else number
        if tag == _TAG + "str":
            return text
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool" and text in ("true", "True", "TRUE", "false", "False", "FALSE"):
            return text.lower() == "true"
        if tag in (_TAG + "int", _TAG + "float"):
            number = _SPECIAL_FLOATS.get(text, _number(text))
            if number is not None:
                return number
        shown = "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
        raise self.error(path, f"a value with the YAML tag {shown} that a stack file cannot hold "
                               "(write the value without a tag)")

    def value(self, node: yaml.Node, path: tuple, depth: int = 0) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.error((), f"more than {MAX_VALUES} values once aliases (*name) are expanded: "
                                 "refused (an alias bomb?); write the values out")
        if depth > MAX_DEPTH:
            raise self.error(path[:4], f"nested deeper than {MAX_DEPTH} levels: refused")  # where it starts
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self.mapping(node, path, depth)

    def key(self, node: yaml.Node, path: tuple) -> str:
        """A mapping key as the CLI names it: its text (``fmt.Sprintf("%v")`` of the resolved
        scalar); a list or mapping as key is an error, as in yaml.v3."""
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(path, "a key that is a list or mapping: keys must be names")
        resolved = self.scalar(node, path)
        if resolved is None:
            return "<nil>"
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        return str(resolved)

    def mapping(self, node: yaml.MappingNode, path: tuple, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, int] = {}
        merges = []
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "!plain" and key_node.value == "<<":
                merges.append(value_node)
                continue
            # yaml.v3 compares keys as written: `a` and "a" are the same key.
            raw = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            key = self.key(key_node, path)
            if raw is not None and raw in seen:
                raise self.error((*path, key), f"duplicate key (lines {seen[raw]} and {line}): "
                                               "the CLI refuses a key written twice; keep one")
            if raw is not None:
                seen[raw] = line
            result[key] = self.value(value_node, (*path, key), depth + 1)
        # `<<: *defaults` (YAML merge keys, which yaml.v3 supports): keys written here win.
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise self.error(path, "a merge key (<<) must refer to a mapping or a list of mappings")
                for key, value in self.mapping(source, path, depth).items():
                    result.setdefault(key, value)
        return result


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """Where the YAML is broken and PyYAML's one-phrase reason, without the text it quotes
    (which may be a key): quoted parts longer than a character or two are dropped."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or ""
    problem = re.sub(r"'([^']*)'|\"([^\"]*)\"",
                     lambda m: m[0] if len(m[0]) <= 4 else "…", problem).strip()
    return f"not valid YAML{where}" + (f" ({problem})" if problem else "")


def _read_text(path: Path, missing: str) -> str:
    """The file's text: UTF-8 (a byte-order mark allowed, UTF-16 with one too, as yaml.v3
    reads them), a regular file of at most MAX_BYTES."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise StackFileError(f"{path.name}: is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise StackFileError(f"{path.name}: not a regular file")
        if info.st_size > MAX_BYTES:
            raise StackFileError(f"{path.name}: {info.st_size} bytes: refused (a stack file may have at most "
                                 f"{MAX_BYTES // 1024} KiB)")
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise StackFileError(f"{path.name}: no such file ({missing})") from None
    except OSError as exc:
        raise StackFileError(f"{path.name}: cannot read: {exc.strerror or type(exc).__name__}") from None
    if len(data) > MAX_BYTES:
        raise StackFileError(f"{path.name}: more than {MAX_BYTES // 1024} KiB: refused")
    text = None
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        position = exc.start
    if text is None:
        raise StackFileError(f"{path.name}: not UTF-8 text (an invalid byte at offset {position}); "
                             "save it as UTF-8")
    return text


def _read_yaml(path: Path, missing: str) -> tuple[Any, yaml.Node | None]:
    """The document (yaml.v3's reading of it) and its composed node, for the raw text
    of top-level config scalars."""
    text = _read_text(path, missing)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise StackFileError(f"{path.name}: {_yaml_problem(exc)}") from None
    except RecursionError:  # PyYAML's pure-Python composer, without libyaml
        raise StackFileError(f"{path.name}: nested deeper than {MAX_DEPTH} levels: refused") from None
    if node is None:
        return None, None
    return _Reader(path.name).value(node, ()), node


# ---------------------------------------------------------------------------------------
# Config values as the CLI hands them to the program


_is_secure = is_secure


def _contains_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    if isinstance(value, dict):
        return any(_contains_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secure(v) for v in value)
    return False


def _replace_secure(value: Any, path: tuple, fill) -> Any:
    if _is_secure(value):
        return fill(path, value["secure"])
    if isinstance(value, dict):
        return {k: _replace_secure(v, (*path, k), fill) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_secure(v, (*path, i), fill) for i, v in enumerate(value)]
    return value


def plain_text_lines(file_name: str, leaves: list[tuple], beside: bool) -> list[str]:
    """One line per secret leaf written in plain text, naming its path (never its value)
    and the command that encrypts it."""
    where = " next to encrypted values" if beside else ""
    return [
        f"{file_name}: {display_path(path)}: stored in plain text{where}; set it with: "
        f"{set_secret_command(display_path(path))}"
        for path in leaves
    ]


def _non_finite(value: Any, path: tuple) -> tuple | None:
    """Where an object holds .inf or .nan, which the CLI cannot turn into JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    return next((found for k, v in items if (found := _non_finite(v, (*path, k)))), None)


def _go_numbers(value: Any) -> Any:
    """Go's JSON writes a whole float64 below 1e21 without a decimal point (10.0 -> 10)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def _to_config_string(value: Any, node: yaml.Node | None) -> str:
    """How the CLI passes a top-level value (config.Value): a scalar as its text as written
    (null as ""), anything else as JSON with keys sorted (Go's json.Marshal of a map)."""
    if isinstance(node, yaml.ScalarNode) and not isinstance(value, (dict, list)):
        return "" if value is None else node.value
    if isinstance(value, str):
        return value
    return json.dumps(_go_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _stand_in(raw: dict[str, Any], node_of: dict[str, Any]):
    """Shape-correct placeholders for secrets that cannot be decrypted offline."""
    ciphers = {}
    # The ports as the program reads them, paths folded (a template's stack writes them so).
    plain = {key: _to_config_string(value, node_of[key]) for key, value in raw.items() if not _contains_secure(value)}
    try:
        ports = json.loads(fold_path_keys(plain)[0].get(f"{NAMESPACE}:ports") or "null")
    except ValueError:
        ports = None
    if isinstance(ports, list):
        ciphers = {
            p.get("name"): (p.get("macsec") if isinstance(p.get("macsec"), dict) else {}).get("cipher")
            for p in ports if isinstance(p, dict) and isinstance(p.get("name"), str)
        }

    def fill(path: tuple, _ciphertext: str) -> str:
        if len(path) == 4 and path[0] == f"{NAMESPACE}:macsecKeys":
            # Hex of the path: of the right length, and different on every link, so that
            # the key rules (no repeated digit, no key reused) have nothing to say.
            stand_in = hashlib.sha256("/".join(map(str, path)).encode()).hexdigest() * 2
            if path[3] == "cak":
                cipher = ciphers.get(path[1])
                return stand_in[:CAK_HEX_DIGITS.get(cipher if isinstance(cipher, str) else "", 64)]
            if path[3] == "ckn":
                return stand_in[:CKN_HEX_DIGITS]
        return "offline-stand-in-for-a-secret"

    return fill


def _decrypter(stack_doc: dict[str, Any], stack_path: Path):
    from expressroute_encryption.offline.passphrase import PassphraseError, make_decrypter, passphrase_from_environment

    salt = stack_doc.get("encryptionsalt")
    if not salt:
        return None
    try:
        passphrase = passphrase_from_environment()
        if passphrase is None:
            return None
        decrypt = make_decrypter(salt, passphrase)
    except PassphraseError as exc:
        raise StackFileError(f"{stack_path.name}: {exc}") from None

    def fill(path: tuple, ciphertext: str) -> str:
        try:
            return decrypt(ciphertext)
        except PassphraseError as exc:
            raise StackFileError(f"{stack_path.name}: {display_path(path)}: {exc}") from None

    return fill


def _environment_note(stack_path: Path, environment: Any) -> str:
    """Pulumi ESC: ``environment: [name, ...]`` or ``environment: {imports: [...]}``."""
    imports = environment.get("imports") if isinstance(environment, dict) else environment
    names = [n for n in (imports if isinstance(imports, list) else []) if isinstance(n, str)]
    listed = f" ({', '.join(names)})" if names else ""
    return (
        f"{stack_path.name}: environment: imports Pulumi ESC environments{listed}, which cannot be read "
        "offline: config and secrets they provide are missing from this preview (a 'required' problem "
        "below may be one of them); `pulumi preview` reads them"
    )


def _read_stack(project_dir: Path, stack: str):
    """The project's name, the stack file's path and document, and its config entries
    (namespaced keys) with their composed nodes, as the CLI reads them."""
    if problem := stack_name_problem(stack):
        raise StackFileError(f"--stack: {problem}")
    project_path = project_dir / "Pulumi.yaml"
    stack_path = project_dir / f"Pulumi.{stack}.yaml"
    project_doc, _ = _read_yaml(project_path, "is the project folder right?")
    project = project_doc.get("name") if isinstance(project_doc, dict) else None
    if not isinstance(project, str) or not project:
        raise StackFileError(f"{project_path.name}: name: required (the project's name)")
    stack_doc, stack_node = _read_yaml(stack_path, "is the stack name right?")
    stack_doc = {} if stack_doc is None else stack_doc
    if not isinstance(stack_doc, dict):
        raise StackFileError(f"{stack_path.name}: expected a mapping with a 'config' mapping")
    config_doc = {} if stack_doc.get("config") is None else stack_doc["config"]
    if not isinstance(config_doc, dict):
        raise StackFileError(f"{stack_path.name}: config: must be a mapping of config keys")
    for key in ("encryptionsalt", "secretsprovider", "encryptedkey"):
        if stack_doc.get(key) is not None and not isinstance(stack_doc[key], str):
            raise StackFileError(f"{stack_path.name}: {key}: must be a string")

    # The composed nodes of the config entries, for the text of top-level scalars.
    nodes: dict[str, yaml.Node] = {}
    for top_key, top_value in (stack_node.value if isinstance(stack_node, yaml.MappingNode) else []):
        if top_key.value == "config" and isinstance(top_value, yaml.MappingNode):
            nodes = {k.value: v for k, v in top_value.value if isinstance(k, yaml.ScalarNode)}

    raw, node_of = {}, {}
    for key, value in config_doc.items():
        full = key if ":" in key else f"{project}:{key}"
        if full in raw:
            raise StackFileError(f"{stack_path.name}: {display_path((full,))}: set twice (with and without "
                                 f"the '{project}:' namespace); keep one")
        raw[full], node_of[full] = value, nodes.get(key)
    return project, stack_path, stack_doc, raw, node_of


def load_stack_file(project_dir: Path, stack: str) -> StackFile:
    """Config for ``stack`` as the CLI would pass it to the program."""
    project, stack_path, stack_doc, raw, node_of = _read_stack(project_dir, stack)
    plain = unencrypted_leaves(raw, NAMESPACE)
    if plain:
        # One line per value; each names its path (the preview prints every line as an error).
        raise StackFileError("\n".join(plain_text_lines(
            stack_path.name, plain, beside=any(_contains_secure(v) for v in raw.values()))))
    for key, value in raw.items():
        if (where := _non_finite(value, (key,))) is not None:
            raise StackFileError(f"{stack_path.name}: {display_path(where)}: .inf and .nan are not numbers "
                                 "a config value can hold")
    notes = []
    unknown = sorted(k for k in stack_doc if k not in STACK_FILE_KEYS)
    if unknown:
        notes.append(
            f"{stack_path.name}: {', '.join(display_path((k,)) for k in unknown)}: not a key of a stack file "
            f"(the CLI reads {', '.join(STACK_FILE_KEYS)}): ignored"
        )
    if stack_doc.get("environment") is not None:
        notes.append(_environment_note(stack_path, stack_doc["environment"]))
    secret_keys = sorted(k for k, v in raw.items() if _contains_secure(v))
    fill = None
    if secret_keys:
        fill = _decrypter(stack_doc, stack_path)
        if fill is None:
            fill = _stand_in(raw, node_of)
            notes.append(
                f"{', '.join(secret_keys)}: encrypted (secure) values could not be decrypted "
                "(set PULUMI_CONFIG_PASSPHRASE for a passphrase-encrypted stack); they are "
                "treated as unknown secrets and previewed with stand-ins of the right shape, "
                "so their format is not checked here"
            )
    config = {
        key: _to_config_string(_replace_secure(value, (key,), fill) if fill else value, node_of[key])
        for key, value in raw.items()
    }
    # Keys written as a path are the nested key, as the program reads them: the tools that
    # look into the config (--vault, adopted ports) see one shape. A path that does not
    # fold stays as it is, for the program to report.
    folded, folded_secret_keys, problems = fold_path_keys(config, secret_keys)
    if not problems:
        config, secret_keys = folded, folded_secret_keys
    return StackFile(project, stack, config, secret_keys, notes)
