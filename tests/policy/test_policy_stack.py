"""The stack policies relating ports to their circuits and to the vaults holding their keys."""

import pytest
from tests.policy.policy_builders import (
    CIRCUIT,
    PORT,
    SECRET,
    VAULT,
    arm_id,
    port,
    port_outputs,
    secret,
    secret_url,
    stack_resource,
    stack_violations,
    urn,
    vault,
)
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from expressroute_encryption.policy.azure import PRIVATE_ENDPOINT, VAULT_PRIVATE_ENDPOINT_CONNECTION
from expressroute_encryption.policy.stack import circuit_on_encrypted_port, no_private_endpoint_for_macsec

PORT_ID = arm_id("Microsoft.Network/expressRoutePorts", "erp-weu-1")
VAULT_ID = arm_id("Microsoft.KeyVault/vaults", "kv-macsec")


def circuit(port_id=PORT_ID, dependencies=()):
    props = {"circuitName": "er-circuit", "bandwidthInGbps": 10,
             "sku": {"name": "Premium_MeteredData", "tier": "Premium", "family": "MeteredData"}}
    if port_id is not None:
        props["expressRoutePort"] = {"id": port_id}
    return stack_resource(CIRCUIT, "circuit", props, dependencies)


class TestCircuitOnEncryptedPort:
    @pytest.mark.parametrize("port_props", [port("active"), port("encrypted"), port_outputs("active")],
                             ids=["inputs", "encrypted-stage", "outputs"])
    def test_circuit_on_encrypted_port_passes(self, port_props):
        resources = [stack_resource(PORT, "port", port_props), circuit()]
        assert stack_violations(circuit_on_encrypted_port, resources) == []

    @pytest.mark.parametrize("port_props", [port("reserved"), port_outputs("reserved")], ids=["inputs", "outputs"])
    def test_circuit_on_reserved_port_is_flagged(self, port_props):
        [(violation_urn, message)] = stack_violations(circuit_on_encrypted_port,
                                                      [stack_resource(PORT, "port", port_props), circuit()])
        assert violation_urn == urn(CIRCUIT, "circuit")
        assert "circuit 'circuit'" in message and "port 'port'" in message and "no link settings" in message

    def test_circuit_on_half_encrypted_port_is_flagged(self):
        props = port()
        del props["links"][1]["macSecConfig"]
        [(_, message)] = stack_violations(circuit_on_encrypted_port, [stack_resource(PORT, "port", props), circuit()])
        assert "link2" in message

    def test_port_id_unknown_during_preview_is_followed_through_the_dependency(self):
        reserved = stack_resource(PORT, "port", port("reserved"))
        resources = [reserved, circuit(UNKNOWN_STRING_VALUE, dependencies=(reserved,))]
        assert len(stack_violations(circuit_on_encrypted_port, resources)) == 1

    def test_port_id_matching_is_case_insensitive_and_checks_the_resource_group(self):
        reserved = stack_resource(PORT, "port", port("reserved"))
        assert len(stack_violations(circuit_on_encrypted_port, [reserved, circuit(PORT_ID.upper())])) == 1
        other_group = PORT_ID.replace("rg-er", "rg-other")
        assert stack_violations(circuit_on_encrypted_port, [reserved, circuit(other_group)]) == []

    @pytest.mark.parametrize("resources", [
        lambda: [circuit()],  # port in another stack
        lambda: [stack_resource(PORT, "port", port("reserved")), circuit(port_id=None)],  # provider circuit
        lambda: [stack_resource(PORT, "port", {**port("active"), "links": UNKNOWN_ARRAY_VALUE}), circuit()],
        lambda: [stack_resource(PORT, "port", port("reserved")), circuit({"id": 1})],
    ], ids=["port-elsewhere", "provider-circuit", "links-unknown", "malformed-id"])
    def test_circuits_that_cannot_be_judged_pass(self, resources):
        assert stack_violations(circuit_on_encrypted_port, resources()) == []


def macsec_stack(*, vault_props=None, port_props=None, extra=()):
    """A port whose keys live in vault kv-macsec, that vault, and ``extra`` resources."""
    key_vault = stack_resource(VAULT, "kv", vault() if vault_props is None else vault_props)
    return [stack_resource(PORT, "port", port() if port_props is None else port_props), key_vault, *extra]


def private_endpoint(target=VAULT_ID, dependencies=(), manual=False):
    field = "manualPrivateLinkServiceConnections" if manual else "privateLinkServiceConnections"
    props = {"privateEndpointName": "pe-kv", "subnet": {"id": "/subnet"},
             field: [{"name": "kv", "privateLinkServiceId": target, "groupIds": ["vault"]}]}
    return stack_resource(PRIVATE_ENDPOINT, "pe", props, dependencies)


