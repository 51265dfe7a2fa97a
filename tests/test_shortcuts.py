"""The offline run's speed shortcuts (offline/shortcuts.py): each gives what the SDK's own
code gives, all of them are undone after a run, and one switch turns them all off, with
the same record as the result."""

from __future__ import annotations

import asyncio
import enum
import gc
import json
import logging
import re
import threading
import typing

import pulumi
import pulumi.runtime
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc as sdk_rpc

from expressroute_encryption.bench.generate import estate_config
from expressroute_encryption.offline import shortcuts
from expressroute_encryption.offline import wire
from expressroute_encryption.offline.harness import ProgramRun, _wire, configure_mock_runtime, run_program
from expressroute_encryption.offline.mocks import AzureMocks
from expressroute_encryption.sdk_internals import UNKNOWN, MockMonitor, sync_await
from tests.helpers import PROJECT_DIR, base_config, cli_config
from tests.test_sdk_internals import NoMocks, Probe


def state(output):
    """(value, known, secret, resources) of an Output, awaited on the SDK's loop."""
    async def read():
        return (await output.future(), await output.is_known(), await output.is_secret(), await output.resources())
    return sync_await(read())


def sdk_functions() -> tuple:
    """The SDK functions a shortcut replaces for a run."""
    return (sdk_resource._get_stack_trace, sdk_resource.create_urn, sdk_mocks._sync_await, sdk_rpc.transfer_properties)


# --- each shortcut is the SDK's behaviour, and is undone ---------------------------------


def test_no_stack_traces_swaps_the_sdks_function_and_puts_it_back():
    original = sdk_resource._get_stack_trace
    with shortcuts.no_stack_traces():
        assert sdk_resource._get_stack_trace is not original
        assert sdk_resource._get_stack_trace().frames == []
    assert sdk_resource._get_stack_trace is original


def test_monitor_calls_inline_runs_them_on_the_loops_thread_and_puts_the_sdk_back():
    """Hundreds of registrations ready at once, run with the monitor called inline: no
    RecursionError (what a plain inline executor ran into: the mock monitor's _sync_await
    pumped the loop, which ran the next registration inside it, and so on), every call on the
    loop's thread, and afterwards the mock monitor's _sync_await and a thread pool again."""
    threads = set()

    class Recording(NoMocks):
        def new_resource(self, args):
            threads.add(threading.get_ident())
            return super().new_resource(args)

    original = sdk_mocks._sync_await
    monitor = MockMonitor(Recording())
    configure_mock_runtime(monitor, "probe-project", "probe-stack", logging.getLogger("probe"))

    def program():
        for index in range(600):
            pulumi.CustomResource("probe:index:Thing", f"thing{index}", {"n": index})

    with shortcuts.monitor_calls_inline():
        assert sdk_mocks._sync_await is shortcuts.run_without_loop
        sync_await(pulumi.runtime.run_in_stack(program))
    assert threads == {threading.get_ident()}
    assert sdk_mocks._sync_await is original
    on_pool = asyncio.get_event_loop().run_in_executor(None, threading.get_ident)
    assert sync_await(on_pool) != threading.get_ident(), "the executor still runs calls inline"
    assert len(monitor.resources) == 600


def test_run_without_loop_refuses_a_coroutine_that_would_wait():
    async def plain():
        return {"a": 1}

    async def waits():
        await asyncio.sleep(0)

    assert shortcuts.run_without_loop(plain()) == {"a": 1}
    with pytest.raises(RuntimeError, match="would have to wait"):
        shortcuts.run_without_loop(waits())


URN_CASES = [  # (name, type_, parent, project, stack) as the SDK passes them
    ("port1", "azure-native:network:ExpressRoutePort", "urn:pulumi:dev::p::expressroute:index:DirectPort::port1", None, None),
    ("stack", "pulumi:pulumi:Stack", "", None, None),
    ("rg", "azure-native:resources:ResourceGroup", None, "proj", "dev"),
]


@pytest.mark.parametrize("case", URN_CASES)
def test_urn_when_plain_is_the_sdks_urn(case):
    assert state(shortcuts.urn_when_plain(*case)) == state(sdk_resource.create_urn(*case))


def test_urn_when_plain_hands_outputs_to_the_sdk_and_plain_urns_puts_it_back():
    original = sdk_resource.create_urn
    parent = pulumi.Output.secret("urn:pulumi:dev::p::a:b:C::c")
    with shortcuts.plain_urns():
        assert sdk_resource.create_urn is shortcuts.urn_when_plain
        value, _, secret, _ = state(sdk_resource.create_urn("n", "t:u:V", parent))
    assert (value, secret) == ("urn:pulumi:dev::p::a:b:C$t:u:V::n", True), "an Output parent is not the SDK's"
    assert sdk_resource.create_urn is original


