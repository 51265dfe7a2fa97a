"""The Pulumi SDK internals this project relies on (offline/sdk_internals.py) are still there
and still behave as used. Run after every upgrade of pulumi or pulumi-policy: a failure
names the internal that changed and the code that uses it."""

from __future__ import annotations

import ast
import contextvars
import importlib.metadata
import inspect
import logging
from pathlib import Path

import pulumi
import pulumi.runtime
import pulumi_policy
import pytest

from expressroute_encryption.offline import sdk_internals, wire
from expressroute_encryption.offline.sdk_internals import INTERNALS
from tests.helpers import REPO


def parameters(function) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


class NoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return args.name + "-id", args.inputs

    def call(self, args):
        return {}, None


def check_sync_await(sync_await):
    assert parameters(sync_await) == ["awaitable"], f"parameters are {parameters(sync_await)}"

    async def answer():
        return 42

    assert sync_await(answer()) == 42, "it does not return the coroutine's result"


def check_mock_monitor(monitor_class):
    assert parameters(monitor_class.__init__) == ["mocks"], f"__init__ takes {parameters(monitor_class.__init__)}"
    assert parameters(monitor_class.make_urn) == ["parent", "type_", "name"], \
        f"make_urn takes {parameters(monitor_class.make_urn)}"
    for method in ("RegisterResource", "RegisterResourceOutputs", "GetDeploymentInfo"):
        assert parameters(getattr(monitor_class, method)) == ["request"], f"{method} takes other parameters"
    features = set(monitor_class(NoMocks()).GetDeploymentInfo(None).supportedFeatures)
    assert features, "GetDeploymentInfo(None).supportedFeatures is empty"


def check_mock_settings(settings_class):
    assert issubclass(settings_class, pulumi.runtime.Settings), "no longer a pulumi.runtime.Settings"
    accepted = set(parameters(pulumi.runtime.Settings.__init__))
    needed = {"monitor", "engine", "project", "stack", "dry_run", "organization"}
    assert needed <= accepted, f"Settings no longer takes {sorted(needed - accepted)}"


def check_mock_engine(engine_class):
    assert parameters(engine_class.__init__) == ["logger"], f"__init__ takes {parameters(engine_class.__init__)}"


def check_context_var(holding: type):
    def check(variable):
        assert isinstance(variable, contextvars.ContextVar), f"not a ContextVar but {type(variable).__name__}"
        if holding is dict:
            pulumi.runtime.set_all_config({"sdk-internals:probe": "1"})
            assert variable.get().get("sdk-internals:probe") == "1", "set_all_config does not fill it"
    return check


def check_get_stack_trace(get_stack_trace):
    from pulumi.runtime.proto import source_pb2

    assert parameters(get_stack_trace) == [], f"it takes {parameters(get_stack_trace)}"
    assert isinstance(get_stack_trace(), source_pb2.StackTrace), "it no longer returns a StackTrace"


def check_mocks_sync_await(sync_await):
    from pulumi.runtime import mocks
    from pulumi.runtime.sync_await import _sync_await

    assert sync_await is _sync_await, "the mock monitor no longer uses the SDK's _sync_await"
    for method in ("RegisterResource", "Invoke", "ReadResource"):
        names = getattr(mocks.MockMonitor, method).__code__.co_names
        assert "_sync_await" in names, f"MockMonitor.{method} no longer calls it by that name"


def output_state(output):
    """(value, known, secret, resources) of an Output, awaited on the SDK's loop."""
    async def state():
        return (await output.future(), await output.is_known(), await output.is_secret(), await output.resources())
    return sdk_internals.sync_await(state())


URN_CASES = [  # (name, type_, parent, project, stack) as the SDK passes them
    ("port1", "azure-native:network:ExpressRoutePort", "urn:pulumi:dev::p::expressroute:index:DirectPort::port1", None, None),
    ("stack", "pulumi:pulumi:Stack", "", None, None),
    ("rg", "azure-native:resources:ResourceGroup", None, "proj", "dev"),
]


def check_create_urn(create_urn):
    assert parameters(create_urn) == ["name", "type_", "parent", "project", "stack"], f"it takes {parameters(create_urn)}"
    value, known, secret, resources = output_state(create_urn(*URN_CASES[0]))
    assert value == "urn:pulumi:dev::p::expressroute:index:DirectPort$azure-native:network:ExpressRoutePort::port1"
    assert (known, secret, resources) == (True, False, set())


def check_stack_trace(stack_trace):
    assert stack_trace().frames == [], "an empty StackTrace has frames"


def check_configure_mock_runtime():
    """The function built on MockSettings, MockEngine and ROOT does what run_program needs."""
    monitor = INTERNALS["MockMonitor"].resolve()(NoMocks())
    sdk_internals.configure_mock_runtime(monitor, "probe-project", "probe-stack", logging.getLogger("probe"))
    assert (pulumi.get_project(), pulumi.get_stack()) == ("probe-project", "probe-stack")
    assert pulumi.runtime.is_dry_run() is True
    assert pulumi.runtime.get_root_resource() is None, "a stack resource is already registered"


