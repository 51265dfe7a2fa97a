"""The offline run's speed shortcuts, all behind one switch.

The program registers every resource with the SDK exactly as under `pulumi preview`; a
shortcut only skips SDK work whose sole consumer is the Pulumi engine, which is not here,
or does the SDK's work with fewer objects, and spares the garbage collector work that
frees nothing. None changes what is registered or recorded: with the switch off the
offline preview gives the same record, only slower (a test runs a stack both ways and
compares). `pulumi up` and `pulumi preview` run __main__.py in the language host, which
never imports the offline package: the real path keeps the SDK's behaviour, aliases and
stack traces included.

The switch: on by default; off with ``run_program(..., shortcuts=False)`` or the
environment variable ``EXPRESSROUTE_ENCRYPTION_SHORTCUTS=0`` (for when a newer SDK breaks
one: the preview then runs on the SDK's own code paths). Each shortcut replaces an SDK
internal (``expressroute_encryption.sdk_internals``, probed by its test) for the length of
one run and puts it back afterwards. Why each one pays, with figures: docs/performance.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import enum
import gc
import math
import os
import threading
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pulumi

from expressroute_encryption.offline import wire
from expressroute_encryption.sdk_internals import INTERNALS, sdk

ENVIRONMENT_VARIABLE = "EXPRESSROUTE_ENCRYPTION_SHORTCUTS"
_OFF = ("0", "false", "no", "off")


def enabled_by_environment() -> bool:
    """The switch's default: on, unless EXPRESSROUTE_ENCRYPTION_SHORTCUTS says 0 (or false, no, off)."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() not in _OFF


@contextlib.contextmanager
def _replaced(name: str, replacement: Any) -> Iterator[None]:
    """For the length of the block, the SDK's function ``INTERNALS[name]`` is ``replacement``."""
    sdk(name)  # resolved (and checked) before anything is replaced
    original = INTERNALS[name].replace(replacement)
    try:
        yield
    finally:
        INTERNALS[name].replace(original)


# --- no stack traces ------------------------------------------------------------------


@contextlib.contextmanager
def no_stack_traces() -> Iterator[None]:
    """Registrations carry an empty stack trace: the SDK walks the Python stack on every
    registration (``traceback.extract_stack``) for the engine to keep source positions in
    the state; the mock monitor ignores them and the record holds none."""
    empty = sdk("StackTrace")
    with _replaced("get_stack_trace", lambda: empty()):
        yield


# --- monitor calls inline ---------------------------------------------------------------


def run_without_loop(awaitable: Any) -> Any:
    """Finish a coroutine that never has to wait, without an event loop, and return its
    result; a RuntimeError if it would wait (it is closed, not left pending).

    What the SDK's serialize_properties is for plain data (a mock's answer: dicts, lists,
    strings, numbers), which is all the mock monitor gives it."""
    coroutine = awaitable.__await__()
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("the mock monitor's answer would have to wait for something (an Output or a resource in a "
                       "mock's state?); the offline preview only serializes plain data there")


@contextlib.contextmanager
def monitor_calls_inline() -> Iterator[None]:
    """The SDK's calls to the (mock) monitor and engine run at once on the event loop's
    thread instead of going through a thread pool.

    The SDK hands every engine call (RegisterResource, RegisterResourceOutputs, Invoke, ...)
    to ``loop.run_in_executor`` so that a slow gRPC call does not block the program; against
    the in-process mock monitor that is a thread hand-off, a wake-up of the loop through its
    self-pipe and a GIL switch per call. For the run, the loop's ``run_in_executor`` runs a
    call for the default executor made on the loop's thread at once, and returns its result
    (or failure) as a finished future, which the SDK awaits as before; any other call still
    goes to the executor. The mock monitor's own ``_sync_await`` is replaced meanwhile (see
    ``mocks_sync_await`` in sdk_internals), which is what made a plain inline executor recurse.
    Both are put back afterwards."""
    loop = asyncio.get_event_loop()
    thread = threading.get_ident()
    to_executor = loop.run_in_executor

    def run_in_executor(executor: Any, func: Callable, *args: Any) -> asyncio.Future:
        if executor is not None or threading.get_ident() != thread:
            return to_executor(executor, func, *args)
        future = loop.create_future()
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # as the pool's worker does: the awaiting code re-raises it
            future.set_exception(exc)
        return future

    with _replaced("mocks_sync_await", run_without_loop):
        loop.run_in_executor = run_in_executor  # the instance's, over its class's method
        try:
            yield
        finally:
            del loop.run_in_executor


# --- plain URNs -------------------------------------------------------------------------


