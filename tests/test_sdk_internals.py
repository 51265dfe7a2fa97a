"""The SDK internals this project relies on (sdk_internals.py) are still there and still
behave as used. Run after every upgrade of pulumi, pulumi-policy or pydantic (the
pull-request workflow runs it on the newest SDKs the declared ranges allow): a failure
names the internal that changed and the code that uses it."""

from __future__ import annotations

import ast
import asyncio
import contextvars
import dataclasses
import enum
import importlib.metadata
import inspect
import logging
import re
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pulumi
import pulumi.runtime
import pulumi_policy
import pytest

from expressroute_encryption import sdk_internals
from expressroute_encryption.offline import wire
from expressroute_encryption.offline.harness import configure_mock_runtime
from expressroute_encryption.sdk_internals import INTERNALS
from tests.helpers import REPO

pytestmark = pytest.mark.smoke


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
    # The recording monitor answers a registration as RegisterResource does: deserialized
    # inputs into MockResourceArgs, the mock's state serialized, kept as a ResourceRegistration.
    assert set(monitor_class.RegisterResource.__code__.co_names) == {
        "MockMonitor", "MockResourceArgs", "RegisterResourceResponse", "ResourceRegistration", "_ensure_event_loop",
        "_resolve_callbacks", "_sync_await", "custom", "deserialize_properties", "importId", "make_urn", "mocks",
        "name", "new_resource", "object", "parent", "provider", "resource_pb2", "resources", "rpc",
        "serialize_properties", "transforms", "type"}, "RegisterResource does something else now: see harness._answer"
    assert monitor_class.ResourceRegistration._fields == ("urn", "id", "state")


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


def nested_code(function, name: str):
    """The code object of a function defined inside ``function``."""
    return next(c for c in function.__code__.co_consts if inspect.iscode(c) and c.co_name == name)


def check_register_resource(register_resource):
    """Its do_register calls the monitor through the running loop's run_in_executor(None, ...)
    and reads no more of the response than harness.PythonResponse has."""
    from expressroute_encryption.offline.harness import PythonResponse

    do_register = nested_code(register_resource, "do_register")
    assert "run_in_executor" in do_register.co_names and "get_running_loop" in do_register.co_names
    source = inspect.getsource(register_resource)
    assert "run_in_executor(\n                None," in source or "run_in_executor(None," in source, \
        "the monitor call no longer goes to the default executor"
    read = set(re.findall(r"\bresp\.(\w+)", source))
    assert read and read <= {f.name for f in dataclasses.fields(PythonResponse)}, f"it reads resp.{sorted(read)}"


PLAIN_VALUES = ["text", "", 0, 7, -3, 2.5, 1e300, True, False, None]
DECLARED = [None, str, int, float, bool, typing.Optional[str], typing.Any, list, dict, typing.List[str]]


def check_rpc_serialize_property(serialize_property):
    """A plain value serializes as itself whatever its declared type (plain_values_first
    answers it at once); the recursion into lists and objects goes by the module's name."""
    from pulumi.runtime import rpc

    assert parameters(serialize_property) == [
        "value", "deps", "property_key", "resource_obj", "input_transformer", "typ", "keep_output_values",
        "exclude_resource_refs_from_deps", "return_protobuf_value"], f"it takes {parameters(serialize_property)}"
    assert "serialize_property" in serialize_property.__code__.co_names
    assert "serialize_property" in rpc.serialize_properties.__code__.co_names
    for value in PLAIN_VALUES:
        for typ in DECLARED:
            deps: list = []
            result = run(serialize_property(value, deps, "key", None, None, typ))
            assert result is value or (result == value and type(result) is type(value)), (value, typ, result)
            assert deps == []


class Tier(str, enum.Enum):
    BASIC = "Basic"


