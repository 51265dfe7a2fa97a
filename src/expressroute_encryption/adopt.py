"""``expressroute-encryption adopt``: write a stack file for a port that already exists.

    expressroute-encryption adopt --stack prod --port port.json [--circuits circuits.json]
        [--vault vault.json] [--exempt-until YYYY-MM-DD] [--project-dir D]

Reads what Azure says about the resources, as ``az network express-route port show``,
``az network express-route list`` and ``az keyvault show`` print it (properties at the
top level), or as the Azure Resource Manager REST API returns it (a ``properties``
envelope; lists as ``{"value": [...]}``), and writes ``Pulumi.<stack>.yaml``: the port
with its ``importId`` and the settings that reproduce it exactly, the circuits on that
port (authorization names, never keys), and ``keyVault.existingId`` or a new vault. A
comment header says what was inferred and what is still to decide, every value in it
escaped (a line break in a value cannot start a line of YAML).

A port adopted with a link that has no MACsec is an unencrypted port, and the policy pack
says so; ``adopt`` also writes ``policy-config.<stack>.json`` with a dated exemption for it
(90 days from today unless ``--exempt-until``, at most one year ahead, the reason naming
the adoption), so that the adopted stack passes the gate honestly while its links are
encrypted one by one. An existing ``policy-config.<stack>.json`` is never overwritten: the
entry to add is printed instead.

Older az CLI releases print a port without ``billingType`` (their port schema predates the
property, added in api-version 2022-05-01): it is accepted, written as MeteredData and
marked DECIDE in the header with how to check it.

Input files are read as ``azure_json`` reads them: up to 8 MiB (a port is a few KiB, a subscription's
circuit list rarely more than a few hundred) and 32 levels of nesting (Azure's
JSON has fewer than ten): anything larger is refused unread. Every problem with the input
is one line naming the file and the field, and nothing is written (exit 2); both files are
written whole, never over an existing file, or not at all.

Exit codes: 0 written; 2 unreadable or unexpected JSON, a vault ExpressRoute could not
read keys from, a stack Pulumi could not describe the port with, a missing or read-only
project folder, or an existing stack file (nothing is written).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from expressroute_encryption import facts
from expressroute_encryption.arm import CIRCUIT_TYPE, PORT_TYPE, VAULT_TYPE, arm_id_name, parse_arm_id, parse_secret_url
from expressroute_encryption.azure_json import (
    BOOL,
    NUM,
    STR,
    AzureJsonError,
    Field,
    ListOf,
    Obj,
    load_list,
    load_port,
    load_vault,
    shape_problems,
)
from expressroute_encryption.config.errors import ConfigError, config_set_path
from expressroute_encryption.config.loading import stack_config_from
from expressroute_encryption.config.namespace import LOCATION_KEY, NAMESPACE
from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.facts import LINKS
from expressroute_encryption.output_files import write_new
from expressroute_encryption.printable import one_line

DEFAULT_EXEMPTION_DAYS = 90
# fact: erport-billingtype-2022-05-01
# What a port without billingType (older az output) is written with, marked DECIDE.
ASSUMED_BILLING_TYPE = facts.METERED_DATA
PEERING_KEYS = {"AzurePrivatePeering": "privatePeering", "MicrosoftPeering": "microsoftPeering"}


def default_cipher(bandwidth: int) -> str:
    """The port's cipher when no link uses MACsec yet: XPN is Microsoft's advice on fast
    links, and is not supported on 10 Gbps ports (fact: macsec-xpn-not-on-10g); the
    256-bit one of each pair."""
    return facts.XPN_CIPHERS[-1] if bandwidth == facts.XPN_RECOMMENDED_GBPS else facts.NON_XPN_CIPHERS[-1]


class AdoptError(AzureJsonError):
    """Input that cannot be adopted: one line per problem, nothing written."""


# ---------------------------------------------------------------------------
# The shapes adopt reads (azure_json checks each field's JSON type before it is used)

PEERING_CONFIG_SHAPE = Obj({"advertisedPublicPrefixes": Field(ListOf(STR)), "customerASN": Field(NUM),
                            "routingRegistryName": Field(STR)})
PEERING_SHAPE = Obj({
    "name": Field(STR), "peeringType": Field(STR), "peerASN": Field(NUM), "vlanId": Field(NUM),
    "primaryPeerAddressPrefix": Field(STR), "secondaryPeerAddressPrefix": Field(STR),
    "microsoftPeeringConfig": Field(PEERING_CONFIG_SHAPE),
    "ipv6PeeringConfig": Field(Obj({"primaryPeerAddressPrefix": Field(STR), "secondaryPeerAddressPrefix": Field(STR),
                                    "microsoftPeeringConfig": Field(PEERING_CONFIG_SHAPE)})),
})
# Every circuit of the list: enough to tell whether it is on the port.
ANY_CIRCUIT_SHAPE = Obj({"id": Field(STR, True), "name": Field(STR, True),
                         "expressRoutePort": Field(Obj({"id": Field(STR)}))})
# A circuit on the port: everything adopt copies.
CIRCUIT_SHAPE = Obj({
    **ANY_CIRCUIT_SHAPE.fields,
    "sku": Field(Obj({"tier": Field(STR, True), "family": Field(STR, True)}), True),
    "bandwidthInGbps": Field(NUM, True), "allowClassicOperations": Field(BOOL),
    "authorizations": Field(ListOf(Obj({"name": Field(STR, True)}))), "peerings": Field(ListOf(PEERING_SHAPE)),
})


def _expect(problems: list[str], where: str, value: Any, allowed: tuple) -> Any:
    """``value`` if it is one of ``allowed`` (numbers compared as numbers), else a problem."""
    for option in allowed:
        if value == option and type(value) is not bool:
            return option
    problems.append(f"{where}: expected one of {', '.join(map(str, allowed))}, got {one_line(json.dumps(value))}")
    return None


def _whole(value: Any) -> Any:
    """A whole number written as a float (``10.0``) as an int; anything else unchanged."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# ---------------------------------------------------------------------------
