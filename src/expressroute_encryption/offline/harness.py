"""Run the real Pulumi program in-process against the Azure mocks, and record what it did.

This is the engine's side of a preview, done locally: the program is executed exactly
as the Python language host runs it (``run_in_stack`` around ``__main__.py``), but
resource registrations go to a recording mock monitor instead of the Pulumi engine.
The record keeps what the engine would see: type, name, parent, protect, dependencies,
inputs and outputs in wire form, with secrets still marked as secrets.

For speed, a run takes the shortcuts of ``offline/shortcuts.py`` (all behind one
switch, on by default): none of them changes what is registered or recorded.
"""

from __future__ import annotations

import contextlib
import logging
import math
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import Mocks, MockResourceArgs, register_stack_transformation, run_in_stack, set_all_config

from expressroute_encryption.offline import shortcuts as shortcuts_module
from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.offline.wire import is_secret, secret
from expressroute_encryption.sdk_internals import (
    RESULT_SUCCESS, ROOT, MockEngine, MockMonitor, MockSettings, RegisterResourceResponse, rpc_deserialize_properties,
    rpc_serialize_properties, sync_await,
)

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
    read straight from the message rather than through json_format's generic walk over
    descriptors (docs/performance.md). A test compares the two."""
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


@dataclass
class PythonResponse:
    """A RegisterResourceResponse as the SDK's register_resource reads it (urn, id, object,
    propertyDependencies, result, unknown), whose object is a ``shortcuts.PlainAnswer``."""

    urn: str
    id: str
    object: Any
    propertyDependencies: Any = None
    result: int = RESULT_SUCCESS
    unknown: bool = False


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor (an SDK internal: sdk_internals.py), also keeping each
    registration as the engine sees it.

    While the offline run's shortcuts are on (``shortcuts.answers_in_python``) it answers a
    registration itself, as the SDK's mock monitor does, but with the mock's plain data as the
    record reads it instead of a protobuf response (``shortcuts.recorded_answer``,
    ``PythonResponse``)."""

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

    def _answer(self, request, inputs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """What MockMonitor.RegisterResource does for a resource (``inputs``: the record's),
        and the record's outputs."""
        urn = self.make_urn(request.parent, request.type, request.name)
        try:
            mock_view = shortcuts_module.deserialized(inputs)
        except shortcuts_module.NotPlain:
            mock_view = rpc_deserialize_properties(request.object)
        args = MockResourceArgs(typ=request.type, name=request.name, inputs=mock_view, provider=request.provider,
                                resource_id=request.importId, custom=request.custom or False, transforms=[])
        resource_id, state = self.mocks.new_resource(args)
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        try:
            outputs = shortcuts_module.recorded_answer(state)
        except shortcuts_module.NotPlain:
            struct = shortcuts_module.run_without_loop(rpc_serialize_properties(state, {}))
            return RegisterResourceResponse(urn=urn, id=resource_id, object=struct), _wire(struct)
        return PythonResponse(urn, resource_id, outputs), dict(outputs)

    def RegisterResource(self, request):
        inputs = _wire(request.object)
        if shortcuts_module.answering_in_python() and request.type != STACK_TYPE and not request.transforms:
            response, outputs = self._answer(request, inputs)
        else:
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
            inputs=inputs,
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


class OfflineEngine(MockEngine):
    """The SDK's mock engine, standing in for the Pulumi CLI pinned in requirements.txt: it
    also answers the program's CLI version check (``pulumi.require_pulumi_version``), which
    the mock engine leaves unimplemented (the offline preview has no CLI)."""

    def RequirePulumiVersion(self, request) -> None:
        return None


def configure_mock_runtime(monitor: Any, project: str, stack: str, logger: logging.Logger,
                           dry_run: bool = True) -> None:
    """Point the SDK at ``monitor`` for a preview of ``project``/``stack``, with no stack
    resource yet (the program's ``run_in_stack`` registers it): what the public
    ``set_mocks`` does, minus a stack of its own, and with no Outputs left over from an
    earlier run in the process (``Settings.__init__`` starts that set empty, ``MockSettings``
    keeps the last one; the program's end waits for, and fails on, every one in it)."""
    pulumi.runtime.configure(MockSettings(
        outputs=set(),
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=OfflineEngine(logger),
        project=project,
        stack=stack,
        dry_run=dry_run,
        organization="organization",
        callbacks=None,
    ))
    ROOT.set(None)


def _run_main(main: Path, transformations: list[Callable]) -> None:
    """The program, as the language host runs it, after the offline run's transformations."""
    for transformation in transformations:
        register_stack_transformation(transformation)
    runpy.run_path(str(main), run_name="__main__")


def run_program(
    project_dir: Path,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    mocks: Mocks | None = None,
    dry_run: bool = True,
    shortcuts: bool | None = None,
) -> ProgramRun:
    """Execute ``project_dir/__main__.py`` as a preview of ``stack`` with ``config`` (or, with
    ``dry_run=False``, as the program runs in `pulumi up`, for tests of that path).

    ``shortcuts``: take the offline run's speed shortcuts (``offline/shortcuts.py``); None
    means on unless the environment says otherwise (EXPRESSROUTE_ENCRYPTION_SHORTCUTS=0).

    Exceptions from the program (``pulumi.RunError`` for a config error) propagate
    after the runtime has settled, as in the language host."""
    enabled = shortcuts_module.enabled_by_environment() if shortcuts is None else shortcuts
    run = ProgramRun()
    monitor = RecordingMonitor(mocks or AzureMocks(), run)
    set_all_config(config, secret_keys)
    configure_mock_runtime(monitor, project, stack, logging.getLogger("offline-preview"), dry_run)  # a fresh stack per run
    main = project_dir / "__main__.py"
    sys.path.insert(0, str(project_dir))
    # The change gate's Azure Monitor reads are the mocks' to answer too.
    from expressroute_encryption import live_reads

    answers = live_reads.answered_offline(monitor.mocks) if hasattr(monitor.mocks, "gate_decided") \
        else contextlib.nullcontext()
    try:
        with shortcuts_module.applied(enabled) as transformations, answers:
            sync_await(run_in_stack(lambda: _run_main(main, transformations)))
    finally:
        sys.path.remove(str(project_dir))
    return run

