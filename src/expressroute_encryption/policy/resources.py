"""Helpers around the SDK's validation arguments: picking resource types, and following references
between resources in a stack policy."""

import functools
from collections.abc import Callable, Sequence

from pulumi_policy import PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .azure import ARM_TYPES, arm_name, arm_resource_group, azure_name, resource_group
from .props import UNKNOWN, get, text

ResourceCheck = Callable[[ResourceValidationArgs, ReportViolation], None]


def applies_to(*resource_types: str) -> Callable[[ResourceCheck], ResourceCheck]:
    """Run a resource validation only for the given resource types (which it carries as
    ``resource_types``, for ``ResourcePolicy``)."""

    def decorator(check: ResourceCheck) -> ResourceCheck:
        @functools.wraps(check)
        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if args.resource_type in resource_types:
                check(args, report_violation)

        validate.resource_types = frozenset(resource_types)
        return validate

    return decorator


class ResourcePolicy(ResourceValidationPolicy):
    """A resource policy that says which resource types it applies to (``resource_types``,
    its check's ``applies_to``; None: any). Under the CLI it is the SDK's resource policy,
    called for every resource, its check skipping the other types itself; the offline
    checker, which builds each resource's view for the policies, builds none for a
    resource no policy applies to (docs/performance.md)."""

    def __init__(self, *args, validate: ResourceCheck, **kwargs) -> None:
        super().__init__(*args, validate=validate, **kwargs)
        self.resource_types: frozenset[str] | None = getattr(validate, "resource_types", None)

    def applies_to(self, resource_type: str) -> bool:
        return self.resource_types is None or resource_type in self.resource_types


def of_type(resources: Sequence[PolicyResource], resource_type: str) -> list[PolicyResource]:
    """The stack's resources of one type."""
    return [resource for resource in resources if resource.resource_type == resource_type]


def referenced_resource(resource: PolicyResource, path: Sequence[str],
                        candidates: Sequence[PolicyResource]) -> PolicyResource | None:
    """The candidate that the ARM id at ``path`` in ``resource`` points at.

    The id is matched against a candidate's ``id`` output, or else (a resource still to be created has
    no id yet) against its name and resource group. When the id itself is unknown during preview, the
    candidate ``resource`` depends on is taken: a reference to a resource in the same program is a
    dependency on it.
    """
    reference = get(resource.props, *path)
    if reference is UNKNOWN:
        return depended_on(resource, candidates)
    return next((candidate for candidate in candidates if points_at(reference, candidate)), None)


def points_at(reference: object, candidate: PolicyResource) -> bool:
    """Whether the ARM id ``reference`` names ``candidate``."""
    wanted = text(reference)
    if not wanted:
        return False
    own_id = text(get(candidate.props, "id"))
    if own_id:
        return own_id.lower() == wanted.lower()
    name = arm_name(wanted, ARM_TYPES[candidate.resource_type])
    own_name = azure_name(candidate.resource_type, candidate.props)
    if not name or not own_name or name.lower() != own_name.lower():
        return False
    group, own_group = arm_resource_group(wanted), resource_group(candidate.props)
    return not (group and own_group and group.lower() != own_group.lower())


def depended_on(resource: PolicyResource, candidates: Sequence[PolicyResource]) -> PolicyResource | None:
    """The first candidate that ``resource`` depends on."""
    dependencies = {dependency.urn for dependency in resource.dependencies}
    return next((candidate for candidate in candidates if candidate.urn in dependencies), None)
