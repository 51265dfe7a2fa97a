"""Every name this project takes from inside the Pulumi SDKs, in one place.

The offline preview runs the real program as the Pulumi engine would, but in this process
against mocks; the offline policy checker runs the policy pack as the Pulumi analyzer
would. Neither SDK offers that as public API, so a few of their internals are used, and
only through this module. Each one below says what it is, what it is used for, and why no
public API does it.

Internals change without notice between SDK releases. ``requirements.txt`` pins the
versions this was checked against (pulumi 3.272.0, pulumi-policy 1.21.0), and
``tests/test_sdk_internals.py`` checks every entry of ``INTERNALS`` against the installed
SDKs (that it exists, its signature and what it does); after an upgrade a failure there
names the internal that changed and the code that uses it. Each name is looked up when
first imported from here, so a module only depends on the internals it uses (the policy
pack never loads the mock runtime's), and one that is gone fails that import with the
same message.

Everything else the project uses from the SDKs is public: ``pulumi.runtime`` (``Mocks``,
``configure``, ``run_in_stack``, ``set_all_config``, ...), ``pulumi_policy`` (``__all__``)
and ``pulumi.provider.experimental`` (the documented component provider host).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import logging
import threading
from dataclasses import dataclass
from typing import Any, Iterator

import pulumi.runtime


@dataclass(frozen=True)
class Internal:
    """One SDK internal: where it lives and which code of ours relies on it."""

    module: str
    name: str
    used_by: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"

    def resolve(self) -> Any:
        """The SDK's object; a clear ImportError when the installed SDK no longer has it."""
        try:
            return getattr(importlib.import_module(self.module), self.name)
        except (ImportError, AttributeError) as exc:
            raise ImportError(
                f"Pulumi SDK internal {self} is not in the installed SDK ({exc}); it is used by {self.used_by}. "
                "Check src/expressroute_encryption/offline/sdk_internals.py against the SDK's release notes "
                "(requirements.txt pins the versions it was written for)."
            ) from exc


