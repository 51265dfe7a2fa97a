"""Every config rule: the message, the config path, and nothing registered."""

from __future__ import annotations

import pytest

from expressroute_encryption.config.loading import parse_stack_config
from tests.helpers import BYO_CAK, BYO_CKN, base_config, only_problem, port, problems




def test_base_config_is_valid():
    config = parse_stack_config(base_config())
    assert config.protect is True
    assert config.key_vault.soft_delete_retention_days == 90
    assert config.key_vault.purge_protection is True
    assert config.key_vault.authorization == "accessPolicy"
    macsec = config.ports[0].macsec
    assert (macsec.sci_state, macsec.key_generation.link1, macsec.key_generation.link2) == ("Disabled", 1, 1)


@pytest.mark.smoke
def test_unknown_top_level_key_is_named_with_allowed_keys():
    msg = only_problem(base_config(keyVualt={"name": "x"}))
    assert msg == "keyVualt: unknown key (allowed: resourceGroupName, protect, keyVault, ports, macsecKeys, vpn, decommission, tags, monitoring, changeGate, locks, lockExistingVault, unlistedRegion)"


@pytest.mark.smoke
def test_unknown_nested_key_has_its_path():
    msg = only_problem(base_config(ports=[port(macsek={"cipher": "GcmAes256"})]))
    assert msg.startswith("ports[0].macsek: unknown key (allowed: name, peeringLocation")


def test_missing_required_key():
    assert only_problem(base_config(resourceGroupName=None)) == "resourceGroupName: required"


def test_wrong_type():
    msg = only_problem(base_config(ports=[port(bandwidthInGbps="fast")]))
    assert msg.startswith("ports[0].bandwidthInGbps:") and "10 or 100" in msg


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


def test_duplicate_port_names():
    msg = only_problem(base_config(ports=[port(), port(name="PORT-A")]))
    assert msg == "ports[1].name: port name 'PORT-A' is used twice; port names must be unique"


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


@pytest.mark.parametrize("name", ["kv", "1kv-macsec", "kv--macsec", "kv-macsec-", "kv_macsec", "k" * 25])
def test_vault_name_rules(name):
    msg = only_problem(base_config(keyVault={"name": name}))
    assert msg.startswith("keyVault.name: must be 3-24 characters of letters, digits and hyphens")


@pytest.mark.parametrize("days", [6, 91])
def test_soft_delete_retention_range(days):
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "softDeleteRetentionDays": days}))
    assert msg.startswith("keyVault.softDeleteRetentionDays:")


def test_authorization_enum():
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "authorization": "RBAC"}))
    assert msg.startswith("keyVault.authorization:") and "'accessPolicy' or 'rbac'" in msg


@pytest.mark.parametrize("value", ["203.0.113.0/33", "203.0.113.1/24", "not-an-ip", "2001:db8::/32"])
def test_allowed_ip_ranges_syntax(value):
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "allowedIpRanges": ["198.51.100.7", value]}))
    assert msg.startswith("keyVault.allowedIpRanges[1]: must be an IPv4 address or CIDR range")


def test_allowed_ip_ranges_must_be_public():
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "allowedIpRanges": ["10.1.0.0/16"]}))
    assert msg.startswith("keyVault.allowedIpRanges[0]: must be a public range")


def byo(link1=None, link2=None):
    good = {"cak": BYO_CAK, "ckn": BYO_CKN}
    return {"port-a": {"link1": link1 or good, "link2": link2 or good}}


def test_byo_keys_valid():
    config = parse_stack_config(base_config(macsecKeys=byo()))
    assert config.macsec_keys["port-a"].link1.cak.get_secret_value() == BYO_CAK


@pytest.mark.parametrize("ckn", ["abc", "zz" * 4, "ab" * 33, ""])
def test_byo_ckn_format(ckn):
    msg = only_problem(base_config(macsecKeys=byo(link2={"cak": BYO_CAK, "ckn": ckn})))
    assert msg == "macsecKeys.port-a.link2.ckn: must be an even number (2-64) of hexadecimal digits (value not shown)"


def test_byo_short_cak_refused_for_256_bit_cipher():
    short = BYO_CAK[:32]
    msg = only_problem(base_config(macsecKeys=byo(link1={"cak": short, "ckn": BYO_CKN})))
    assert msg == "macsecKeys.port-a.link1.cak: must be exactly 64 hexadecimal digits for GcmAes256 (value not shown)"
    assert short not in msg


@pytest.mark.parametrize("cak", ["ab" * 20, "g" * 64, ""])
def test_byo_cak_format(cak):
    msg = only_problem(base_config(macsecKeys=byo(link1={"cak": cak, "ckn": BYO_CKN})))
    assert msg.startswith("macsecKeys.port-a.link1.cak: must ")
    assert msg.endswith("(value not shown)")


