"""Which vaults hold an ExpressRoute port's MACsec keys, and what on the Key Vault side serves a port.

The vault policies judge only these, so that the pack can be dropped into any team's stack: a vault
that no ExpressRoute port of the stack reads its keys from (an application's vault, say) gets nothing,
nor do its secrets, access policies, role assignments and identities.

A vault holds a port's keys when one of the port's links names it in ``cakSecretIdentifier`` or
``cknSecretIdentifier``: by the vault's name (the host label of the secret URL, compared without case)
or its URI (``properties.vaultUri``). The vault may be outside the stack (an existing vault): its
secrets, access policy and role assignment in the stack still serve the port. While the identifiers are
unknown (preview) or unreadable (encrypted in a stack export), the port's dependencies name the vault:
a vault it depends on, or the vault of a secret it depends on. A port that references no vault yet
(the ``reserved`` stage: no link settings) makes no vault a MACsec vault.
"""

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from pulumi_policy import PolicyResource

from .azure import (
    ACCESS_POLICY,
    ARM_TYPES,
    IDENTITY,
    PORT,
    ROLE_ASSIGNMENT,
    SECRET,
    VAULT,
    arm_name,
    azure_name,
    parse_secret_identifier,
)
from .macsec import SECRET_FIELDS, port_links
from .props import UNKNOWN, elements, get, text
from .resources import depended_on, of_type

# The Key Vault side of a port: what the vault policies and the protection policy judge only when it
# serves a port.
KEY_VAULT_SIDE = (VAULT, SECRET, ACCESS_POLICY, ROLE_ASSIGNMENT, IDENTITY)


class MacsecVaults:
    """The stack's ports and the vaults (in the stack or not) that hold their MACsec keys."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self._by_name: dict[str, PolicyResource] = {}  # vault name, lower case -> a port using it
        self._by_urn: dict[str, PolicyResource] = {}  # the stack's vault -> a port using it
        vaults, secrets = of_type(resources, VAULT), of_type(resources, SECRET)
        self._ports = of_type(resources, PORT)
        for port in self._ports:
            names, unresolved = vault_names_in_identifiers(port)
            for name in names:
                self._by_name.setdefault(name.lower(), port)
            if unresolved:
                for vault in vaults_port_depends_on(port, vaults, secrets):
                    self._by_urn.setdefault(vault.urn, port)
        for vault in vaults:
            port = self._by_urn.get(vault.urn) or self._named(vault_names(vault))
            if port is not None:
                self._by_urn[vault.urn] = port
                for name in vault_names(vault):
                    self._by_name.setdefault(name.lower(), port)

    def port_of(self, vault: PolicyResource | None, vault_name: str | None = None) -> PolicyResource | None:
        """A port whose keys are in ``vault`` (a stack resource) or in the vault named ``vault_name``."""
        if vault is not None and vault.urn in self._by_urn:
            return self._by_urn[vault.urn]
        return self._named([vault_name] if vault_name else [])

    def port_served_by(self, resource: PolicyResource) -> PolicyResource | None:
        """For a resource on the Key Vault side (``KEY_VAULT_SIDE``), a port it serves: the vault holding
        its keys, a secret, access policy or role assignment on that vault, or the port's identity."""
        kind = resource.resource_type
        if kind == VAULT:
            return self.port_of(resource)
        if kind == IDENTITY:
            return next((port for port in self._ports if _uses_identity(port, resource)), None)
        if kind == SECRET:
            name = text(get(resource.props, "vaultName")) or arm_name(get(resource.props, "id"), ARM_TYPES[VAULT])
        elif kind == ACCESS_POLICY:
            name = text(get(resource.props, "vaultName"))
        elif kind == ROLE_ASSIGNMENT:
            name = arm_name(get(resource.props, "scope"), ARM_TYPES[VAULT])
        else:
            return None
        if name and (port := self._named([name])):
            return port
        return next((self._by_urn[dependency.urn] for dependency in resource.dependencies
                     if dependency.urn in self._by_urn), None)

    def _named(self, names: Iterable[str]) -> PolicyResource | None:
        return next((self._by_name[name.lower()] for name in names if name.lower() in self._by_name), None)


def vault_names(vault: PolicyResource) -> list[str]:
    """The names a vault of the stack is known by: its Azure name, and the host label of its URI."""
    names = [azure_name(VAULT, vault.props)]
    uri = text(get(vault.props, "properties", "vaultUri"))
    if uri:
        names.append((urlsplit(uri).hostname or "").split(".")[0])
    return [name for name in names if name]


def vault_names_in_identifiers(port: PolicyResource) -> tuple[set[str], bool]:
    """The vaults a port's readable secret identifiers name, and whether some identifiers are unreadable."""
    links = port_links(port.props)
    names, unresolved = set(), links is None
    for link in links or []:
        for field in SECRET_FIELDS:
            value = get(link.macsec, field)
            reference = parse_secret_identifier(value)
            unresolved = unresolved or value is UNKNOWN
            if reference:
                names.add(reference.vault)
    return names, unresolved


def vaults_port_depends_on(port: PolicyResource, vaults: Sequence[PolicyResource],
                           secrets: Sequence[PolicyResource]) -> list[PolicyResource]:
    """Vaults the port depends on directly or through one of their secrets."""
    found = []
    for dependency in port.dependencies:
        if dependency.resource_type == VAULT:
            found.append(dependency)
        elif dependency.resource_type == SECRET:
            vault = vault_of_secret(dependency, vaults)
            if vault is not None:
                found.append(vault)
    return found


def vault_of_secret(secret: PolicyResource, vaults: Sequence[PolicyResource]) -> PolicyResource | None:
    """The stack's vault a secret is stored in: by its ``vaultName`` input or its id, else its dependency."""
    name = text(get(secret.props, "vaultName")) or arm_name(get(secret.props, "id"), ARM_TYPES[VAULT])
    return vault_named(vaults, name) if name else depended_on(secret, vaults)


def vault_named(vaults: Sequence[PolicyResource], name: str | None) -> PolicyResource | None:
    """The stack's vault with Azure name ``name`` (names compared without case)."""
    wanted = (name or "").lower()
    return next((vault for vault in vaults if wanted and (azure_name(VAULT, vault.props) or "").lower() == wanted),
                None)


def _uses_identity(port: PolicyResource, identity: PolicyResource) -> bool:
    """Whether the port reads its keys as ``identity``: its id among the port's user-assigned
    identities (a list of ids in the inputs, a map keyed by id in the outputs), or a dependency of the
    port on it (the ids are unknown during preview)."""
    if identity.urn in {dependency.urn for dependency in port.dependencies}:
        return True
    assigned = get(port.props, "identity", "userAssignedIdentities")
    ids = list(assigned.keys()) if isinstance(assigned, Mapping) else [text(item) for item in elements(assigned)]
    own_id, own_name = text(get(identity.props, "id")), azure_name(IDENTITY, identity.props)
    for assigned_id in filter(None, ids):
        if own_id and assigned_id.lower() == own_id.lower():
            return True
        if not own_id and own_name and (arm_name(assigned_id, ARM_TYPES[IDENTITY]) or "").lower() == own_name.lower():
            return True
    return False
