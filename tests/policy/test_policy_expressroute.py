"""The ExpressRoute port resource policies against ports in the engine's wire shape."""

import pytest
from tests.policy.policy_builders import (
    IDENTITY_ID,
    PORT,
    VAULT,
    port,
    resource_violations,
    secret,
    secret_url,
    vault,
)
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from expressroute_encryption.policy.expressroute import (
    macsec_cipher,
    macsec_required,
    port_identity,
    secret_identifiers,
    xpn_recommended,
)

PORT_POLICIES = [macsec_required, macsec_cipher, xpn_recommended, port_identity, secret_identifiers]


def with_link(props: dict, index: int, **changes) -> dict:
    """``props`` with link ``index``'s settings changed (``macSecConfig=None`` removes it)."""
    link = props["links"][index]
    for key, value in changes.items():
        if value is None:
            link.pop(key, None)
        else:
            link[key] = value
    return props


def with_macsec(props: dict, **changes) -> dict:
    """``props`` with the same MACsec change on both links."""
    for link in props["links"]:
        link["macSecConfig"].update(changes)
    return props


@pytest.mark.parametrize("policy", PORT_POLICIES, ids=lambda policy: policy.name)
@pytest.mark.parametrize("stage", ["reserved", "encrypted", "active"])
def test_compliant_port_in_every_stage_passes(policy, stage):
    assert resource_violations(policy, PORT, port(stage)) == []


@pytest.mark.parametrize("policy", PORT_POLICIES, ids=lambda policy: policy.name)
def test_other_resource_types_are_ignored(policy):
    assert resource_violations(policy, VAULT, vault(links=[{"name": "link1"}]), name="kv") == []


@pytest.mark.parametrize("policy", PORT_POLICIES, ids=lambda policy: policy.name)
@pytest.mark.parametrize("unknown_props", [
    {"links": UNKNOWN_ARRAY_VALUE, "bandwidthInGbps": UNKNOWN_STRING_VALUE, "identity": UNKNOWN_OBJECT_VALUE},
    {"links": [UNKNOWN_OBJECT_VALUE, {"name": UNKNOWN_STRING_VALUE, "macSecConfig": UNKNOWN_OBJECT_VALUE}]},
    {"links": [{"name": "link1", "macSecConfig": {"cipher": UNKNOWN_STRING_VALUE}}]},
    {},
], ids=["unknown-links", "unknown-link-entries", "unknown-cipher-missing-link2", "no-properties"])
def test_unknown_and_missing_values_do_not_crash(policy, unknown_props):
    resource_violations(policy, PORT, unknown_props)


class TestMacsecRequired:
    def test_link_without_macsec_is_flagged(self):
        messages = resource_violations(macsec_required, PORT, with_link(port(), 1, macSecConfig=None))
        assert len(messages) == 1
        assert "'port'" in messages[0] and "link2" in messages[0] and "link1" in messages[0]
        assert "macSecConfig" in messages[0]

    def test_admin_disabled_links_without_macsec_are_flagged(self):
        props = port("encrypted")
        for index in (0, 1):
            with_link(props, index, macSecConfig=None)
        assert len(resource_violations(macsec_required, PORT, props)) == 1

    def test_missing_second_link_is_flagged(self):
        props = port()
        del props["links"][1]
        [message] = resource_violations(macsec_required, PORT, props)
        assert "link2 has no settings" in message

    def test_cleared_secret_identifiers_are_flagged(self):
        props = with_macsec(port(), cakSecretIdentifier="", cknSecretIdentifier="")
        [message] = resource_violations(macsec_required, PORT, props)
        assert "cakSecretIdentifier/cknSecretIdentifier" in message

    def test_reserved_port_without_links_passes(self):
        assert resource_violations(macsec_required, PORT, {**port("reserved"), "links": []}) == []

    def test_unknown_identifiers_during_preview_count_as_set(self):
        props = with_macsec(port(), cakSecretIdentifier=UNKNOWN_STRING_VALUE, cknSecretIdentifier=UNKNOWN_STRING_VALUE)
        assert resource_violations(macsec_required, PORT, props) == []

    def test_secret_identifiers_pass_and_stay_out_of_messages(self):
        props = port()
        cak = props["links"][0]["macSecConfig"]["cakSecretIdentifier"]
        props["links"][0]["macSecConfig"]["cakSecretIdentifier"] = secret(cak)
        with_link(props, 1, macSecConfig=None)
        [message] = resource_violations(macsec_required, PORT, props)
        assert cak not in message


