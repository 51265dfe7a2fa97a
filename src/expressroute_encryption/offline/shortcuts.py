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
import concurrent.futures
import contextlib
import copy
import gc
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pulumi

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


class _InlineWhenOffline(concurrent.futures.ThreadPoolExecutor):
    """The event loop's default executor: during an offline run, on the loop's thread,
    ``submit`` runs the call at once and returns its finished future; otherwise it is the
    thread pool asyncio would have created itself (same thread name prefix)."""

    def __init__(self) -> None:
        super().__init__(thread_name_prefix="asyncio")
        self.inline_on_thread: int | None = None  # the thread of the run, while one runs

    def submit(self, fn, /, *args, **kwargs):
        if self.inline_on_thread != threading.get_ident():
            return super().submit(fn, *args, **kwargs)
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # as the pool's worker does: the awaiting code re-raises it
            future.set_exception(exc)
        else:
            future.set_result(result)
        return future


@contextlib.contextmanager
def monitor_calls_inline() -> Iterator[None]:
    """The SDK's calls to the (mock) monitor and engine run at once on the event loop's
    thread instead of going through a thread pool.

    The SDK hands every engine call (RegisterResource, RegisterResourceOutputs, Invoke, ...)
    to ``loop.run_in_executor`` so that a slow gRPC call does not block the program; against
    the in-process mock monitor that is a thread hand-off, a wake-up of the loop and a GIL
    switch per call. The call still completes through the same awaited future, and a
    failure still surfaces where the SDK awaits it. The mock monitor's own ``_sync_await``
    is replaced meanwhile (see ``mocks_sync_await`` in sdk_internals), which is what made a
    plain inline executor recurse. Afterwards the executor acts as asyncio's usual pool."""
    loop = asyncio.get_event_loop()
    executor = getattr(loop, "_offline_executor", None)
    if executor is None:
        executor = _InlineWhenOffline()
        loop.set_default_executor(executor)
        loop._offline_executor = executor  # our own attribute: the executor installed on this loop
    with _replaced("mocks_sync_await", run_without_loop):
        executor.inline_on_thread = threading.get_ident()
        try:
            yield
        finally:
            executor.inline_on_thread = None


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
    return pulumi.Output.from_input(prefix + type_ + "::" + name)


@contextlib.contextmanager
def plain_urns() -> Iterator[None]:
    """The SDK builds URNs of plain strings with ``urn_when_plain``."""
    with _replaced("create_urn", urn_when_plain):
        yield


# --- one future per property Output -----------------------------------------------------


def transfer_properties_single_future(res: Any, props: Any, custom: bool) -> dict[str, Callable[..., None]]:
    """The SDK's ``transfer_properties`` (see sdk_internals): one Output per property of a
    new resource, and its resolver. Each Output is built from one future of its whole state
    (``Output._from_data``), as the SDK builds the resource's ``urn`` and ``id``, instead of
    four futures and a task gathering them. The resolver takes the same arguments and gives
    the same state: the value, known, secret, the given dependencies plus the resource
    itself, or the failure."""
    output_data, from_data = sdk("OutputData"), sdk("output_from_data")
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
            data.set_result(output_data(resources=resources, value=value, is_known=is_known, is_secret=is_secret))

        resolvers[name] = resolve
        res.__dict__[name] = from_data(data)
    return resolvers


@contextlib.contextmanager
def single_future_outputs() -> Iterator[None]:
    """New resources' property Outputs are built by ``transfer_properties_single_future``."""
    sdk("OutputData"), sdk("output_from_data")
    with _replaced("transfer_properties", transfer_properties_single_future):
        yield


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
    with collector_spared(), no_stack_traces(), monitor_calls_inline(), plain_urns(), single_future_outputs():
        yield [without_aliases]
