"""An ExpressRoute Direct port with MACsec on both links, the keys it uses, and the change
guard that comes with it.

The component applies the guard's rules about one port itself (``guard.component_problems``),
so a program that builds it gets the refusals the stack program gets: it takes its entry of
the last deployment's record (``last_deployment``) and, on the deployment that adopts a
port, reads the port's links from Azure (``read_azure_links``). Its ``record`` is the same
entry for the next deployment (``record.export_port_records``).
"""

from typing import Any, Mapping, Optional, TypedDict

import pulumi
import pulumi_random as random
from pulumi_azure_native import keyvault, network

from . import existing_vault
from .arm import PORT_TYPE, parse_arm_id
from .component_args import EncryptedDirectPortArgs
from .config.errors import ConfigError
from .config.inputs import EncryptedDirectPortInputs, validate_args
from .config.keys import PortKeys
from .config.ports import PortSettings, secret_name
from .facts import CAK_HEX_DIGITS, CKN_HEX_DIGITS, LINKS
from .guard import (
    COMPONENT_LOC,
    component_problems,
    component_warnings,
    link_changes,
    planned_port_links,
    unannounced_key_change_problems,
)
from .link_state import (
    BRING_YOUR_OWN,
    GENERATED,
    LINK_STATE_VERSION,
    AzureLinkError,
    azure_link_states,
    link_state,
    with_azure_fields,
)
from .runbook import Watch, port_runbook
from .secret_inputs import checked_port_keys, checked_secret
from .tokens import component_options, type_token


class PortLinkState(TypedDict):
    """What one link of the port got from this deployment (keys as in the ``ports`` stack output).

    The schema of the component package for ``link_state.link_state()`` plus the secret
    names and URLs; the two are kept in step by a test."""

    cipher: str
    """MACsec cipher of the link."""
    sciState: str
    """'Enabled' or 'Disabled'."""
    keyGeneration: int
    """Key generation of the link's CAK/CKN."""
    keySource: str
    """'generated' or 'bringYourOwn'."""
    macsecEnabled: bool
    """False while the port is 'reserved' (no link settings are sent yet) and on a link with 'enabled: false'."""
    adminState: str
    """'Enabled' only in the 'active' stage."""
    cakSecretName: str
    """Key Vault secret holding the CAK."""
    cknSecretName: str
    """Key Vault secret holding the CKN."""
    cakSecretUri: str
    """Versioned URL of the CAK secret (reveals nothing about the key)."""
    cknSecretUri: str
    """Versioned URL of the CKN secret."""


class PortLinks(TypedDict):
    """Both links of an ExpressRoute Direct port."""

    link1: PortLinkState
    link2: PortLinkState


class MacsecKeyPair(TypedDict):
    """A generated pre-shared key, to load into the router of one link."""

    cak: str
    """Connectivity association key (hex)."""
    ckn: str
    """Connectivity association key name (hex)."""


def link_settings(settings: PortSettings, key_source: str, cak_uris: Mapping[str, Any],
                  ckn_uris: Mapping[str, Any]):
    """The ``links`` property for the port's lifecycle stage, from each link's state.

    Azure ignores link settings in the request that creates a port, so a ``reserved``
    port sends none; ``encrypted`` turns MACsec on with the links still admin-disabled;
    ``active`` admin-enables both links (see ``link_state.FIELDS``). A link with
    ``macsec.<link>.enabled: false`` gets its admin state and no ``macSecConfig``: that is
    how a port without MACsec looks in Azure (Microsoft's REST example of a port update,
    fact: erport-link-without-macsec), so adopting a live unencrypted port changes nothing."""
    if settings.stage == "reserved":
        return None
    links = []
    for link in LINKS:
        state = link_state(settings, link, key_source)
        mac_sec_config = network.ExpressRouteLinkMacSecConfigArgs(
            cipher=state["cipher"],
            sci_state=state["sciState"],
            cak_secret_identifier=cak_uris[link],
            ckn_secret_identifier=ckn_uris[link],
        ) if state["macsecEnabled"] else None
        links.append(network.ExpressRouteLinkArgs(name=link, admin_state=state["adminState"],
                                                  mac_sec_config=mac_sec_config))
    return links


