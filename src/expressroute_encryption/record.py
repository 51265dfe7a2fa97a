"""The last-deployment record: the stack outputs the change guard writes and reads back.

The guard compares this config with what the last deployment applied, including what
Azure does not report (a link's key generation and key source, whether a bring-your-own
key changed), so every deployment records it in its own outputs:

- ``ports``: per port its id, stage, whether both links were allowed to change together,
  and per link the state it has after the deployment (``link_state.py``; on the deployment
  that adopts the port, what Azure has) with that state's version: each port's entry is
  its ``EncryptedDirectPort``'s ``record``;
- ``circuits``: per circuit its id, service key, bandwidth, port and peerings (a circuit
  with peerings that disappears needs a ``decommission`` entry);
- ``keyVault``: the vault settings Azure fixes once set;
- ``locks``: which resources were locked, and what the program manages under each lock
  (a delete a lock would block is refused: ``guard.lock_problems``);
- ``macsecKeyFingerprints`` (secret, only with bring-your-own keys): a fingerprint per
  link, so a key that changes without its ``keyGeneration`` is seen without exporting it.

This module is the one that writes them (``export_record``; ``export_port_records`` in a
program that builds the components itself) and reads them back: on ``pulumi up`` through a
stack reference to the stack itself (``read_last_deployment``; a port component gets its
entry from ``Previous.component_args``),
offline from a ``pulumi stack export`` (``offline/previous.py`` asks
``exported_record_problem``) or from the outputs of a run (``Previous.from_outputs``).
Every reader fails closed: a record it cannot read stops the update with the fix, and
only a stack with no outputs at all is a first deployment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Collection, Mapping, Protocol

from .facts import LINKS
from .link_state import LINK_STATE_VERSION, recorded_version

if TYPE_CHECKING:
    from .config.stack import StackConfig


class RecordedPort(Protocol):
    """What the record takes from a port component (``EncryptedDirectPort``, which imports
    this module: the record names no component)."""

    record: Any  # its entry of the ``ports`` output (an Output of the mapping)
    key_fingerprints: Any
    brings_own_keys: bool


class RecordedCircuit(Protocol):
    """What the record takes from a circuit component (``DirectCircuit``)."""

    circuit_id: Any
    service_key: Any
    bandwidth_in_gbps: Any
    express_route_port_id: Any
    peerings: Any

# The stack outputs the guard reads back from the last deployment, and the field of
# ``Previous`` each fills: ``read_last_deployment`` and the offline tools read the same list.
GUARD_OUTPUTS = {"ports": "ports", "macsecKeyFingerprints": "fingerprints", "circuits": "circuits",
                 "keyVault": "key_vault", "locks": "locks"}


@dataclass
class Previous:
    """What the last deployment applied: the ``ports`` stack output, the bring-your-own
    key fingerprints (empty where there are none, or they could not be read offline), and
    the ``circuits`` output (to notice a circuit with peerings that is removed)."""

    ports: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, Any] = field(default_factory=dict)
    circuits: dict[str, Any] = field(default_factory=dict)
    # The vault settings Azure fixes once set (the ``keyVault`` output); empty before it existed.
    key_vault: dict[str, Any] = field(default_factory=dict)
    # The delete locks and what sits under them (the ``locks`` output, ``locks_record``);
    # empty before it existed.
    locks: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> "Previous":
        """The record in a deployment's stack outputs (plain values). An output it lacks is
        empty; a ``ports`` output of another shape is kept, for ``previous_problems`` to refuse."""
        return cls(ports=outputs.get("ports", {}),
                   **{field: outputs.get(key) or {} for key, field in GUARD_OUTPUTS.items() if key != "ports"})

    @property
    def is_first_deployment(self) -> bool:
        """No ports recorded at all (a ``ports`` output of another shape is not "none")."""
        return isinstance(self.ports, Mapping) and not self.ports

    def port(self, name: str) -> Mapping[str, Any]:
        """One port of the last deployment ({} when it had none of that name)."""
        info = self.ports.get(name) if isinstance(self.ports, Mapping) else None
        return info if isinstance(info, Mapping) else {}

    def links(self, name: str) -> Mapping[str, Any]:
        """The recorded state of each link of one port ({} when it had none)."""
        return self.port(name).get("links") or {}

    def component_args(self, name: str) -> dict[str, Any]:
        """What an ``EncryptedDirectPort`` for the port ``name`` takes from this record, so
        that it applies the guard itself: ``last_deployment`` (the port's entry of the
        ``ports`` output, {} when the last deployment did not have it) and, with
        bring-your-own keys, ``last_key_fingerprints`` (secret)."""
        args: dict[str, Any] = {"last_deployment": dict(self.port(name))}
        prints = self.fingerprints.get(name) if isinstance(self.fingerprints, Mapping) else None
        if prints:
            import pulumi

            args["last_key_fingerprints"] = pulumi.Output.secret(dict(prints))
        return args


def previous_problems(previous: Previous) -> list[str]:
    """An earlier ``ports`` output the guard cannot compare with: refused, not skipped,
    because skipping would let a change through unguarded (fail closed)."""
    if not isinstance(previous.ports, Mapping):
        return ["ports: the last deployment's `ports` output is not a map of ports: the MACsec change guard "
                "cannot compare with it; check the stack's outputs with `pulumi stack output ports --json`"]
    return [problem for name, info in previous.ports.items() for problem in port_record_problems(name, info)]


def port_record_problems(name: str, info: Any) -> list[str]:
    """Why one port's entry of the ``ports`` output cannot be compared with (none when it can)."""
    version = recorded_version(info) if isinstance(info, Mapping) else None
    links = info.get("links") if isinstance(info, Mapping) else None
    if version is None or not isinstance(links, Mapping) or not all(
            isinstance(links.get(link), Mapping) for link in LINKS):
        return [
            f"ports: the last deployment's `ports` output for port '{name}' is not in the shape this program "
            "writes (links link1 and link2, a whole linkStateVersion): the MACsec change guard cannot compare "
            "with it; check `pulumi stack output ports --json`"
        ]
    if version > LINK_STATE_VERSION:
        return [
            f"ports: port '{name}' was last deployed by a newer version of this program (link state version "
            f"{version}; this one knows up to {LINK_STATE_VERSION}), whose link settings this version cannot "
            "compare: deploy with that version or a later one"
        ]
    return []


