"""Delete locks on what the stack cannot afford to lose: the vault, the ports, the circuits.

A management lock works on the control plane only: it stops Azure Resource Manager
deleting the resource and what sits under it, not a secret deleted through the vault's
data plane (soft delete and purge protection guard those)."""

from typing import Optional

import pulumi
from pulumi_azure_native import authorization

from .component_args import ResourceLocksArgs
from .config.inputs import ResourceLocksInputs, validate_args
from .facts import LOCK_LEVEL
from .tokens import component_options, type_token

LOCK_NAME = "do-not-delete"


class ResourceLocks(pulumi.ComponentResource):
    """A ``CanNotDelete`` management lock on each target.

    Azure's lock semantics (fact: lock-cannotdelete-semantics, lock-extension-resources,
    lock-rbac-delete-blocked, lock-control-plane-only): the resource can still be read and
    changed (MACsec updates, admin state), but nobody can delete it through Azure Resource
    Manager, whatever their role, until the lock is removed. What Resource Manager deletes
    under it is blocked too: a circuit's peerings and authorizations, a vault's diagnostic
    settings and the role assignments at its scope. The vault's secrets are not: secrets
    are deleted on the data plane, which locks do not cover; soft delete and purge
    protection keep them recoverable.

    Those blocked deletes include the stack's own later ones (removing ``monitoring``, a
    peering or an authorization, the identity's role assignment): the change guard
    (``guard.py``, delete locks) refuses them while a lock is recorded, with the steps.
    Lifting a lock for a planned decommission: docs/operations.md, section 9.5 (the lock's
    notes point at the README's "Delete locks", in its task "Decommission")."""

    locked: list[str]
    """Names of the locked resources (plain data)."""

    def __init__(self, name: str, args: ResourceLocksArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        settings = validate_args(ResourceLocksInputs, args, source=f"ResourceLocks '{name}'")
        super().__init__(type_token("ResourceLocks"), name, None, component_options("ResourceLocks", opts))
        for target in settings.targets:
            authorization.ManagementLockByScope(
                f"{target.name}-{target.kind}-lock",
                scope=target.id,
                lock_name=LOCK_NAME,
                level=LOCK_LEVEL,
                notes=(f"ExpressRoute encryption stack: deleting this {target.kind} drops encrypted links. "
                       "Lift the lock only for a planned decommission (README, Delete locks)."),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.locked = [target.name for target in settings.targets]
        self.register_outputs({})
