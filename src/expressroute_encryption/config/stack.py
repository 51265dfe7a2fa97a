"""``StackConfig``: everything under the ``expressroute-encryption`` config namespace, the
rules across its parts, decommissioning, and adopting existing resources.

Adopting (``ports[i].importId``, ``ports[i].circuits[j].importId``, ``keyVault.existingId``):
an adopted port or circuit is registered with Pulumi's ``import`` option; Pulumi reads it
from Azure and refuses the import when the program's inputs differ from what Azure
holds, so the names and the resource group in the config must be Azure's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Optional

from pydantic import Field

from .. import facts
from ..arm import CIRCUIT_TYPE, PORT_TYPE, format_arm_id, parse_arm_id, resource_group_name_problem
from .changegate import ChangeGateSettings
from .keys import PortKeys
from .keyvault import KeyVaultSettings
from .operations import MonitoringSettings, Tags, drained_link_problems, tag_name_problem
from .ports import PortSettings, secret_prefix
from .region import region_name_problem
from .rules import ConfigModel, cross_rule, rule
from .vpn import VpnSettings


class DecommissionEntry(ConfigModel):
    """A live port (``encrypted`` or ``active``) or a circuit with peerings that the next
    deployment may delete. Without an entry naming it, removing one from the config is
    refused: it would delete a physical port, or a circuit and its BGP sessions."""

    port: Optional[str] = None
    """Name of a live port to delete."""
    circuit: Optional[str] = None
    """Name of a circuit with peerings to delete."""

    @cross_rule("port", "circuit")
    def _port_or_circuit(self):
        if (self.circuit is None) == (self.port is None):
            yield ("circuit",), "decommission_entry", "give exactly one of port: <port name> or circuit: <circuit name>"

    @property
    def kind(self) -> str:
        return "port" if self.port is not None else "circuit"

    @property
    def name(self) -> str:
        return self.port if self.port is not None else self.circuit


class StackConfig(ConfigModel):
    """Everything under the ``expressroute-encryption`` config namespace."""

    resource_group_name: Annotated[str, rule("resource_group_name", resource_group_name_problem)]
    """Resource group for everything the stack creates (the program creates it): 1-90 letters, digits, `_`, `-`, `.`, `(` or `)`, not ending in `.` (Azure's rule)."""
    protect: bool = True
    """Pulumi `protect` on everything whose loss breaks encryption or connectivity: the resource group, vault, identity and its permission, secrets, ports, circuits with their peerings, authorizations and route filters, and the VPN's gateways, connections and sites (generated keys excepted: rotation replaces them)."""
    key_vault: KeyVaultSettings
    """The Key Vault holding the MACsec keys (keys as below)."""
    ports: Annotated[list[PortSettings], Field(min_length=1)]
    """ExpressRoute Direct ports, at least one (keys as below)."""
    macsec_keys: dict[str, PortKeys] = Field(default_factory=dict)
    """Bring-your-own keys, secret config only: `macsecKeys.<port>.<link1|link2>.{cak,ckn}`; CKN an even number (2-64) of hex digits, CAK exactly 32 hex digits (128-bit ciphers) or 64 (256-bit ciphers). Generated when absent."""
    vpn: Optional[VpnSettings] = None
    """IPsec over a circuit's private peering, see the VPN section."""
    decommission: list[DecommissionEntry] = Field(default_factory=list)
    """Live ports (`- port: <name>`) and circuits with peerings (`- circuit: <name>`) the next deployment may delete; removing one without an entry is refused."""
    tags: Tags = Field(default_factory=dict)
    """Tags for every resource that takes tags (resource group, vault, identity, ports, circuits, gateways, alerts); at most 50, values up to 256 characters."""
    monitoring: Optional[MonitoringSettings] = None
    """Alerts and the vault's audit log (keys as below): see "Monitoring, audit logs and locks"."""
    change_gate: ChangeGateSettings = Field(default_factory=ChangeGateSettings)
    """The live change gate before a disruptive link change (keys as below): see "Change gate"."""
    locks: Optional[bool] = None
    """`CanNotDelete` management locks on the vault, each port and each circuit; default: on when `protect` is on."""
    lock_existing_vault: bool = False
    """With `keyVault.existingId`: put the delete lock on that vault too. Off by default: the vault is not the stack's, and a lock would also block its owners' deletes of role assignments and diagnostic settings on it."""
    unlisted_region: Optional[Annotated[str, rule("region_name", region_name_problem)]] = None
    """An Azure region missing from this product's region list (newer than the list, restricted, or a sovereign cloud's): set it to the same name as `azure-native:location` to deploy there. Any other region not in the list is refused as a likely typo."""

    @property
    def locks_enabled(self) -> bool:
        """``locks`` when set, else on exactly when ``protect`` is on."""
        return self.protect if self.locks is None else self.locks

    @property
    def vault_locked(self) -> bool:
        """Whether this deployment locks the vault: a vault the stack creates whenever locks
        are on, an existing one only with ``lockExistingVault``."""
        return self.locks_enabled and (self.key_vault.existing_id is None or self.lock_existing_vault)

    @cross_rule("lock_existing_vault", "key_vault", "locks", "protect")
    def _lock_existing_vault_needs_one(self):
        if not self.lock_existing_vault:
            return
        if self.key_vault.existing_id is None:
            yield ("lock_existing_vault",), "lock_existing_vault", (
                "only with keyVault.existingId: a vault the stack creates is locked whenever locks are on")
        elif not self.locks_enabled:
            yield ("lock_existing_vault",), "lock_existing_vault", (
                "needs locks on (locks is false, or protect is false without locks: true)")

    @cross_rule("monitoring", "ports*")
    def _drained_ports_exist(self):
        if self.monitoring is not None and None not in self.ports:
            yield from (((("monitoring", *loc), rule, message))
                        for loc, rule, message in drained_link_problems(
                            self.monitoring.drained_links, [port.name for port in self.ports]))

    @cross_rule("tags*")
    def _tag_names(self):
        """Each name follows Azure's rules; two names that differ only in case are one tag to
        Azure, so the second would overwrite the first."""
        seen: dict[str, str] = {}
        for name in self.tags:
            if problem := tag_name_problem(name):
                yield ("tags", name), "tag_name", problem
            # fact: tag-names-case-insensitive
            elif (first := seen.setdefault(name.casefold(), name)) != name:
                yield ("tags", name), "duplicate_tag", (
                    f"is the tag '{first}' to Azure (tag names are case-insensitive): keep one of them")

    @cross_rule("ports*", "resource_group_name")
    def _imports_in_the_resource_group(self):
        if None not in self.ports:
            yield from import_resource_group_problems(self)

    @cross_rule("ports*")
    def _unique_names(self):
        """Port and circuit names are Azure names in one resource group (Azure names are
        case-insensitive); port names also prefix secret names."""
        ports_seen, circuits_seen, prefixes = set(), set(), {}
        for i, port in enumerate(self.ports):
            if port is None:
                continue
            prefix = secret_prefix(port.name).lower()
            if port.name.lower() in ports_seen:
                yield ("ports", i, "name"), "duplicate_port", (
                    f"port name '{port.name}' is used twice; port names must be unique")
            elif prefix in prefixes:
                yield ("ports", i, "name"), "duplicate_secret_names", (
                    f"port names '{prefixes[prefix]}' and '{port.name}' name the same Key Vault secrets ('_' and '.' "
                    "are written '-' there, and secret names ignore case); one of the ports needs another name")
            ports_seen.add(port.name.lower())
            prefixes.setdefault(prefix, port.name)
            for j, circuit in enumerate(port.circuits):
                if circuit.name.lower() in circuits_seen:
                    yield ("ports", i, "circuits", j, "name"), "duplicate_circuit", (
                        f"circuit name '{circuit.name}' is used twice; circuit names must be unique in the stack")
                circuits_seen.add(circuit.name.lower())

    @cross_rule("vpn", "ports*")
    def _vpn_circuit_has_private_peering(self):
        """The tunnel rides a circuit's private peering, so that circuit must exist and have one."""
        vpn = self.vpn
        if vpn is None:
            return
        circuits = {c.name: c for port in self.ports if port is not None for c in port.circuits}
        if vpn.circuit not in circuits:
            if None in self.ports:
                return  # it may be on a port that failed its own checks
            names = ", ".join(sorted(circuits)) or "none are defined"
            yield ("vpn", "circuit"), "vpn_circuit", (
                f"no circuit named '{vpn.circuit}' in ports[].circuits[] (circuits: {names})")
        elif circuits[vpn.circuit].private_peering is None:
            yield ("vpn", "circuit"), "vpn_circuit", (
                f"circuit '{vpn.circuit}' has no privatePeering; the tunnel runs over private peering")

    @cross_rule("macsec_keys*")
    def _keys_match_ports(self):
        """Keys belong to a listed port, with the CAK length of that port's cipher."""
        ports = self.ports if self._has("ports") else None
        macsecs = {port.name: port.macsec for port in ports or [] if port is not None}
        names_known = ports is not None and None not in ports
        for port_name, port_keys in self.macsec_keys.items():
            if port_keys is None:
                continue
            if names_known and port_name not in macsecs:
                yield ("macsec_keys", port_name), "unknown_port", (
                    f"no port of that name in ports[] ({', '.join(sorted(macsecs)) or 'none'}); "
                    "keys must be listed under a port's name")
                continue
            for path, rule, message in port_keys.problems(macsecs.get(port_name)):
                yield ("macsec_keys", port_name, *path), rule, message


def import_resource_group_problems(config: StackConfig) -> Iterator:
    """Adopted ports and circuits stay where they are: in ``resourceGroupName`` (the stack
    manages them there), all in one subscription (the provider's)."""
    subscriptions = set()
    for i, port in enumerate(config.ports):
        imports = [((i, "import_id"), port.import_id, "port")] + [
            ((i, "circuits", j, "import_id"), circuit.import_id, "circuit")
            for j, circuit in enumerate(port.circuits)
        ]
        for loc, import_id, noun in imports:
            parts = parse_arm_id(import_id, PORT_TYPE if noun == "port" else CIRCUIT_TYPE)
            if parts is None:
                continue
            if parts.group.lower() != config.resource_group_name.lower():
                yield ("ports", *loc), "import_resource_group", (
                    f"the {noun} is in resource group '{parts.group}' but resourceGroupName is "
                    f"'{config.resource_group_name}': an adopted {noun} stays in its resource group, so set "
                    f"resourceGroupName: {parts.group}"
                )
            elif subscriptions and parts.subscription.lower() not in subscriptions:
                yield ("ports", *loc), "import_subscription", (
                    "is in another subscription than the other adopted resources: one stack deploys to one subscription"
                )
            subscriptions.add(parts.subscription.lower())


def resource_group_import_id(config: StackConfig) -> str | None:
    """The ARM id of ``resourceGroupName`` when the stack adopts resources in it (the group
    then exists already, so it is adopted too), else None."""
    for port in config.ports:
        for import_id, kind in [(port.import_id, PORT_TYPE)] + [(c.import_id, CIRCUIT_TYPE) for c in port.circuits]:
            if parts := parse_arm_id(import_id, kind):
                return format_arm_id(parts.subscription, config.resource_group_name)
    return None
