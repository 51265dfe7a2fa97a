"""Offline policy checker: the pack's policies against a stack's resources, without the Pulumi CLI.

Command line::

    expressroute-encryption check-policy FILE [--config CONFIG] [--json]

``FILE`` is the output of ``pulumi stack export`` (``deployment.resources[]``) or of
``pulumi preview --json`` (``steps[].newState``; steps without a new state, i.e. deletions, are skipped).
``CONFIG`` is a policy pack config file, as given to ``pulumi preview --policy-pack-config``::

    {"all": "mandatory",
     "expressroute-port-macsec-cipher": {"enforcementLevel": "advisory", "allowedCiphers": ["GcmAes256"]}}

or a stack's ``policy-config.<stack>.json``, whose one top-level ``exemptPorts`` list stands for
the three policies that take it (``pack_config``). Without ``--config``, the stack's own
``policy-config.<stack>.json`` in the current folder is used when there is one (the stack the
resources' URNs name), and a ``note:`` line says so. Both are checked as the CLI checks them
against the policies' config schemas (``schema``), plus the exemption rules no schema can say
(a date at most one year ahead, one entry per port).

It prints the notes, one ``warning:`` line per exemption naming a port FILE does not have, one line
per exemption in CONFIG (``exemption: <policy>: port <name> exempt until <date> (<reason>)``, or
that it expired; see ``exemptions``), one line per violation (``<level>: <policy>: <urn>:
<message>``) and a summary line, every control character in them escaped; or with ``--json`` one
JSON object: ``{"file", "format", "policyPack", "resources", "mandatory", "advisory",
"policyConfig", "notes", "warnings", "exemptions": [line], "violations": [{"level", "policy", "urn",
"message"}]}``. Exit status: 0 when no mandatory policy is violated, 1 when one is, 2 when FILE or
CONFIG cannot be read or is malformed (one ``check-policy: error:`` line per problem).

Python API::

    from expressroute_encryption.policy.checker import evaluate, Violation
    violations = evaluate(resources, config=None)

``resources`` is a list of resources in the stack-export shape: dicts with ``type``, ``urn`` and
optionally ``name`` (defaults to the URN's last part), ``inputs``, ``outputs``, ``protect``, ``parent``,
``dependencies`` and ``propertyDependencies``. ``config`` is the parsed config file (a dict, either form) or ``None``.
The result lists ``Violation(level, policy, urn, message)`` with level ``"mandatory"`` or ``"advisory"``
(disabled policies do not run). ``evaluate`` raises ``InputError`` for malformed resources or config.

How it mirrors the policy engine (``pulumi_policy``'s analyzer server):

- The same policy objects (``pack.POLICIES``) are called through their ``validate`` with the SDK's own
  ``ResourceValidationArgs`` / ``StackValidationArgs`` / ``PolicyResource`` / ``PolicyResourceOptions``,
  and properties deserialized and wrapped in ``unknown_checking_proxy`` exactly as the server does.
- Resource policies see a resource's ``inputs`` (``Analyze``); stack policies see its ``outputs``
  (``AnalyzeStack``), or its inputs when it has no outputs yet (a resource a preview will create).
- ``pulumi:pulumi:Stack`` and ``pulumi:providers:*`` resources are skipped, as are resources pending
  deletion in a stack export.
- Enforcement levels: the config's per-policy level, else its ``all`` level, else the policy's own;
  ``remediate`` reports as mandatory (these policies do not remediate); ``disabled`` skips the policy.
- A policy that reads a value unknown during preview gets the engine's advisory "can't run policy"
  diagnostic. Encrypted secrets in a stack export (``ciphertext``) cannot be read and are handed to the
  policies as unknown values: present, but not inspectable; plaintext ones (``--show-secrets``) are read.
"""

import argparse
import asyncio
import inspect
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import exemptions, pack_config
from .azure import PORT, azure_name
from .pack import DEFAULT_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES
from .resources import ResourcePolicy
from .schema import schema_errors

