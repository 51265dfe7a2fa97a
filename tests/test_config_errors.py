"""config/errors.py: how a validation error becomes a problem line: the config path, an unknown
key with the keys allowed there, a missing key, a wrong type, a wrong shape named by what is
expected."""

from __future__ import annotations

import pytest

from tests.helpers import base_config, only_problem, port, problems


@pytest.mark.smoke
def test_unknown_nested_key_has_its_path():
    msg = only_problem(base_config(ports=[port(macsek={"cipher": "GcmAes256"})]))
    assert msg.startswith("ports[0].macsek: unknown key (allowed: name, peeringLocation")


def test_missing_required_key():
    assert only_problem(base_config(resourceGroupName=None)) == "resourceGroupName: required"


def test_wrong_type():
    msg = only_problem(base_config(ports=[port(bandwidthInGbps="fast")]))
    assert msg.startswith("ports[0].bandwidthInGbps:") and "10 or 100" in msg


def test_wrong_shapes_name_what_is_expected():
    values = base_config(keyVault="kv-name", ports=[port(macsec="GcmAes256", circuits=5)], vpn=[])
    assert problems(values) == [
        "keyVault: must be a mapping with the keys name, allowedIpRanges, softDeleteRetentionDays, purgeProtection, authorization, existingId",
        "ports[0].macsec: must be a mapping with the keys cipher, sciState, keyGeneration, link1, link2, allowBothLinks",
        "ports[0].circuits: must be a list",
        "vpn: must be a mapping with the keys mode, circuit, virtualNetwork, virtualWan, expressRouteGatewaySku, "
        "vpnGatewaySku, activeActive, vpnGatewayAsn, onPremises, ipsecPolicy, sharedKey, advertisedOverExpressRoute",
    ]