# --- writing the record ------------------------------------------------------------------


def key_vault_state(config: StackConfig) -> dict[str, Any]:
    """The ``keyVault`` stack output: the vault settings Azure does not let a deployment
    change back (fact: kv-purge-protection-irreversible, kv-retention-7-90-immutable)."""
    vault = config.key_vault
    if vault.existing_id is not None:
        return {"existingId": vault.existing_id}
    return {"purgeProtection": vault.purge_protection, "softDeleteRetentionDays": vault.soft_delete_retention_days}


def key_fingerprints(config: StackConfig) -> dict[str, dict[str, str]]:
    """Secret output: per port with bring-your-own keys, a fingerprint per link."""
    return {
        port: {link: keys.fingerprint(link) for link in LINKS}
        for port, keys in config.macsec_keys.items()
    }


def ports_record(ports: Mapping[str, RecordedPort]) -> dict[str, Any]:
    """The ``ports`` output: per port its component's ``record`` (id, stage, whether both
    links were allowed to change together, and per link the state it has after this
    deployment, under the version of that state)."""
    return {name: p.record for name, p in ports.items()}


def circuits_record(circuits: Mapping[str, RecordedCircuit]) -> dict[str, Any]:
    """The ``circuits`` output: the guard reads each circuit's ``peerings``; the operator
    and the offline preview the rest."""
    return {
        name: {
            "id": c.circuit_id,
            "serviceKey": c.service_key,
            "bandwidthInGbps": c.bandwidth_in_gbps,
            "expressRoutePortId": c.express_route_port_id,
            "peerings": c.peerings,
        }
        for name, c in circuits.items()
    }


def export_port_records(ports: Mapping[str, RecordedPort],
                        circuits: Mapping[str, RecordedCircuit] | None = None) -> None:
    """Export the ports' record (``ports``, and ``macsecKeyFingerprints`` where a port has
    bring-your-own keys) and, when given, the ``circuits`` output: what the next
    deployment's guard reads back, in a program of this stack or one that builds the
    components itself (README, "The guard in your own program")."""
    import pulumi

    pulumi.export("ports", ports_record(ports))
    if circuits is not None:
        pulumi.export("circuits", circuits_record(circuits))
    prints = {name: p.key_fingerprints for name, p in ports.items() if p.brings_own_keys}
    if prints:
        # Compared by the next deployment to spot a bring-your-own key change (secret).
        pulumi.export("macsecKeyFingerprints", pulumi.Output.secret(prints))