from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.printable import one_line
# The analyzer server's internals, which the checker reproduces (see sdk_internals.py).
from expressroute_encryption.sdk_internals import (
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    UNKNOWN_STRING_VALUE,
    NotApplicableError,
    UnknownValueError,
    deserialize_properties,
    unknown_checking_proxy,
)

EXIT_OK, EXIT_MANDATORY_VIOLATION, EXIT_BAD_INPUT = ExitCode.OK, ExitCode.REFUSED, ExitCode.BAD_INPUT
EXPORT_VERSION = 3  # the `pulumi stack export` format read here
SKIPPED_TYPES = ("pulumi:pulumi:Stack",)
SKIPPED_TYPE_PREFIXES = ("pulumi:providers:",)


class InputError(Exception):
    """A resource file or config that cannot be read or does not have the expected shape."""


@dataclass(frozen=True)
class Violation:
    """One policy violation: enforcement level (``mandatory`` or ``advisory``), policy name, the URN of
    the resource to change (empty for the stack as a whole) and what to change."""

    level: str
    policy: str
    urn: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    def to_line(self) -> str:
        """The violation on one line, control characters escaped (a message quotes names)."""
        return one_line(f"{self.level}: {self.policy}: {self.urn or '(stack)'}: {self.message}")


class PolicySettings(NamedTuple):
    """A policy's effective enforcement level and configured properties."""

    level: EnforcementLevel
    properties: dict[str, Any]


# ---------------------------------------------------------------------------------------------------
# Evaluation


def evaluate(resources: Sequence[Mapping], config: Mapping | None = None) -> list[Violation]:
    """Run every enabled policy of the pack over ``resources``; see the module docstring."""
    settings = resolve_config(config)
    analyzed = [resource for resource in checked_resources(resources) if is_analyzed(resource)]
    violations: list[Violation] = []
    resource_policies = enabled(ResourceValidationPolicy, settings)
    for resource in analyzed:
        # A policy that says which types it applies to (resources.ResourcePolicy) is called only for
        # those: its check returns at once for any other, as it does under the CLI.
        applying = [policy for policy in resource_policies
                    if not isinstance(policy, ResourcePolicy) or policy.applies_to(resource["type"])]
        if not applying:
            continue
        # The analyzer server builds this read-only view once per policy; one per resource gives the same
        # results and keeps large stacks cheap (docs/performance.md).
        props, options = policy_props(resource.get("inputs")), resource_options(resource)
        for policy in applying:
            args = ResourceValidationArgs(resource["type"], props, resource["urn"], resource_name(resource), options,
                                          None, dict(settings[policy.name].properties))
            violations += run_policy(policy, args, settings[policy.name].level, resource["urn"])
    stack_policies = enabled(StackValidationPolicy, settings)
    # Likewise the stack's resources (read-only views): built once, handed to every stack policy.
    stack = stack_resources(analyzed) if stack_policies else []
    for policy in stack_policies:
        args = StackValidationArgs(stack, dict(settings[policy.name].properties))
        violations += run_policy(policy, args, settings[policy.name].level, "")
    return violations


def enabled(policy_class: type, settings: dict[str, PolicySettings]) -> list[Policy]:
    """The pack's policies of one kind whose enforcement level is not ``disabled``."""
    return [policy for policy in POLICIES
            if isinstance(policy, policy_class) and settings[policy.name].level != EnforcementLevel.DISABLED]