def check_equals(expected):
    def check(value):
        assert value == expected, f"it is {value!r}, not {expected!r}"
    return check


def check_not_applicable(error_class):
    assert issubclass(error_class, Exception)
    for args_class in (pulumi_policy.ResourceValidationArgs, pulumi_policy.StackValidationArgs):
        with pytest.raises(error_class):
            args_class.not_applicable(None, "probe")  # the method does not use self


def check_deserialize_properties(deserialize):
    secret = {wire.SECRET_SIG: wire.SECRET_VALUE, "value": "x"}
    assert deserialize({"a": {"b": [1, "two"]}, "s": secret}) == {"a": {"b": [1, "two"]}, "s": "x"}, \
        "plain values or secrets come out differently"


def check_unknown_checking_proxy(proxy):
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

    props = proxy({"known": "v", "unknown": UNKNOWN_STRING_VALUE, "list": [1]})
    assert props["known"] == "v" and list(props["list"]) == [1]
    with pytest.raises(UnknownValueError):
        props["unknown"]


def check_unknown_value_error(error_class):
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

    assert issubclass(error_class, Exception)
    with pytest.raises(error_class) as raised:
        unknown_checking_proxy({"ip": UNKNOWN_STRING_VALUE})["ip"]
    assert "can't be known during preview" in raised.value.message, "its .message (the checker reports it) changed"


def check_unknown_sentinel(value):
    assert isinstance(value, str) and len(value) == 36, f"not a UUID string: {value!r}"


# One check per internal; a new internal without a check fails test_every_internal_has_a_check.
CHECKS = {
    "sync_await": check_sync_await,
    "MockMonitor": check_mock_monitor,
    "MockSettings": check_mock_settings,
    "MockEngine": check_mock_engine,
    "ROOT": check_context_var(object),
    "get_stack_trace": check_get_stack_trace,
    "StackTrace": check_stack_trace,
    "mocks_sync_await": check_mocks_sync_await,
    "create_urn": check_create_urn,
    # The wire protocol's unknown value; the policy SDK's string sentinel is the same.
    "UNKNOWN": check_equals("04da6b54-80e4-46f7-96ec-b56ff0331ba9"),
    "CONFIG": check_context_var(dict),
    "NotApplicableError": check_not_applicable,
    "deserialize_properties": check_deserialize_properties,
    # The secret marker, as offline/wire.py writes it for the engine's side.
    "SPECIAL_SIG_KEY": check_equals(wire.SECRET_SIG),
    "SPECIAL_SECRET_SIG": check_equals(wire.SECRET_VALUE),
    "unknown_checking_proxy": check_unknown_checking_proxy,
    "UnknownValueError": check_unknown_value_error,
    **{f"UNKNOWN_{kind}_VALUE": check_unknown_sentinel
       for kind in ("BOOLEAN", "NUMBER", "ARRAY", "ASSET", "ARCHIVE", "OBJECT")},
    "UNKNOWN_STRING_VALUE": check_equals("04da6b54-80e4-46f7-96ec-b56ff0331ba9"),
}


def test_every_internal_has_a_check():
    assert set(CHECKS) == set(INTERNALS)


@pytest.mark.parametrize("name", sorted(INTERNALS))
def test_sdk_internal_is_still_there_and_behaves_as_used(name):
    internal = INTERNALS[name]
    versions = ", ".join(f"{sdk} {importlib.metadata.version(sdk)}" for sdk in ("pulumi", "pulumi-policy"))
    try:
        value = internal.resolve()
        CHECKS[name](value)
    except (ImportError, AssertionError, TypeError, AttributeError, pytest.fail.Exception) as exc:
        pytest.fail(f"Pulumi SDK internal {internal} changed in the installed SDK ({versions}): {exc}. "
                    f"It is used by {internal.used_by}; see src/expressroute_encryption/offline/sdk_internals.py.",
                    pytrace=False)


def test_configure_mock_runtime_prepares_a_fresh_preview():
    try:
        check_configure_mock_runtime()
    except (AssertionError, TypeError) as exc:
        pytest.fail(f"configure_mock_runtime (MockSettings, MockEngine, ROOT) no longer works: {exc}. "
                    "It is used by offline/harness.py run_program.", pytrace=False)


def test_no_stack_traces_swaps_the_sdks_function_and_puts_it_back():
    from pulumi.runtime import resource

    original = resource._get_stack_trace
    with sdk_internals.no_stack_traces():
        assert resource._get_stack_trace is not original
        assert resource._get_stack_trace().frames == []
    assert resource._get_stack_trace is original


