"""An encrypted ExpressRoute Direct port and one circuit on it, purely from code.

A platform team's own Pulumi project: it installs the components as a package
(``requirements.txt``) and builds with them what the expressroute-encryption stack
builds from its config: a firewalled Key Vault and identity, a 10 Gbps Direct port
with MACsec on both links (keys generated, kept secret), and a circuit with a private
peering and one authorization key for an application team. The arguments are checked
with the same rules as that stack's config: a typo or a 10 Gbps port with an XPN cipher
stops the program before anything is registered.

The change guard comes with the port component: the program reads this stack's last
record (``read_last_deployment``), hands the port its entry (``component_args``), and
exports the new record (``export_port_records``). The port then refuses what the
expressroute-encryption stack refuses (both links of an active port in one deployment,
a new port past ``reserved`` on ``pulumi up``, ...) and logs the runbook of a link it
changes. The outputs have the shapes of the expressroute-encryption stack's outputs, so
other stacks read this one the same way (see ../vnet-on-existing-circuit).
"""

import pulumi
from pulumi_azure_native import resources

from expressroute_encryption import DirectCircuit, EncryptedDirectPort, MacsecKeyVault
from expressroute_encryption.record import export_port_records, read_last_deployment

PORT = "er-direct-ams-3"
CIRCUIT = "er-ckt-ams-platform"
# The port's lifecycle, one deployment per step: "reserved" first (Azure ignores or
# refuses link settings when it creates a port, and `pulumi up` refuses anything else on
# a new stack), then "encrypted" once the cross-connects are up, then "active".
# `pulumi config set stage encrypted` moves it on; circuits need MACsec in place.
STAGE = pulumi.Config().get("stage") or "reserved"


async def main() -> None:
    # The guard comes with the port component: it compares this deployment with the port's
    # entry of the last deployment's record (this stack's own `ports` output, read through a
    # stack reference to itself) and refuses what would drop both links of a live port.
    previous = await read_last_deployment()

    group = resources.ResourceGroup(
        "network", resource_group_name="rg-er-platform-dev", opts=pulumi.ResourceOptions(protect=True)
    )

    vault = MacsecKeyVault("macsec", {
        "resource_group_name": group.name,
        "name": "kv-er-platform-dev",
        "allowed_ip_ranges": ["198.51.100.0/26"],  # the deployers' egress
    })

    port = EncryptedDirectPort("ams-3", {
        "resource_group_name": group.name,
        "vault_name": vault.vault_name,
        "identity_id": vault.identity_id,
        "name": PORT,
        "peering_location": "Equinix-Amsterdam-AM5",
        "bandwidth_in_gbps": 10,
        "encapsulation": "Dot1Q",
        "billing_type": "MeteredData",
        "stage": STAGE,
        "macsec": {"cipher": "GcmAes256"},
        # last_deployment (and last_key_fingerprints with bring-your-own keys).
        **previous.component_args(PORT),
    })

    circuits = {}
    # A circuit only on an encrypted port: on a reserved one traffic could flow unencrypted.
    if STAGE != "reserved":
        circuits[CIRCUIT] = DirectCircuit("platform", {
            "resource_group_name": group.name,
            "express_route_port_id": port.port_id,
            "port_bandwidth_in_gbps": 10,
            "port_stage": STAGE,
            "name": CIRCUIT,
            "bandwidth_in_gbps": 5,
            "sku_tier": "Standard",
            "sku_family": "MeteredData",
            "authorizations": ["app-team-a"],
            "private_peering": {
                "peer_asn": 64910,
                "primary_peer_address_prefix": "10.254.0.0/30",
                "secondary_peer_address_prefix": "10.254.0.4/30",
                "vlan_id": 400,
            },
        })

    # The record the next deployment's guard reads back (`ports`, `circuits`): the same
    # shapes as the expressroute-encryption stack's outputs, so other stacks read them alike.
    export_port_records({PORT: port}, circuits)
    # Read with: pulumi stack output macsecKeys --show-secrets
    pulumi.export("macsecKeys", pulumi.Output.secret({PORT: port.router_keys}))
    if circuits:
        pulumi.export("authorizationKeys",
                      pulumi.Output.secret({name: c.authorization_keys for name, c in circuits.items()}))


pulumi.run(main)