def run_policy(policy: Policy, args: Any, level: EnforcementLevel, urn: str) -> list[Violation]:
    """Call one policy's ``validate`` and collect what it reports, handling its exceptions the way the
    analyzer server does."""
    reported_level = EnforcementLevel.MANDATORY if level == EnforcementLevel.REMEDIATE else level
    found: list[Violation] = []

    def report_violation(message: str, violation_urn: str | None = None) -> None:
        # A resource policy's violation is always about its resource; a stack policy names the resource.
        target = urn if isinstance(policy, ResourceValidationPolicy) else violation_urn or ""
        found.append(Violation(reported_level.value, policy.name, target, message))

    try:
        wait_for(policy.validate(args, report_violation))
    except UnknownValueError as error:
        found.append(Violation(EnforcementLevel.ADVISORY.value, policy.name, urn,
                               f"can't run policy '{policy.name}' during preview: {error.message}"))
    except NotApplicableError:  # args.not_applicable()
        pass
    except Exception as error:  # a policy that cannot cope with the data: report it, no traceback
        raise InputError(f"policy '{policy.name}' failed on {urn or 'the stack'} "
                         f"({type(error).__name__}: {error}); is the resource data well formed?") from error
    return found


def wait_for(result: Any) -> None:
    """Run an asynchronous validation to completion, as the server does."""
    if inspect.isawaitable(result):
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(result)
        finally:
            loop.close()


def stack_resources(resources: Sequence[Mapping]) -> list[PolicyResource]:
    """The stack as ``AnalyzeStack`` presents it: outputs (inputs while there are none), with parents
    and dependencies resolved to the other resources."""
    built = {resource["urn"]: PolicyResource(resource["type"], policy_props(stack_state(resource)), resource["urn"],
                                             resource_name(resource), resource_options(resource), None, None, [], {})
             for resource in resources}
    for resource in resources:
        policy_resource = built[resource["urn"]]
        policy_resource.parent = built.get(resource.get("parent") or "")
        policy_resource.dependencies = [built[urn] for urn in resource.get("dependencies") or [] if urn in built]
        policy_resource.property_dependencies = {
            key: [built[urn] for urn in urns if urn in built]
            for key, urns in (resource.get("propertyDependencies") or {}).items()
        }
    return list(built.values())


def stack_state(resource: Mapping) -> Mapping | None:
    """A resource's outputs, or its inputs when it has no outputs yet."""
    return resource.get("outputs") or resource.get("inputs")


def policy_props(properties: Mapping | None) -> Mapping:
    """Properties as the server hands them to a policy: deserialized and wrapped in the unknown-checking
    proxy. Encrypted secrets become unknown values."""
    try:
        return unknown_checking_proxy(deserialize_properties(readable_secrets(dict(properties or {}))))
    except (AssertionError, TypeError, ValueError) as error:
        raise InputError(f"cannot read resource properties: {error}") from error


