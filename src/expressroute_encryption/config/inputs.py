"""The components' arguments: the stack config's fields, plus what only a component takes.

A component's ``args`` are validated as a whole with one of these ``*Inputs`` models
(``validate_args``), so an unknown key (a typo) is an error with its path, as in a stack
file. These models are the one definition of each component's arguments: the typed
``*Args`` of ``component_args.py`` (and so the component package schema for other
languages) are generated from them by ``codegen``.

Arguments that may be Pulumi Outputs (resource group, ids, keys) are typed ``Input``
(``input_of(T)``: any value, carrying ``T`` for the generated types); plain strings among
them are still checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Annotated, Any, NamedTuple, Optional, get_args

from pydantic import BaseModel, Field, ValidationError, create_model

from .. import facts
from ..arm import CIRCUIT_TYPE, arm_id_problem, resource_group_name_problem
from ..facts import LINKS
from .circuits import CircuitSettings, circuit_problems
from .errors import ConfigError, describe_errors, format_loc
from .keys import PortKeys, key_reuse_warnings
from .keyvault import KeyVaultSettings
from .literals import ExpressRouteGatewaySku, LockTargetKind, PortSpeed, Stage
from .operations import MonitoringSettings, drained_link_problems
from .ports import MacsecSettings, PortSettings
from .rules import ConfigModel, Int, borrows_fields, cross_rule, plain_rule, rule
from .values import Cidr, gateway_subnet_size
from .vpn import MODE_KEYS, VirtualNetworkSettings, VpnRules, VpnSettings


class InputOf(NamedTuple):
    """Marks an argument that may be a Pulumi Output (or a plain value) of ``type``."""

    type: Any


def input_of(kind: Any = str) -> Any:
    """An argument that may be an Output of ``kind`` (a type, or a model whose leaves may be)."""
    return Annotated[Any, InputOf(kind)]


Input = input_of(str)
# A resource group's name: checked when it is a plain string (Azure's rule, arm.py).
ResourceGroupInput = Annotated[Input, plain_rule("resource_group_name", resource_group_name_problem)]


def _fields_of(model: type[BaseModel], *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's field definitions, to build a component's model (which then
    ``borrows_fields`` from it: their docstrings are the model's)."""
    return {name: (field.annotation, field) for name, field in model.model_fields.items() if name not in drop}


def _component_field(annotation: Any, doc: str, default: Any = ...) -> tuple[Any, Any]:
    return annotation, Field(default, description=doc)


_RESOURCE_GROUP = _component_field(ResourceGroupInput, "Resource group for what the component creates.")
_PROTECT = _component_field(
    bool, "Pulumi `protect` on what the component creates, generated keys excepted (default true).", True)


class MacsecKeyVaultInputs(KeyVaultSettings):
    """Arguments of ``MacsecKeyVault``: the stack config's ``keyVault`` and these."""

    resource_group_name: ResourceGroupInput
    """Resource group for the vault and the identity."""
    protect: bool = True
    """Pulumi refuses to delete the vault, the identity and its permission to read the keys (default true)."""


# Component inputs are kept in the caller's state (pulumi/pulumi PR 20357, fact:
# pulumi-comp-inputs-in-state), and Pulumi has no convention that a component wraps a
# plain key for the caller (fact: pulumi-comp-no-secret-schema): a plain key is refused.
PLAIN_SECRET = (
    "a plain value would be stored unencrypted in your program's state (Pulumi keeps component inputs); "
    "pass it as a secret: pulumi.Output.secret(...) in Python, fn::secret in YAML, pulumi.secret(...) in TypeScript"
)


def _secret_input(name: str):
    """A key argument: a plain string is refused; a secret Output is checked when it
    resolves (``secret_inputs``)."""
    return rule(name, lambda value: PLAIN_SECRET if isinstance(value, str) else None)


