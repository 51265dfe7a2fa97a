"""The components' typed args (what the package schema for other languages is inferred
from) say exactly what their pydantic models accept: same keys, same enum values."""

from __future__ import annotations

import typing
from enum import Enum

import pytest
from typing_extensions import NotRequired

from expressroute_encryption import (
    circuit,
    circuit_connection,
    config,
    direct_port,
    key_vault,
    virtual_wan_vpn,
    vpn,
)
from expressroute_encryption.provider import package_schema
from expressroute_encryption.tokens import PACKAGE_NAME

# (TypedDict, model) pairs: every component's args and every nested settings type.
PAIRS = [
    (key_vault.MacsecKeyVaultArgs, config.MacsecKeyVaultInputs),
    (direct_port.EncryptedDirectPortArgs, config.EncryptedDirectPortInputs),
    (direct_port.MacsecArgs, config.MacsecSettings),
    (direct_port.KeyGenerationArgs, config.KeyGeneration),
    (direct_port.LinkMacsecArgs, config.LinkMacsecOverride),
    (direct_port.PortKeysArgs, config.PortKeys),
    (direct_port.LinkKeyArgs, config.LinkKey),
    (circuit.DirectCircuitArgs, config.DirectCircuitInputs),
    (circuit.PeeringArgs, config.PrivatePeeringSettings),
    (circuit.MicrosoftPeeringArgs, config.MicrosoftPeeringSettings),
    (circuit.Ipv6PeeringArgs, config.Ipv6PeeringSettings),
    (vpn.PrivatePeeringVpnArgs, config.PrivatePeeringVpnInputs),
    (vpn.VirtualNetworkArgs, config.VirtualNetworkSettings),
    (vpn.OnPremisesArgs, config.OnPremisesSettings),
    (vpn.BgpPeerArgs, config.BgpPeerSettings),
    (vpn.IpsecPolicyArgs, config.IpsecPolicySettings),
    (virtual_wan_vpn.VirtualWanVpnArgs, config.VirtualWanVpnInputs),
    (virtual_wan_vpn.VirtualWanArgs, config.VirtualWanSettings),
    (virtual_wan_vpn.VirtualHubArgs, config.VirtualHubSettings),
    (circuit_connection.CircuitVnetConnectionArgs, config.CircuitVnetConnectionInputs),
    (circuit_connection.ConnectedVirtualNetworkArgs, config.GatewayVirtualNetworkSettings),
    (circuit_connection.ScaleUnitsArgs, config.ScaleUnits),
]
COMPONENT_ARGS = [typed for typed, _ in PAIRS if typed.__name__.removesuffix("Args") in
                  {"MacsecKeyVault", "EncryptedDirectPort", "DirectCircuit", "PrivatePeeringVpn", "VirtualWanVpn",
                   "CircuitVnetConnection"}]


def unwrap(annotation):
    """The type inside NotRequired/Optional/Annotated."""
    while True:
        origin = typing.get_origin(annotation)
        if origin in (NotRequired, typing.NotRequired, typing.Annotated):
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union:
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def literal_values(annotation) -> tuple | None:
    annotation = unwrap(annotation)
    return typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else None


def typed_dict_hints(typed) -> dict:
    """A TypedDict's keys and their types (as written: ``pulumi.Input`` holds forward references)."""
    return dict(typed.__annotations__)


@pytest.mark.parametrize("typed,model", PAIRS, ids=[t.__name__ for t, _ in PAIRS])
def test_typed_dict_keys_are_the_model_fields(typed, model):
    assert set(typed_dict_hints(typed)) == set(model.model_fields)


@pytest.mark.parametrize("typed,model", PAIRS, ids=[t.__name__ for t, _ in PAIRS])
def test_enum_like_fields_are_enums_with_the_models_values(typed, model):
    hints = typed_dict_hints(typed)
    for name, field in model.model_fields.items():
        values = literal_values(field.annotation)
        typed_type = unwrap(hints[name])
        if values is None or not all(isinstance(v, str) for v in values):
            assert not (isinstance(typed_type, type) and issubclass(typed_type, Enum)), (typed.__name__, name)
            continue
        assert isinstance(typed_type, type) and issubclass(typed_type, Enum), (typed.__name__, name, typed_type)
        assert tuple(member.value for member in typed_type) == values, (typed.__name__, name)


def test_every_settings_type_a_component_takes_has_a_pair():
    """A nested TypedDict that is not in PAIRS would escape the parity checks."""
    paired = {typed for typed, _ in PAIRS}
    seen, queue = set(), list(COMPONENT_ARGS)
    while queue:
        typed = queue.pop()
        seen.add(typed)
        for hint in typed_dict_hints(typed).values():
            inner = unwrap(hint)
            for candidate in (inner, *typing.get_args(inner)):
                if typing.is_typeddict(candidate) and candidate not in seen:
                    queue.append(candidate)
    assert seen <= paired, seen - paired


def test_the_served_schema_has_the_enums():
    schema = package_schema()
    token = f"{PACKAGE_NAME}:index:"
    cipher = schema["types"][token + "Cipher"]
    assert [e["value"] for e in cipher["enum"]] == list(typing.get_args(config.Cipher))
    macsec = schema["types"][token + "MacsecArgs"]["properties"]
    assert macsec["cipher"]["$ref"] == f"#/types/{token}Cipher"
    port = schema["resources"][token + "EncryptedDirectPort"]["inputProperties"]
    assert port["stage"]["$ref"] == f"#/types/{token}Stage" and port["stage"]["plain"] is True
    dh = schema["types"][token + "DhGroup"]
    assert {e["value"] for e in dh["enum"]} >= {"ECP384", "DHGroup14"}
    circuit_inputs = schema["resources"][token + "DirectCircuit"]["inputProperties"]
    assert circuit_inputs["skuTier"]["$ref"] == f"#/types/{token}SkuTier"