def export_record(config: StackConfig, ports: Mapping[str, RecordedPort],
                  circuits: Mapping[str, RecordedCircuit]) -> None:
    """Export the record, for the next deployment's guard to read back: every output in
    ``GUARD_OUTPUTS`` (the fingerprints only where there are bring-your-own keys)."""
    import pulumi

    export_port_records(ports, circuits)
    pulumi.export("keyVault", key_vault_state(config))
    pulumi.export("locks", locks_record(config))


# --- the delete locks ---------------------------------------------------------------------
# What the guard's lock rules (guard.py, "delete locks") compare with: which resources the
# last deployment locked, and what the program manages under each lock that it may later
# delete. A record made before this existed reads as its defaults: every vault and circuit
# locked (locks were on by default: fail closed), nothing known under them.

VAULT_LOCK_DEFAULTS = {"locked": True, "vault": None, "roleAssignment": False, "auditLog": False}
CIRCUIT_LOCK_DEFAULTS = {"locked": True, "peerings": None, "authorizations": []}


def locks_record(config: StackConfig) -> dict[str, Any]:
    """The ``locks`` output: per locked resource (the vault, each circuit) whether this
    deployment locks it, and the children the program would delete under it: the vault's
    role assignment (``keyVault.authorization: rbac``) and diagnostic setting
    (``monitoring``), a circuit's peerings (config keys) and authorizations."""
    vault = config.key_vault
    return {
        "vault": {
            "locked": config.vault_locked,
            "vault": vault.existing_id or vault.name,
            "roleAssignment": vault.authorization == "rbac",
            "auditLog": config.monitoring is not None,
        },
        "circuits": {
            circuit.name: {
                "locked": config.locks_enabled,
                "peerings": [key for key, _ in circuit.peerings()],
                "authorizations": list(circuit.authorizations),
            }
            for port in config.ports for circuit in port.circuits
        },
    }


def recorded_vault_lock(previous: Previous) -> dict[str, Any]:
    """The vault's lock in the last deployment, every field filled (defaults above)."""
    entry = previous.locks.get("vault") if isinstance(previous.locks, Mapping) else None
    return {**VAULT_LOCK_DEFAULTS, **(entry if isinstance(entry, Mapping) else {})}


def recorded_circuit_lock(previous: Previous, name: str) -> dict[str, Any]:
    """A circuit's lock in the last deployment, every field filled (defaults above;
    ``peerings`` None when only the circuit record's count of them is known)."""
    circuits = previous.locks.get("circuits") if isinstance(previous.locks, Mapping) else None
    entry = circuits.get(name) if isinstance(circuits, Mapping) else None
    return {**CIRCUIT_LOCK_DEFAULTS, **(entry if isinstance(entry, Mapping) else {})}


# --- reading it back on pulumi up ----------------------------------------------------------