# The port


def secret_ids(link: dict[str, Any], where: str) -> tuple[str, str] | None:
    """The link's (CAK, CKN) Key Vault secret URLs, when it has MACsec configured.

    Anything else there is refused without being repeated: a value that is not a secret URL
    may be a key pasted in the wrong place, and this file is written into the stack file."""
    config = link.get("macSecConfig") or {}
    cak, ckn = config.get("cakSecretIdentifier"), config.get("cknSecretIdentifier")
    for kind, value in (("cakSecretIdentifier", cak), ("cknSecretIdentifier", ckn)):
        # What Azure keeps as a link's secret identifier: a Key Vault secret URL (with or without its version).
        if value and parse_secret_url(value) is None:
            raise AdoptError([f"{where}.macSecConfig.{kind}: not a Key Vault secret URL "
                              "(https://<vault>.vault.azure.net/secrets/<name>/<version>); value not shown"])
    return (cak, ckn) if cak and ckn else None


def port_links(port: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """link1 and link2, each given once."""
    names = [link["name"] for link in port["links"]]
    problems = [f"{path}: links: {one_line(name)} is given {names.count(name)} times: a port has each link once"
                for name in dict.fromkeys(names) if names.count(name) > 1]
    if not problems and sorted(names) != sorted(LINKS):
        problems.append(f"{path}: links: expected link1 and link2, got "
                        f"{', '.join(one_line(name) for name in names) or 'none'}")
    if problems:
        raise AdoptError(problems)
    return {link["name"]: link for link in port["links"]}


def port_settings(port: dict[str, Any], path: str, has_circuits: bool) -> tuple[dict[str, Any], list[str]]:
    """``ports[0]`` reproducing the port, and header notes on what was inferred."""
    problems, notes = [], []
    links = port_links(port, path)
    bandwidth = _expect(problems, f"{path}: bandwidthInGbps", _whole(port["bandwidthInGbps"]), facts.PORT_SPEEDS_GBPS)
    encapsulation = _expect(problems, f"{path}: encapsulation", port["encapsulation"], facts.ENCAPSULATIONS)
    if port.get("billingType") is None:
        billing = ASSUMED_BILLING_TYPE
        notes.append(
            f"DECIDE billingType: {path} has no billingType (az CLI releases whose port schema predates "
            f"api-version 2022-05-01 leave it out), so {billing} is assumed. Check it before the first pulumi up: "
            f"az rest --method get --url '{port['id']}?api-version=2024-05-01' --query properties.billingType; if Azure "
            "says otherwise, correct it here, or pulumi up would update the port's billing to this value")
    else:
        billing = _expect(problems, f"{path}: billingType", port["billingType"], facts.PORT_BILLING_TYPES)
    admin, link_macsec, keys_in_use = {}, {}, {}
    for name in LINKS:
        where = f"{path}: links[{name}]"
        admin[name] = _expect(problems, f"{where}.adminState", links[name].get("adminState"), facts.ADMIN_STATES)
        try:
            keys_in_use[name] = secret_ids(links[name], where)
        except AdoptError as exc:
            problems += exc.problems
            continue
        if keys_in_use[name]:
            config = links[name].get("macSecConfig") or {}
            link_macsec[name] = (
                _expect(problems, f"{where}.macSecConfig.cipher", config.get("cipher"), facts.CIPHERS),
                _expect(problems, f"{where}.macSecConfig.sciState", config.get("sciState") or facts.SCI_DEFAULT,
                        facts.SCI_STATES),
            )
    if problems:
        raise AdoptError(problems)
    if admin["link1"] != admin["link2"]:
        # The stages set both links alike; guessing would bring a link up or take one down.
        raise AdoptError([
            f"{path}: link1 is admin {admin['link1']} and link2 is admin {admin['link2']}: the stack's stages "
            "(reserved, encrypted, active) set both links alike, so this port cannot be described as it is. "
            "Set both links to the same admin state in Azure first (az network express-route port link update "
            "--admin-state ...), export the port again and rerun adopt"
        ])
    macsec_on = {name: name in link_macsec for name in LINKS}
    if admin["link1"] == facts.ADMIN_ENABLED:
        stage = "active"
    elif any(macsec_on.values()) or has_circuits:
        stage = "encrypted"
    else:
        stage = "reserved"
    notes.append(
        f"stage: {stage}, from Azure: both links admin {admin['link1']}; MACsec on "
        + (", ".join(n for n in LINKS if macsec_on[n]) or "no link")
        + (" (circuits need at least 'encrypted': the links stay admin-disabled)" if stage == "encrypted" and not any(macsec_on.values()) else "")
    )
    macsec: dict[str, Any] = {}
    configured = [link_macsec[n] for n in LINKS if n in link_macsec]
    if configured:
        macsec["cipher"], macsec["sciState"] = configured[0]
    else:
        macsec["cipher"], macsec["sciState"] = default_cipher(bandwidth), facts.SCI_DEFAULT
        notes.append(
            f"macsec.cipher: {macsec['cipher']} is a choice, not Azure's: no link uses MACsec yet "
            f"({'XPN, Microsoft advises it on 100 Gbps' if bandwidth == facts.XPN_RECOMMENDED_GBPS else 'XPN is not supported on 10 Gbps'}); "
            "choose the cipher your routers support before enabling MACsec"
        )
    if stage != "reserved":
        for name in LINKS:
            override: dict[str, Any] = {}
            if name in link_macsec:
                cipher, sci = link_macsec[name]
                if cipher != macsec["cipher"]:
                    override["cipher"] = cipher
                if sci != macsec["sciState"]:
                    override["sciState"] = sci
            else:
                override["enabled"] = False
            if override:
                macsec[name] = override
    settings = {
        "name": port["name"],
        "importId": port["id"],
        "peeringLocation": port["peeringLocation"],
        "bandwidthInGbps": bandwidth,
        "encapsulation": encapsulation,
        "billingType": billing,
        "stage": stage,
        "macsec": macsec,
    }
    for name in LINKS:
        if ids := keys_in_use[name]:
            notes.append(
                f"KEYS: {name} uses MACsec with the secrets {ids[0]} (CAK) and {ids[1]} (CKN). This stack keeps "
                f"its keys in its own secrets: before the first pulumi up, give the keys in use as bring-your-own keys "
                f"(pulumi config set --secret --type string --path '{config_set_path('macsecKeys', port['name'], name, 'cak')}' "
                f"<hex>, the same for ckn; read them with az keyvault secret show --id <url> --query value), so the "
                f"links keep their keys when they move to the stack's secrets. Rotate later by raising "
                f"macsec.keyGeneration.{name}, one link per deployment"
            )
    return settings, notes


# ---------------------------------------------------------------------------
# Circuits


def _peering(peering: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    out = {
        "peerAsn": _whole(peering.get("peerASN")),
        "primaryPeerAddressPrefix": peering.get("primaryPeerAddressPrefix"),
        "secondaryPeerAddressPrefix": peering.get("secondaryPeerAddressPrefix"),
        "vlanId": _whole(peering.get("vlanId")),
    }
    missing = [k for k, v in out.items() if v in (None, "")]
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)}")
    ipv6 = peering.get("ipv6PeeringConfig") or {}
    if ipv6.get("primaryPeerAddressPrefix"):
        out["ipv6"] = {"primaryPeerAddressPrefix": ipv6["primaryPeerAddressPrefix"],
                       "secondaryPeerAddressPrefix": ipv6.get("secondaryPeerAddressPrefix")}
    if peering.get("peeringType") == "MicrosoftPeering":
        config = peering.get("microsoftPeeringConfig") or {}
        v6 = (ipv6.get("microsoftPeeringConfig") or {}).get("advertisedPublicPrefixes") or []
        out["advertisedPublicPrefixes"] = list(config.get("advertisedPublicPrefixes") or []) + list(v6)
        if config.get("customerASN"):
            out["customerAsn"] = _whole(config["customerASN"])
        out["routingRegistryName"] = config.get("routingRegistryName")
    return out


