"""config/inputs.py: the components' arguments (``validate_args``): an unknown key is an error with
the keys allowed, the rules report at the argument's path, and a key argument given as a plain
string is refused without its value."""

from __future__ import annotations

import pulumi
import pytest

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.inputs import (
    CircuitVnetConnectionInputs, EncryptedDirectPortInputs, PLAIN_SECRET, PrivatePeeringVpnInputs,
    VirtualWanVpnInputs, validate_args,
)
from tests.helpers import AUTH_KEY, BYO_CAK, BYO_CKN, CAK2, SHARED_KEY


def test_a_misspelt_component_argument_is_an_error():
    from expressroute_encryption import MacsecKeyVault

    with pytest.raises(ConfigError) as info:
        MacsecKeyVault("v", {"resource_group_name": "rg", "name": "kv-ok", "purge_proteciton": False})
    assert str(info.value) == (
        "MacsecKeyVault 'v': 1 problem; nothing was deployed:\n"
        "  purge_proteciton: unknown key (allowed: name, allowed_ip_ranges, soft_delete_retention_days, "
        "purge_protection, authorization, existing_id, resource_group_name, protect)"
    )


def test_component_rules_report_at_the_argument_path():
    from expressroute_encryption import DirectCircuit

    with pytest.raises(ConfigError) as info:
        DirectCircuit("c", {"resource_group_name": "rg", "express_route_port_id": "id", "port_bandwidth_in_gbps": 10,
                            "port_stage": "reserved", "name": "ckt", "bandwidth_in_gbps": 40, "sku_tier": "Standard",
                            "sku_family": "MeteredData"})
    assert info.value.problems == [
        "bandwidth_in_gbps: 40 Gbps is not offered on a 10 Gbps port; use 1, 2, 5, 10",
        "port_stage: circuits need the port's stage to be 'encrypted' or 'active' (on a 'reserved' port traffic "
        "could flow before MACsec is configured); the order: deploy the port at reserved, get its LOA and "
        "cross-connect, deploy it at encrypted, then add the circuits",
    ]


def component_problems(model, args) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validate_args(model, args, "component")
    return info.value.problems


@pytest.mark.parametrize("model,args", [
    (PrivatePeeringVpnInputs, {"shared_key": SHARED_KEY}),
    (VirtualWanVpnInputs, {"shared_key": SHARED_KEY}),
    (CircuitVnetConnectionInputs, {"authorization_key": AUTH_KEY}),
], ids=["PrivatePeeringVpn", "VirtualWanVpn", "CircuitVnetConnection"])
def test_a_plain_key_argument_is_refused_without_its_value(model, args):
    found = component_problems(model, args)
    [line] = [p for p in found if p.startswith(next(iter(args)))]
    assert line == f"{next(iter(args))}: {PLAIN_SECRET}"
    assert "Output.secret" in line and "fn::secret" in line and "pulumi.secret" in line
    assert SHARED_KEY not in "\n".join(found) and AUTH_KEY not in "\n".join(found)


def test_plain_port_keys_are_refused_leaf_by_leaf():
    keys = {"link1": {"cak": BYO_CAK, "ckn": pulumi.Output.secret(BYO_CKN)},
            "link2": {"cak": pulumi.Output.secret(CAK2), "ckn": pulumi.Output.secret(BYO_CKN)}}
    found = component_problems(EncryptedDirectPortInputs, {"keys": keys, "macsec": {"cipher": "GcmAes256"}})
    assert [p for p in found if p.startswith("keys")] == [f"keys.link1.cak: {PLAIN_SECRET}"]