def check_rpc_translate_output_properties(translate):
    """A str, int, float or bool comes back unchanged unless its type (without Optional) is an
    enum or, for a float, int (plain_outputs_first answers the others at once); called by name
    from resolve_outputs and from itself."""
    from pulumi.runtime import rpc

    assert parameters(translate) == ["output", "output_transformer", "typ", "transform_using_type_metadata", "path",
                                     "return_none_on_dict_type_mismatch"], f"it takes {parameters(translate)}"
    assert "translate_output_properties" in translate.__code__.co_names
    assert "translate_output_properties" in rpc.resolve_outputs.__code__.co_names
    for value in ["text", "", 7, 2.5, 3.0, True, False]:
        for typ in [None, str, int, float, bool, typing.Any, typing.Optional[str], typing.Optional[int], list]:
            result = translate(value, lambda key: key, typ)
            if isinstance(value, float) and typ in (int, typing.Optional[int]):
                assert result == int(value) and type(result) is int, (value, typ, result)
            else:
                assert result is value, (value, typ, result)
    assert translate("Basic", lambda key: key, typing.Optional[Tier]) is Tier.BASIC


def check_rpc_contains_unknowns(contains_unknowns):
    """Finds the Unknown in objects and lists, never in a plain value; called by that name
    from serialize_property and from pulumi.output (as rpc.contains_unknowns)."""
    from pulumi import output
    from pulumi.output import UNKNOWN
    from pulumi.runtime import rpc

    assert parameters(contains_unknowns) == ["val"], f"it takes {parameters(contains_unknowns)}"
    assert "contains_unknowns" in rpc.serialize_property.__code__.co_names
    assert "contains_unknowns" in output.contains_unknowns.__code__.co_names
    assert contains_unknowns({"a": [1, {"b": UNKNOWN}]}) and contains_unknowns(UNKNOWN)
    assert not any(contains_unknowns(value) for value in PLAIN_VALUES)


def check_is_dry_run(is_dry_run):
    """What the runtime was configured with; resolve_properties asks it by that name."""
    from pulumi.runtime import rpc

    assert parameters(is_dry_run) == [], f"it takes {parameters(is_dry_run)}"
    assert "is_dry_run" in rpc.resolve_properties.__code__.co_names
    for preview in (True, False):
        configure_mock_runtime(sdk_internals.MockMonitor(NoMocks()), "p", "s", logging.getLogger("probe"), preview)
        assert is_dry_run() is preview
    configure_mock_runtime(sdk_internals.MockMonitor(NoMocks()), "p", "s", logging.getLogger("probe"))


def run(awaitable):
    from expressroute_encryption.offline.shortcuts import run_without_loop

    return run_without_loop(awaitable)


def check_rpc_serialize_properties(serialize_properties):
    from google.protobuf import struct_pb2

    assert parameters(serialize_properties)[:2] == ["inputs", "property_deps"]
    struct = run(serialize_properties({"a": 1, "b": None, "c": {"d": None}}, {}))
    assert isinstance(struct, struct_pb2.Struct) and set(struct.fields) == {"a", "c"}


def check_rpc_deserialize_properties(deserialize_properties):
    """Called by name from resolve_outputs (answers_in_python replaces it there), with the
    parameters it is replaced with."""
    from pulumi.runtime import rpc

    assert parameters(deserialize_properties) == ["props_struct", "keep_unknowns", "keep_internal"]
    assert "deserialize_properties" in rpc.resolve_outputs.__code__.co_names


def check_register_resource_response(response_class):
    response = response_class(urn="u", id="i")
    assert (response.urn, response.id, len(response.object.fields), response.result) == ("u", "i", 0, 0)


def check_result_success(success):
    from pulumi.runtime.proto import resource_pb2

    assert success == resource_pb2.RegisterResourceResponse().result, "a success is no longer the default result"


def check_unknown_class(unknown_class):
    """What deserialize_property makes of the wire's unknown value in a preview."""
    from pulumi.runtime import rpc

    assert type(rpc.deserialize_property(INTERNALS["UNKNOWN"].resolve(), keep_unknowns=True)) is unknown_class


