"""What a MACsec-required violation tells the user to do (``policy/remedy.py``): the stack keys
of this project's ports, Azure's properties in a foreign stack, and the exemption route."""

from tests.policy.policy_builders import PORT, port, resource_violations

from expressroute_encryption.policy.expressroute import macsec_required
from expressroute_encryption.policy.remedy import exemption_route, from_this_project, port_fix

OURS = ("urn:pulumi:prod::expressroute-encryption::expressroute-encryption:index:EncryptedDirectPort$"
        "azure-native:network:ExpressRoutePort::er-ams-1")
FOREIGN = "urn:pulumi:prod::network::azure-native:network:ExpressRoutePort::er-ams-1"


def link2_without_macsec() -> dict:
    props = port("active")
    del props["links"][1]["macSecConfig"]
    return props


def test_a_port_of_this_project_is_told_the_stack_key_and_the_exemption_file():
    assert from_this_project(OURS) and not from_this_project(FOREIGN)
    fix = port_fix("er-ams-1", OURS, link2_without_macsec())
    assert fix.startswith("Set ports[i].macsec.link2.enabled: true, one link per deployment")
    assert "where ports[i] is the entry with name: er-ams-1 in Pulumi.prod.yaml" in fix
    route = exemption_route("er-ams-1", OURS)
    assert 'an entry {"name": "er-ams-1", "expires": "YYYY-MM-DD"' in route
    assert "top-level exemptPorts list of policy-config.prod.json (at most one year ahead" in route


def test_a_reserved_port_of_this_project_is_told_its_stage():
    assert port_fix("er-ams-1", OURS, port("reserved")).startswith("Set ports[i].stage: encrypted")


def test_a_foreign_stack_is_told_azures_properties_and_the_pack_configs_list():
    assert port_fix("er-ams-1", FOREIGN, link2_without_macsec()).startswith("Set links[].macSecConfig with cipher")
    route = exemption_route("er-ams-1", FOREIGN)
    assert "policy-config" not in route and "exemptPorts [{\"name\": \"er-ams-1\"" in route
    assert ("under expressroute-port-macsec-required, expressroute-circuit-on-encrypted-port, "
            "expressroute-port-macsec-exemption") in route


def test_the_policy_message_carries_both_and_escapes_the_name():
    [message] = resource_violations(macsec_required, PORT, {**link2_without_macsec(),
                                                            "expressRoutePortName": "er\nams"}, name="er-ams-1")
    assert "MACsec is not on both links: link2 has no macSecConfig" in message
    assert "Set links[].macSecConfig" in message and '"name": "er\\nams"' in message and "\n" not in message