def _port_circuit_ids(port: dict[str, Any]) -> dict[str, str]:
    """The circuits the port lists (``circuits[].id``), by lower-cased id."""
    return {entry["id"].lower(): entry["id"] for entry in port.get("circuits") or [] if entry.get("id")}


def circuit_settings(circuits: list[dict[str, Any]], port: dict[str, Any], path: str) -> tuple[list[dict], list[str]]:
    """The circuits on ``port`` (others are left out, each with a note), and header notes."""
    port_group = parse_arm_id(port["id"], PORT_TYPE).group.lower()
    out, notes, problems = [], [], []
    for i, circuit in enumerate(circuits):
        name = one_line(circuit["name"])
        where = f"{path}: [{i}] {name}"
        port_ref = (circuit.get("expressRoutePort") or {}).get("id") or ""
        if port_ref.lower() != port["id"].lower():
            notes.append(f"circuit {name} is left out: it is on " + (
                f"another port ({one_line(arm_id_name(port_ref))})" if port_ref else "no ExpressRoute Direct port"))
            continue
        if found := shape_problems(circuit, CIRCUIT_SHAPE, ""):
            problems += [f"{where}: {one_line(problem)}" for problem in found]
            continue
        parts = parse_arm_id(circuit["id"], CIRCUIT_TYPE)
        if parts is None:
            problems.append(f"{where}: id: not the ARM id of a {CIRCUIT_TYPE} resource")
            continue
        if parts.group.lower() != port_group:
            notes.append(f"circuit {name} is left out: it is in resource group {one_line(parts.group)}, "
                         "and a stack adopts resources of one resource group")
            continue
        sku = circuit["sku"]
        settings: dict[str, Any] = {
            "name": circuit["name"],
            "importId": circuit["id"],
            "bandwidthInGbps": _whole(circuit["bandwidthInGbps"]),
            "skuTier": sku["tier"],
            "skuFamily": sku["family"],
        }
        if circuit.get("allowClassicOperations"):
            settings["allowClassicOperations"] = True
        # Names only: an authorization's key is a credential and never goes in a stack file.
        auths = [a["name"] for a in circuit.get("authorizations") or []]
        if auths:
            settings["authorizations"] = auths
        seen: dict[str, int] = {}
        for j, peering in enumerate(circuit.get("peerings") or []):
            kind = PEERING_KEYS.get(peering.get("peeringType") or peering.get("name"))
            if kind is None:
                notes.append(f"circuit {name}: peering {one_line(peering.get('name'))} is not managed by this "
                             "stack and is left as it is")
                continue
            if kind in seen:
                problems.append(f"{where}: peerings[{j}]: a second {kind} (the first is peerings[{seen[kind]}])")
                continue
            seen[kind] = j
            settings[kind] = _peering(peering, f"{where}: peerings[{j}]", problems)
        if sku["family"] == facts.UNLIMITED_DATA:
            # fact: erd-circuit-metered-only
            notes.append(f"circuit {name}: skuFamily UnlimitedData is written as Azure has it, but "
                         "Microsoft documents only MeteredData for circuits on ExpressRoute Direct")
        out.append(settings)
    if problems:
        raise AdoptError(problems)
    return out, notes