def read_azure_links(import_id: str, opts: Optional[pulumi.InvokeOptions] = None) -> dict[str, dict[str, Any]]:
    """What Azure shows of each link of the existing port ``import_id`` (an invoke: it runs
    with the deployment's own credentials on ``pulumi preview`` and ``pulumi up``; offline,
    the mocks answer it). Raises ConfigError naming ``import_id`` when the port cannot be
    read or its links cannot be understood: adopting it unguarded is refused (fail closed)."""
    parts = parse_arm_id(import_id, PORT_TYPE)
    try:
        result = network.get_express_route_port(express_route_port_name=parts.name,
                                                resource_group_name=parts.group, opts=opts)
    except Exception as exc:  # the provider's error says why (not found, no access)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError([f"import_id: the port to adopt could not be read from Azure ({reason}); nothing was "
                           "compared, so the adoption is refused"]) from None
    try:
        return azure_link_states(port_of_get_express_route_port(result))
    except AzureLinkError as error:
        raise ConfigError([f"import_id: Azure's description of the port cannot be read: {error}"]) from None


def port_of_get_express_route_port(result: Any) -> dict[str, Any]:
    """The links ``link_state.azure_link_states`` reads, from the provider's
    ``get_express_route_port`` result (snake_case attributes), in Azure's camelCase."""
    def link(item: Any) -> dict[str, Any]:
        config = item.mac_sec_config
        return {
            "name": item.name,
            "adminState": item.admin_state,
            "macSecConfig": None if config is None else {
                "cipher": config.cipher, "sciState": config.sci_state,
                "cakSecretIdentifier": config.cak_secret_identifier,
                "cknSecretIdentifier": config.ckn_secret_identifier,
            },
        }

    return {"links": [link(item) for item in result.links or []]}


def last_deployment_problems(settings: PortSettings, record: Any, adopting: bool) -> list[str]:
    """``last_deployment`` as the guard needs it: a plain mapping, given whenever the port is
    past ``reserved`` and not being adopted (without it the guard cannot tell what the
    links have: fail closed)."""
    if record is None:
        if settings.stage == "reserved" or adopting:
            return []
        return [f"last_deployment: required at stage {settings.stage}: the change guard compares this deployment "
                "with the port's entry of the last deployment's record (one link at a time on an active port, no "
                "way back to reserved, ...). Pass it: `**previous.component_args(\"" + settings.name + "\")` with "
                "`previous = await expressroute_encryption.record.read_last_deployment()` in an async program "
                "(`pulumi.run(main)`), or {} on the deployment that creates the port (at stage reserved); the "
                "next deployment reads what record.export_port_records wrote"]
    if isinstance(record, pulumi.Output) or not isinstance(record, Mapping):
        return ["last_deployment: must be a plain mapping known when the program runs (the port's entry of the "
                "last deployment's `ports` output), not an Output: read the record before building the component"]
    return []