def check_resource_types(resource_types):
    """A class's output types, the same on every call (resource_types_remembered keeps the
    first); resolve_outputs looks them up by that name."""
    from pulumi.runtime import rpc
    from pulumi_random import RandomBytes

    assert parameters(resource_types) == ["resource_cls"]
    assert "resource_types" in rpc.resolve_outputs.__code__.co_names
    first = resource_types(RandomBytes)
    assert first == resource_types(RandomBytes) and first["hex"] is str, first


def check_stack_trace(stack_trace):
    assert stack_trace().frames == [], "an empty StackTrace has frames"


def check_configure_mock_runtime():
    """The function built on MockSettings, MockEngine and ROOT does what run_program needs."""
    monitor = INTERNALS["MockMonitor"].resolve()(NoMocks())
    configure_mock_runtime(monitor, "probe-project", "probe-stack", logging.getLogger("probe"))
    assert (pulumi.get_project(), pulumi.get_stack()) == ("probe-project", "probe-stack")
    assert pulumi.runtime.is_dry_run() is True
    assert pulumi.runtime.get_root_resource() is None, "a stack resource is already registered"
    from pulumi.runtime.settings import SETTINGS

    assert SETTINGS.outputs == set(), "the Outputs an earlier run left are still waited for"


class Probe:
    """Stands for a resource: what transfer_properties writes its Outputs into."""


def check_transfer_properties(transfer_properties):
    """One Output per property but ``urn`` (and ``id`` of a custom resource), each resolved
    by its resolver(value, is_known, is_secret, deps, failed) with the resource among its
    dependencies; called by name from register_resource."""
    from pulumi.runtime import resource

    assert parameters(transfer_properties) == ["res", "props", "custom"], f"it takes {parameters(transfer_properties)}"
    assert "transfer_properties" in resource.register_resource.__code__.co_names, \
        "register_resource no longer calls rpc.transfer_properties"
    res, other = Probe(), Probe()

    async def states():
        resolvers = transfer_properties(res, {"urn": None, "id": None, "name": None, "tier": None}, True)
        assert sorted(resolvers) == ["name", "tier"], f"resolvers for {sorted(resolvers)}"
        resolvers["name"]("n1", True, True, {other}, None)
        resolvers["tier"](None, False, False, None, None)
        return [await state(res.__dict__[key]) for key in ("name", "tier")]

    assert sdk_internals.sync_await(states()) == [("n1", True, True, {res, other}), (None, False, False, {res})]


async def state(output):
    return (await output.future(), await output.is_known(), await output.is_secret(), await output.resources())


def check_output_data(output_data):
    assert [f.name for f in dataclasses.fields(output_data)] == ["resources", "value", "is_known", "is_secret"]
    from pulumi.output import UNKNOWN

    unknown = output_data(resources=set(), value=[UNKNOWN], is_known=True, is_secret=False)
    assert unknown.is_known is False, "a value holding an unknown no longer reads as unknown"


def check_output_from_data(from_data):
    async def built():
        data = asyncio.get_running_loop().create_future()
        output = from_data(data)
        data.set_result(INTERNALS["OutputData"].resolve()(resources=set(), value="v", is_known=True, is_secret=True))
        return isinstance(output, pulumi.Output), await state(output)

    assert sdk_internals.sync_await(built()) == (True, ("v", True, True, set()))


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
    "register_resource": check_register_resource,
    "RegisterResourceResponse": check_register_resource_response,
    "RESULT_SUCCESS": check_result_success,
    "Unknown": check_unknown_class,
    "resource_types": check_resource_types,
    "rpc_serialize_property": check_rpc_serialize_property,
    "rpc_serialize_properties": check_rpc_serialize_properties,
    "rpc_translate_output_properties": check_rpc_translate_output_properties,
    "rpc_contains_unknowns": check_rpc_contains_unknowns,
    "is_dry_run": check_is_dry_run,
    "rpc_deserialize_properties": check_rpc_deserialize_properties,
    "transfer_properties": check_transfer_properties,
    "OutputData": check_output_data,
    "output_from_data": check_output_from_data,
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
    versions = ", ".join(f"{sdk} {importlib.metadata.version(sdk)}" for sdk in ("pulumi", "pulumi-policy", "pydantic"))
    try:
        value = internal.resolve()
        CHECKS[name](value)
    except (ImportError, AssertionError, TypeError, AttributeError, pytest.fail.Exception) as exc:
        pytest.fail(f"SDK internal {internal} changed in the installed SDK ({versions}): {exc}. "
                    f"It is used by {internal.used_by}; see src/expressroute_encryption/sdk_internals.py.",
                    pytrace=False)