# Our name -> the SDK internal. Import them from this module by our name.
INTERNALS: dict[str, Internal] = {

    # --- pulumi (the Python SDK) ---------------------------------------------------------

    # pulumi.runtime.sync_await._sync_await(awaitable): runs a coroutine to completion on the
    # SDK's own event loop, pumping the program's outstanding tasks. The language host runs
    # the program this way; asyncio.run() would start a second loop, on which the SDK's
    # futures never complete. No public equivalent (the public `pulumi.runtime.test`
    # decorator, for unit tests, calls this too).
    "sync_await": Internal("pulumi.runtime.sync_await", "_sync_await",
                           used_by="offline/harness.py run_program (runs the program)"),

    # pulumi.runtime.mocks.MockMonitor: the resource monitor that answers registrations from
    # a public `pulumi.runtime.Mocks`. Subclassed to record each registration as the engine
    # sees it (parent, protect, dependencies, additionalSecretOutputs, inputs in wire form):
    # the public `Mocks.new_resource` is only shown the type, name and inputs. The public
    # `set_mocks(monitor=...)` takes one, but the class is not exported. Overridden or
    # called: make_urn(parent, type_, name), RegisterResource(request),
    # RegisterResourceOutputs(request), GetDeploymentInfo(request).supportedFeatures.
    "MockMonitor": Internal("pulumi.runtime.mocks", "MockMonitor",
                            used_by="offline/harness.py RecordingMonitor (records every registration)"),

    # pulumi.runtime.mocks.MockSettings and MockEngine: what the public `set_mocks` builds to
    # configure the runtime. Built here instead, because `set_mocks` also registers a stack
    # resource of its own before the program's (run_in_stack registers the program's).
    "MockSettings": Internal("pulumi.runtime.mocks", "MockSettings",
                             used_by="configure_mock_runtime(), for offline/harness.py run_program"),
    "MockEngine": Internal("pulumi.runtime.mocks", "MockEngine",
                           used_by="configure_mock_runtime(), for offline/harness.py run_program"),

    # pulumi.runtime.settings.ROOT: the context variable holding the running program's stack
    # resource. Emptied so that each run in one process (a test session, the benchmark)
    # registers a fresh stack, as each `pulumi preview` does. No public setter.
    "ROOT": Internal("pulumi.runtime.settings", "ROOT",
                     used_by="configure_mock_runtime(), for offline/harness.py run_program"),

    # pulumi.runtime.resource._get_stack_trace(): walks the Python stack on every
    # registration, for the engine to keep source positions in the state. The mock monitor
    # ignores them and the record holds none, so an offline run swaps in an empty trace
    # (speed only; docs/performance.md). The SDK has no switch for it.
    "get_stack_trace": Internal("pulumi.runtime.resource", "_get_stack_trace",
                                used_by="no_stack_traces(), for offline/harness.py _offline_runtime"),

    # pulumi.runtime.mocks._sync_await(awaitable): the mock monitor's own name for the SDK's
    # sync_await, with which it serializes a mock's answer (RegisterResource, Invoke,
    # ReadResource) while the program's event loop waits for it in a thread-pool thread. An
    # offline run calls the monitor on the loop's own thread instead (monitor_calls_inline()),
    # where that function would pump the running loop from inside one of its callbacks, and
    # every registration pumped that way nests another: Python's recursion limit within a few
    # hundred resources. So for the run it is replaced by a function that finishes the
    # coroutine without any loop (a mock's answer is plain data: nothing to wait for).
    "mocks_sync_await": Internal("pulumi.runtime.mocks", "_sync_await",
                                 used_by="monitor_calls_inline(), for offline/harness.py _offline_runtime"),

    # pulumi.runtime.resource.create_urn(name, type_, parent=None, project=None, stack=None): builds
    # a resource's URN as an Output, through a chain of Outputs (Output.all, apply). The SDK
    # calls it on every registration once the parent's URN is known, with plain strings, for a
    # URN it only uses when there is no monitor at all; that chain was about 6% of a large
    # preview. For the run it is replaced by urn_when_plain(), which builds the same known,
    # non-secret Output directly when every part is a plain string and hands anything else
    # (Outputs, resources: aliases of components) to the SDK's own function.
    "create_urn": Internal("pulumi.runtime.resource", "create_urn",
                           used_by="plain_urns(), for offline/harness.py _offline_runtime"),

    # pulumi.runtime.proto.source_pb2.StackTrace: the protobuf message _get_stack_trace
    # returns (here empty). Generated gRPC code, not an API.
    "StackTrace": Internal("pulumi.runtime.proto.source_pb2", "StackTrace",
                           used_by="no_stack_traces(), for offline/harness.py _offline_runtime"),

    # pulumi.runtime.rpc.UNKNOWN: the wire value of a value not known yet (in a preview). The
    # preview answers a stack reference's secret outputs it cannot decrypt with it, as the
    # engine answers values it does not know. The public API only has unknown Outputs.
    "UNKNOWN": Internal("pulumi.runtime.rpc", "UNKNOWN",
                        used_by="offline/preview.py referenced_stack_outputs (unreadable secret outputs)"),

    # pulumi.runtime.config.CONFIG: the context variable holding every config value of the
    # running stack. `pulumi.Config` reads one key at a time and cannot list them, which the
    # stack config needs to report a misspelt top-level key.
    "CONFIG": Internal("pulumi.runtime.config", "CONFIG",
                       used_by="config.py _namespace_keys (lists the keys set in the stack config)"),

    # --- pulumi_policy (the policy SDK) --------------------------------------------------
    # The offline checker (policy/checker.py) evaluates the pack as the analyzer server of
    # pulumi_policy does (pulumi_policy/policy.py, _PolicyAnalyzerServicer, not public):
    # properties deserialized, then wrapped in the unknown-checking proxy; not_applicable()
    # and unknown values handled as the server handles them. At run time the policies read
    # properties through that same proxy (policy/props.py).

    # pulumi_policy.policy._NotApplicableError: what `args.not_applicable()` raises; the
    # server catches it to mark the policy not applicable, and so does the checker.
    "NotApplicableError": Internal("pulumi_policy.policy", "_NotApplicableError",
                                   used_by="policy/checker.py run_policy"),

    # pulumi_policy.deserialize: turns wire properties (secret, asset, archive markers) into
    # the values a policy sees; SPECIAL_SIG_KEY/SPECIAL_SECRET_SIG mark a secret on the wire
    # (offline/wire.py holds the same protocol constants, for the engine's side).
    "deserialize_properties": Internal("pulumi_policy.deserialize", "deserialize_properties",
                                       used_by="policy/checker.py policy_props"),
    "SPECIAL_SIG_KEY": Internal("pulumi_policy.deserialize", "SPECIAL_SIG_KEY",
                                used_by="policy/checker.py readable_secrets"),
    "SPECIAL_SECRET_SIG": Internal("pulumi_policy.deserialize", "SPECIAL_SECRET_SIG",
                                   used_by="policy/checker.py readable_secrets"),

    # pulumi_policy.proxy: the read-only proxy the server wraps properties in. Reading an
    # unknown value through it raises UnknownValueError (with `.message`); raw unknown values
    # are sentinel strings, one per type. No public API tells an unknown value apart.
    "unknown_checking_proxy": Internal("pulumi_policy.proxy", "unknown_checking_proxy",
                                       used_by="policy/checker.py policy_props"),
    "UnknownValueError": Internal("pulumi_policy.proxy", "UnknownValueError",
                                  used_by="policy/props.py get, policy/checker.py run_policy"),
    **{f"UNKNOWN_{kind}_VALUE": Internal("pulumi_policy.proxy", f"UNKNOWN_{kind}_VALUE",
                                         used_by="policy/props.py is_unknown, policy/checker.py readable_secrets")
       for kind in ("BOOLEAN", "NUMBER", "STRING", "ARRAY", "ASSET", "ARCHIVE", "OBJECT")},
}