def missing_circuit_notes(port: dict[str, Any], adopted: list[dict[str, Any]], circuits_path: str | None) -> list[str]:
    """A note per circuit the port lists that is not adopted: it stays as it is, unmanaged."""
    given = {circuit["importId"].lower() for circuit in adopted}
    return [f"circuit {one_line(arm_id_name(circuit_id))} is on this port in Azure (the port lists it) but "
            + ("was not in " + one_line(circuits_path) if circuits_path else "no CIRCUITS file was given")
            + ": it is not adopted and the stack does not manage it (give az network express-route list output "
            "that includes it to adopt it)"
            for key, circuit_id in _port_circuit_ids(port).items() if key not in given]


# ---------------------------------------------------------------------------
# The vault


def placeholder_vault_name(port_name: str) -> str:
    """A vault name from the port's (3-24 letters, digits and single hyphens): to be decided."""
    name = re.sub(r"-+", "-", "kv-" + re.sub(r"[^a-z0-9-]", "-", port_name.lower()))
    return name[:24].rstrip("-")


def vault_section(vault_path: str | None, port: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``keyVault``: the existing vault (refused when ExpressRoute could not read keys from
    it), or a new vault whose name is still to choose."""
    from expressroute_encryption.existing_vault import vault_problems

    if vault_path is None:
        name = placeholder_vault_name(port["name"])
        return {"name": name}, [
            f"DECIDE keyVault.name: '{name}' is a placeholder for the vault this stack creates; vault names are "
            "global DNS names, choose one that is free (or rerun with VAULT=<az keyvault show JSON> to use an existing vault)"
        ]
    vault = load_vault(vault_path)
    authorization = "rbac" if vault.get("enableRbacAuthorization") is True else "accessPolicy"
    if problems := vault_problems(vault, authorization):
        raise AdoptError([f"{one_line(vault_path)}: {p}" for p in problems] + [
            "fix the vault in Azure, or leave VAULT out to have the stack create its own vault"])
    notes = [
        f"keyVault.existingId: {vault['id']}: the stack adds the port identity's get permission "
        f"({'role Key Vault Secrets User' if authorization == 'rbac' else 'access policy'}, as the vault uses) and the "
        "MACsec secrets; it never changes the vault's settings. Preview offline with VAULT=<this file> too"
    ]
    vault_subscription = parse_arm_id(vault["id"], VAULT_TYPE).subscription
    if vault_subscription.lower() != parse_arm_id(port["id"], PORT_TYPE).subscription.lower():
        notes.append(f"keyVault.existingId is in subscription {vault_subscription}, not the port's: the vault is read "
                     "and written through a provider for its own subscription; the deployment's identity needs "
                     "rights there too (to read the vault and add the secrets and the permission)")
    return {"existingId": vault["id"], "authorization": authorization}, notes


# ---------------------------------------------------------------------------
# The stack file and the policy config


def region_problem(location: str) -> str | None:
    """An Azure region as ARM and az print it (``westeurope``; ``West Europe`` also names one)."""
    if not re.fullmatch(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*", location):
        return "expected an Azure region name such as westeurope"
    return None


def build_stack(port_path: str, circuits_path: str | None, vault_path: str | None) -> tuple[dict[str, Any], list[str], dict]:
    """(the stack file's config, the header notes, the port as read)."""
    port = load_port(port_path)
    if problem := region_problem(port["location"]):
        raise AdoptError([f"{one_line(port_path)}: location: {problem}"])
    shown_port = one_line(port_path)
    circuits, circuit_notes = [], []
    if circuits_path:
        every = load_list(circuits_path, "circuits (az network express-route list)", ANY_CIRCUIT_SHAPE)
        circuits, circuit_notes = circuit_settings(every, port, one_line(circuits_path))
    circuit_notes += missing_circuit_notes(port, circuits, circuits_path)
    settings, notes = port_settings(port, shown_port, bool(circuits))
    if circuits:
        settings["circuits"] = circuits
    vault, vault_notes = vault_section(vault_path, port)
    group = parse_arm_id(port["id"], PORT_TYPE).group
    location = port["location"]
    config = {
        LOCATION_KEY: location,
        f"{NAMESPACE}:resourceGroupName": group,
        f"{NAMESPACE}:keyVault": vault,
        f"{NAMESPACE}:ports": [settings],
    }
    subscription = parse_arm_id(port["id"], PORT_TYPE).subscription
    notes = [
        f"azure-native:location: {location}, the port's region (the stack's identity{'' if vault_path else ' and vault'} "
        "go there too); it must stay the port's region",
        f"resourceGroupName: {group}, the port's resource group; it is adopted as it is",
        f"subscription: {subscription}, the port's: deploy the stack there (ARM_SUBSCRIPTION_ID, az account set, "
        "or azure-native:subscriptionId)",
    ] + notes + circuit_notes + vault_notes
    return config, notes, port


def checked_config(config: dict[str, Any]) -> None:
    """The written config, checked as the program will check it (``stack_config_from``)."""
    as_cli = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    try:
        stack_config_from(as_cli, secret_keys=[])
    except ConfigError as exc:
        raise AdoptError([f"the port cannot be described by this stack's config as it is in Azure: {one_line(p)}"
                          for p in exc.problems]) from None


def needs_exemption(settings: dict[str, Any]) -> bool:
    """Whether the adopted port has link settings with a link lacking MACsec: what
    ``expressroute-port-macsec-required`` refuses."""
    return settings["stage"] != "reserved" and any(
        (settings["macsec"].get(link) or {}).get("enabled") is False for link in LINKS)


def exemption_entry(port_name: str, stack: str, until: datetime.date, on: datetime.date) -> dict[str, str]:
    """The exemption ``adopt`` writes for a port it adopts without MACsec."""
    return {"name": port_name, "expires": until.isoformat(),
            "reason": f"adopted without MACsec by expressroute-encryption adopt on {on.isoformat()} (stack {stack}): "
                      "encrypt link by link, then remove this entry"}


def exempt_until(value: str | None, on: datetime.date) -> datetime.date:
    """``--exempt-until``, checked as the policies check ``expires``; default 90 days from ``on``."""
    from expressroute_encryption.policy.exemptions import ENTRY_SCHEMA, expiry_problem
    from expressroute_encryption.policy.schema import full_date, schema_errors

    if value is None:
        return on + datetime.timedelta(days=DEFAULT_EXEMPTION_DAYS)
    if problems := schema_errors(value, ENTRY_SCHEMA["properties"]["expires"], "--exempt-until"):
        raise AdoptError([one_line(problem) for problem in problems])
    day = full_date(value)
    if day < on:
        raise AdoptError([f"--exempt-until {value}: is in the past (today is {on.isoformat()}, UTC)"])
    if problem := expiry_problem(day, on):
        raise AdoptError([f"--exempt-until {value}: {problem}"])
    return day


def header(stack: str, sources: list[str], notes: list[str]) -> str:
    lines = [
        f"Written by `make adopt` from {', '.join(sources)}: an existing ExpressRoute Direct port, adopted",
        "with Pulumi's import option on the first `pulumi up` (which changes nothing on the port; the",
        "next one attaches the stack's identity and applies the link settings below, as Azure has them).",
        "The settings below are Azure's: pulumi preview should show the imports and no update of them",
        "(older Pulumi CLIs refuse an import whose settings differ; current ones import, then update it).",
        "Change nothing before that deployment except what is marked DECIDE or KEYS.",
        "Then encrypt link by link (README: Bring an existing port).",
        f"Preview: make preview STACK={stack}",
        "",
        "Inferred from Azure, and still to decide:",
    ]
    lines += [f"- {note}" for note in notes]
    # Every line is one comment line: whatever a value held, it cannot start a line of YAML.
    return "".join(f"# {one_line(line)}\n" if line else "#\n" for line in lines)


# ---------------------------------------------------------------------------
# Writing: both files whole, never over an existing file, or nothing


def project_folder_problem(folder: Path) -> str | None:
    """Why the stack file cannot be written into ``folder``, or None."""
    if not folder.is_dir():
        return f"--project-dir {one_line(folder)}: no such folder (the Pulumi project's, where Pulumi.yaml is)"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"--project-dir {one_line(folder)}: cannot write into it (permission denied)"
    return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``adopt`` subcommand's options."""
    parser.add_argument("--stack", required=True, help="stack name: writes Pulumi.<stack>.yaml (never overwritten)")
    parser.add_argument("--port", required=True, metavar="FILE",
                        help="JSON of az network express-route port show (or the ARM GET of the port)")
    parser.add_argument("--circuits", metavar="FILE",
                        help="JSON of az network express-route list (or ARM's {\"value\": [...]}); only circuits on the port are taken")
    parser.add_argument("--vault", metavar="FILE",
                        help="JSON of az keyvault show: use that vault (keyVault.existingId); default: a new vault")
    parser.add_argument("--exempt-until", metavar="YYYY-MM-DD",
                        help=f"last day of the policy exemption of a port adopted without MACsec (default: "
                             f"{DEFAULT_EXEMPTION_DAYS} days from today; at most one year ahead)")
    parser.add_argument("--project-dir", default=".", help="where Pulumi.yaml is (default: the current directory)")


def _adopt(args: argparse.Namespace) -> tuple[list[Path], list[str]]:
    """Write the files; (what was written, lines to print after). Raises AdoptError."""
    from expressroute_encryption.config.namespace import stack_name_problem
    from expressroute_encryption.policy.exemptions import EXEMPT_PORTS, today
    from expressroute_encryption.policy.pack_config import stack_file as policy_config_file

    if problem := stack_name_problem(args.stack):
        raise AdoptError([f"--stack {one_line(args.stack)[:120]}: {problem}"])
    folder = Path(args.project_dir)
    if problem := project_folder_problem(folder):
        raise AdoptError([problem])
    on = today()
    until = exempt_until(args.exempt_until, on)
    target = folder / f"Pulumi.{args.stack}.yaml"
    if target.exists():
        raise AdoptError([f"{one_line(target)}: exists already; not overwritten (choose another STACK or move the file)"])
    config, notes, _ = build_stack(args.port, args.circuits, args.vault)
    checked_config(config)
    port = config[f"{NAMESPACE}:ports"][0]
    files = []
    after = []
    if needs_exemption(port):
        entry = exemption_entry(port["name"], args.stack, until, on)
        policy_path = policy_config_file(folder, args.stack)
        if policy_path.exists() or policy_path.is_symlink():
            after.append(f"note: {one_line(policy_path)} exists: not changed. Add this entry to its top-level "
                         f"{EXEMPT_PORTS} list, or the policy pack refuses the port until its links are encrypted: "
                         + json.dumps(entry))
            notes.append(f"policy exemption: add {json.dumps(entry)} to {EXEMPT_PORTS} in {policy_path.name} "
                         "(it existed already, so adopt did not change it)")
        else:
            files.append((policy_path, json.dumps({EXEMPT_PORTS: [entry]}, indent=2) + "\n"))
            notes.append(f"policy exemption: {policy_path.name} exempts port {port['name']} until {until.isoformat()} "
                         "(its links run without MACsec); the pipelines pass it to pulumi preview/up. Encrypt link by "
                         "link, then remove the entry; a later date needs a new entry, at most one year ahead")
    elif args.exempt_until is not None:
        after.append("note: --exempt-until: the port needs no exemption (MACsec on both links, or no link settings "
                     "yet): no policy config written")
    sources = [one_line(s) for s in (args.port, args.circuits, args.vault) if s]
    text = header(args.stack, sources, notes) + yaml.safe_dump({"config": config}, sort_keys=False)
    files.insert(0, (target, text))
    write_new(files)
    return [path for path, _ in files], after


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``adopt`` subcommand; returns its exit code."""
    try:
        written, after = _adopt(args)
    except AzureJsonError as exc:
        for problem in exc.problems:
            print(f"adopt: error: {problem}", file=sys.stderr)
        print("adopt: nothing written", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except FileExistsError as exc:
        print(f"adopt: error: {one_line(exc.filename or '')}: exists already; not overwritten\nadopt: nothing written",
              file=sys.stderr)
        return ExitCode.BAD_INPUT
    except OSError as exc:
        print(f"adopt: error: {one_line(exc.filename or args.project_dir)}: cannot write: "
              f"{exc.strerror or type(exc).__name__}\nadopt: nothing written", file=sys.stderr)
        return ExitCode.BAD_INPUT
    for line in after:
        print(line)
    print(f"wrote {', '.join(one_line(path) for path in written)}: review the header, then make preview "
          f"STACK={args.stack}")
    return ExitCode.OK
