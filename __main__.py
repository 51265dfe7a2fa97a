"""Encrypted ExpressRoute Direct: a Key Vault of MACsec keys, ports that use them, the
circuits that run on those ports and, optionally, IPsec over a circuit's private peering.

The story of the stack, in ``main``: read and check the config; read the record the last
deployment left (``record.py``) and, for a port this deployment adopts, its links as Azure
has them; refuse what cannot be done safely against them (a live port never has both
links changed at once, an adopted port is not changed by the deployment that adopts it:
``guard.py``); then, before a disruptive link change, check Azure itself: the port as it is
and the last minutes of its and its circuits' metrics, so that a link changes only once its
traffic has moved to the other link and Azure still matches the record (``live_gate.py``,
applied by ``live_reads.apply_change_gate``); only then build the resource
group, the vault and its identity, each port with MACsec on both links and its circuits,
the VPN, and the alerts, audit log and delete locks that let it be operated; and export
what the operator needs and the record for the next deployment. Every resource that takes
tags gets the stack's ``tags``. Nothing is registered when the config or the change is
refused.
"""

from typing import NamedTuple

import pulumi

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import load_stack_config

try:
    config = load_stack_config()
except ConfigError as error:
    # RunError prints the message without a Python traceback and fails the update.
    raise pulumi.RunError(str(error)) from None

# Only once the config is valid:
from pulumi_azure_native import resources  # noqa: E402

from expressroute_encryption import (  # noqa: E402
    DirectCircuit,
    EncryptedDirectPort,
    MacsecKeyVault,
    PrivatePeeringVpn,
    VirtualWanVpn,
)
from expressroute_encryption.adoption import adopting_circuits, adopting_ports  # noqa: E402
from expressroute_encryption.direct_port import read_azure_links  # noqa: E402
from expressroute_encryption.config.keys import key_reuse_warnings  # noqa: E402
from expressroute_encryption.config.stack import resource_group_import_id  # noqa: E402
from expressroute_encryption.existing_vault import check_existing_vault, existing_vault_subscription  # noqa: E402
from expressroute_encryption.guard import change_problems, change_warnings  # noqa: E402
from expressroute_encryption.live_reads import apply_change_gate  # noqa: E402
from expressroute_encryption.locks import ResourceLocks  # noqa: E402
from expressroute_encryption.monitoring import ExpressRouteMonitoring, tag_resources  # noqa: E402
from expressroute_encryption.record import Previous, export_record, read_last_deployment  # noqa: E402


class Built(NamedTuple):
    """What ``build`` registered that the outputs name."""

    group: resources.ResourceGroup
    vault: MacsecKeyVault
    ports: dict[str, EncryptedDirectPort]
    circuits: dict[str, DirectCircuit]
    vpn: PrivatePeeringVpn | VirtualWanVpn | None


async def main() -> None:
    """Refuse an existing vault ExpressRoute cannot read and unsafe changes against the
    last deployment, then build and export."""
    try:
        check_existing_vault(config.key_vault)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    previous = await read_last_deployment()
    adopting = adopting_ports(config, previous)
    try:
        # The "before" of a port this deployment adopts is what Azure has (the record has none yet).
        azure = {port.name: read_azure_links(port.import_id) for port in config.ports if port.name in adopting}
    except ConfigError as error:
        raise pulumi.RunError(str(ConfigError(error.problems, source="MACsec change refused"))) from None
    if problems := change_problems(config, previous, updating=not pulumi.runtime.is_dry_run(), azure=azure):
        raise pulumi.RunError(str(ConfigError(problems, source="MACsec change refused")))
    # A port's own two links are the port component's to warn about.
    for warning in change_warnings(config, previous) + key_reuse_warnings(config.macsec_keys, across_ports_only=True):
        pulumi.log.warn(warning)
    # Azure now, before a disruptive link change: refused on pulumi up, reported on a preview.
    apply_change_gate(config, previous, updating=not pulumi.runtime.is_dry_run())
    built = build(adopting, adopting_circuits(config, previous), previous)
    export(built)
    export_record(config, built.ports, built.circuits)


def build(adopting: frozenset[str] = frozenset(), circuits_adopted: frozenset[str] = frozenset(),
          previous: Previous | None = None) -> Built:
    """Create what the config describes (importing what has an importId: the ports in
    ``adopting`` as Azure has them, and the peerings and authorizations of the circuits in
    ``circuits_adopted``); each port component checks its own change against its entry of
    ``previous``, the last deployment's record."""
    previous = previous or Previous()
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
                "vault_subscription_id": existing_vault_subscription(config.key_vault),
                **port.model_dump(exclude={"circuits"}),
                # As a secret Output: a component refuses plain keys (they would sit in
                # the state unencrypted); their format was checked with the config.
                **({"keys": pulumi.Output.secret(byo.plain())} if byo else {}),
                "protect": config.protect,
                "adopting": port.name in adopting,
                **previous.component_args(port.name),
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
                    "adopting": circuit.name in circuits_adopted,
                },
            )

    vpn = build_vpn(group, circuits) if config.vpn else None
    build_operations(group, vault, ports, circuits)
    return Built(group, vault, ports, circuits, vpn)