def test_configure_mock_runtime_prepares_a_fresh_preview():
    try:
        check_configure_mock_runtime()
    except (AssertionError, TypeError) as exc:
        pytest.fail(f"configure_mock_runtime (MockSettings, MockEngine, ROOT) no longer works: {exc}. "
                    "It is used by offline/harness.py run_program.", pytrace=False)


def test_a_missing_internal_is_named_with_its_user():
    gone = sdk_internals.Internal("pulumi.runtime.settings", "_no_such_thing", used_by="nothing real")
    with pytest.raises(ImportError, match=r"pulumi\.runtime\.settings\._no_such_thing .* used by nothing real"):
        gone.resolve()
    with pytest.raises(AttributeError, match="no_such_name"):
        sdk_internals.no_such_name  # noqa: B018


def test_importing_the_table_loads_no_sdk():
    """The bottom layer: importing it loads the standard library only; each name loads its
    own SDK when it is taken (a policy SDK name: no pydantic)."""
    script = textwrap.dedent("""
        import sys
        import expressroute_encryption.sdk_internals
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi", "pulumi_policy", "pydantic", "yaml")))
        from expressroute_encryption.sdk_internals import UnknownValueError
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "expressroute_encryption")))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "['expressroute_encryption', 'expressroute_encryption.sdk_internals']"]


# --- no SDK internal is used anywhere else ------------------------------------------------

PUBLIC = {
    "pulumi": set(pulumi.__all__) if hasattr(pulumi, "__all__") else set(dir(pulumi)),
    "pulumi.runtime": set(pulumi.runtime.__all__),
    "pulumi_policy": set(pulumi_policy.__all__),
}
# Documented as the way to serve a Python component package (pulumi package add).
PUBLIC_MODULES = ("pulumi.provider.experimental",)
# config/loading.py reads CONFIG itself (it is listed in INTERNALS, and checked above). Now
# that the table is at the bottom layer and loads no offline tool, the loader can take it
# from there; until it does, this is the one exception.
ALLOWED_ELSEWHERE = {("src/expressroute_encryption/config/loading.py", "from pulumi.runtime import config")}
SOURCES = [REPO / "__main__.py", *(REPO / "src").rglob("*.py"), *(REPO / "components").rglob("*.py"),
           *(REPO / "policy").rglob("*.py")]


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
    offenders = []
    for path in SOURCES:
        relative = path.relative_to(REPO).as_posix()
        if relative == "src/expressroute_encryption/sdk_internals.py":
            continue
        offenders += [f"{relative}: {statement}" for statement in internal_imports(path)
                      if (relative, statement) not in ALLOWED_ELSEWHERE]
    assert offenders == [], "import these from expressroute_encryption.sdk_internals (add them there):\n" + \
        "\n".join(offenders)


def test_pydantic_internals_in_the_code_are_the_probed_ones():
    """pydantic's private attributes (``__pydantic_*__``) and modules (``pydantic._internal``)
    are used only as the table lists (today: not at all)."""
    listed = {str(internal) for internal in INTERNALS.values() if internal.module.startswith("pydantic")}
    private = re.compile(r"__pydantic_\w+__|pydantic\._internal\.\w+")
    found = {f"{path.relative_to(REPO).as_posix()}: {name}" for path in SOURCES
             if path.name != "sdk_internals.py" for name in private.findall(path.read_text())
             if not any(name in entry for entry in listed)}
    assert found == set(), f"pydantic internals not in sdk_internals.py: {sorted(found)}"
