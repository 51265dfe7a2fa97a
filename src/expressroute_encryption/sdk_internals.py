"""Every name this project takes from inside the Pulumi SDKs, in one place (and any pydantic
internal, should one ever be needed).

The offline preview runs the real program as the Pulumi engine would, but in this process
against mocks; the offline policy checker and the policy pack's property reader handle
values as the policy SDK's analyzer server does; the config loader lists the keys the CLI
handed the program. None of the SDKs
offers all of that as public API, so a few of their internals are used, and only through
this module. Each one below says what it is, what it is used for, and why no public API does it.

Internals change without notice between releases. ``requirements.txt`` pins the versions
this was checked against, and ``tests/test_sdk_internals.py`` checks every entry of
``INTERNALS`` against the installed packages (that it exists, its signature and what it
does); the pull-request workflow runs that test on the newest ``pulumi`` and
``pulumi-policy`` the ranges of ``pyproject.toml`` allow. After an upgrade a failure there
names the internal that changed and the code that uses it.

This is the bottom layer: it imports nothing of this project and, when imported, nothing
but the standard library. Each name is looked up (its SDK module imported) when it is
first taken from here, ``from expressroute_encryption.sdk_internals import <name>``, so a
module depends only on the internals it uses (the policy pack loads nothing of the offline
tools, the config loader no policy SDK), and one that is gone fails that import with a
message naming it and its user.

Everything else the project uses from the SDKs is public: ``pulumi.runtime`` (``Mocks``,
``configure``, ``run_in_stack``, ``set_all_config``, ...), ``pulumi_policy`` (``__all__``)
and ``pulumi.provider.experimental`` (the documented component provider host).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Internal:
    """One internal: where it lives (a module, and an attribute path in it) and which code
    of ours relies on it."""

    module: str
    name: str
    used_by: str

    def __str__(self) -> str:
        return f"{self.module}.{self.name}"

    def resolve(self) -> Any:
        """The SDK's object; a clear ImportError when the installed SDK no longer has it."""
        try:
            value: Any = importlib.import_module(self.module)
            for part in self.name.split("."):
                value = getattr(value, part)
            return value
        except (ImportError, AttributeError) as exc:
            raise ImportError(
                f"SDK internal {self} is not in the installed SDK ({exc}); it is used by {self.used_by}. "
                "Check src/expressroute_encryption/sdk_internals.py against the SDK's release notes "
                "(requirements.txt pins the versions it was written for)."
            ) from exc

    def replace(self, value: Any) -> Any:
        """Set the module attribute to ``value`` (only for a top-level function of a module);
        returns what was there, for putting it back."""
        module = importlib.import_module(self.module)
        original = getattr(module, self.name)
        setattr(module, self.name, value)
        return original


_POLICY_SERVER = "the offline checker and the policy pack's property reader"
_OFFLINE_RUN = "offline/shortcuts.py"