def build_vpn(group: resources.ResourceGroup, circuits: dict[str, DirectCircuit]) -> PrivatePeeringVpn | VirtualWanVpn:
    """IPsec over the private peering of the configured circuit, in a VNet or a Virtual WAN hub."""
    circuit = circuits[config.vpn.circuit]
    vpn_args = {
        "resource_group_name": group.name,
        **config.vpn.model_dump(exclude_none=True, exclude={"shared_key", "mode"}),
        **({"shared_key": pulumi.Output.secret(config.vpn.shared_key.get_secret_value())} if config.vpn.shared_key else {}),
    }
    vpn_args["protect"] = config.protect
    if config.vpn.mode == "virtualWan":
        return VirtualWanVpn("vpn", {
            **vpn_args, "express_route_circuit_private_peering_id": circuit.private_peering_id,
        })
    return PrivatePeeringVpn("vpn", {
        **vpn_args, "express_route_circuit_id": circuit.private_peering_ready_circuit_id,
    })


def build_operations(group: resources.ResourceGroup, vault: MacsecKeyVault, ports: dict[str, EncryptedDirectPort],
                     circuits: dict[str, DirectCircuit]) -> None:
    """The alerts and the vault's audit log (``monitoring``), and the delete locks."""
    if config.monitoring:
        ExpressRouteMonitoring("operations", {
            "resource_group_name": group.name,
            "vault_id": vault.vault_id,
            "workspace_name": f"log-{config.key_vault.vault_name}",
            "ports": [{"name": port.name, "id": ports[port.name].port_id, "stage": port.stage,
                       "carries_circuits": bool(port.circuits)} for port in config.ports],
            "circuits": [{"name": circuit.name, "id": circuits[circuit.name].circuit_id, "port_stage": port.stage,
                          "bandwidth_in_gbps": circuit.bandwidth_in_gbps}
                         for port in config.ports for circuit in port.circuits],
            **config.monitoring.model_dump(exclude_none=True),
            "protect": config.protect,
        })
    if config.locks_enabled:
        # CanNotDelete: a portal or CLI delete fails too. Lifting one: README, "Delete locks".
        # An existing vault is its owners' to lock (lockExistingVault).
        vault_target = {"kind": "vault", "name": config.key_vault.vault_name, "id": vault.vault_id}
        ResourceLocks("locks", {"targets": [
            *([vault_target] if config.vault_locked else []),
            *({"kind": "port", "name": n, "id": p.port_id} for n, p in ports.items()),
            *({"kind": "circuit", "name": n, "id": c.circuit_id} for n, c in circuits.items()),
        ]})


def export(built: Built) -> None:
    """What the operator needs: names and ids, and the keys as secrets (the guard's
    record is ``record.export_record``'s)."""
    pulumi.export("resourceGroupName", built.group.name)
    pulumi.export("keyVaultName", built.vault.vault_name)
    pulumi.export("keyVaultUri", built.vault.vault_uri)
    pulumi.export("identityId", built.vault.identity_id)
    pulumi.export("identityPrincipalId", built.vault.identity_principal_id)
    # Read with: pulumi stack output macsecKeys --show-secrets
    pulumi.export("macsecKeys", pulumi.Output.secret({name: p.router_keys for name, p in built.ports.items()}))
    # Read with: pulumi stack output authorizationKeys --show-secrets
    pulumi.export("authorizationKeys",
                  pulumi.Output.secret({name: c.authorization_keys for name, c in built.circuits.items()}))
    if built.vpn:
        pulumi.export("vpn", {
            "mode": config.vpn.mode,
            "circuit": config.vpn.circuit,
            "vpnGatewayPrivateIps": built.vpn.vpn_gateway_private_ips,
            "vpnGatewayBgpAddresses": built.vpn.vpn_gateway_bgp_addresses,
            "connectionId": built.vpn.connection_id,
            "expressRouteConnectionId": built.vpn.express_route_connection_id,
        })
        # Read with: pulumi stack output vpnSharedKey --show-secrets
        pulumi.export("vpnSharedKey", built.vpn.shared_key)


pulumi.run(main)