RESOLUTIONS = {  # property: (value, is_known, is_secret, extra dependency, failure), as resolve_outputs passes them
    "id": ("component-id", True, False, False, None),  # a component's own `id` property
    "location": ("westeurope", True, False, False, None),
    "sku": ({"tier": "Premium", "family": ["MeteredData"]}, True, True, True, None),
    "serviceKey": (None, False, False, False, None),
    "peerings": (None, False, False, True, ValueError("the registration failed")),
}


@pytest.fixture
def fresh_runtime():
    """A runtime of its own: the failed Outputs a test leaves are waited for by the next
    program run in the process, unless the runtime is configured afresh."""
    configure_mock_runtime(MockMonitor(NoMocks()), "probe-project", "probe-stack", logging.getLogger("probe"))
    yield
    configure_mock_runtime(MockMonitor(NoMocks()), "probe-project", "probe-stack", logging.getLogger("probe"))


@pytest.mark.parametrize("custom", [True, False])
def test_single_future_outputs_resolve_as_the_sdks(custom, fresh_runtime):
    """The same properties get Outputs (not `urn`, nor a custom resource's `id`), and each
    resolution gives the same state (value, known, secret, dependencies: the resource and
    the given ones), or the same failure."""
    def outputs_after(transfer) -> tuple[list[str], dict]:
        res, other = Probe(), Probe()

        async def run():
            resolvers = transfer(res, dict.fromkeys(["urn", *RESOLUTIONS]), custom)
            for key, resolve in resolvers.items():
                value, known, secret, extra, failed = RESOLUTIONS[key]
                resolve(value, known, secret, {other} if extra else None, failed)
            found = {}
            for key in resolvers:
                try:
                    value, known, secret, resources = await state_of(res.__dict__[key])
                    found[key] = (value, known, secret, {"res" if r is res else "other" for r in resources})
                except ValueError as exc:
                    found[key] = str(exc)
            return sorted(resolvers), found

        return sync_await(run())

    async def state_of(output):
        return (await output.future(), await output.is_known(), await output.is_secret(), await output.resources())

    ours = outputs_after(shortcuts.transfer_properties_single_future)
    assert ours == outputs_after(sdk_rpc.transfer_properties)
    assert ("id" in ours[0]) is not custom and ours[1]["peerings"] == "the registration failed"
    original = sdk_rpc.transfer_properties
    with shortcuts.single_future_outputs():
        assert sdk_rpc.transfer_properties is shortcuts.transfer_properties_single_future
    assert sdk_rpc.transfer_properties is original


# --- plain values and the mocks' answers, in Python ---------------------------------------

KEYS = st.text(alphabet="abcXY_-$", max_size=6)
PLAIN = st.one_of(st.none(), st.booleans(), st.integers(-(2 ** 60), 2 ** 60), st.text(max_size=5),
                  st.floats(allow_nan=False, allow_infinity=False), st.just(UNKNOWN))
WIRE_VALUES = st.recursive(PLAIN, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4), inner.map(wire.secret)), max_leaves=25)
ANSWERS = st.dictionaries(KEYS, WIRE_VALUES, max_size=6)