def whole_numbers(value: Any) -> Any:
    """Outputs travel as protobuf doubles: give whole numbers back their int type."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value


# The guard reads its memory from the stack's own outputs. Pulumi CLIs before the fix
# of pulumi/pulumi#15754 (merged 2024-03-25, released in 3.112.0 as far as we could tell:
# the exact release is unverified) deleted every stack output when an update failed,
# so the next deployment looked like a first one and was not guarded.
# fact: pulumi-failed-update-outputs
MIN_PULUMI_CLI = "3.112.0"

# The fix for every way the self-reference can fail to resolve. fact: pulumi-diy-legacy-before-3.61
REFERENCE_FIX = (
    "check `pulumi stack ls` lists the stack as {name}; a self-managed (DIY) backend created by a Pulumi CLI "
    "before 3.61.0 keeps the legacy layout, which cannot resolve organization/<project>/<stack>: upgrade it with "
    "`pulumi state upgrade`"
)


def require_cli() -> None:
    """Refuse to run under a Pulumi CLI that may have dropped the outputs the guard reads.

    The check is the engine's own version check; a CLI too old to answer it is refused
    too (fail closed), with the same fix."""
    import pulumi

    try:
        pulumi.require_pulumi_version(f">={MIN_PULUMI_CLI}")
    except Exception as exc:  # the SDK raises plain Exceptions for both cases
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise pulumi.RunError(
            f"MACsec change guard: {reason}. The guard needs Pulumi CLI {MIN_PULUMI_CLI} or later, and one that "
            "can confirm its version (older CLIs deleted the stack outputs of a failed update, which are the "
            "guard's record of the links): install the Pulumi CLI version pinned as `pulumi` in requirements.txt"
        ) from None


async def read_last_deployment() -> Previous:
    """The stack's own last outputs, through a stack reference to itself.

    Fails closed: a stack with no outputs at all was never deployed (a first deployment);
    a reference that cannot be read, outputs without ``ports``, or a ``ports`` output that
    cannot be read stop the update with the fix, instead of passing it unguarded."""
    import pulumi

    require_cli()
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    try:
        ref = pulumi.StackReference(name)
        outputs = await ref.outputs.future()
        details = {key: await ref.get_output_details(key) for key in GUARD_OUTPUTS}
    except Exception as exc:  # any failure to read is a refusal, never a first deployment
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        message = (f"MACsec change guard: cannot read the last deployment through the stack reference {name} "
                   f"({reason}); nothing was deployed. {REFERENCE_FIX.format(name=name)}")
        # The engine may report its own failed read first and end the update: log the fix too.
        pulumi.log.error(message)
        raise pulumi.RunError(message) from None
    if not outputs:
        return Previous()

    read = {}
    for key, found in details.items():
        read[key] = whole_numbers(found.value if found.value is not None else found.secret_value)
        if key in outputs and not isinstance(read[key], Mapping):
            raise pulumi.RunError(
                f"MACsec change guard: the last deployment of {name} has a `{key}` output that cannot be read, so "
                "the guard cannot tell what the links have; nothing was deployed. Check `pulumi stack output "
                f"{key} --json --show-secrets` works with this stack's secrets provider"
            )
    if "ports" not in outputs:
        raise pulumi.RunError(
            f"MACsec change guard: the last deployment of {name} has outputs but no `ports` output, so the guard "
            "cannot tell what the links have; nothing was deployed. Check `pulumi stack output --json`; if the "
            "outputs were lost (a failed update on an older Pulumi CLI), restore the last good state from the "
            "stack's update history with `pulumi stack import`"
        )
    return Previous.from_outputs(read)


# --- reading it back offline, from a `pulumi stack export` ---------------------------------


def exported_record_problem(outputs: Mapping[str, Any], unreadable: Collection[str], holds_ports: bool) -> str | None:
    """Why the outputs of an export cannot be the guard's last deployment (None when they
    can): the offline form of ``read_last_deployment``'s refusals. ``outputs`` are those it
    could read, ``unreadable`` the secret ones it could not decrypt; ``holds_ports`` says the
    export has ExpressRoute Direct ports. The offline tools put the file's name before it."""
    if "ports" in unreadable:
        return ("the `ports` output is secret and cannot be decrypted offline (the stack does not use the passphrase "
                "provider, or PULUMI_CONFIG_PASSPHRASE is not set): the MACsec change guard needs it; export with "
                "`pulumi stack export --show-secrets` (and keep the file private)")
    if "ports" not in outputs and holds_ports:
        before = MIN_PULUMI_CLI.rsplit(".", 1)[0]
        return (f"the stack holds ExpressRoute Direct ports but no `ports` output (outputs lost by a failed update on "
                f"a Pulumi CLI before {before}, or not made by this program): the MACsec change guard cannot "
                "compare; restore the last good state with `pulumi stack import` first")
    return None


def exported_record_notes(unreadable: Collection[str]) -> list[str]:
    """What the offline guard cannot check with the secret outputs it could not decrypt
    (the offline tools put the file's name before each)."""
    if "macsecKeyFingerprints" not in unreadable:
        return []
    return ["secret outputs cannot be decrypted offline (the stack does not use the passphrase provider, or "
            "PULUMI_CONFIG_PASSPHRASE is not set): a bring-your-own key changed without its keyGeneration is not "
            "detected here; `pulumi preview` checks it"]