class TestCipher:
    @pytest.mark.parametrize("cipher", ["GcmAes128", "GcmAes256"])
    def test_non_xpn_ciphers_pass_on_10_gbps(self, cipher):
        assert resource_violations(macsec_cipher, PORT, port(cipher=cipher, bandwidth=10)) == []

    @pytest.mark.parametrize("cipher", ["GcmAesXpn128", "GcmAesXpn256"])
    def test_xpn_cipher_on_10_gbps_is_flagged(self, cipher):
        [message] = resource_violations(macsec_cipher, PORT, port(cipher=cipher, bandwidth=10))
        assert "'port'" in message and "10 Gbps" in message and cipher in message

    def test_xpn_cipher_on_100_gbps_passes(self):
        assert resource_violations(macsec_cipher, PORT, port(cipher="GcmAesXpn256", bandwidth=100)) == []

    def test_xpn_cipher_with_unknown_bandwidth_is_not_judged(self):
        props = {**port(cipher="GcmAesXpn256"), "bandwidthInGbps": UNKNOWN_STRING_VALUE}
        assert resource_violations(macsec_cipher, PORT, props) == []

    def test_legacy_cipher_spelling_is_flagged(self):
        [message] = resource_violations(macsec_cipher, PORT, port(cipher="gcm-aes-128"))
        assert "'gcm-aes-128'" in message and "not allowed" in message and "GcmAes256" in message

    def test_configured_allow_list_narrows_the_default(self):
        config = {"allowedCiphers": ["GcmAes256"]}
        assert resource_violations(macsec_cipher, PORT, port(cipher="GcmAes256"), config=config) == []
        [message] = resource_violations(macsec_cipher, PORT, port(cipher="GcmAes128"), config=config)
        assert "link1" in message and "link2" in message and "one of GcmAes256" in message

    def test_unrecognised_cipher_value_is_not_quoted(self):
        key_like = "00112233445566778899aabbccddeeff"
        [message] = resource_violations(macsec_cipher, PORT, port(cipher=key_like))
        assert key_like not in message and "unrecognised cipher" in message


class TestXpnRecommended:
    def test_non_xpn_cipher_on_100_gbps_is_reported(self):
        [message] = resource_violations(xpn_recommended, PORT, port(cipher="GcmAes256", bandwidth=100))
        assert "'port'" in message and "100 Gbps" in message and "GcmAesXpn256" in message

    @pytest.mark.parametrize(("cipher", "bandwidth"), [("GcmAesXpn128", 100), ("GcmAes256", 10)])
    def test_xpn_on_100_or_anything_on_10_passes(self, cipher, bandwidth):
        assert resource_violations(xpn_recommended, PORT, port(cipher=cipher, bandwidth=bandwidth)) == []


class TestIdentity:
    @pytest.mark.parametrize("identity", [
        {"type": "UserAssigned", "userAssignedIdentities": [IDENTITY_ID]},
        {"type": "UserAssigned", "userAssignedIdentities": {IDENTITY_ID: {}}},  # state / output shape
        {"type": "UserAssigned", "userAssignedIdentities": UNKNOWN_ARRAY_VALUE},
        UNKNOWN_OBJECT_VALUE,
    ], ids=["list", "map", "unknown-identities", "unknown-identity"])
    def test_user_assigned_identity_passes(self, identity):
        assert resource_violations(port_identity, PORT, {**port(), "identity": identity}) == []

    @pytest.mark.parametrize("identity", [
        None,
        {"type": "SystemAssigned"},
        {"type": "UserAssigned", "userAssignedIdentities": []},
        {"type": "UserAssigned", "userAssignedIdentities": {}},
    ], ids=["none", "system-assigned", "empty-list", "empty-map"])
    def test_macsec_port_without_user_assigned_identity_is_flagged(self, identity):
        props = port()
        if identity is None:
            del props["identity"]
        else:
            props["identity"] = identity
        [message] = resource_violations(port_identity, PORT, props)
        assert "'port'" in message and "UserAssigned" in message

    def test_reserved_port_needs_no_identity(self):
        props = port("reserved")
        del props["identity"]
        assert resource_violations(port_identity, PORT, props) == []


class TestSecretIdentifiers:
    @pytest.mark.parametrize("host", ["vault.azure.net", "vault.azure.cn", "vault.usgovcloudapi.net"])
    def test_versioned_urls_in_any_cloud_pass(self, host):
        props = port()
        for link in props["links"]:
            for field in ("cakSecretIdentifier", "cknSecretIdentifier"):
                link["macSecConfig"][field] = link["macSecConfig"][field].replace("vault.azure.net", host)
        assert resource_violations(secret_identifiers, PORT, props) == []

    @pytest.mark.parametrize("bad", [
        "https://kv-macsec.vault.azure.net/secrets/link1-cak",  # not versioned
        "https://kv-macsec.vault.azure.net/secrets/link1-cak/",
        "https://kv-macsec.vault.azure.net/keys/link1-cak/" + "0" * 32,
        "https://kv-macsec.example.com/secrets/link1-cak/" + "0" * 32,
        "http://kv-macsec.vault.azure.net/secrets/link1-cak/" + "0" * 32,
        "00112233445566778899aabbccddeeff",  # a key pasted into the field
    ])
    def test_other_identifiers_are_flagged_without_echoing_them(self, bad):
        props = with_link(port(), 0, macSecConfig={**port()["links"][0]["macSecConfig"], "cakSecretIdentifier": bad})
        [message] = resource_violations(secret_identifiers, PORT, props)
        assert "'port'" in message and "link1 macSecConfig.cakSecretIdentifier" in message
        assert bad not in message

    @pytest.mark.parametrize("ckn_version", ["f" * 32, "0123456789abcdef0123456789abcdef"])
    def test_cak_and_ckn_in_the_same_secret_are_flagged(self, ckn_version):
        props = with_macsec(port(), cakSecretIdentifier=secret(secret_url(name="shared")),
                            cknSecretIdentifier=secret(secret_url(name="SHARED", version=ckn_version)))
        [message] = resource_violations(secret_identifiers, PORT, props)
        assert "same secret" in message and "link1" in message and "link2" in message
        assert "vault.azure.net" not in message

    def test_unknown_and_missing_identifiers_are_not_judged(self):
        props = with_macsec(port(), cakSecretIdentifier=UNKNOWN_STRING_VALUE)
        del props["links"][1]["macSecConfig"]["cknSecretIdentifier"]
        assert resource_violations(secret_identifiers, PORT, props) == []
