"""An ExpressRoute Direct port with MACsec on both links, and the keys it uses."""

from typing import Any, Mapping, Optional, TypedDict

import pulumi
import pulumi_random as random
from pulumi_azure_native import keyvault, network

from . import existing_vault
from .component_args import EncryptedDirectPortArgs
from .config.inputs import EncryptedDirectPortInputs, validate_args
from .config.ports import PortSettings, secret_name
from .facts import CAK_HEX_DIGITS, CKN_HEX_DIGITS, LINKS
from .link_state import BRING_YOUR_OWN, GENERATED, link_state
from .secret_inputs import checked_port_keys
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
        settings = validate_args(EncryptedDirectPortInputs, args, f"EncryptedDirectPort '{name}'")
        byo = settings.keys
        super().__init__(type_token("EncryptedDirectPort"), name, None, component_options("EncryptedDirectPort", opts))
        protect = settings.protect
        generations = settings.macsec.key_generation
        key_source = GENERATED if byo is None else BRING_YOUR_OWN

        if byo is not None:
            byo = checked_port_keys(byo, settings.macsec, f"EncryptedDirectPort '{name}'")
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
            opts=pulumi.ResourceOptions(parent=self, protect=protect, **import_options(settings.import_id, settings.adopting)),
        )

        self.port_id = port.id
        self.port_name = port.name
        self.stage = pulumi.Output.from_input(settings.stage)
        self.links = pulumi.Output.from_input({
            link: {
                **link_state(settings, link, key_source),
                "cakSecretName": secret_names[(link, "cak")],
                "cknSecretName": secret_names[(link, "ckn")],
                "cakSecretUri": cak_uris[link],
                "cknSecretUri": ckn_uris[link],
            }
            for link in LINKS
        })
        self.router_keys = pulumi.Output.secret(generated)
        self.register_outputs({
            "port_id": self.port_id,
            "port_name": self.port_name,
            "stage": self.stage,
            "links": self.links,
            "router_keys": self.router_keys,
        })

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