def port_keys_problems(keys: Any, macsec: MacsecSettings) -> Iterator:
    """Bring-your-own keys: both links with cak and ckn, none a plain string (their
    format is checked when the secret values resolve: ``port_keys_lines``)."""
    try:
        leaves = {(link, kind): keys[link][kind] for link in LINKS for kind in ("cak", "ckn")}
    except (KeyError, TypeError, IndexError):
        yield ("keys",), "port_keys", "needs link1 and link2, each with cak and ckn"
        return
    for (link, kind), value in leaves.items():
        if isinstance(value, str):
            yield ("keys", link, kind), "plain_secret", PLAIN_SECRET


def port_keys_lines(plain: Any, macsec: MacsecSettings) -> tuple[list[str], list[str]]:
    """(problems, warnings) of resolved bring-your-own keys, as lines under ``keys``:
    format, the CAK length of each link's cipher, one CAK on both links. Never a value."""
    try:
        port_keys = PortKeys.model_validate(_plain_values(plain))
    except ValidationError as exc:
        return describe_errors(exc, PortKeys, ("keys",)), []
    problems = [f"{format_loc(('keys', *path))}: {message}" for path, _, message in port_keys.problems(macsec)]
    return problems, key_reuse_warnings({"": port_keys}, where="keys")


class _EncryptedDirectPortRules(ConfigModel):
    @cross_rule("keys", "macsec")
    def _keys_fit_the_cipher(self):
        if self.keys is not None:
            yield from port_keys_problems(self.keys, self.macsec)

    @cross_rule("last_deployment", "last_key_fingerprints", "last_deployment_outputs")
    def _one_record(self):
        """The record comes one way: as a plain mapping (with its fingerprints), or in the stack outputs."""
        if self.last_deployment_outputs is None:
            return
        for name in ("last_deployment", "last_key_fingerprints"):
            if getattr(self, name) is not None:
                yield (name,), "record_given_twice", (
                    "not with last_deployment_outputs, which holds the port's record and fingerprints already: "
                    "give one of them")

    # The port's own rules (XPN), without the circuits, which are components of their own.
    _xpn_needs_100g = PortSettings._xpn_needs_100g


EncryptedDirectPortInputs = create_model(
    "EncryptedDirectPortInputs",
    __base__=_EncryptedDirectPortRules,
    __doc__="Arguments of ``EncryptedDirectPort``: the stack config's ``ports[i]`` without circuits, and these.",
    __module__=__name__,
    resource_group_name=_component_field(ResourceGroupInput, "Resource group for the port."),
    vault_name=_component_field(Input, "Key Vault that stores the port's CAK/CKN secrets."),
    identity_id=_component_field(Input, "User-assigned identity with `get` on the vault's secrets."),
    **_fields_of(PortSettings, drop=("circuits",)),
    keys=_component_field(Optional[input_of(PortKeys)], "Bring-your-own keys `{link1: {cak, ckn}, link2: {cak, ckn}}`, as secrets (plain strings are refused); generated when absent.", None),
    protect=_PROTECT,
    vault_resource_group_name=_component_field(
        Optional[ResourceGroupInput], "Resource group of the vault, when it is not resource_group_name (an existing vault).", None),
    vault_subscription_id=_component_field(
        Optional[str], "Subscription of the vault (an existing vault): when it is not the deployment's, the secrets "
        "are written through an azure-native provider for it.", None),
    adopting=_component_field(
        bool, "With import_id, on the deployment that imports the port: keep Azure's identity and link settings "
        "as they are, so adopting the port changes nothing on it; the next deployment applies them.", False),
    last_deployment=_component_field(
        Optional[input_of(Any)], "The port's entry of the last deployment's record (the `ports.<name>` stack output "
        "that `record.export_port_records` writes), or {} when the last deployment did not have the port: the change "
        "guard compares this deployment with it (one link at a time on an active port, ...). Required past "
        "`reserved`, except while adopting (Azure's links are then the comparison); a plain value, read before the "
        "component is built: `**(await record.read_last_deployment()).component_args(name)` in Python.", None),
    last_key_fingerprints=_component_field(
        Optional[input_of(Any)], "Secret. With bring-your-own keys: the port's entry of the last deployment's "
        "`macsecKeyFingerprints` output, so that a key change whose `key_generation` did not move is refused.", None),
    last_deployment_outputs=_component_field(
        Optional[input_of(Any)], "Instead of last_deployment (and last_key_fingerprints), for a program that has the "
        "record only as an Output (any language): the last deployment's stack outputs, the `outputs` of a stack "
        "reference to this stack. The port's entry is read from `ports.<name>` (and `macsecKeyFingerprints.<name>`); "
        "no outputs at all is a first deployment. The guard runs when it resolves, before any of the port's resources "
        "is registered; unknown during a preview, it is refused. Adopting needs `adopting: true` with it.", None),
)
borrows_fields(EncryptedDirectPortInputs, PortSettings)