def test_monitor_calls_inline_runs_them_on_the_loops_thread_and_puts_the_sdk_back():
    """Hundreds of registrations ready at once, run with the monitor called inline: no
    RecursionError (what a plain inline executor ran into: the mock monitor's _sync_await
    pumped the loop, which ran the next registration inside it, and so on), every call on the
    loop's thread, and afterwards the mock monitor's _sync_await and a thread pool again."""
    import asyncio
    import threading

    from pulumi.runtime import mocks

    threads = set()

    class Recording(NoMocks):
        def new_resource(self, args):
            threads.add(threading.get_ident())
            return super().new_resource(args)

    original = mocks._sync_await
    monitor = INTERNALS["MockMonitor"].resolve()(Recording())
    sdk_internals.configure_mock_runtime(monitor, "probe-project", "probe-stack", logging.getLogger("probe"))

    def program():
        for index in range(600):
            pulumi.CustomResource("probe:index:Thing", f"thing{index}", {"n": index})

    with sdk_internals.monitor_calls_inline():
        assert mocks._sync_await is sdk_internals.run_without_loop
        sdk_internals.sync_await(pulumi.runtime.run_in_stack(program))
    assert threads == {threading.get_ident()}
    assert mocks._sync_await is original
    on_pool = asyncio.get_event_loop().run_in_executor(None, threading.get_ident)
    assert sdk_internals.sync_await(on_pool) != threading.get_ident(), "the executor still runs calls inline"
    assert len([r for r in monitor.resources.values()]) == 600


@pytest.mark.parametrize("case", URN_CASES)
def test_urn_when_plain_is_the_sdks_urn(case):
    from pulumi.runtime import resource

    assert output_state(sdk_internals.urn_when_plain(*case)) == output_state(resource.create_urn(*case))


def test_urn_when_plain_hands_outputs_to_the_sdk_and_plain_urns_puts_it_back():
    from pulumi.runtime import resource

    original = resource.create_urn
    parent = pulumi.Output.secret("urn:pulumi:dev::p::a:b:C::c")
    with sdk_internals.plain_urns():
        assert resource.create_urn is sdk_internals.urn_when_plain
        value, _, secret, _ = output_state(resource.create_urn("n", "t:u:V", parent))
    assert (value, secret) == ("urn:pulumi:dev::p::a:b:C$t:u:V::n", True), "an Output parent is not the SDK's"
    assert resource.create_urn is original


def test_run_without_loop_refuses_a_coroutine_that_would_wait():
    import asyncio

    async def plain():
        return {"a": 1}

    async def waits():
        await asyncio.sleep(0)

    assert sdk_internals.run_without_loop(plain()) == {"a": 1}
    with pytest.raises(RuntimeError, match="would have to wait"):
        sdk_internals.run_without_loop(waits())


def test_a_missing_internal_is_named_with_its_user():
    gone = sdk_internals.Internal("pulumi.runtime.settings", "_no_such_thing", used_by="nothing real")
    with pytest.raises(ImportError, match=r"pulumi\.runtime\.settings\._no_such_thing .* used by nothing real"):
        gone.resolve()


# --- no SDK internal is used anywhere else ------------------------------------------------

PUBLIC = {
    "pulumi": set(pulumi.__all__) if hasattr(pulumi, "__all__") else set(dir(pulumi)),
    "pulumi.runtime": set(pulumi.runtime.__all__),
    "pulumi_policy": set(pulumi_policy.__all__),
}
# Documented as the way to serve a Python component package (pulumi package add).
PUBLIC_MODULES = ("pulumi.provider.experimental",)
# config/loading.py reads CONFIG itself (it is listed in INTERNALS, and checked above): the
# deployment path must not import the offline package.
ALLOWED_ELSEWHERE = {("src/expressroute_encryption/config/loading.py", "from pulumi.runtime import config")}


def internal_imports(path: Path) -> list[str]:
    """``from pulumi... import name`` / ``import pulumi.x`` statements that reach past the public API."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("pulumi", "pulumi_policy"):
            module = node.module
            if module.startswith(PUBLIC_MODULES):
                continue
            public_package = "pulumi.runtime" if module.startswith("pulumi.runtime") else module.split(".")[0]
            for alias in node.names:
                if module in PUBLIC and alias.name in PUBLIC[module]:
                    continue
                if module != public_package and alias.name in PUBLIC[public_package]:
                    continue  # a public name, imported through its submodule
                found.append(f"from {module} import {alias.name}")
        elif isinstance(node, ast.Import):
            found += [f"import {alias.name}" for alias in node.names
                      if alias.name.split(".")[0] in ("pulumi", "pulumi_policy")
                      and alias.name not in ("pulumi", "pulumi.runtime", "pulumi_policy")
                      and not alias.name.startswith(PUBLIC_MODULES)]
    return found


def test_sdk_internals_are_used_only_through_sdk_internals():
    sources = [REPO / "__main__.py", *(REPO / "src").rglob("*.py"), *(REPO / "components").rglob("*.py"),
               *(REPO / "policy").rglob("*.py")]
    offenders = []
    for path in sources:
        relative = path.relative_to(REPO).as_posix()
        if relative.endswith("offline/sdk_internals.py"):
            continue
        offenders += [f"{relative}: {statement}" for statement in internal_imports(path)
                      if (relative, statement) not in ALLOWED_ELSEWHERE]
    assert offenders == [], "import these from expressroute_encryption.offline.sdk_internals (add them there):\n" + \
        "\n".join(offenders)