def readable_secrets(value: Any) -> Any:
    """Unwrap secret markers: plaintext and value markers to their values, encrypted ones to unknowns."""
    if isinstance(value, list):
        return [readable_secrets(item) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get(SPECIAL_SIG_KEY) != SPECIAL_SECRET_SIG:
        return {key: readable_secrets(item) for key, item in value.items()}
    if "value" in value:
        return readable_secrets(value["value"])
    if isinstance(value.get("plaintext"), str):  # `pulumi stack export --show-secrets`
        try:
            return readable_secrets(json.loads(value["plaintext"]))
        except json.JSONDecodeError:
            return UNKNOWN_STRING_VALUE
    return UNKNOWN_STRING_VALUE


def resource_options(resource: Mapping) -> PolicyResourceOptions:
    """The resource options recorded with a resource."""
    timeouts = resource.get("customTimeouts")
    timeouts = timeouts if isinstance(timeouts, Mapping) else {}
    return PolicyResourceOptions(
        protect=bool(resource.get("protect", False)),
        ignore_changes=list(resource.get("ignoreChanges") or []),
        delete_before_replace=resource.get("deleteBeforeReplace"),
        aliases=[alias for alias in resource.get("aliases") or [] if isinstance(alias, str)],
        custom_timeouts=PolicyCustomTimeouts(timeouts.get("create", 0), timeouts.get("update", 0),
                                             timeouts.get("delete", 0)),
        additional_secret_outputs=list(resource.get("additionalSecretOutputs") or []),
        parent=resource.get("parent") or None,
    )


def resource_name(resource: Mapping) -> str:
    """The resource's name: given, or the last part of its URN."""
    return resource.get("name") or resource["urn"].rsplit("::", 1)[-1]


def is_analyzed(resource: Mapping) -> bool:
    """Whether the engine runs policies on the resource: not the stack, not a provider, not pending deletion."""
    resource_type = resource["type"]
    return not (resource_type in SKIPPED_TYPES or resource_type.startswith(SKIPPED_TYPE_PREFIXES)
                or resource.get("delete") is True)


def checked_resources(resources: Sequence[Any]) -> list[Mapping]:
    """The resources, after checking each has the fields the checker relies on."""
    if not isinstance(resources, Sequence) or isinstance(resources, (str, bytes)):
        raise InputError("resources must be a list")
    for index, resource in enumerate(resources):
        problem = resource_problem(resource)
        if problem:
            urn = resource.get("urn") if isinstance(resource, Mapping) else None
            raise InputError(f"resource {index}{f' ({urn})' if isinstance(urn, str) else ''} {problem}")
    return list(resources)


def resource_problem(resource: Any) -> str | None:
    """What is wrong with one resource's shape, or ``None``."""
    if not isinstance(resource, Mapping):
        return "is not an object"
    for field in ("type", "urn"):
        if not isinstance(resource.get(field), str) or not resource[field]:
            return f"has no '{field}' string"
    for field in ("inputs", "outputs", "propertyDependencies"):
        if resource.get(field) is not None and not isinstance(resource[field], Mapping):
            return f"has a '{field}' that is not an object"
    if not isinstance(resource.get("dependencies") or [], list):
        return "has a 'dependencies' that is not a list"
    return None


# ---------------------------------------------------------------------------------------------------
# Configuration


def resolve_config(config: Mapping | None) -> dict[str, PolicySettings]:
    """Each policy's enforcement level and properties under a ``--policy-pack-config`` document,
    or a stack's policy config with its one ``exemptPorts`` list (``pack_config``)."""
    try:
        config = {} if config is None else pack_config.expand(config)
    except pack_config.PackConfigError as error:
        raise InputError("\n".join(f"config {problem}" for problem in error.problems)) from None
    unknown = sorted(set(config) - {policy.name for policy in POLICIES} - {"all"})
    if unknown:
        raise InputError(f"the policy pack config names unknown policies: {', '.join(map(one_line, unknown))}")
    all_level, _ = policy_entry(None, config.get("all"), "all")
    settings = {}
    for policy in POLICIES:
        level, properties = policy_entry(policy, config.get(policy.name), policy.name)
        settings[policy.name] = PolicySettings(
            level or all_level or policy.enforcement_level or DEFAULT_ENFORCEMENT_LEVEL, properties)
    # Under the Pulumi CLI a policy reports an unreadable list as a violation; here it is bad input.
    problems = exemptions.pack_config_problems({name: s.properties for name, s in settings.items()})
    if problems:
        raise InputError("\n".join(f"config {problem}" for problem in problems))
    return settings


def exemption_lines(config: Mapping | None) -> list[str]:
    """The ``exemption: ...`` lines for a (valid) pack config: printed on every run."""
    return exemptions.exemption_lines({name: s.properties for name, s in resolve_config(config).items()})


def policy_entry(policy: Policy | None, entry: Any, key: str) -> tuple[EnforcementLevel | None, dict[str, Any]]:
    """The enforcement level and properties of one config entry: a level, or an object with an optional
    ``enforcementLevel`` and the policy's properties."""
    if entry is None:
        return None, {}
    if isinstance(entry, str):
        return enforcement_level(entry, key), {}
    if not isinstance(entry, Mapping):
        raise InputError(f"config '{key}' must be an enforcement level or an object")
    level = enforcement_level(entry["enforcementLevel"], key) if "enforcementLevel" in entry else None
    properties = {name: value for name, value in entry.items() if name != "enforcementLevel"}
    schema = policy.config_schema.properties if policy is not None and policy.config_schema else {}
    for name, value in properties.items():
        if name not in schema:
            raise InputError(f"config '{key}' has unknown property '{one_line(name)}'"
                             f"{'; known: ' + ', '.join(schema) if schema else ''}")
        errors = schema_errors(value, schema[name], f"config {key}.{name}")
        if errors:
            raise InputError("\n".join(errors))
    return level, properties


def enforcement_level(value: Any, key: str) -> EnforcementLevel:
    """An enforcement level from its config spelling."""
    try:
        return EnforcementLevel(value)
    except ValueError:
        levels = ", ".join(level.value for level in EnforcementLevel)
        raise InputError(f"config '{key}' has an invalid enforcement level; use one of {levels}") from None


# ---------------------------------------------------------------------------------------------------
# Files and command line


def read_json(path: str, what: str) -> Any:
    """A JSON document from a file."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except OSError as error:
        raise InputError(f"cannot read {what} {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{what} {path} is not valid JSON: {error}") from None
    except ValueError:  # a number of more than 4300 digits (Python's int limit)
        raise InputError(f"{what} {path} is not valid JSON: a number too long to read") from None
    except RecursionError:
        raise InputError(f"{what} {path} is not valid JSON: nested too deeply to read") from None


def resources_in_document(document: Any) -> tuple[str, list[Any]]:
    """The resources of a stack export or a ``pulumi preview --json`` document, and which of the two it is."""
    if isinstance(document, dict) and "deployment" in document:
        return "stack export", exported_resources(document)
    if isinstance(document, dict) and "steps" in document:
        return "preview", previewed_resources(document["steps"])
    raise InputError("expected the output of `pulumi stack export` (deployment.resources) "
                     "or of `pulumi preview --json` (steps)")


def exported_resources(document: Mapping) -> list[Any]:
    """``deployment.resources`` of a stack export."""
    version = document.get("version", 3)
    if not isinstance(version, int) or version > EXPORT_VERSION:
        raise InputError(f"unsupported stack export version (expected {EXPORT_VERSION})")
    deployment = document["deployment"]
    resources = deployment.get("resources", []) if isinstance(deployment, Mapping) else None
    if not isinstance(resources, list):
        raise InputError("the stack export's deployment.resources is not a list")
    return resources


def previewed_resources(steps: Any) -> list[Any]:
    """The new state of every resource a preview keeps or creates (the last step per URN wins)."""
    if not isinstance(steps, list):
        raise InputError("the preview's steps is not a list")
    by_urn: dict[str, Any] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, Mapping):
            raise InputError(f"preview step {index} is not an object")
        state = step.get("newState")
        if state is None:
            continue
        if not isinstance(state, Mapping):
            raise InputError(f"preview step {index} has a newState that is not an object")
        urn = state.get("urn") or step.get("urn")
        by_urn[urn if isinstance(urn, str) else f"#{index}"] = {**state, "urn": urn}
    return list(by_urn.values())


def load_resources(path: str) -> tuple[str, list[Any]]:
    """The resources in FILE and which kind of document it is; errors name the file."""
    document = read_json(path, "FILE")
    try:
        kind, resources = resources_in_document(document)
        return kind, checked_resources(resources)
    except InputError as error:
        raise InputError(f"FILE {path}: {error}") from None


def load_config(path: str | None) -> Mapping | None:
    """The policy pack config in CONFIG (a ``--policy-pack-config`` file, or a stack's
    ``policy-config.<stack>.json``), checked against the pack's policies, in the CLI's form;
    errors name the file, one line per problem."""
    if path is None:
        return None
    config = read_json(path, "CONFIG")
    try:
        resolve_config(config)
    except InputError as error:
        raise InputError("\n".join(f"CONFIG {path}: {line}" for line in str(error).splitlines())) from None
    return pack_config.expand(config)


def port_names(resources: Sequence[Mapping]) -> list[str]:
    """The Azure names of the ports among ``resources`` (what ``exemptPorts`` names)."""
    return [azure_name(PORT, stack_state(resource)) or resource_name(resource)
            for resource in resources if resource["type"] == PORT and is_analyzed(resource)]


def exemption_warnings(config: Mapping | None, resources: Sequence[Mapping]) -> list[str]:
    """A warning per exemption naming a port ``resources`` do not have."""
    settings = resolve_config(config)
    return exemptions.unknown_port_warnings({name: s.properties for name, s in settings.items()},
                                            port_names(resources))


def stack_config_for(resources: Sequence[Mapping], folder: Path) -> tuple[str | None, list[str]]:
    """The stack's own ``policy-config.<stack>.json`` in ``folder`` (the stack named by the
    resources' URNs), and a note saying it is used; (None, []) without one."""
    stack = pack_config.stack_of(resource["urn"] for resource in resources)
    found = pack_config.existing_stack_file(folder, stack)
    if found is None:
        return None, []
    return str(found), [pack_config.found_note(found, f"the policy config of stack {one_line(stack)}, which the "
                                                      "resources' URNs name", "--config")]


def summary(violations: Sequence[Violation], resource_count: int) -> dict[str, int]:
    """Counts per enforcement level."""
    return {
        "resources": resource_count,
        "mandatory": sum(violation.level == EnforcementLevel.MANDATORY.value for violation in violations),
        "advisory": sum(violation.level == EnforcementLevel.ADVISORY.value for violation in violations),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``check-policy`` subcommand's options."""
    parser.add_argument("file", metavar="FILE", help="`pulumi stack export` or `pulumi preview --json` output")
    parser.add_argument("--config", metavar="CONFIG", help="policy pack config (as for --policy-pack-config)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary instead of text")


def run(arguments: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``check-policy`` subcommand; returns its exit code."""
    notes: list[str] = []
    config_path = arguments.config
    try:
        kind, resources = load_resources(arguments.file)
        if config_path is None:
            config_path, notes = stack_config_for(resources, Path.cwd())
        config = load_config(config_path)
        violations = evaluate(resources, config)
        exempt = exemption_lines(config)
        warnings = exemption_warnings(config, resources)
    except InputError as error:
        lines = [f"check-policy: error: {one_line(line)}" for line in str(error).splitlines()]
        if arguments.json:  # one JSON document whatever happens, as the preview's --json
            print(json.dumps({"file": arguments.file, "policyPack": PACK_NAME, "exitCode": int(EXIT_BAD_INPUT),
                              "notes": notes, "errors": lines}, indent=2))
        print("\n".join(lines), file=sys.stderr)
        return EXIT_BAD_INPUT
    counts = summary(violations, sum(is_analyzed(resource) for resource in resources))
    if arguments.json:
        print(json.dumps({"file": arguments.file, "format": kind, "policyPack": PACK_NAME, **counts,
                          "policyConfig": config_path, "notes": notes, "warnings": warnings,
                          "exemptions": exempt,
                          "violations": [violation.to_dict() for violation in violations]}, indent=2))
    else:
        for line in [f"note: {note}" for note in notes] + [f"warning: {w}" for w in warnings] + exempt:
            print(line)
        for violation in violations:
            print(violation.to_line())
        print(f"{PACK_NAME}: {counts['mandatory']} mandatory and {counts['advisory']} advisory violation(s) "
              f"in {counts['resources']} resource(s) of {one_line(arguments.file)} ({kind}).")
    return EXIT_MANDATORY_VIOLATION if counts["mandatory"] else EXIT_OK