# Our name -> the internal. Import them from this module by our name.
INTERNALS: dict[str, Internal] = {

    # --- pulumi (the Python SDK): running the program against mocks ------------------------

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

    # MockMonitor.RegisterResource turns the request's inputs into what the mocks see with
    # pulumi.runtime.rpc.deserialize_properties(struct) (secrets as secret markers, unknowns
    # as Unknown), and the mock's answer into the response with serialize_properties(state,
    # deps) (awaited), keeping each in MockMonitor.ResourceRegistration(urn, id, state). The
    # recording monitor does the same when it answers a registration itself (a shortcut).
    "rpc_deserialize_properties": Internal(
        "pulumi.runtime.rpc", "deserialize_properties",
        used_by=f"offline/harness.py RecordingMonitor._answer (inputs that are not plain data), {_OFFLINE_RUN} "
                "answers_in_python"),
    "rpc_serialize_properties": Internal(
        "pulumi.runtime.rpc", "serialize_properties",
        used_by="offline/harness.py RecordingMonitor._answer (an answer that is not plain data)"),

    # pulumi.runtime.proto.resource_pb2.RegisterResourceResponse and Result.SUCCESS: the
    # response the recording monitor answers with when it answers itself, and the result
    # register_resource takes for a success. Generated gRPC code, not an API.
    "RegisterResourceResponse": Internal("pulumi.runtime.proto.resource_pb2", "RegisterResourceResponse",
                                         used_by="offline/harness.py RecordingMonitor._answer"),
    "RESULT_SUCCESS": Internal("pulumi.runtime.proto.resource_pb2", "Result.SUCCESS",
                               used_by="offline/harness.py PythonResponse"),

    # pulumi.output.Unknown: the value the SDK deserializes the wire's unknown value into
    # (UNKNOWN below) in a preview; answers_in_python does the same.
    "Unknown": Internal("pulumi.output", "Unknown", used_by=f"{_OFFLINE_RUN} answers_in_python"),

    # pulumi.runtime.mocks.MockSettings and MockEngine: what the public `set_mocks` builds to
    # configure the runtime. Built here instead, because `set_mocks` also registers a stack
    # resource of its own before the program's (run_in_stack registers the program's).
    "MockSettings": Internal("pulumi.runtime.mocks", "MockSettings",
                             used_by="offline/harness.py configure_mock_runtime"),
    "MockEngine": Internal("pulumi.runtime.mocks", "MockEngine",
                           used_by="offline/harness.py OfflineEngine, configure_mock_runtime"),

    # pulumi.runtime.settings.ROOT: the context variable holding the running program's stack
    # resource. Emptied so that each run in one process (a test session, the benchmark)
    # registers a fresh stack, as each `pulumi preview` does. No public setter.
    "ROOT": Internal("pulumi.runtime.settings", "ROOT",
                     used_by="offline/harness.py configure_mock_runtime"),

    # pulumi.runtime.rpc.UNKNOWN: the wire value of a value not known yet (in a preview). The
    # preview answers a stack reference's secret outputs it cannot decrypt with it, as the
    # engine answers values it does not know. The public API only has unknown Outputs.
    "UNKNOWN": Internal("pulumi.runtime.rpc", "UNKNOWN",
                        used_by="offline/preview.py referenced_stack_outputs (unreadable secret outputs)"),

    # --- pulumi: the offline run's shortcuts (offline/shortcuts.py; docs/performance.md) ---
    # Each is replaced for the length of one offline run and put back afterwards; with the
    # shortcuts switched off none of them is touched.

    # pulumi.runtime.resource.register_resource: registers a resource; its inner do_register
    # hands the monitor call to `asyncio.get_running_loop().run_in_executor(None, ...)`
    # (monitor_calls_inline runs such calls at once) and reads urn, id, result,
    # propertyDependencies, unknown and object of the monitor's response (the recording
    # monitor may answer with harness.PythonResponse, which has just these).
    "register_resource": Internal("pulumi.runtime.resource", "register_resource",
                                  used_by=f"{_OFFLINE_RUN} monitor_calls_inline, offline/harness.py PythonResponse"),

    # pulumi.runtime.resource._get_stack_trace(): walks the Python stack on every
    # registration, for the engine to keep source positions in the state. The mock monitor
    # ignores them and the record holds none, so an offline run swaps in an empty trace.
    # The SDK has no switch for it.
    "get_stack_trace": Internal("pulumi.runtime.resource", "_get_stack_trace",
                                used_by=f"{_OFFLINE_RUN} no_stack_traces"),

    # pulumi.runtime.proto.source_pb2.StackTrace: the protobuf message _get_stack_trace
    # returns (here empty). Generated gRPC code, not an API.
    "StackTrace": Internal("pulumi.runtime.proto.source_pb2", "StackTrace",
                           used_by=f"{_OFFLINE_RUN} no_stack_traces"),

    # pulumi.runtime.mocks._sync_await(awaitable): the mock monitor's own name for the SDK's
    # sync_await, with which it serializes a mock's answer (RegisterResource, Invoke,
    # ReadResource) while the program's event loop waits for it in a thread-pool thread. An
    # offline run calls the monitor on the loop's own thread instead (monitor_calls_inline),
    # where that function would pump the running loop from inside one of its callbacks, and
    # every registration pumped that way nests another: Python's recursion limit within a few
    # hundred resources. So for the run it is replaced by a function that finishes the
    # coroutine without any loop (a mock's answer is plain data: nothing to wait for).
    "mocks_sync_await": Internal("pulumi.runtime.mocks", "_sync_await",
                                 used_by=f"{_OFFLINE_RUN} monitor_calls_inline"),

    # pulumi.runtime.resource.create_urn(name, type_, parent=None, project=None, stack=None):
    # builds a resource's URN as an Output, through a chain of Outputs (Output.all, apply).
    # The SDK calls it on every registration with plain strings, for a URN it only uses when
    # there is no monitor at all. For the run it is replaced by one that builds the same
    # known, non-secret Output directly when every part is a plain string.
    "create_urn": Internal("pulumi.runtime.resource", "create_urn",
                           used_by=f"{_OFFLINE_RUN} plain_urns"),

    # pulumi.runtime.rpc.transfer_properties(res, props, custom) -> {name: resolver}: gives a
    # new resource one Output per property (inputs and outputs) before it is registered, and
    # returns the functions that resolve them, resolve(value, is_known, is_secret, deps,
    # failed). Each Output is built from four futures and a task that gathers them, and
    # tracked by the runtime until it resolves; for the run it is replaced by one that builds
    # each from a single future, untracked: the same values, a fraction of the objects.
    # register_resource calls it as `rpc.transfer_properties`, so replacing the module's
    # attribute reaches it.
    "transfer_properties": Internal("pulumi.runtime.rpc", "transfer_properties",
                                    used_by=f"{_OFFLINE_RUN} single_future_outputs"),

    # pulumi.output._OutputData(resources, value, is_known, is_secret): an Output's resolved
    # state in one object. pulumi.output.Output._from_data(awaitable): the Output built from
    # one future of it (what resource_output uses for `urn` and `id`), which only sets the
    # Output's `_data` to it and tracks it: single_future_outputs does the first.
    "OutputData": Internal("pulumi.output", "_OutputData",
                           used_by=f"{_OFFLINE_RUN} single_future_outputs"),
    "output_from_data": Internal("pulumi.output", "Output._from_data",
                                 used_by=f"{_OFFLINE_RUN} single_future_outputs"),

    # pulumi.runtime.rpc.serialize_property(value, deps, property_key, resource_obj=None,
    # input_transformer=None, typ=None, keep_output_values=False,
    # exclude_resource_refs_from_deps=False, return_protobuf_value=False): turns one input
    # value into its wire form, recursing into lists and objects by its module-level name.
    # For the run it answers plain values (str, int, float, bool, None) at once, as the SDK
    # does after its type checks; everything else still goes through the SDK's function.
    "rpc_serialize_property": Internal("pulumi.runtime.rpc", "serialize_property",
                                       used_by=f"{_OFFLINE_RUN} plain_values_first"),

    # pulumi.runtime.rpc.translate_output_properties(output, output_transformer, typ=None,
    # transform_using_type_metadata=False, path=None, return_none_on_dict_type_mismatch=False):
    # turns one output value from the engine into what the program sees (output types, enum
    # members, ints), recursing into lists and objects by its module-level name; resolve_outputs
    # calls it by that name for every property of every registration. For the run it answers
    # a str, int, float or bool whose declared type keeps it unchanged at once.
    "rpc_translate_output_properties": Internal("pulumi.runtime.rpc", "translate_output_properties",
                                                used_by=f"{_OFFLINE_RUN} plain_outputs_first"),

    # pulumi.runtime.rpc.contains_unknowns(val) -> bool: whether a value holds the Unknown
    # of a preview, looking into objects and lists. serialize_property calls it by that name
    # for every Output it serializes, and pulumi.output (OutputData, Output.future, apply) as
    # `rpc.contains_unknowns`. For the run it answers a plain value at once.
    "rpc_contains_unknowns": Internal("pulumi.runtime.rpc", "contains_unknowns",
                                      used_by=f"{_OFFLINE_RUN} plain_values_known"),

    # pulumi.runtime.settings.is_dry_run(): whether the run is a preview (public as
    # pulumi.runtime.is_dry_run, which is bound at import; the SDK's own modules call it as
    # `settings.is_dry_run()`, resolve_properties for every property). For the run it answers
    # the value it had when the run started.
    "is_dry_run": Internal("pulumi.runtime.settings", "is_dry_run",
                           used_by=f"{_OFFLINE_RUN} dry_run_answered"),

    # pulumi._types.resource_types(resource_cls) -> {pulumi name: type}: a resource class's
    # output types, from its annotations; resolve_outputs calls it (as `_types.resource_types`)
    # on every registration. For the run it is computed once per class.
    "resource_types": Internal("pulumi._types", "resource_types",
                               used_by=f"{_OFFLINE_RUN} resource_types_remembered"),

    # --- pulumi: reading the stack config ------------------------------------------------

    # pulumi.runtime.config.CONFIG: the context variable holding every config value of the
    # running stack. `pulumi.Config` reads one key at a time and cannot list them, which the
    # stack config needs to report a misspelt top-level key.
    "CONFIG": Internal("pulumi.runtime.config", "CONFIG",
                       used_by="config/loading.py load_stack_config (lists the keys set in the stack config)"),

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
                                  used_by=f"policy/props.py get, policy/checker.py run_policy ({_POLICY_SERVER})"),
    **{f"UNKNOWN_{kind}_VALUE": Internal("pulumi_policy.proxy", f"UNKNOWN_{kind}_VALUE",
                                         used_by="policy/props.py is_unknown, policy/checker.py readable_secrets")
       for kind in ("BOOLEAN", "NUMBER", "STRING", "ARRAY", "ASSET", "ARCHIVE", "OBJECT")},
}


def sdk(name: str) -> Any:
    """The object behind one of our names in ``INTERNALS``, looked up once."""
    if name not in _resolved:
        _resolved[name] = INTERNALS[name].resolve()
    return _resolved[name]


_resolved: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``from expressroute_encryption.sdk_internals import <name>`` (PEP 562)."""
    if name not in INTERNALS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return sdk(name)