def urn_when_plain(name: Any, type_: Any, parent: Any = None, project: Any = None, stack: Any = None) -> Any:
    """The SDK's ``create_urn``, without its chain of Outputs when name, type and parent (or
    project and stack) are plain strings: the same URN, as a known, non-secret Output that
    depends on no resource, as the SDK's own would be. Anything else (Outputs, resources:
    aliases of components) goes to the SDK's function."""
    strings = isinstance(name, str) and isinstance(type_, str)
    if strings and isinstance(parent, str):
        prefix = parent[0:parent.rfind("::")] + "$"  # as the SDK derives it from the parent's URN
    elif strings and parent is None and isinstance(project, str) and isinstance(stack, str):
        prefix = "urn:pulumi:" + stack + "::" + project + "::"
    else:
        return sdk("create_urn")(name, type_, parent, project, stack)
    return known_output(prefix + type_ + "::" + name)


def known_output(value: str) -> pulumi.Output:
    """What ``pulumi.Output.from_input(value)`` gives for a plain string: a known, non-secret
    Output of no resource, its single future already resolved; untracked, since there is
    nothing to wait for (the SDK tracks it all the same, and schedules a callback that
    untracks it again)."""
    data: asyncio.Future = asyncio.Future()
    data.set_result(_plain_data(sdk("OutputData"), set(), value, True, False))
    output = object.__new__(pulumi.Output)  # Output._from_data, without its registration
    output._data = data
    return output


@contextlib.contextmanager
def plain_urns() -> Iterator[None]:
    """The SDK builds URNs of plain strings with ``urn_when_plain``."""
    with _replaced("create_urn", urn_when_plain):
        yield


# --- one untracked future per property Output ------------------------------------------

_PLAIN = frozenset({str, int, float, bool, type(None)})


def _plain_data(output_data: type, resources: set, value: Any, is_known: bool, is_secret: bool) -> Any:
    """``OutputData(resources, value, is_known, is_secret)`` for a plain value (a str, int,
    float, bool or None), which holds no unknown value: the dataclass's ``__post_init__``
    would only look for one. Anything else is built by the SDK's class."""
    if type(value) not in _PLAIN:
        return output_data(resources=resources, value=value, is_known=is_known, is_secret=is_secret)
    data = object.__new__(output_data)
    data.resources, data.value, data.is_known, data.is_secret = resources, value, is_known, is_secret
    return data


def transfer_properties_single_future(res: Any, props: Any, custom: bool) -> dict[str, Callable[..., None]]:
    """The SDK's ``transfer_properties`` (see sdk_internals): one Output per property of a
    new resource, and its resolver, resolve(value, is_known, is_secret, deps, failed).

    The SDK builds each from four futures and a task that gathers them into one state, and
    registers it with the runtime, which removes it again once it resolves (a callback per
    Output), so that the program's end can wait for it. Here each is built from one future
    of its whole state, as the SDK builds the resource's ``urn`` and ``id``, and is not
    registered: the registration that resolves it is itself waited for, and fails the run
    if it fails. The resolver gives the same state: the value, known, secret, the given
    dependencies plus the resource itself, or the failure."""
    output_data, output = sdk("OutputData"), pulumi.Output
    resolvers: dict[str, Callable[..., None]] = {}
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the SDK makes these itself
        data: asyncio.Future = asyncio.Future()

        def resolve(value: Any, is_known: bool, is_secret: bool, deps: Any, failed: Exception | None,
                    data: asyncio.Future = data) -> None:
            if failed is not None:
                data.set_exception(failed)
                return
            resources = set(deps) if deps else set()
            resources.add(res)
            data.set_result(_plain_data(output_data, resources, value, is_known, is_secret))

        resolvers[name] = resolve
        prop = object.__new__(output)  # Output._from_data, without its registration
        prop._data = data
        res.__dict__[name] = prop
    return resolvers


@contextlib.contextmanager
def single_future_outputs() -> Iterator[None]:
    """New resources' property Outputs are built by ``transfer_properties_single_future``."""
    sdk("OutputData"), sdk("output_from_data")  # resolved (and checked) before anything is replaced
    with _replaced("transfer_properties", transfer_properties_single_future):
        yield


# --- plain values serialize as themselves ------------------------------------------------