class EncryptedDirectPort(pulumi.ComponentResource):
    """An ExpressRoute Direct port whose two links are encrypted with MACsec.

    For each link it stores a CAK and a CKN as Key Vault secrets (generated at the
    cipher's full length, or brought by the customer) and points the link's MACsec
    config at their versioned secret URLs. The port reads them with the given
    user-assigned identity. Key material is secret from end to end; only the secret
    URLs are plain outputs.
    """

    port_id: pulumi.Output[str]
    """ARM id of the ExpressRoute port (what circuits reference)."""
    port_name: pulumi.Output[str]
    """Azure name of the port."""
    stage: pulumi.Output[str]
    """Lifecycle stage applied by this deployment."""
    links: pulumi.Output[PortLinks]
    """Per link: cipher, SCI state, key generation, admin state, MACsec on/off and the CAK/CKN secret names and URLs."""
    router_keys: pulumi.Output[dict[str, MacsecKeyPair]]
    """Secret. Generated keys to load into your routers: {link1: {cak, ckn}, link2: {...}}; empty for bring-your-own keys."""

    def __init__(
        self,
        name: str,
        args: EncryptedDirectPortArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        source = f"EncryptedDirectPort '{name}'"
        settings = validate_args(EncryptedDirectPortInputs, args, source)
        byo = settings.keys
        key_source = GENERATED if byo is None else BRING_YOUR_OWN
        record = settings.last_deployment
        # A port the last deployment did not have, with an import id: this deployment adopts it.
        adopting = settings.import_id is not None and (settings.adopting or record == {})
        if problems := last_deployment_problems(settings, record, adopting):
            raise ConfigError(problems, source=source)
        record = dict(record or {})
        super().__init__(type_token("EncryptedDirectPort"), name, None, component_options("EncryptedDirectPort", opts))
        # The guard, before any child is registered: against Azure's links while adopting,
        # else against the record.
        azure = read_azure_links(settings.import_id, pulumi.InvokeOptions(parent=self)) if adopting else None
        if problems := component_problems(settings, record, source=key_source, adopting=adopting, azure=azure,
                                          updating=not pulumi.runtime.is_dry_run()):
            raise ConfigError(problems, source=source)
        for warning in component_warnings(settings, record, source=key_source):
            pulumi.log.warn(f"{source}: {warning}")
        if record and not adopting:
            self._log_runbook(source, settings, record, key_source)
        protect = settings.protect
        generations = settings.macsec.key_generation
        self.brings_own_keys = byo is not None
        """Whether the keys are brought (``keys``), not generated: the record then has their fingerprints."""

        if byo is not None:
            byo = checked_port_keys(byo, settings.macsec, source)
            if settings.last_key_fingerprints is not None:
                byo = self._unannounced_key_changes(byo, settings, record, source)
        cak_uris, ckn_uris, secret_names, generated = {}, {}, {}, {}
        # An existing vault in another subscription is written through a provider for it.
        vault_provider = existing_vault.vault_provider(settings.vault_subscription_id)
        for link in LINKS:
            generation = getattr(generations, link)
            if byo is None:
                cak = self._random_hex(f"{name}-{link}-cak", CAK_HEX_DIGITS[settings.macsec.for_link(link)[0]], generation)
                ckn = self._random_hex(f"{name}-{link}-ckn", CKN_HEX_DIGITS, generation)
                generated[link] = {"cak": cak, "ckn": ckn}
            else:
                cak = pulumi.Output.secret(byo[link]["cak"])
                ckn = pulumi.Output.secret(byo[link]["ckn"])
            for kind, value, uris in (("cak", cak, cak_uris), ("ckn", ckn, ckn_uris)):
                secret = keyvault.Secret(
                    f"{name}-{link}-{kind}",
                    resource_group_name=settings.vault_resource_group_name or settings.resource_group_name,
                    vault_name=settings.vault_name,
                    secret_name=secret_name(settings.name, link, kind),
                    properties=keyvault.SecretPropertiesArgs(
                        value=value, content_type=f"MACsec {kind.upper()} (hex)"
                    ),
                    # The value is part of `properties`: never plain in the state.
                    opts=pulumi.ResourceOptions(parent=self, protect=protect, additional_secret_outputs=["properties"],
                                                provider=vault_provider),
                )
                secret_names[(link, kind)] = secret_name(settings.name, link, kind)
                # The URL names a secret version; it reveals nothing about the key.
                uris[link] = pulumi.Output.unsecret(secret.properties.secret_uri_with_version)

        port = network.ExpressRoutePort(
            name,
            resource_group_name=settings.resource_group_name,
            express_route_port_name=settings.name,
            peering_location=settings.peering_location,
            bandwidth_in_gbps=settings.bandwidth_in_gbps,
            encapsulation=settings.encapsulation,
            billing_type=settings.billing_type,
            identity=network.ManagedServiceIdentityArgs(
                type="UserAssigned", user_assigned_identities=[settings.identity_id]
            ),
            links=link_settings(settings, key_source, cak_uris, ckn_uris),
            opts=pulumi.ResourceOptions(parent=self, protect=protect, **import_options(settings.import_id, adopting)),
        )

        self.port_id = port.id
        self.port_name = port.name
        self.stage = pulumi.Output.from_input(settings.stage)
        planned = planned_port_links(settings, key_source)
        self.links = pulumi.Output.from_input({
            link: {
                # While adopting, the links keep what Azure has: that is what is live, and what the
                # next deployment's guard must compare with.
                **(with_azure_fields(planned[link], azure[link]) if azure else planned[link]),
                "cakSecretName": secret_names[(link, "cak")],
                "cknSecretName": secret_names[(link, "ckn")],
                "cakSecretUri": cak_uris[link],
                "cknSecretUri": ckn_uris[link],
            }
            for link in LINKS
        })
        self.router_keys = pulumi.Output.secret(generated)
        self.key_fingerprints = pulumi.Output.secret(
            byo.apply(lambda keys: {link: PortKeys.model_validate(keys).fingerprint(link) for link in LINKS})
            if byo is not None else {})
        """Secret. With bring-your-own keys, a fingerprint per link: the record's ``macsecKeyFingerprints``."""
        self.record = {
            "id": self.port_id,
            "stage": self.stage,
            "linkStateVersion": LINK_STATE_VERSION,
            "allowBothLinks": settings.macsec.allow_both_links,
            "links": self.links,
        }
        """The port's entry of the ``ports`` stack output (``record.export_port_records``): what
        the next deployment passes back as ``last_deployment``."""
        self.register_outputs({
            "port_id": self.port_id,
            "port_name": self.port_name,
            "stage": self.stage,
            "links": self.links,
            "router_keys": self.router_keys,
        })

    def _log_runbook(self, source: str, settings: PortSettings, record: Mapping[str, Any], key_source: str) -> None:
        """The runbook of a link this deployment changes, in the deployment's log (the
        stack program's ``make rotation-plan`` adds the stack's alert names)."""
        changes = link_changes(record.get("links") or {}, planned_port_links(settings, key_source))
        lines = port_runbook(pulumi.get_stack(), settings.name, changes, live=record.get("stage") == "active",
                             allow_both_links=settings.macsec.allow_both_links, byo=key_source == BRING_YOUR_OWN,
                             watch=Watch(alerts_enabled=settings.stage == "active"))
        if lines:
            detail = "; ".join(f"{c.link}: {', '.join(c.changes)}" for c in changes if c.disruptive)
            pulumi.log.warn("\n".join([f"{source}: this deployment changes MACsec on port '{settings.name}' "
                                        f"({detail}): DISRUPTIVE, the link drops until your router matches", *lines]))

    def _unannounced_key_changes(self, keys: pulumi.Output, settings: PortSettings, record: Mapping[str, Any],
                                 source: str) -> pulumi.Output:
        """``keys`` once they also pass the guard's bring-your-own rule: a key that changed
        while its link's key generation did not is refused before any secret receives it."""
        before = checked_secret(settings.last_key_fingerprints, source, "last_key_fingerprints")

        def check(values: list[Any]) -> Any:
            plain, prints = values
            now = {link: PortKeys.model_validate(plain).fingerprint(link) for link in LINKS}
            if problems := unannounced_key_change_problems(settings, COMPONENT_LOC, record.get("links") or {},
                                                           prints or {}, now):
                raise pulumi.RunError(str(ConfigError(problems, source=source)))
            return plain

        return pulumi.Output.secret(pulumi.Output.all(keys, before).apply(check))

    def _random_hex(self, name: str, hex_digits: int, generation: int) -> pulumi.Output[str]:
        """Random key material of the cipher's full length for ``generation``.

        The previous generation's key is kept alongside (its own resource, untouched), so
        that moving the generation back after a failed rotation restores exactly the key
        the router still has. Older generations are dropped."""
        keys = {
            g: random.RandomBytes(f"{name}-gen{g}", length=hex_digits // 2, opts=pulumi.ResourceOptions(parent=self))
            for g in (generation - 1, generation) if g >= 1
        }
        return pulumi.Output.secret(keys[generation].hex)


def import_options(import_id: Optional[str], adopting: bool) -> dict[str, Any]:
    """Resource options that adopt an existing port. Pulumi imports it only where its state
    holds no port yet, and refuses an import whose inputs differ from Azure's; while
    ``adopting``, the identity and links are taken as Azure has them (the stack's
    identity and secrets cannot match a port configured before it)."""
    if import_id is None:
        return {}
    return {"import_": import_id, **({"ignore_changes": ["identity", "links"]} if adopting else {})}