def sdk(name: str) -> Any:
    """The SDK object behind one of our names in ``INTERNALS``, looked up once."""
    if name not in globals():
        globals()[name] = INTERNALS[name].resolve()
    return globals()[name]


def __getattr__(name: str) -> Any:
    """``from expressroute_encryption.offline.sdk_internals import <name>`` (PEP 562)."""
    if name not in INTERNALS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return sdk(name)


class OfflineEngine(sdk("MockEngine")):
    """The SDK's mock engine, standing in for the Pulumi CLI pinned in requirements.txt: it
    also answers the program's CLI version check (``pulumi.require_pulumi_version``), which
    the mock engine leaves unimplemented (the offline preview has no CLI)."""

    def RequirePulumiVersion(self, request) -> None:
        return None


def configure_mock_runtime(monitor: Any, project: str, stack: str, logger: logging.Logger,
                           dry_run: bool = True) -> None:
    """Point the SDK at ``monitor`` for a preview of ``project``/``stack``, with no stack
    resource yet (the program's ``run_in_stack`` registers it): what the public
    ``set_mocks`` does, minus a stack of its own."""
    pulumi.runtime.configure(sdk("MockSettings")(
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=OfflineEngine(logger),
        project=project,
        stack=stack,
        dry_run=dry_run,
        organization="organization",
        callbacks=None,
    ))
    sdk("ROOT").set(None)


@contextlib.contextmanager
def no_stack_traces() -> Iterator[None]:
    """For the length of the block, registrations carry an empty stack trace (see
    ``get_stack_trace`` above); the SDK's own function is put back afterwards."""
    internal = INTERNALS["get_stack_trace"]
    runtime, original, empty = importlib.import_module(internal.module), sdk("get_stack_trace"), sdk("StackTrace")
    setattr(runtime, internal.name, lambda: empty())
    try:
        yield
    finally:
        setattr(runtime, internal.name, original)


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
    """For the length of the block, the SDK's calls to the (mock) monitor and engine run at
    once on the event loop's thread instead of going through a thread pool.

    The SDK hands every engine call (RegisterResource, RegisterResourceOutputs, Invoke, ...)
    to ``loop.run_in_executor`` so that a slow gRPC call does not block the program. Against
    the in-process mock monitor that is pure overhead: a thread hand-off, a wake-up of the
    loop and a GIL switch per call, and the loop idling while it waits (docs/performance.md).
    The call still completes through the same awaited future, and a failure still surfaces
    where the SDK awaits it. The mock monitor's own ``_sync_await`` is replaced meanwhile
    (see ``mocks_sync_await`` above), which is what made a plain inline executor recurse.
    Both are put back afterwards; the executor then acts as asyncio's usual thread pool."""
    loop = asyncio.get_event_loop()
    executor = getattr(loop, "_offline_executor", None)
    if executor is None:
        executor = _InlineWhenOffline()
        loop.set_default_executor(executor)
        loop._offline_executor = executor  # our own attribute: the executor installed on this loop
    internal = INTERNALS["mocks_sync_await"]
    mocks_module, original = importlib.import_module(internal.module), sdk("mocks_sync_await")
    setattr(mocks_module, internal.name, run_without_loop)
    executor.inline_on_thread = threading.get_ident()
    try:
        yield
    finally:
        executor.inline_on_thread = None
        setattr(mocks_module, internal.name, original)


def urn_when_plain(name: Any, type_: Any, parent: Any = None, project: Any = None, stack: Any = None) -> Any:
    """The SDK's ``create_urn`` (see ``create_urn`` above), without its chain of Outputs when
    name, type and parent (or project and stack) are plain strings: the same URN, as a
    known, non-secret Output that depends on no resource, as the SDK's own would be."""
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
    """For the length of the block, the SDK builds URNs of plain strings with
    ``urn_when_plain``; its own function is put back afterwards."""
    internal = INTERNALS["create_urn"]
    module, original = importlib.import_module(internal.module), sdk("create_urn")
    setattr(module, internal.name, urn_when_plain)
    try:
        yield
    finally:
        setattr(module, internal.name, original)