def serialize_plain_first(serialize_property: Callable) -> Callable:
    """The SDK's ``serialize_property`` (see sdk_internals), answering a plain value (a str,
    int, float, bool or None, not a subclass such as an enum) at once: the SDK returns it
    unchanged whatever its declared type, after a dozen type checks and an unwrapping of the
    declared type. Anything else goes to the SDK's function, whose recursion into lists and
    objects comes back here by name."""
    async def serialize(value: Any, deps: Any, property_key: Any, resource_obj: Any = None,
                        input_transformer: Any = None, typ: Any = None, keep_output_values: bool = False,
                        exclude_resource_refs_from_deps: bool = False, return_protobuf_value: bool = False) -> Any:
        if type(value) in _PLAIN and not return_protobuf_value:
            return value
        return await serialize_property(value, deps, property_key, resource_obj, input_transformer, typ,
                                        keep_output_values, exclude_resource_refs_from_deps, return_protobuf_value)
    return serialize


@contextlib.contextmanager
def plain_values_first() -> Iterator[None]:
    """Property values are serialized by ``serialize_plain_first``."""
    with _replaced("rpc_serialize_property", serialize_plain_first(sdk("rpc_serialize_property"))):
        yield


# --- a preview, asked once --------------------------------------------------------------


@contextlib.contextmanager
def dry_run_answered() -> Iterator[None]:
    """The SDK's ``settings.is_dry_run`` answers what the runtime was configured with for the
    run: it reads a context property for every property of every registration
    (``resolve_properties``), and a run is a preview or not from its start to its end."""
    answer = bool(sdk("is_dry_run")())
    with _replaced("is_dry_run", lambda: answer):
        yield


# --- a plain value holds no unknown ------------------------------------------------------


def plain_first_contains_unknowns(contains_unknowns: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """The SDK's ``contains_unknowns`` (see sdk_internals), answering False at once for a
    str, int, float, bool or None: the SDK asks it of every Output value it serializes or
    reads (most of them plain), and walks objects and lists for its ``Unknown``, which a
    plain value is not. Anything else goes to the SDK's function."""
    def check(val: Any) -> bool:
        return False if type(val) in _PLAIN else contains_unknowns(val)
    return check


@contextlib.contextmanager
def plain_values_known() -> Iterator[None]:
    """Unknowns are looked for by ``plain_first_contains_unknowns``."""
    with _replaced("rpc_contains_unknowns", plain_first_contains_unknowns(sdk("rpc_contains_unknowns"))):
        yield


# --- plain outputs come back as themselves ----------------------------------------------

_SCALARS = frozenset({str, int, float, bool})


def _keeps_scalars(typ: Any, float_value: bool) -> bool:
    """Whether the SDK's ``translate_output_properties`` returns a str, int, float or bool
    declared ``typ`` unchanged: unless the type, once ``Optional`` is taken off, is an enum
    (the value becomes a member) or, for a float, ``int`` (it becomes an int). Anything this
    cannot tell (a union, a generic) goes to the SDK's function."""
    if typing.get_origin(typ) is typing.Union:
        members = typing.get_args(typ)
        if len(members) != 2 or members[1] is not type(None):
            return False
        typ = members[0]
    if typ is None or typ is Any:
        return True
    if not isinstance(typ, type) or issubclass(typ, enum.Enum):
        return False
    return not (float_value and typ is int)


def translate_plain_first(translate_output_properties: Callable) -> Callable:
    """The SDK's ``translate_output_properties`` (see sdk_internals), answering a str, int,
    float or bool whose declared type keeps it (``_keeps_scalars``, known once per type) at
    once: about two thirds of the output values of a registration, each of which the SDK
    takes through its secret, optional, enum and int checks to return it unchanged. Anything
    else goes to the SDK's function, whose recursion into lists and objects comes back here
    by name."""
    keeps: dict[tuple[Any, bool], bool] = {}

    def translate(output: Any, output_transformer: Callable, typ: Any = None,
                  transform_using_type_metadata: bool = False, path: Any = None,
                  return_none_on_dict_type_mismatch: bool = False) -> Any:
        kind = type(output)
        if kind in _SCALARS:
            key = (typ, kind is float)
            known = keeps.get(key)
            if known is None:
                known = keeps[key] = _keeps_scalars(typ, kind is float)
            if known:
                return output
        return translate_output_properties(output, output_transformer, typ, transform_using_type_metadata, path,
                                           return_none_on_dict_type_mismatch)
    return translate


@contextlib.contextmanager
def plain_outputs_first() -> Iterator[None]:
    """Output values are translated by ``translate_plain_first``."""
    with _replaced("rpc_translate_output_properties",
                   translate_plain_first(sdk("rpc_translate_output_properties"))):
        yield


# --- the mocks' answers, in Python ------------------------------------------------------


class NotPlain(Exception):
    """A mock's answer holds something other than plain data (the SDK's serialization handles it)."""


class PlainAnswer(dict):
    """A mock's answer as the engine's record reads it (``harness._wire``), standing for the
    response's Struct: ``deserialize_properties`` (replaced by ``answers_in_python``) turns it
    into what the SDK's own function makes of that Struct."""


def _recorded(value: Any) -> Any:
    """One value of a mock's answer as it reads back from the Struct the SDK's mock monitor
    would make of it: whole numbers as ints, objects and lists alike, a secret marker kept."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int or kind is float:
        number = float(value)
        if math.isinf(number) or math.isnan(number):
            raise NotPlain(value)  # the record refuses it: the SDK's path says so
        return int(number) if number.is_integer() else number
    if kind is dict and all(type(key) is str for key in value):
        if wire.SECRET_SIG in value and (value[wire.SECRET_SIG] != wire.SECRET_VALUE or set(value) != {wire.SECRET_SIG, "value"}):
            raise NotPlain(value)  # an asset, archive or resource reference
        return {key: _recorded(item) for key, item in value.items()}
    if kind is list:
        return [_recorded(item) for item in value]
    raise NotPlain(value)


def recorded_answer(state: dict[str, Any]) -> PlainAnswer:
    """A mock's answer (plain data: objects, lists, strings, numbers, booleans, None, secret
    markers) as the record reads the response the SDK's mock monitor builds of it
    (``serialize_properties``: a property whose value is None left out). Raises NotPlain for
    anything else."""
    if not all(type(key) is str for key in state):
        raise NotPlain(state)
    return PlainAnswer({key: _recorded(value) for key, value in state.items() if value is not None})


def _secret(value: Any) -> Any:
    """The SDK's wrap_rpc_secret: a secret marker around a value that is not one already."""
    return value if wire.is_secret(value) else wire.secret(value)