class DirectCircuitInputs(CircuitSettings):
    """Arguments of ``DirectCircuit``: the stack config's ``ports[i].circuits[j]`` and these."""

    resource_group_name: ResourceGroupInput
    """Resource group for the circuit."""
    express_route_port_id: Input
    """ARM id of the ExpressRoute Direct port."""
    port_bandwidth_in_gbps: Optional[PortSpeed] = None
    """The port's bandwidth, to check the circuit size against it."""
    port_stage: Optional[Stage] = None
    """The port's lifecycle stage; a circuit on a 'reserved' port is refused."""
    protect: bool = True
    """Pulumi refuses to delete the circuit, its peerings, authorizations and route filter (default true)."""
    adopting: bool = False
    """With import_id, on the deployment that imports the circuit: its peerings and authorizations are imported by their child ids too."""

    @cross_rule("bandwidth_in_gbps", "private_peering", "microsoft_peering", "port_bandwidth_in_gbps", "port_stage")
    def _fits_its_port(self):
        """The rules for the circuits of a port, for this one circuit."""
        for path, name, message in circuit_problems([self], self.port_bandwidth_in_gbps, self.port_stage):
            if path == ():
                path = (0, "port_stage" if name == "circuit_on_reserved_port" else "bandwidth_in_gbps")
            yield path[1:], name, message


def _required(annotation: Any) -> Any:
    """``X`` of ``Optional[X]``."""
    return next(arg for arg in get_args(annotation) if arg is not type(None))


def _vpn_component(name: str, mode: str, drop: tuple[str, ...], doc: str, **component_fields):
    """A VPN component's model: the ``vpn`` settings of its mode without ``mode``, its
    own arguments, and a shared key that may be an Output."""
    rules = type(f"_{name}Rules", (VpnRules,), {"fixed_mode": mode, "__module__": __name__})
    fields = _fields_of(VpnSettings, drop=("mode", *drop))
    for key, (owner, required) in MODE_KEYS.items():
        if owner == mode and required:
            # Optional in the stack config (the other mode has no use for it), required here;
            # its docstring is VpnSettings' (borrows_fields).
            annotation, _ = fields[key]
            fields[key] = _component_field(_required(annotation), None)
    fields["shared_key"] = _component_field(
        Optional[Annotated[Input, _secret_input("plain_secret")]],
        "Pre-shared key, 16-128 printable ASCII characters, as a secret (a plain string is refused); "
        "generated (40 characters) when absent.", None)
    model = create_model(name, __base__=rules, __doc__=doc, __module__=__name__,
                         resource_group_name=_RESOURCE_GROUP, **component_fields, **fields, protect=_PROTECT)
    borrows_fields(model, VpnSettings)
    return model


PrivatePeeringVpnInputs = _vpn_component(
    "PrivatePeeringVpnInputs", "virtualNetwork", ("virtual_wan",),
    "Arguments of ``PrivatePeeringVpn``: the stack config's ``vpn`` (``mode: virtualNetwork``) and these.",
    express_route_circuit_id=_component_field(
        Input, "ARM id of the circuit whose private peering carries the tunnel."),
)