def typed(value):
    """A value with the type of every leaf spelt out (10 and 10.0 differ), Unknown by name."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return type(value).__name__, value if type(value).__name__ != "Unknown" else None


@given(st.one_of(PLAIN, st.lists(PLAIN, max_size=3), st.dictionaries(KEYS, PLAIN, max_size=3)),
       st.sampled_from([None, str, int, float, bool, list, dict, typing.Any, typing.Optional[str],
                        typing.List[str], typing.Dict[str, str], typing.Mapping[str, typing.Any]]))
def test_plain_values_serialize_as_the_sdk_serializes_them(value, typ):
    """The same result, or the same refusal (a list declared as a string)."""
    def outcome(serialize):
        try:
            return typed(shortcuts.run_without_loop(serialize(value, [], "key", None, None, typ)))
        except AssertionError as exc:
            return str(exc)

    sdks = outcome(sdk_rpc.serialize_property)
    with shortcuts.plain_values_first():
        assert outcome(sdk_rpc.serialize_property) == sdks


class Sku(str, enum.Enum):
    STANDARD = "Standard"


class Level(enum.IntEnum):
    ONE = 1


OUTPUT_TYPES = [None, str, int, float, bool, list, dict, typing.Any, typing.Optional[str], typing.Optional[int],
                typing.Optional[float], typing.Optional[bool], Sku, typing.Optional[Sku], Level, typing.Union[str, int],
                typing.List[str], typing.Dict[str, int], "str"]


@given(st.one_of(PLAIN, st.sampled_from(["Standard", 1, 1.0, True])), st.sampled_from(OUTPUT_TYPES))
def test_plain_outputs_translate_as_the_sdk_translates_them(value, typ):
    """The same value of the same type (an enum member, an int of a float), or the same
    refusal (an enum that has no such value)."""
    def outcome(translate):
        try:
            return typed(translate(value, lambda key: key, typ))
        except (ValueError, AssertionError, TypeError) as exc:
            return type(exc).__name__, str(exc)

    assert outcome(shortcuts.translate_plain_first(sdk_rpc.translate_output_properties)) == \
        outcome(sdk_rpc.translate_output_properties)
    original = sdk_rpc.translate_output_properties
    with shortcuts.plain_outputs_first():
        assert sdk_rpc.translate_output_properties is not original
    assert sdk_rpc.translate_output_properties is original


@given(WIRE_VALUES)
def test_unknowns_are_found_as_the_sdk_finds_them(value):
    from pulumi.output import UNKNOWN as unknown

    for candidate in (value, [value, unknown], {"k": value}):
        assert shortcuts.plain_first_contains_unknowns(sdk_rpc.contains_unknowns)(candidate) == \
            sdk_rpc.contains_unknowns(candidate)
    original = sdk_rpc.contains_unknowns
    with shortcuts.plain_values_known():
        assert sdk_rpc.contains_unknowns is not original
    assert sdk_rpc.contains_unknowns is original


@pytest.mark.parametrize("preview", [True, False])
def test_a_run_is_a_preview_or_not_as_configured(preview):
    from pulumi.runtime import settings

    configure_mock_runtime(MockMonitor(NoMocks()), "probe-project", "probe-stack", logging.getLogger("probe"), preview)
    original = settings.is_dry_run
    with shortcuts.dry_run_answered():
        assert settings.is_dry_run is not original and settings.is_dry_run() is preview
    assert settings.is_dry_run is original and settings.is_dry_run() is preview


def test_a_plain_urn_is_the_sdks_known_output(fresh_runtime):
    async def both():
        return await state_of(shortcuts.known_output("urn:x")), await state_of(pulumi.Output.from_input("urn:x"))

    async def state_of(output):
        return (await output.future(), await output.is_known(), await output.is_secret(), await output.resources())

    ours, sdks = sync_await(both())
    assert ours == sdks == ("urn:x", True, False, set())


@settings(max_examples=300)
@given(ANSWERS, st.sampled_from([None, True, False]))
def test_an_answer_in_python_is_what_the_sdk_makes_of_its_struct(state, keep_unknowns):
    """The record's reading of the mock monitor's response (harness._wire), and what the
    SDK's deserialize_properties gives of it, from the mock's plain data without a Struct:
    the same values of the same types (whole numbers, floats, secrets pushed up to the
    object or list holding them, the unknown value, None left out)."""
    struct = shortcuts.run_without_loop(sdk_rpc.serialize_properties(state, {}))
    recorded = shortcuts.recorded_answer(state)
    assert typed(dict(recorded)) == typed(_wire(struct))
    deserialize = shortcuts.deserialize_answers_in_python(sdk_rpc.deserialize_properties)
    assert typed(deserialize(recorded, keep_unknowns)) == typed(sdk_rpc.deserialize_properties(struct, keep_unknowns))
    assert typed(shortcuts.deserialized(recorded, keep_unknowns)) == \
        typed(sdk_rpc.deserialize_properties(struct, keep_unknowns))


class EnumLike(str, enum.Enum):
    A = "a"


@pytest.mark.parametrize("state", [
    {"asset": {wire.SECRET_SIG: "c44067f5952c0a294b673a41bacd8c17", "text": "x"}},  # an asset
    {"ref": {wire.SECRET_SIG: "5cf8f73096256a8f31e491e813e4eb8e", "urn": "urn:x"}},  # a resource reference
    {"secret": {wire.SECRET_SIG: wire.SECRET_VALUE, "value": 1, "more": 2}},
    {"tuple": (1, 2)}, {"nan": float("nan")}, {"enum": EnumLike.A}, {1: "a key that is not a string"},
])
def test_anything_but_plain_data_goes_the_sdks_way(state):
    with pytest.raises(shortcuts.NotPlain):
        shortcuts.recorded_answer(state)


# --- the switch ----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "enabled"), [(None, True), ("1", True), ("", True), ("0", False), ("false", False),
                                                ("OFF", False), ("no", False)])
def test_the_environment_variable_switches_them(monkeypatch, value, enabled):
    if value is None:
        monkeypatch.delenv(shortcuts.ENVIRONMENT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(shortcuts.ENVIRONMENT_VARIABLE, value)
    assert shortcuts.enabled_by_environment() is enabled


class Observing(AzureMocks):
    """Notes, at each registration, whether the shortcuts were in force."""

    def __init__(self):
        super().__init__()
        self.seen: set[tuple[bool, bool]] = set()

    def new_resource(self, args):
        self.seen.add((threading.get_ident() == threading.main_thread().ident, gc.isenabled()))
        return super().new_resource(args)


SMALL = estate_config(1, circuits_per_port=2)  # a port, its circuits, the VPN, monitoring, locks and tags
SMALL_STACK = {k: v if isinstance(v, str) else json.dumps(v) for k, v in SMALL.items()}


def run_small(**kw) -> ProgramRun:
    return run_program(PROJECT_DIR, "expressroute-encryption", "bench", SMALL_STACK, [], **kw)


@pytest.mark.parametrize(("argument", "environment", "taken"), [
    (None, None, True), (None, "0", False), (False, None, False), (True, "0", True)])
def test_run_program_takes_them_as_the_argument_or_else_the_environment_says(monkeypatch, argument, environment, taken):
    if environment is None:
        monkeypatch.delenv(shortcuts.ENVIRONMENT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(shortcuts.ENVIRONMENT_VARIABLE, environment)
    before, collecting = sdk_functions(), gc.isenabled()
    mocks = Observing()
    run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(base_config()), [],
                mocks=mocks, shortcuts=argument)
    # Taken: the monitor is called on the loop's thread and no collection runs; otherwise a
    # pool thread calls it, as under the SDK's own code.
    assert mocks.seen == ({(True, False)} if taken else {(False, True)})
    assert sdk_functions() == before and gc.isenabled() == collecting


@pytest.mark.smoke
def test_with_the_shortcuts_off_the_record_is_the_same():
    """The same stack run both ways registers the same resources with the same type, name,
    parent, protect, dependencies, inputs and outputs, and the same stack outputs. (The order
    of registrations, and of each dependency list, follows the event loop in either.)"""
    def record(run: ProgramRun) -> tuple[dict, dict]:
        by_urn = {}
        for reg in run.registrations:
            entry = dict(vars(reg))
            entry["dependencies"] = sorted(entry["dependencies"])
            by_urn[reg.urn] = entry
        return by_urn, run.stack_outputs

    fast, slow = record(run_small(shortcuts=True)), record(run_small(shortcuts=False))
    assert len(fast[0]) > 50 and fast[1]["ports"]
    assert sorted(fast[0]) == sorted(slow[0])
    for urn in fast[0]:
        assert fast[0][urn] == slow[0][urn], urn
    assert fast[1] == slow[1]


class Unusual(AzureMocks):
    """Answers holding what is not plain data (a tuple, an enum), which the SDK serializes."""

    def new_resource(self, args):
        resource_id, state = super().new_resource(args)
        if args.typ == "azure-native:network:ExpressRoutePort":
            state = {**state, "pair": ("a", 1), "kind": EnumLike.A}
        return resource_id, state


def test_an_answer_that_is_not_plain_data_is_recorded_as_without_the_shortcuts():
    def port_outputs(taken: bool) -> dict:
        run = run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(base_config()), [],
                          mocks=Unusual(), shortcuts=taken)
        return next(r.outputs for r in run.resources if r.type == "azure-native:network:ExpressRoutePort")

    taken = port_outputs(True)
    assert taken == port_outputs(False) and taken["pair"] == ["a", 1] and taken["kind"] == "a"


class Refusing(AzureMocks):
    """Azure refusing the port: its registration fails, and everything waiting on its outputs."""

    def new_resource(self, args):
        if args.typ == "azure-native:network:ExpressRoutePort":
            raise ValueError(f"refused: {args.name}")
        return super().new_resource(args)


def test_a_failed_registration_fails_the_run_the_same_way():
    def failure(taken: bool) -> tuple[type, str]:
        with pytest.raises(Exception) as raised:
            run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(base_config()), [],
                        mocks=Refusing(), shortcuts=taken)
        return type(raised.value), re.sub(r" at 0x[0-9a-f]+", "", str(raised.value))  # objects' addresses

    taken = failure(True)
    assert taken == failure(False)
    assert taken[0] is ValueError and taken[1].endswith("refused: port-a")


def test_a_run_leaves_the_sdk_and_the_collector_as_they_were():
    threshold, collecting, before = gc.get_threshold(), gc.isenabled(), sdk_functions()
    run_small()
    assert (gc.get_threshold(), gc.isenabled(), sdk_functions()) == (threshold, collecting, before)
    on_pool = asyncio.get_event_loop().run_in_executor(None, threading.get_ident)
    assert sync_await(on_pool) != threading.get_ident(), "monitor calls still run inline"