def _revealed(value: Any) -> Any:
    """The SDK's unwrap_rpc_secret."""
    return value["value"] if wire.is_secret(value) else value


def _deserialized(value: Any, keep_unknowns: bool | None) -> Any:
    """The SDK's deserialize_property of one recorded value's protobuf form: every number a
    float, the unknown sentinel an Unknown, a secret inside an object or list making the
    whole of it secret, and None left out of objects."""
    kind = type(value)
    if kind is str:
        if value == sdk("UNKNOWN"):
            return sdk("Unknown")() if pulumi.runtime.is_dry_run() or keep_unknowns else None
        return value
    if kind is int or kind is float:
        return float(value)
    if kind is list:
        items = [_deserialized(item, keep_unknowns) for item in value]
        return _secret([_revealed(item) for item in items]) if any(map(wire.is_secret, items)) else items
    if kind is dict:
        fields = _deserialized_object(value, keep_unknowns)
        return _secret({k: _revealed(v) for k, v in fields.items()}) if any(map(wire.is_secret, fields.values())) \
            else fields
    return value  # bool, None


def _deserialized_object(value: dict[str, Any], keep_unknowns: bool | None) -> Any:
    """The SDK's deserialize_properties of one recorded object's protobuf form; NotPlain for an
    asset, archive or resource reference (the SDK builds objects of them)."""
    if wire.SECRET_SIG in value:
        if value[wire.SECRET_SIG] != wire.SECRET_VALUE:
            raise NotPlain(value)
        return _secret(_deserialized(value["value"], keep_unknowns))
    fields = {}
    for key, item in value.items():
        item = _deserialized(item, keep_unknowns)
        if item is not None:
            fields[key] = item
    return fields


def deserialized(recorded: dict[str, Any], keep_unknowns: bool | None = None) -> dict[str, Any]:
    """What the SDK's ``deserialize_properties`` gives of a Struct, from the record's reading
    of that Struct (``harness._wire``): what the mocks are handed as a registration's inputs.
    Raises NotPlain for an asset, archive or resource reference."""
    return _deserialized_object(recorded, keep_unknowns)


def deserialize_answers_in_python(deserialize_properties: Callable) -> Callable:
    """The SDK's ``deserialize_properties`` (see sdk_internals), turning a PlainAnswer into
    what it would make of the answer's Struct, without building that Struct; anything else
    goes to the SDK's function."""
    def deserialize(props_struct: Any, keep_unknowns: bool | None = None, keep_internal: bool | None = True) -> Any:
        if type(props_struct) is PlainAnswer:
            return _deserialized_object(props_struct, keep_unknowns)
        return deserialize_properties(props_struct, keep_unknowns, keep_internal)
    return deserialize


_answering_in_python = False


def answering_in_python() -> bool:
    """Whether the recording monitor is to answer with a PlainAnswer (``answers_in_python``)."""
    return _answering_in_python