VirtualWanVpnInputs = _vpn_component(
    "VirtualWanVpnInputs", "virtualWan",
    tuple(key for key, (owner, _) in MODE_KEYS.items() if owner == "virtualNetwork"),
    "Arguments of ``VirtualWanVpn``: the stack config's ``vpn`` (``mode: virtualWan``) and these.",
    express_route_circuit_private_peering_id=_component_field(
        Input, "ARM id of the circuit's AzurePrivatePeering."),
)


# ---------------------------------------------------------------------------
# A virtual network on an existing circuit (an application team's stack)


GUID_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def circuit_id_problem(value: str) -> str | None:
    return arm_id_problem(value, CIRCUIT_TYPE, "an ExpressRoute circuit")


def authorization_key_problem(key: str) -> str | None:
    """A circuit authorization key is a GUID."""
    if not GUID_RE.fullmatch(key):
        return "must be a circuit authorization key: a GUID such as 0a1b2c3d-... (value not shown)"
    return None


class GatewayVirtualNetworkSettings(VirtualNetworkSettings):
    """A virtual network whose GatewaySubnet holds one ExpressRoute gateway."""

    gateway_subnet_prefix: Annotated[Cidr, gateway_subnet_size(
        "must be a /27 or larger (Microsoft's minimum GatewaySubnet for an ExpressRoute gateway)")]
    """The GatewaySubnet: a /27 or larger inside `addressSpace` (Microsoft's minimum for an ExpressRoute gateway)."""


class ScaleUnits(ConfigModel):
    """Scale units of a scalable ExpressRoute gateway (ErGwScale); 1 Gbps each."""

    # fact: ergwscale-range-1-40
    min: Annotated[Int, Field(ge=facts.ERGW_SCALE_UNITS[0], le=facts.ERGW_SCALE_UNITS[1])]
    """Minimum scale units, 1-40 (2 or more to autoscale)."""
    max: Annotated[Int, Field(ge=facts.ERGW_SCALE_UNITS[0], le=facts.ERGW_SCALE_UNITS[1])]
    """Maximum scale units, 1-40, not below `min`."""

    @cross_rule("min", "max")
    def _min_not_above_max(self):
        # fact: ergwscale-max1-min1
        if self.min > self.max:
            yield ("min",), "scale_units_order", f"must not exceed max ({self.max})"


class CircuitVnetConnectionInputs(ConfigModel):
    """Arguments of ``CircuitVnetConnection``: a virtual network with an ExpressRoute
    gateway, connected to an existing circuit.

    The circuit usually belongs to the network team's stack, often in another
    subscription: the connection then redeems one of the circuit's authorization keys
    (``DirectCircuit`` ``authorizations``, stack output ``authorizationKeys``). The
    circuit id and the key are checked here when given as plain strings; when they come
    from a stack reference they are Outputs, and Azure checks them."""

    resource_group_name: ResourceGroupInput
    """Resource group for the virtual network, the gateway and the connection."""
    express_route_circuit_id: Annotated[Input, plain_rule("circuit_id", circuit_id_problem)]
    """ARM id of the circuit (the network team's stack output `circuits.<name>.id`)."""
    authorization_key: Optional[Annotated[Input, _secret_input("plain_secret")]] = None
    """One of the circuit's authorization keys, as a secret (a plain string is refused); needed when the circuit is in another subscription."""
    virtual_network: GatewayVirtualNetworkSettings
    """The virtual network to create, with its GatewaySubnet."""
    express_route_gateway_sku: ExpressRouteGatewaySku
    """SKU of the ExpressRoute gateway."""
    # fact: er-connection-routing-weight
    routing_weight: Annotated[Int, Field(ge=facts.ROUTING_WEIGHT[0], le=facts.ROUTING_WEIGHT[1])] = 0
    """Routing weight of the connection, 0-32000."""
    protect: bool = True
    """Pulumi refuses to delete the virtual network, the gateway and the connection (default true)."""
    scale_units: Optional[ScaleUnits] = None
    """With `ErGwScale` only, and required there: the gateway's minimum and maximum scale units (1-40; equal for a fixed size)."""

    @cross_rule("express_route_gateway_sku", "scale_units")
    def _scale_units_with_the_scalable_sku(self):
        scalable = self.express_route_gateway_sku == facts.SCALABLE_EXPRESS_ROUTE_GATEWAY_SKU
        if scalable and self.scale_units is None:
            yield ("scale_units",), "scale_units_required", (
                "required with ErGwScale: {min, max} scale units (1-40), e.g. {min: 2, max: 10}")
        elif not scalable and self.scale_units is not None:
            yield ("scale_units",), "scale_units_not_allowed", "only with express_route_gateway_sku ErGwScale"


