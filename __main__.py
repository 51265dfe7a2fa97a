"""Encrypted ExpressRoute Direct: a Key Vault of MACsec keys, ports that use them, the
circuits that run on those ports and, optionally, IPsec over a circuit's private peering.

The story of the stack: read and check the config, compare each port's links with the
last deployment (a live port never has both links changed at once), and only then
create the resource group, the vault and its identity, each port with MACsec on both
links and its circuits, the VPN, the alerts, audit log and delete locks that let it be
operated, and export what the operator needs. Every resource that takes tags gets the
stack's ``tags``. Nothing is registered when the config or the change is refused.
"""

import pulumi

from expressroute_encryption.adoption import adopting_ports, adoption_problems
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.keys import key_reuse_warnings
from expressroute_encryption.config.loading import load_stack_config
from expressroute_encryption.config.stack import resource_group_import_id
from expressroute_encryption.link_state import LINK_STATE_VERSION
from expressroute_encryption.rotation import (
    first_deployment_problems,
    first_deployment_warnings,
    key_fingerprints,
    key_vault_state,
    read_last_deployment,
    rotation_problems,
    rotation_warnings,
)

try:
    config = load_stack_config()
except ConfigError as error:
    # RunError prints the message without a Python traceback and fails the update.
    raise pulumi.RunError(str(error)) from None

from pulumi_azure_native import resources  # noqa: E402  (only once the config is valid)

from expressroute_encryption.existing_vault import check_existing_vault  # noqa: E402
from expressroute_encryption import (  # noqa: E402
    DirectCircuit,
    EncryptedDirectPort,
    MacsecKeyVault,
    PrivatePeeringVpn,
    VirtualWanVpn,
)
from expressroute_encryption.locks import ResourceLocks  # noqa: E402
from expressroute_encryption.monitoring import ExpressRouteMonitoring, tag_resources  # noqa: E402