@contextlib.contextmanager
def answers_in_python() -> Iterator[None]:
    """The recording monitor answers with a PlainAnswer (``harness.RecordingMonitor``), which
    the SDK's ``deserialize_properties``, replaced by ``deserialize_answers_in_python``,
    understands."""
    global _answering_in_python
    with _replaced("rpc_deserialize_properties", deserialize_answers_in_python(sdk("rpc_deserialize_properties"))):
        _answering_in_python = True
        try:
            yield
        finally:
            _answering_in_python = False


# --- a resource class's output types, looked up once -------------------------------------


def remembering(resource_types: Callable[[type], dict[str, type]]) -> Callable[[type], dict[str, type]]:
    """The SDK's ``resource_types`` (see sdk_internals), computed once per resource class.
    The SDK derives the class's output types from its annotations (building a class to
    resolve them) on every registration; they are the class's, so they do not change."""
    known: dict[type, dict[str, type]] = {}

    def types_of(resource_cls: type) -> dict[str, type]:
        if resource_cls not in known:
            known[resource_cls] = resource_types(resource_cls)
        return known[resource_cls]
    return types_of


@contextlib.contextmanager
def resource_types_remembered() -> Iterator[None]:
    """Output types are looked up through ``remembering``."""
    with _replaced("resource_types", remembering(sdk("resource_types"))):
        yield


# --- no debug messages --------------------------------------------------------------------


def _no_debug_message(msg: str, resource: Any = None, stream_id: Any = None, ephemeral: Any = None) -> None:
    """``pulumi.log.debug`` for the run: the SDK sends a few debug messages per registration
    to the engine's debug channel (``pulumi -v``), which nothing reads offline."""


@contextlib.contextmanager
def no_debug_messages() -> Iterator[None]:
    """``pulumi.log.debug`` (public) does nothing; it is put back afterwards."""
    original, pulumi.log.debug = pulumi.log.debug, _no_debug_message
    try:
        yield
    finally:
        pulumi.log.debug = original


# --- provider aliases -------------------------------------------------------------------


def without_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """A stack transformation that drops a provider resource's aliases before the SDK
    computes anything from them.

    Every azure-native resource class adds dozens of ``Alias(type_=...)`` options (one per
    API version the type ever had, about 60 for a circuit), and for each one the SDK builds
    chains of Outputs and tasks. An alias only tells the engine which resource of the
    previous state this one may be; the mock monitor has no previous state and never reads
    ``RegisterResourceRequest.aliases``, and nothing in the record comes from them.
    Components (custom=False) keep theirs: they are this project's own, and few."""
    if not args.opts.aliases or not isinstance(args.resource, pulumi.CustomResource):
        return None
    opts = copy.copy(args.opts)
    opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, opts)


# --- the garbage collector --------------------------------------------------------------

# Whether the objects of the last run were moved to the collector's permanent generation.
_last_run_frozen = False


def _thaw_last_run() -> None:
    """Give the last run's frozen objects back to the collector, and collect them."""
    global _last_run_frozen
    if _last_run_frozen:
        _last_run_frozen = False
        gc.unfreeze()
        gc.collect()


@contextlib.contextmanager
def collector_spared() -> Iterator[None]:
    """No automatic collection during the run, and everything alive frozen after it.

    A run keeps nearly every Output, future and task of the program alive until it ends, so
    collections walk a growing heap (azure-native's classes included) and free almost
    nothing. Afterwards everything alive is moved to the permanent generation
    (``gc.freeze``): the runtime keeps the program's objects until the next run configures
    it afresh, and the report and policy check would otherwise have the collector walk them
    again and again. The next run in the same process gives them back and collects them
    (``_thaw_last_run``), so a process running many programs (the tests) frees each run's
    objects. (This assumes nothing else in the process uses ``gc.freeze``.)"""
    global _last_run_frozen
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
        gc.freeze()
        _last_run_frozen = True


# --- the switch -------------------------------------------------------------------------


@contextlib.contextmanager
def applied(enabled: bool) -> Iterator[list[Callable]]:
    """For the length of one run (entered once the runtime is configured for it): every
    shortcut when ``enabled``, none otherwise. Yields the stack transformations the program
    run is to register first (inside ``run_in_stack``)."""
    _thaw_last_run()
    if not enabled:
        yield []
        return
    with collector_spared(), no_stack_traces(), monitor_calls_inline(), plain_urns(), single_future_outputs(), \
            plain_values_first(), plain_outputs_first(), plain_values_known(), answers_in_python(), \
            resource_types_remembered(), dry_run_answered(), no_debug_messages():
        yield [without_aliases]