# ---------------------------------------------------------------------------
# Operations: monitoring and delete locks


class MonitoredPortSettings(ConfigModel):
    """A Direct port to watch: its name, ARM id and lifecycle stage."""

    name: str
    """Name of the port; its alert rules are named `<name>-<alert key>`."""
    id: Input
    """ARM id of the port."""
    stage: Stage
    """Alerts are enabled only on an 'active' port: before that its links are down on purpose."""
    carries_circuits: bool = True
    """Whether circuits run on the port: without, its traffic-at-zero alerts stay disabled (a link without circuits carries no traffic)."""


class MonitoredCircuitSettings(ConfigModel):
    """A circuit to watch, and the stage of the port it runs on."""

    name: str
    """Name of the circuit; its alert rules are named `<name>-<alert key>`."""
    id: Input
    """ARM id of the circuit."""
    port_stage: Stage
    """Stage of the circuit's port: its alerts are enabled only once the port is 'active'."""
    bandwidth_in_gbps: Optional[Annotated[float, Field(gt=0)]] = None
    """The circuit's bandwidth: its throughput alerts (`bitsInPerSecond`, `bitsOutPerSecond`) fire at a share of it, and are not created without it."""


class ExpressRouteMonitoringInputs(MonitoringSettings):
    """Arguments of ``ExpressRouteMonitoring``: the stack config's ``monitoring`` and these."""

    resource_group_name: ResourceGroupInput
    """Resource group for the action group, the alerts and the workspace."""
    vault_id: Input
    """ARM id of the Key Vault whose audit log is kept."""
    workspace_name: Annotated[str, Field(min_length=1)]
    """Name of the Log Analytics workspace to create when no `logAnalyticsWorkspaceId` is given."""
    ports: list[MonitoredPortSettings] = Field(default_factory=list)
    """The Direct ports to put the port alerts on."""
    circuits: list[MonitoredCircuitSettings] = Field(default_factory=list)
    """The circuits to put the circuit alerts on."""
    protect: bool = True
    """Pulumi refuses to delete the workspace the component creates, which holds the audit log (default true)."""

    @cross_rule("drained_links", "ports")
    def _drained_ports_exist(self):
        yield from drained_link_problems(self.drained_links, [port.name for port in self.ports])


class LockTargetSettings(ConfigModel):
    """A resource to lock: what it is, its name and ARM id."""

    kind: LockTargetKind
    """What the resource is: `vault`, `port` or `circuit` (it names the lock's resource and its notes)."""
    name: str
    """Name of the resource."""
    id: Input
    """ARM id of the resource (the lock's scope)."""


class ResourceLocksInputs(ConfigModel):
    """Arguments of ``ResourceLocks``."""

    targets: list[LockTargetSettings]
    """The resources to put a `CanNotDelete` lock on."""


# ---------------------------------------------------------------------------
# Validating a component's arguments


def _plain_values(value: Any) -> Any:
    """Enum members (what the component provider hands over for enum inputs) as their values."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_values(v) for v in value]
    return value


def validate_args(
    model: type[ConfigModel], args: Mapping[str, Any], source: str, prefix: tuple[str, ...] = ()
) -> Any:
    """Validate a component's arguments (under ``prefix``) with its model: the stack
    config's fields, the component's own, and no others."""
    try:
        return model.model_validate(_plain_values(dict(args)))
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, model, prefix), source=source) from None