def test_byo_cak_length_follows_the_cipher():
    values = base_config(ports=[port(macsec={"cipher": "GcmAes128"})], macsecKeys=byo())
    assert problems(values) == [
        f"macsecKeys.port-a.{link}.cak: must be exactly 32 hexadecimal digits for GcmAes128 (value not shown)"
        for link in ("link1", "link2")
    ]


def test_byo_keys_need_both_links():
    values = base_config(macsecKeys={"port-a": {"link1": {"cak": BYO_CAK, "ckn": BYO_CKN}}})
    assert only_problem(values) == "macsecKeys.port-a.link2: required"


def test_byo_keys_for_unknown_port():
    values = base_config(macsecKeys={"port-b": byo()["port-a"]})
    assert only_problem(values).startswith("macsecKeys.port-b: no port of that name in ports[] (port-a)")


def test_a_key_pasted_as_a_port_name_is_not_printed():
    values = base_config(macsecKeys={BYO_CAK: byo()["port-a"]})
    msg = only_problem(values)
    assert msg.startswith("macsecKeys.<a name that looks like key material>: no port of that name")
    assert BYO_CAK not in msg


def test_all_problems_are_reported_together_without_key_values():
    values = base_config(
        keyVault={"name": "1-bad", "softDeleteRetentionDays": 1},
        ports=[port(macsec={"cipher": "GcmAesXpn128"}), port(name="port-b", stage="up")],
        macsecKeys=byo(link1={"cak": "deadbeef", "ckn": "xyz"}),
    )
    found = problems(values)
    paths = [p.split(":")[0] for p in found]
    assert paths == [
        "keyVault.name",
        "keyVault.softDeleteRetentionDays",
        "ports[0].macsec.cipher",
        "ports[1].stage",
        "macsecKeys.port-a.link1.cak",
        "macsecKeys.port-a.link1.ckn",
    ], found
    text = "\n".join(found)
    assert "deadbeef" not in text and "xyz" not in text


def test_true_false_are_not_numbers():
    msg = only_problem(base_config(ports=[port(macsec={"cipher": "GcmAes256", "keyGeneration": {"link1": True}})]))
    assert msg == "ports[0].macsec.keyGeneration.link1: Input should be a valid integer, not true/false"


@pytest.mark.parametrize("value", ["0.0.0.0/0", "20.0.0.0/8", "20.32.0.0/15"])
def test_allowed_ip_ranges_cannot_open_the_firewall_wide(value):
    msg = only_problem(base_config(keyVault={"name": "kv-ok", "allowedIpRanges": [value]}))
    assert msg.startswith("keyVault.allowedIpRanges[0]: is too broad:")


def test_wrong_shapes_name_what_is_expected():
    values = base_config(keyVault="kv-name", ports=[port(macsec="GcmAes256", circuits=5)], vpn=[])
    assert problems(values) == [
        "keyVault: must be a mapping with the keys name, allowedIpRanges, softDeleteRetentionDays, purgeProtection, authorization, existingId",
        "ports[0].macsec: must be a mapping with the keys cipher, sciState, keyGeneration, link1, link2, allowBothLinks",
        "ports[0].circuits: must be a list",
        "vpn: must be a mapping with the keys mode, circuit, virtualNetwork, virtualWan, expressRouteGatewaySku, "
        "vpnGatewaySku, activeActive, vpnGatewayAsn, onPremises, ipsecPolicy, sharedKey, advertisedOverExpressRoute",
    ]


WORKSPACE_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ops/providers/"
                "Microsoft.OperationalInsights/workspaces/law-ops")
VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-keys"


@pytest.mark.parametrize("workspace", [WORKSPACE_ID + "\n", WORKSPACE_ID.replace("/rg-ops/", "/../"),
                                       WORKSPACE_ID.replace("/law-ops", "/.."), WORKSPACE_ID + "/../../other",
                                       WORKSPACE_ID.replace("/rg-ops/", "/rg-ops./")])
def test_a_workspace_id_azure_refuses_is_refused(workspace):
    assert only_problem(base_config(monitoring={"alertEmails": ["noc@example.com"], "logAnalyticsWorkspaceId": workspace})) == (
        "monitoring.logAnalyticsWorkspaceId: must be the ARM id of a Log Analytics workspace: "
        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>")


@pytest.mark.parametrize("vault_id", [VAULT_ID + "\n", VAULT_ID.replace("/rg-keys/", "/../"), VAULT_ID + "/.."])
def test_an_existing_vault_id_azure_refuses_is_refused(vault_id):
    assert only_problem(base_config(keyVault={"existingId": vault_id})).startswith(
        "keyVault.existingId: must be the ARM id of an existing resource of type Microsoft.KeyVault/vaults")


@pytest.mark.parametrize("address", ["noc@example.com\n", "noc@example.com\r", " noc@example.com"])
def test_an_alert_email_with_a_line_break_is_refused(address):
    assert only_problem(base_config(monitoring={"alertEmails": [address]})) == (
        "monitoring.alertEmails[0]: must be an e-mail address such as noc@example.com")
