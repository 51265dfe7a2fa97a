"""config/ports.py: a port's settings and its MACsec settings: the enums (cipher, stage, SCI state,
encapsulation, billing), XPN ciphers only on 100 Gbps ports, key generations, port names and the
Key Vault secret names they give."""

from __future__ import annotations

import pytest

from expressroute_encryption.config.loading import parse_stack_config
from tests.helpers import base_config, only_problem, port


def test_cipher_enum_lists_allowed_values():
    msg = only_problem(base_config(ports=[port(macsec={"cipher": "gcm-aes-256"})]))
    assert msg.startswith("ports[0].macsec.cipher:")
    for cipher in ("GcmAes128", "GcmAes256", "GcmAesXpn128", "GcmAesXpn256"):
        assert cipher in msg


def test_stage_enum():
    msg = only_problem(base_config(ports=[port(stage="live")]))
    assert msg.startswith("ports[0].stage:") and "'reserved', 'encrypted' or 'active'" in msg


def test_sci_state_enum():
    msg = only_problem(base_config(ports=[port(macsec={"cipher": "GcmAes128", "sciState": "On"})]))
    assert msg.startswith("ports[0].macsec.sciState:") and "'Enabled' or 'Disabled'" in msg


@pytest.mark.parametrize("field,value", [("encapsulation", "VLAN"), ("billingType", "Free")])
def test_port_enums(field, value):
    assert only_problem(base_config(ports=[port(**{field: value})])).startswith(f"ports[0].{field}:")


def test_xpn_cipher_refused_on_10g_port():
    msg = only_problem(base_config(ports=[port(macsec={"cipher": "GcmAesXpn256"})]))
    assert msg == (
        "ports[0].macsec.cipher: GcmAesXpn256 is not supported on 10 Gbps ports; "
        "use GcmAes128 or GcmAes256 (XPN ciphers need a 100 Gbps port)"
    )


def test_xpn_cipher_allowed_on_100g_port():
    parse_stack_config(base_config(ports=[port(bandwidthInGbps=100, macsec={"cipher": "GcmAesXpn128"})]))


def test_key_generation_must_be_positive():
    msg = only_problem(base_config(ports=[port(macsec={"cipher": "GcmAes256", "keyGeneration": {"link1": 0}})]))
    assert msg.startswith("ports[0].macsec.keyGeneration.link1:") and "greater than or equal to 1" in msg


@pytest.mark.parametrize("name", ["-port", "port.", "port a", "p" * 81])
def test_port_name_rules(name):
    msg = only_problem(base_config(ports=[port(name=name)]))
    assert msg.startswith("ports[0].name: must be 1-80 letters, digits, '_', '.' or '-'")


def test_names_azure_allows_are_port_names_and_name_their_secrets_with_hyphens():
    """Azure allows '_' and '.' in a port's name (an adopted port keeps it); its secrets cannot."""
    from expressroute_encryption.config.ports import secret_name

    parse_stack_config(base_config(ports=[port(name="er_direct.ams-1" + "x" * 65)]))  # 80 characters
    assert secret_name("er_direct.ams-1", "link1", "cak") == "er-direct-ams-1-link1-cak"
    msg = only_problem(base_config(ports=[port(name="er_ams"), port(name="ER.ams")]))
    assert msg.startswith("ports[1].name: port names 'er_ams' and 'ER.ams' name the same Key Vault secrets")
