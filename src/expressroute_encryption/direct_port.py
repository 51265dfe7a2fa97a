"""An ExpressRoute Direct port with MACsec on both links, the keys it uses, and the change
guard that comes with it.

The component applies the guard's rules about one port itself (``guard.component_problems``),
so a program that builds it gets the refusals the stack program gets: it takes its entry of
the last deployment's record (``last_deployment``, a plain mapping read before it is built)
or the last deployment's stack outputs as an Output (``last_deployment_outputs``: a stack
reference's ``outputs``, what a program in another language has), and, on the deployment
that adopts a port, reads the port's links from Azure (``read_azure_links``). Its ``record``
is the same entry for the next deployment (``record.export_port_records``; the ``record``
output in other languages).
"""

from typing import Any, Mapping, Optional, TypedDict

import pulumi
import pulumi_random as random
from pulumi_azure_native import keyvault, network

from . import existing_vault
from .arm import PORT_TYPE, parse_arm_id
from .component_args import EncryptedDirectPortArgs
from .config.errors import ConfigError
from .config.inputs import PLAIN_SECRET, EncryptedDirectPortInputs, validate_args
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
from .record import Previous, port_record_problems, whole_numbers
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


class PortRecord(TypedDict):
    """The port's entry of the ``ports`` stack output: what the next deployment's change
    guard compares with (docs/operations.md, section 10.1)."""

    id: str
    """ARM id of the port."""
    stage: str
    """Lifecycle stage this deployment applied."""
    linkStateVersion: int
    """Version of the link fields."""
    allowBothLinks: bool
    """`macsec.allow_both_links` of this deployment."""
    links: PortLinks
    """Per link, the state it has after this deployment."""


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
                "next deployment reads what record.export_port_records wrote; a program that has the record only as an "
                "Output (another language) passes the stack outputs of a stack reference to this stack as "
                "last_deployment_outputs instead"]
    if isinstance(record, pulumi.Output) or not isinstance(record, Mapping):
        return ["last_deployment: must be a plain mapping known when the program runs (the port's entry of the "
                "last deployment's `ports` output), not an Output: read the record before building the component, "
                "or pass the whole stack outputs of a stack reference to this stack as last_deployment_outputs"]
    return []


async def recorded_fingerprints(settings: PortSettings, given: Any) -> Any:
    """This port's entry of the ``macsecKeyFingerprints`` output in ``given``
    (``last_deployment_outputs``) once it resolves; None without."""
    outputs = await pulumi.Output.from_input(given).future()
    prints = Previous.from_outputs(outputs if isinstance(outputs, Mapping) else {}).fingerprints
    return prints.get(settings.name) if isinstance(prints, Mapping) else None


