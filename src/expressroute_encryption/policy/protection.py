"""Resource policy: the resources an encrypted ExpressRoute Direct port cannot lose are protected.

Deleting the port gives up the physical ports and cross-connects (re-ordering takes weeks); deleting the
vault or a key secret breaks MACsec, and with it the links, until both ends are re-keyed. Pulumi's
``protect`` option makes ``pulumi destroy`` and an accidental refactor refuse to delete them.
"""

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .azure import PORT, SECRET, VAULT
from .resources import applies_to

_KINDS = {PORT: "ExpressRoute port", VAULT: "Key Vault", SECRET: "Key Vault secret"}


@applies_to(*_KINDS)
def require_protect(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """The port, vault or secret has the ``protect`` resource option set."""
    if not args.opts.protect:
        report_violation(
            f"{_KINDS[args.resource_type]} '{args.name}' is not protected: create it with "
            "ResourceOptions(protect=True) so that it cannot be deleted by accident.")


# fact: project-protect-critical
critical_resources_protected = ResourceValidationPolicy(
    name="critical-resources-protected",
    description="ExpressRoute ports, Key Vaults and their secrets are protected from deletion.",
    validate=require_protect,
    enforcement_level=EnforcementLevel.ADVISORY,
)

POLICIES = [critical_resources_protected]
