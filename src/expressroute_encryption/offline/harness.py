"""Run the real Pulumi program in-process against the Azure mocks, and record what it did.

This is the engine's side of a preview, done locally: the program is executed exactly
as the Python language host runs it (``run_in_stack`` around ``__main__.py``), but
resource registrations go to a recording mock monitor instead of the Pulumi engine.
The record keeps what the engine would see: type, name, parent, protect, dependencies,
inputs and outputs in wire form, with secrets still marked as secrets.

For speed, a run skips SDK work whose only consumer is the engine (aliases, stack
traces) and spares the garbage collector pointless work; see "Offline-only shortcuts"
below and docs/performance.md. None of it changes what is registered or recorded.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import logging
import math
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pulumi
from pulumi.runtime import Mocks, register_stack_transformation, run_in_stack, set_all_config

from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.offline.sdk_internals import (
    MockMonitor, configure_mock_runtime, monitor_calls_inline, no_stack_traces, plain_urns, sync_await,
)
from expressroute_encryption.offline.wire import is_secret, secret

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One resource as the engine would have received it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    protect: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str = ""
    # Output names the engine stores as secrets whatever the provider returns.
    additional_secret_outputs: list[str] = field(default_factory=list)
    import_id: str = ""
    """The ``import`` option: the ARM id of an existing resource the deployment adopts."""
    ignore_changes: list[str] = field(default_factory=list)


@dataclass
class ProgramRun:
    registrations: list[Registration] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def resources(self) -> list[Registration]:
        """Everything but the stack itself."""
        return [r for r in self.registrations if r.type != STACK_TYPE]


def _wire(struct) -> dict[str, Any]:
    """A protobuf Struct as JSON-like data, keeping secret and unknown markers: what
    ``json_format.MessageToDict`` gives, with whole numbers as ints (``whole_numbers``),
    read straight from the message (json_format's generic walk over descriptors cost
    about 4% of a large preview, twice per registration). A test compares the two."""
    return {key: _wire_value(value) for key, value in struct.fields.items()}


def _wire_value(value) -> Any:
    """One ``google.protobuf.Value``, as ``_wire`` reads it."""
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return _wire(value.struct_value)
    if kind == "list_value":
        return [_wire_value(item) for item in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number) or math.isnan(number):  # as json_format refuses them
            raise ValueError(f"Fail to serialize {number} for Value.number_value")
        return int(number) if number.is_integer() else number
    return None  # null_value, or a Value with nothing set (json_format: null as well)


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor (an SDK internal: offline/sdk_internals.py), also keeping each
    registration as the engine sees it."""

    def __init__(self, mocks: Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self.run = run

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the engine builds them: the parent's whole qualified type chain,
        and no prefix for children of the stack (the SDK's mock keeps only the last
        segment and prefixes the stack's type)."""
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != STACK_TYPE:
                type_ = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        outputs = _wire(response.object) if request.type != STACK_TYPE else {}
        # The engine stores additionalSecretOutputs as secrets in the state.
        for key in request.additionalSecretOutputs:
            if key in outputs and not is_secret(outputs[key]):
                outputs[key] = secret(outputs[key])
        self.run.registrations.append(Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=request.custom,
            parent=request.parent,
            protect=bool(request.protect),
            dependencies=list(request.dependencies),
            inputs=_wire(request.object),
            outputs=outputs,
            id=response.id,
            additional_secret_outputs=list(request.additionalSecretOutputs),
            import_id=request.importId,
            ignore_changes=list(request.ignoreChanges),
        ))
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn.split("::")[2] == STACK_TYPE:
            self.run.stack_outputs = _wire(request.outputs)
        return super().RegisterResourceOutputs(request)


# ---------------------------------------------------------------------------------------
# Offline-only shortcuts (see docs/performance.md).
#
# The program registers every resource with the SDK exactly as under `pulumi preview`;
# these only skip SDK work whose sole consumer is the Pulumi engine, which is not here,
# and spare the garbage collector work that frees nothing. run_program applies them for
# one run, and puts the SDK back as it was afterwards. `pulumi up` and `pulumi preview`
# run __main__.py in the language host, which never imports this module: the real path
# keeps the SDK's behaviour, aliases and stack traces included.


def _without_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Drop a provider resource's aliases before the SDK computes anything from them.

    Every azure-native resource class adds dozens of ``Alias(type_=...)`` options (one per
    API version the type ever had, about 60 for a circuit). For each one the SDK builds
    Outputs in the resource's constructor (the alias URN, for children to inherit) and an
    alias spec at registration: chains of Outputs and tasks that made up most of a large
    preview's time and memory. An alias only tells the engine which resource of the
    previous state this one may be; the mock monitor has no previous state and never
    reads ``RegisterResourceRequest.aliases``, and nothing in the record comes from them,
    so dropping them changes nothing a preview reports. Components (custom=False) keep
    theirs: they are this project's own (a renamed component's old type), and few."""
    if not args.opts.aliases or not isinstance(args.resource, pulumi.CustomResource):
        return None
    opts = copy.copy(args.opts)
    opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, opts)


# Whether the objects of the last run were moved to the collector's permanent generation.
_last_run_frozen = False


@contextlib.contextmanager
def _offline_runtime() -> Iterator[None]:
    """For the length of one run (entered once the runtime is configured for it):

    - No stack traces: for every registration the SDK walks the Python stack
      (``traceback.extract_stack``) and sends it as ``stackTrace``/``sourcePosition`` for
      the engine to keep in the state. The mock monitor ignores both and the record holds
      neither, so the SDK is handed an empty trace (``no_stack_traces``: the SDK has no
      switch for this, so its private ``_get_stack_trace`` is replaced for the run; see
      offline/sdk_internals.py).
    - Monitor calls inline: the SDK hands every call to the monitor to a thread pool, and
      waits for it on the event loop; against the in-process mock monitor they run at
      once on the loop's thread instead (``monitor_calls_inline``, offline/sdk_internals.py).
      Each registration still completes through the future the SDK awaits.
    - Plain URNs: the SDK builds each resource's URN through a chain of Outputs for a
      value only used without a monitor; for plain strings it is built directly
      (``plain_urns``, offline/sdk_internals.py), the same value.
    - No automatic garbage collection: a run keeps every Output, future and task of the
      program alive until it ends (tens of thousands for a large estate), so collections
      walk a growing heap, azure-native's classes included, and free nearly nothing.
      Full collections were about a third of a large preview before the first change;
      with monitoring on, the young and middle generations' were still about a fifth
      (1.3 s, measured with ``gc.callbacks``) and freed 7 MB of the large preview's
      peak (296 MB with none, 289 MB with young collections; the target is < 300 MB).
      The reference cycles a run leaves are freed with the rest below.
    - Afterwards, everything alive is moved to the permanent generation (``gc.freeze``):
      the runtime keeps the program's objects until the next run configures it afresh,
      and the preview's report and policy check would otherwise have the collector walk
      them, and the modules, again and again (about 0.3 s of a large preview). The next
      run gives them back (``gc.unfreeze``) and collects them once they are garbage, so
      a process running many programs (the tests) frees every run's objects as before.
      (This assumes nothing else in the process uses ``gc.freeze``.)"""
    global _last_run_frozen
    if _last_run_frozen:
        _last_run_frozen = False
        gc.unfreeze()
        gc.collect()
    collecting = gc.isenabled()
    gc.disable()
    try:
        with no_stack_traces(), monitor_calls_inline(), plain_urns():
            yield
    finally:
        if collecting:
            gc.enable()
        gc.freeze()
        _last_run_frozen = True


def _run_main(main: Path) -> None:
    """The program, as the language host runs it, with the offline transformation."""
    register_stack_transformation(_without_aliases)
    runpy.run_path(str(main), run_name="__main__")


def run_program(
    project_dir: Path,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    mocks: Mocks | None = None,
    dry_run: bool = True,
) -> ProgramRun:
    """Execute ``project_dir/__main__.py`` as a preview of ``stack`` with ``config`` (or, with
    ``dry_run=False``, as the program runs in `pulumi up`, for tests of that path).

    Exceptions from the program (``pulumi.RunError`` for a config error) propagate
    after the runtime has settled, as in the language host."""
    run = ProgramRun()
    monitor = RecordingMonitor(mocks or AzureMocks(), run)
    set_all_config(config, secret_keys)
    configure_mock_runtime(monitor, project, stack, logging.getLogger("offline-preview"), dry_run)  # a fresh stack per run
    main = project_dir / "__main__.py"
    sys.path.insert(0, str(project_dir))
    try:
        with _offline_runtime():
            sync_await(run_in_stack(lambda: _run_main(main)))
    finally:
        sys.path.remove(str(project_dir))
    return run