def recorded_entry(settings: PortSettings, outputs: Any, *, secret: bool, adopting: bool) -> dict[str, Any]:
    """The port's entry of the record in ``outputs``, the last deployment's stack outputs as
    ``last_deployment_outputs`` resolved (``secret``: whether they came as a secret), read
    as ``record.read_last_deployment`` reads them: no outputs at all is a first deployment
    ({}); outputs without a ``ports`` map, an entry of another shape, or fingerprints that
    are not secret are refused (ConfigError lines, fail closed). The entry is picked by the
    port's ``name``: the key ``export_port_records`` (and the stack program) record it under.

    Whether this deployment adopts the port is decided before the outputs resolve (the
    port's ``import_``/``ignore_changes`` options are fixed when it is registered), so a port
    the record does not have, with an ``import_id``, needs ``adopting: true``."""
    where = "last_deployment_outputs"
    # fact: pulumi-read-on-preview
    if outputs is None:
        raise ConfigError([
            f"{where}: has no value (it is unknown during this preview, or resolved to nothing), so the change guard "
            "cannot compare this deployment with the last one. Pass the `outputs` of a stack reference to this stack "
            "itself, which Pulumi reads during a preview as during an update, not a value computed from resources "
            "this deployment creates"])
    if not isinstance(outputs, Mapping):
        raise ConfigError([f"{where}: must be the last deployment's stack outputs, a map by output name (the "
                           "`outputs` of a stack reference to this stack)"])
    # The whole outputs, not `ports.<name>`: a first deployment has none, and Pulumi YAML fails on a missing key.
    # fact: pulumi-yaml-missing-output-key
    previous = Previous.from_outputs(whole_numbers(outputs))
    problems = []
    if outputs and "ports" not in outputs:
        problems.append(
            f"{where}: the last deployment has outputs but no `ports` output, so the guard cannot tell what the links "
            f"have. Export each port's `record` output as `ports.<name>` (name: the port's `name`, here "
            f"'{settings.name}'); if the outputs were lost (a failed update on an older Pulumi CLI), restore the last "
            "good state from the stack's update history with `pulumi stack import`")
    elif not isinstance(previous.ports, Mapping):
        problems.append(f"{where}: the last deployment's `ports` output is not a map of ports: the MACsec change guard "
                        "cannot compare with it; check `pulumi stack output ports --json`")
    elif settings.name in previous.ports:
        problems += port_record_problems(settings.name, previous.ports[settings.name])
    # fact: pulumi-stackref-outputs-secret
    if not isinstance(previous.fingerprints, Mapping):
        problems.append(f"{where}: the last deployment's `macsecKeyFingerprints` output is not a map of ports")
    elif previous.fingerprints and not secret:
        problems.append(f"{where}: holds the `macsecKeyFingerprints` output: {PLAIN_SECRET}")
    if problems:
        raise ConfigError(problems)
    record = dict(previous.port(settings.name))
    if not record and settings.import_id is not None and not adopting:
        raise ConfigError([
            f"adopting: port '{settings.name}' is not in the last deployment's `ports` output and has an import_id, so "
            "this deployment adopts it: set adopting: true for this deployment (the port keeps Azure's identity and "
            "links, and the guard compares with Azure's links), and remove it in the next"])
    return record


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
    record: pulumi.Output[PortRecord]
    """The port's entry of the `ports` stack output: export it as `ports.<name>` (name: the port's `name`), for the next deployment's `last_deployment_outputs`."""
    key_fingerprints: pulumi.Output[dict[str, str]]
    """Secret. With bring-your-own keys, a fingerprint per link (never the key): export it as `macsecKeyFingerprints.<name>`; empty for generated keys."""

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
        given = settings.last_deployment_outputs
        # A port the last deployment did not have, with an import id: this deployment adopts it. With the
        # record as an Output, that is known only once it resolves, after the port's options are fixed: the
        # caller says so (recorded_entry refuses a port it would adopt without adopting: true).
        adopting = settings.import_id is not None and (settings.adopting or (given is None and record == {}))
        if given is None:
            if problems := last_deployment_problems(settings, record, adopting):
                raise ConfigError(problems, source=source)
            record = dict(record or {})
        super().__init__(type_token("EncryptedDirectPort"), name, None, component_options("EncryptedDirectPort", opts))
        # The guard, before any child is registered: against Azure's links while adopting,
        # else against the record.
        azure = read_azure_links(settings.import_id, pulumi.InvokeOptions(parent=self)) if adopting else None
        self.brings_own_keys = byo is not None
        """Whether the keys are brought (``keys``), not generated: the record then has their fingerprints."""
        if given is None:
            self._guard_passed: Optional[pulumi.Output[bool]] = None
            self._guard(source, settings, record, key_source, adopting, azure)
        else:
            # The same guard once the outputs resolve; every child's inputs wait for it (_after_guard),
            # so a refusal registers none of them.
            checked = pulumi.Output.from_input(self._guard_outputs(given, source, settings, key_source, adopting, azure))
            self._guard_passed = checked.apply(lambda _: True)
        if byo is not None:
            byo = checked_port_keys(byo, settings.macsec, source)
            if given is not None:
                # This port's fingerprints, a secret as the plain path's (recorded_entry refuses them otherwise).
                before = pulumi.Output.secret(pulumi.Output.from_input(recorded_fingerprints(settings, given)))
                byo = self._unannounced_key_changes(byo, settings, before,
                                                    checked.apply(lambda entry: entry.get("links") or {}), source)
            elif settings.last_key_fingerprints is not None:
                before = checked_secret(settings.last_key_fingerprints, source, "last_key_fingerprints")
                byo = self._unannounced_key_changes(byo, settings, before, record.get("links") or {}, source)
        protect = settings.protect
        generations = settings.macsec.key_generation

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
                    resource_group_name=self._after_guard(
                        settings.vault_resource_group_name or settings.resource_group_name),
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
            resource_group_name=self._after_guard(settings.resource_group_name),
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
        self.record = pulumi.Output.from_input({
            "id": self.port_id,
            "stage": self.stage,
            "linkStateVersion": LINK_STATE_VERSION,
            "allowBothLinks": settings.macsec.allow_both_links,
            "links": self.links,
        })
        self.register_outputs({
            "port_id": self.port_id,
            "port_name": self.port_name,
            "stage": self.stage,
            "links": self.links,
            "router_keys": self.router_keys,
            "record": self.record,
            "key_fingerprints": self.key_fingerprints,
        })

    def _guard(self, source: str, settings: PortSettings, record: Mapping[str, Any], key_source: str, adopting: bool,
               azure: Optional[Mapping[str, Any]]) -> None:
        """The guard's rules about this port against its entry of the record (or Azure's
        links while adopting): ConfigError for a refusal; warnings and the runbook of an
        allowed change in the deployment's log."""
        if problems := component_problems(settings, record, source=key_source, adopting=adopting, azure=azure,
                                          updating=not pulumi.runtime.is_dry_run()):
            raise ConfigError(problems, source=source)
        for warning in component_warnings(settings, record, source=key_source):
            pulumi.log.warn(f"{source}: {warning}")
        if record and not adopting:
            self._log_runbook(source, settings, record, key_source)

    async def _guard_outputs(self, given: Any, source: str, settings: PortSettings, key_source: str, adopting: bool,
                             azure: Optional[Mapping[str, Any]]) -> dict[str, Any]:
        """The port's entry of the record in ``given`` (``last_deployment_outputs``) once it
        resolves and passes the guard. A refusal is a RunError with the ConfigError's lines
        (the engine prints it without a traceback), and every child waiting for it fails
        before it is registered."""
        outputs = pulumi.Output.from_input(given)
        try:
            record = recorded_entry(settings, await outputs.future(), secret=await outputs.is_secret(),
                                    adopting=adopting)
            self._guard(source, settings, record, key_source, adopting, azure)
        except ConfigError as error:
            # fact: pulumi-runerror-clean
            raise pulumi.RunError(str(ConfigError(error.problems, source=source))) from None
        return record

    def _after_guard(self, value: Any) -> Any:
        """A child's input ``value``, once the guard has passed. With the record as an Output,
        the input resolves only then (to ``value`` unchanged: no dependency, no secret added),
        and a refusal fails it; Pulumi registers a resource only once all its inputs have
        resolved, so a refused change registers no child. Without, the guard has passed already."""
        if self._guard_passed is None:
            return value
        # fact: pulumi-register-awaits-inputs
        return pulumi.Output.all(self._guard_passed, value).apply(lambda passed_and_value: passed_and_value[1])

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

    def _unannounced_key_changes(self, keys: pulumi.Output, settings: PortSettings, before: pulumi.Output,
                                 recorded_links: Any, source: str) -> pulumi.Output:
        """``keys`` once they also pass the guard's bring-your-own rule against ``before`` (the
        last deployment's fingerprints of this port) and ``recorded_links``: a key that changed
        while its link's key generation did not is refused before any secret receives it."""

        def check(values: list[Any]) -> Any:
            plain, prints, links = values
            now = {link: PortKeys.model_validate(plain).fingerprint(link) for link in LINKS}
            if problems := unannounced_key_change_problems(settings, COMPONENT_LOC, links or {}, prints or {}, now):
                raise pulumi.RunError(str(ConfigError(problems, source=source)))
            return plain

        return pulumi.Output.secret(pulumi.Output.all(keys, before, recorded_links).apply(check))

    def _random_hex(self, name: str, hex_digits: int, generation: int) -> pulumi.Output[str]:
        """Random key material of the cipher's full length for ``generation``.

        The previous generation's key is kept alongside (its own resource, untouched), so
        that moving the generation back after a failed rotation restores exactly the key
        the router still has. Older generations are dropped."""
        keys = {
            g: random.RandomBytes(f"{name}-gen{g}", length=self._after_guard(hex_digits // 2),
                                  opts=pulumi.ResourceOptions(parent=self))
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
