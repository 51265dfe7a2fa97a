"""Run the real Pulumi program in-process against the Azure mocks, and record what it did.

This is the engine's side of a preview, done locally: the program is executed exactly
as the Python language host runs it (``run_in_stack`` around ``__main__.py``), but
resource registrations go to a recording mock monitor instead of the Pulumi engine.
The record keeps what the engine would see: type, name, parent, protect, dependencies,
inputs and outputs in wire form, with secrets still marked as secrets.
"""

from __future__ import annotations

import copy
import logging
import runpy
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.settings import get_project, get_stack
from pulumi.runtime.stack import register_stack_transformation, run_in_stack
from pulumi.runtime.sync_await import _sync_await

from components.rotation import whole_numbers
from offline.mocks import AzureMocks
from offline.wire import is_secret, secret

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


@dataclass
class ProgramRun:
    registrations: list[Registration] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def resources(self) -> list[Registration]:
        """Everything but the stack itself."""
        return [r for r in self.registrations if r.type != STACK_TYPE]


def _wire(struct) -> dict[str, Any]:
    """A protobuf Struct as JSON-like data, keeping secret and unknown markers."""
    return whole_numbers(json_format.MessageToDict(struct, preserving_proto_field_name=True))


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping each registration as the engine sees it."""

    def __init__(self, mocks: pulumi_mocks.Mocks, run: ProgramRun) -> None:
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
        return "urn:pulumi:" + "::".join([get_stack(), get_project(), type_, name])

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
        ))
        return response

    def RegisterResourceOutputs(self, request):
        if request.urn.split("::")[2] == STACK_TYPE:
            self.run.stack_outputs = _wire(request.outputs)
        return super().RegisterResourceOutputs(request)


def _without_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Drop a resource's aliases before the SDK computes anything from them (offline only).

    Every azure-native resource class adds dozens of ``Alias(type_=...)`` options (one per
    API version it ever had). For each one the SDK builds Outputs in the resource's
    constructor (the alias URN, for children to inherit) and an alias spec per
    registration: about 60 chains of Outputs and tasks per resource, most of a large
    preview's time and memory. An alias only tells the engine which resource in the
    previous state this one may be; the mock monitor has no previous state and never
    reads ``RegisterResourceRequest.aliases``, and nothing in the record comes from
    them, so dropping them changes nothing a preview reports.

    Registered in ``run_program`` only: ``pulumi up`` and ``pulumi preview`` (the
    language host, never this harness) keep every alias, as the SDK intends."""
    if not args.opts.aliases:
        return None
    opts = copy.copy(args.opts)
    opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, opts)


def _run_main(main: Path) -> None:
    """The program, as the language host runs it, with the offline-only transformation."""
    register_stack_transformation(_without_aliases)
    runpy.run_path(str(main), run_name="__main__")


def run_program(
    project_dir: Path,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    mocks: pulumi_mocks.Mocks | None = None,
) -> ProgramRun:
    """Execute ``project_dir/__main__.py`` as a preview of ``stack`` with ``config``.

    Exceptions from the program (``pulumi.RunError`` for a config error) propagate
    after the runtime has settled, as in the language host."""
    run = ProgramRun()
    monitor = RecordingMonitor(mocks or AzureMocks(), run)
    set_all_config(config, secret_keys)
    pulumi_settings.configure(pulumi_mocks.MockSettings(
        monitor=monitor,
        monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
        engine=pulumi_mocks.MockEngine(logging.getLogger("offline-preview")),
        project=project,
        stack=stack,
        dry_run=True,
        organization="organization",
        callbacks=None,
    ))
    pulumi_settings.ROOT.set(None)  # a fresh stack per run
    main = project_dir / "__main__.py"
    sys.path.insert(0, str(project_dir))
    try:
        _sync_await(run_in_stack(lambda: _run_main(main)))
    finally:
        sys.path.remove(str(project_dir))
    return run