class TestNoPrivateEndpointForMacsecVault:
    def test_public_vault_with_firewall_passes(self):
        assert stack_violations(no_private_endpoint_for_macsec, macsec_stack()) == []

    def test_vault_without_public_network_access_passes(self):
        """Microsoft: with public access disabled, traffic from trusted services (ExpressRoute) still
        reaches the vault; only a private endpoint keeps ExpressRoute out."""
        resources = macsec_stack(vault_props=vault(publicNetworkAccess="Disabled"))
        assert stack_violations(no_private_endpoint_for_macsec, resources) == []

    def test_vault_with_private_endpoint_connections_is_flagged_by_name(self):
        props = vault(privateEndpointConnections=[{"id": VAULT_ID + "/privateEndpointConnections/pe"}])
        [(violation_urn, message)] = stack_violations(no_private_endpoint_for_macsec, macsec_stack(vault_props=props))
        assert violation_urn == urn(VAULT, "kv")
        # Azure names (the vault's and the port's), never the Pulumi names 'kv' and 'port'.
        assert message.startswith("Key Vault 'kv-macsec' holds the MACsec keys of ExpressRoute port 'erp-weu-1' but ")

    def test_vault_with_private_endpoint_connections_in_its_outputs_is_flagged(self):
        props = vault(privateEndpointConnections=[{"id": VAULT_ID + "/privateEndpointConnections/pe"}])
        [(_, message)] = stack_violations(no_private_endpoint_for_macsec, macsec_stack(vault_props=props))
        assert "private endpoint connections" in message

    @pytest.mark.parametrize("manual", [False, True], ids=["automatic", "manual"])
    def test_private_endpoint_for_the_vault_is_flagged(self, manual):
        resources = macsec_stack(extra=[private_endpoint(VAULT_ID.lower(), manual=manual)])
        [(violation_urn, message)] = stack_violations(no_private_endpoint_for_macsec, resources)
        assert violation_urn == urn(PRIVATE_ENDPOINT, "pe")
        assert message.startswith("Private endpoint 'pe-kv' is for Key Vault 'kv-macsec', which holds the MACsec keys "
                                  "of ExpressRoute port 'erp-weu-1': remove the private endpoint.")

    def test_private_endpoint_for_a_vault_outside_the_stack_is_flagged(self):
        resources = [stack_resource(PORT, "port", port()), private_endpoint()]
        [(_, message)] = stack_violations(no_private_endpoint_for_macsec, resources)
        assert "Key Vault 'kv-macsec'" in message

    def test_private_endpoint_with_unknown_target_is_followed_through_the_dependency(self):
        resources = macsec_stack()
        resources.append(private_endpoint(UNKNOWN_STRING_VALUE, dependencies=(resources[1],)))
        assert len(stack_violations(no_private_endpoint_for_macsec, resources)) == 1

    def test_vault_private_endpoint_connection_is_flagged(self):
        connection = stack_resource(VAULT_PRIVATE_ENDPOINT_CONNECTION, "pec",
                                    {"vaultName": "KV-MACSEC", "resourceGroupName": "rg-er"})
        [(violation_urn, _)] = stack_violations(no_private_endpoint_for_macsec, macsec_stack(extra=[connection]))
        assert violation_urn == urn(VAULT_PRIVATE_ENDPOINT_CONNECTION, "pec")

    def test_unrelated_vault_and_endpoint_pass(self):
        other = stack_resource(VAULT, "other", vault("kv-other", publicNetworkAccess="Disabled"))
        endpoint = private_endpoint(arm_id("Microsoft.KeyVault/vaults", "kv-other"))
        storage = private_endpoint(arm_id("Microsoft.Storage/storageAccounts", "kv-macsec"))
        assert stack_violations(no_private_endpoint_for_macsec, macsec_stack(extra=[other, endpoint, storage])) == []

    def test_unknown_identifiers_are_resolved_through_the_ports_secrets(self):
        key_vault = stack_resource(VAULT, "kv", vault(
            privateEndpointConnections=[{"id": VAULT_ID + "/privateEndpointConnections/pe"}]))
        cak = stack_resource(SECRET, "cak", {"vaultName": "kv-macsec", "secretName": "link1-cak",
                                            "properties": {"value": secret("c0ffee")}})
        props = port()
        for link in props["links"]:
            link["macSecConfig"].update(cakSecretIdentifier=UNKNOWN_STRING_VALUE,
                                        cknSecretIdentifier=UNKNOWN_STRING_VALUE)
        resources = [stack_resource(PORT, "port", props, dependencies=(cak,)), key_vault, cak]
        [(violation_urn, message)] = stack_violations(no_private_endpoint_for_macsec, resources)
        assert violation_urn == urn(VAULT, "kv") and "c0ffee" not in message

    def test_secret_identifiers_stay_out_of_messages(self):
        props = port()
        for link in props["links"]:
            for field in ("cakSecretIdentifier", "cknSecretIdentifier"):
                link["macSecConfig"][field] = secret(link["macSecConfig"][field])
        resources = macsec_stack(port_props=props, extra=[private_endpoint()], vault_props=vault(
            privateEndpointConnections=[{"id": VAULT_ID + "/privateEndpointConnections/pe"}]))
        messages = [message for _, message in stack_violations(no_private_endpoint_for_macsec, resources)]
        assert len(messages) == 2
        assert not any(secret_url(name="link1-cak") in message or "/secrets/" in message for message in messages)

    @pytest.mark.parametrize("vault_props", [
        {"vaultName": "kv-macsec", "properties": UNKNOWN_OBJECT_VALUE},
        {"vaultName": UNKNOWN_STRING_VALUE},
        {},
    ], ids=["unknown-properties", "unknown-name", "empty"])
    def test_unknown_and_missing_vault_values_do_not_crash(self, vault_props):
        stack_violations(no_private_endpoint_for_macsec, macsec_stack(vault_props=vault_props,
                                                                      extra=[private_endpoint({"id": 1})]))