def build(adopting: frozenset[str] = frozenset()) -> None:
    """Create what the config describes (importing the ports in ``adopting`` and what
    has an importId), and export what the operator needs."""
    if config.tags:
        pulumi.runtime.register_stack_transformation(tag_resources(config.tags))
    protect = pulumi.ResourceOptions(protect=config.protect)
    # The group of adopted resources exists: adopt it too, wherever Azure put it.
    group_id = resource_group_import_id(config)
    group = resources.ResourceGroup(
        "expressroute", resource_group_name=config.resource_group_name,
        opts=pulumi.ResourceOptions.merge(protect, pulumi.ResourceOptions(import_=group_id, ignore_changes=["location"]))
        if group_id else protect,
    )

    vault = MacsecKeyVault(
        "macsec",
        {
            "resource_group_name": group.name,
            **config.key_vault.model_dump(exclude_unset=True),
            "protect": config.protect,
        },
    )

    ports, circuits = {}, {}
    for port in config.ports:
        byo = config.macsec_keys.get(port.name)
        ports[port.name] = EncryptedDirectPort(
            port.name,
            {
                "resource_group_name": group.name,
                "vault_resource_group_name": vault.vault_resource_group_name,
                "vault_name": vault.vault_name,
                "identity_id": vault.identity_id,
                **port.model_dump(exclude={"circuits"}),
                # As a secret Output: a component refuses plain keys (they would sit in
                # the state unencrypted); their format was checked with the config.
                **({"keys": pulumi.Output.secret(byo.plain())} if byo else {}),
                "protect": config.protect,
                "adopting": port.name in adopting,
            },
        )
        for circuit in port.circuits:
            circuits[circuit.name] = DirectCircuit(
                circuit.name,
                {
                    "resource_group_name": group.name,
                    "express_route_port_id": ports[port.name].port_id,
                    "port_bandwidth_in_gbps": port.bandwidth_in_gbps,
                    "port_stage": port.stage,
                    **circuit.model_dump(exclude_none=True),
                    "protect": config.protect,
                    "adopting": port.name in adopting,
                },
            )

    vpn = None
    if config.vpn:
        circuit = circuits[config.vpn.circuit]
        vpn_args = {
            "resource_group_name": group.name,
            **config.vpn.model_dump(exclude_none=True, exclude={"shared_key", "mode"}),
            **({"shared_key": pulumi.Output.secret(config.vpn.shared_key.get_secret_value())} if config.vpn.shared_key else {}),
        }
        vpn_args["protect"] = config.protect
        if config.vpn.mode == "virtualWan":
            vpn = VirtualWanVpn("vpn", {
                **vpn_args, "express_route_circuit_private_peering_id": circuit.private_peering_id,
            })
        else:
            vpn = PrivatePeeringVpn("vpn", {
                **vpn_args, "express_route_circuit_id": circuit.private_peering_ready_circuit_id,
            })

    if config.monitoring:
        ExpressRouteMonitoring("operations", {
            "resource_group_name": group.name,
            "vault_id": vault.vault_id,
            "workspace_name": f"log-{config.key_vault.vault_name}",
            "ports": [{"name": port.name, "id": ports[port.name].port_id, "stage": port.stage}
                      for port in config.ports],
            "circuits": [{"name": circuit.name, "id": circuits[circuit.name].circuit_id, "port_stage": port.stage}
                         for port in config.ports for circuit in port.circuits],
            **config.monitoring.model_dump(exclude_none=True),
            "protect": config.protect,
        })
    if config.locks_enabled:
        # CanNotDelete: a portal or CLI delete fails too. Lifting one: README, "Delete locks".
        ResourceLocks("locks", {"targets": [
            {"kind": "vault", "name": config.key_vault.vault_name, "id": vault.vault_id},
            *({"kind": "port", "name": n, "id": p.port_id} for n, p in ports.items()),
            *({"kind": "circuit", "name": n, "id": c.circuit_id} for n, c in circuits.items()),
        ]})

    pulumi.export("resourceGroupName", group.name)
    pulumi.export("keyVaultName", vault.vault_name)
    pulumi.export("keyVaultUri", vault.vault_uri)
    # Read back by the next deployment's guard: the vault settings Azure fixes once set.
    pulumi.export("keyVault", key_vault_state(config))
    pulumi.export("identityId", vault.identity_id)
    pulumi.export("identityPrincipalId", vault.identity_principal_id)
    # The rotation guard's memory, read back by the next deployment (see link_state.py).
    settings = {port.name: port for port in config.ports}
    pulumi.export("ports", {
        name: {
            "id": p.port_id,
            "stage": p.stage,
            "linkStateVersion": LINK_STATE_VERSION,
            "allowBothLinks": settings[name].macsec.allow_both_links,
            "links": p.links,
        }
        for name, p in ports.items()
    })
    # Read with: pulumi stack output macsecKeys --show-secrets
    pulumi.export("macsecKeys", pulumi.Output.secret({name: p.router_keys for name, p in ports.items()}))
    pulumi.export("circuits", {
        name: {
            "id": c.circuit_id,
            "serviceKey": c.service_key,
            "bandwidthInGbps": c.bandwidth_in_gbps,
            "expressRoutePortId": c.express_route_port_id,
            "peerings": c.peerings,
        }
        for name, c in circuits.items()
    })
    # Read with: pulumi stack output authorizationKeys --show-secrets
    pulumi.export("authorizationKeys", pulumi.Output.secret({name: c.authorization_keys for name, c in circuits.items()}))
    if vpn:
        pulumi.export("vpn", {
            "mode": config.vpn.mode,
            "circuit": config.vpn.circuit,
            "vpnGatewayPrivateIps": vpn.vpn_gateway_private_ips,
            "vpnGatewayBgpAddresses": vpn.vpn_gateway_bgp_addresses,
            "connectionId": vpn.connection_id,
            "expressRouteConnectionId": vpn.express_route_connection_id,
        })
        # Read with: pulumi stack output vpnSharedKey --show-secrets
        pulumi.export("vpnSharedKey", vpn.shared_key)

    if config.macsec_keys:
        # Compared by the next deployment to spot a bring-your-own key change (secret).
        pulumi.export("macsecKeyFingerprints", pulumi.Output.secret(key_fingerprints(config)))


async def main() -> None:
    """Refuse an existing vault ExpressRoute cannot read and unsafe changes against the
    last deployment, then build."""
    try:
        check_existing_vault(config.key_vault)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    previous = await read_last_deployment()
    problems = rotation_problems(config, previous) + adoption_problems(config, previous)
    # A preview cannot always know the history (offline without PREVIOUS): it warns;
    # the update itself refuses a new port created past `reserved`.
    new_ports = first_deployment_problems(config, previous) if not pulumi.runtime.is_dry_run() else []
    if problems := problems + new_ports:
        raise pulumi.RunError(str(ConfigError(problems, source="MACsec change refused")))
    # A port's own two links are the port component's to warn about.
    reuse = key_reuse_warnings(config.macsec_keys, across_ports_only=True)
    for warning in first_deployment_warnings(config, previous) + rotation_warnings(config, previous) + reuse:
        pulumi.log.warn(warning)
    build(adopting_ports(config, previous))


pulumi.run(main)
