"""``expressroute-encryption adopt``: write a stack file for a port that already exists.

    expressroute-encryption adopt --stack prod --port port.json [--circuits circuits.json] [--vault vault.json]

Reads what Azure says about the resources, as ``az network express-route port show``,
``az network express-route list`` and ``az keyvault show`` print it (properties at the
top level), or as the Azure Resource Manager REST API returns it (a ``properties``
envelope; lists as ``{"value": [...]}``), and writes ``Pulumi.<stack>.yaml``: the port
with its ``importId`` and the settings that reproduce it exactly (Pulumi refuses an
import whose inputs differ from Azure's), the circuits on that port (authorization names,
never keys), and ``keyVault.existingId`` or a new vault. A comment header says what was
inferred and what is still to decide.

Exit codes: 0 written; 2 unreadable or unexpected JSON, a vault ExpressRoute could not
read keys from, or an existing stack file (nothing is written).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from expressroute_encryption import facts
from expressroute_encryption.arm import CIRCUIT_TYPE, PORT_TYPE, VAULT_TYPE, parse_arm_id, parse_secret_url
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.config.namespace import NAMESPACE
from expressroute_encryption.exit_codes import ExitCode
from expressroute_encryption.facts import LINKS
from expressroute_encryption.output_files import write_atomically


def default_cipher(bandwidth: int) -> str:
    """The port's cipher when no link uses MACsec yet: XPN is Microsoft's advice on fast
    links, and is not supported on 10 Gbps ports (fact: macsec-xpn-not-on-10g); the
    256-bit one of each pair."""
    return facts.XPN_CIPHERS[-1] if bandwidth == facts.XPN_RECOMMENDED_GBPS else facts.NON_XPN_CIPHERS[-1]

PEERING_KEYS = {"AzurePrivatePeering": "privatePeering", "MicrosoftPeering": "microsoftPeering"}


class AdoptError(Exception):
    """Input that cannot be adopted: one line per problem, nothing written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# ---------------------------------------------------------------------------
# Reading Azure's JSON, in either shape


def flatten(resource: Any) -> Any:
    """The az CLI shape of a resource: ARM's ``properties`` hoisted to the top level, in
    the resource and its sub-resources (links, peerings, authorizations)."""
    if isinstance(resource, list):
        return [flatten(item) for item in resource]
    if not isinstance(resource, dict):
        return resource
    merged = {k: v for k, v in resource.items() if k != "properties"}
    if isinstance(resource.get("properties"), dict):
        merged.update(resource["properties"])
    return {k: flatten(v) if k in ("links", "peerings", "authorizations") else v for k, v in merged.items()}


def load_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except OSError as exc:
        raise AdoptError([f"{path}: cannot read {what}: {exc.strerror}"]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise AdoptError([f"{path}: not JSON ({what} expected): {exc}"]) from None


def load_resource(path: str, resource_type: str, what: str) -> dict[str, Any]:
    """One resource of ``resource_type``, flattened; its id checked."""
    data = load_json(path, what)
    if not isinstance(data, dict):
        raise AdoptError([f"{path}: expected one {what} (a JSON object), got a {type(data).__name__}"])
    resource = flatten(data)
    if parse_arm_id(str(resource.get("id") or ""), resource_type) is None:
        raise AdoptError([f"{path}: not {what}: 'id' is not the ARM id of a {resource_type} resource"])
    return resource


def load_list(path: str, what: str) -> list[dict[str, Any]]:
    """A list as the az CLI prints it, or as ARM returns it (``{"value": [...]}``)."""
    data = load_json(path, what)
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        data = data["value"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise AdoptError([f"{path}: expected a list of {what} (az CLI) or {{\"value\": [...]}} (ARM)"])
    return [flatten(item) for item in data]


def _expect(problems: list[str], where: str, value: Any, allowed: tuple) -> Any:
    """``value`` if it is one of ``allowed`` (numbers compared as numbers), else a problem."""
    for option in allowed:
        if value == option and type(value) is not bool:
            return option
    problems.append(f"{where}: expected one of {', '.join(map(str, allowed))}, got {json.dumps(value)}")
    return None


# ---------------------------------------------------------------------------
# The port



def secret_ids(link: dict[str, Any]) -> tuple[str, str] | None:
    """The link's (CAK, CKN) Key Vault secret URLs, when it has MACsec configured.

    Anything else there is refused without being repeated: a value that is not a secret URL
    may be a key pasted in the wrong place, and this file is written into the stack file."""
    config = link.get("macSecConfig") or {}
    if not isinstance(config, dict):
        raise AdoptError([f"links[{link.get('name')}].macSecConfig: expected an object (value not shown)"])
    cak, ckn = config.get("cakSecretIdentifier"), config.get("cknSecretIdentifier")
    for kind, value in (("cakSecretIdentifier", cak), ("cknSecretIdentifier", ckn)):
        # What Azure keeps as a link's secret identifier: a Key Vault secret URL (with or without its version).
        if value and parse_secret_url(value) is None:
            raise AdoptError([f"links[{link.get('name')}].macSecConfig.{kind}: not a Key Vault secret URL "
                              "(https://<vault>.vault.azure.net/secrets/<name>/<version>); value not shown"])
    return (cak, ckn) if cak and ckn else None


def port_settings(port: dict[str, Any], path: str, has_circuits: bool) -> tuple[dict[str, Any], list[str]]:
    """``ports[0]`` reproducing the port, and header notes on what was inferred."""
    problems, notes = [], []
    raw_links = port.get("links") or []
    if not isinstance(raw_links, list):
        raise AdoptError([f"{path}: links: expected a list of link1 and link2, got {type(raw_links).__name__}"])
    links = {link.get("name"): link for link in raw_links if isinstance(link, dict)}
    if set(links) != set(LINKS):
        raise AdoptError([f"{path}: links: expected link1 and link2, got {', '.join(map(str, links)) or 'none'}"])
    bandwidth = _expect(problems, f"{path}: bandwidthInGbps", port.get("bandwidthInGbps"), facts.PORT_SPEEDS_GBPS)
    encapsulation = _expect(problems, f"{path}: encapsulation", port.get("encapsulation"), facts.ENCAPSULATIONS)
    billing = _expect(problems, f"{path}: billingType", port.get("billingType"), facts.PORT_BILLING_TYPES)
    admin = {}
    for name in LINKS:
        admin[name] = _expect(problems, f"{path}: links[{name}].adminState", links[name].get("adminState"),
                              facts.ADMIN_STATES)
    macsec_on = {name: secret_ids(links[name]) is not None for name in LINKS}
    link_macsec = {}
    for name in LINKS:
        config = links[name].get("macSecConfig") or {}
        if macsec_on[name]:
            link_macsec[name] = (
                _expect(problems, f"{path}: links[{name}].macSecConfig.cipher", config.get("cipher"),
                        facts.CIPHERS),
                _expect(problems, f"{path}: links[{name}].macSecConfig.sciState", config.get("sciState") or facts.SCI_DEFAULT,
                        facts.SCI_STATES),
            )
    if not port.get("name") or not port.get("peeringLocation"):
        problems.append(f"{path}: name and peeringLocation are required")
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
        if ids := secret_ids(links[name]):
            notes.append(
                f"KEYS: {name} uses MACsec with the secrets {ids[0]} (CAK) and {ids[1]} (CKN). This stack keeps "
                f"its keys in its own vault: before the first pulumi up, give the keys in use as bring-your-own keys "
                f"(pulumi config set --secret --type string --path 'macsecKeys.{port['name']}.{name}.cak' <hex>, "
                f"the same for .ckn; read them with az keyvault secret show --id <url> --query value), so the links "
                f"keep their keys when they move to the stack's secrets. Rotate later by raising "
                f"macsec.keyGeneration.{name}, one link per deployment"
            )
    return settings, notes


# ---------------------------------------------------------------------------
# Circuits


def _peering(peering: dict[str, Any], where: str, problems: list[str]) -> dict[str, Any]:
    out = {
        "peerAsn": peering.get("peerASN"),
        "primaryPeerAddressPrefix": peering.get("primaryPeerAddressPrefix"),
        "secondaryPeerAddressPrefix": peering.get("secondaryPeerAddressPrefix"),
        "vlanId": peering.get("vlanId"),
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
            out["customerAsn"] = config["customerASN"]
        out["routingRegistryName"] = config.get("routingRegistryName")
    return out


def circuit_settings(circuits: list[dict[str, Any]], port: dict[str, Any], path: str) -> tuple[list[dict], list[str]]:
    """The circuits on ``port`` (others are left out), and header notes."""
    port_group = parse_arm_id(port["id"], PORT_TYPE).group.lower()
    out, notes, problems = [], [], []
    for i, circuit in enumerate(circuits):
        where = f"{path}: [{i}] {circuit.get('name')}"
        port_ref = str((circuit.get("expressRoutePort") or {}).get("id") or "")
        if port_ref.lower() != port["id"].lower():
            continue
        parts = parse_arm_id(str(circuit.get("id") or ""), CIRCUIT_TYPE)
        if parts is None:
            problems.append(f"{where}: 'id' is not the ARM id of a {CIRCUIT_TYPE} resource")
            continue
        if parts.group.lower() != port_group:
            notes.append(f"circuit {circuit.get('name')} is left out: it is in resource group {parts.group}, "
                         "and a stack adopts resources of one resource group")
            continue
        sku = circuit.get("sku") or {}
        bandwidth = circuit.get("bandwidthInGbps")
        if isinstance(bandwidth, float) and bandwidth.is_integer():
            bandwidth = int(bandwidth)
        settings: dict[str, Any] = {
            "name": circuit.get("name"),
            "importId": circuit["id"],
            "bandwidthInGbps": bandwidth,
            "skuTier": sku.get("tier"),
            "skuFamily": sku.get("family"),
        }
        if circuit.get("allowClassicOperations"):
            settings["allowClassicOperations"] = True
        # Names only: an authorization's key is a credential and never goes in a stack file.
        auths = [a.get("name") for a in circuit.get("authorizations") or [] if isinstance(a, dict)]
        if auths:
            settings["authorizations"] = auths
        for j, peering in enumerate(circuit.get("peerings") or []):
            kind = PEERING_KEYS.get(peering.get("peeringType") or peering.get("name"))
            if kind is None:
                notes.append(f"circuit {circuit.get('name')}: peering {peering.get('name')} is not managed by this "
                             "stack and is left as it is")
                continue
            settings[kind] = _peering(peering, f"{where}: peerings[{j}]", problems)
        if sku.get("family") == facts.UNLIMITED_DATA:
            # fact: erd-circuit-metered-only
            notes.append(f"circuit {circuit.get('name')}: skuFamily UnlimitedData is written as Azure has it, but "
                         "Microsoft documents only MeteredData for circuits on ExpressRoute Direct")
        out.append(settings)
    if problems:
        raise AdoptError(problems)
    return out, notes


# ---------------------------------------------------------------------------
# The stack file


def vault_section(vault_path: str | None, port: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``keyVault``: the existing vault (refused when ExpressRoute could not read keys from
    it), or a new vault whose name is still to choose."""
    from expressroute_encryption.existing_vault import vault_problems

    if vault_path is None:
        name = ("kv-" + re.sub(r"[^a-z0-9-]", "", port["name"].lower()))[:24].rstrip("-")
        return {"name": name}, [
            f"DECIDE keyVault.name: '{name}' is a placeholder for the vault this stack creates; vault names are "
            "global DNS names, choose one that is free (or rerun with VAULT=<az keyvault show JSON> to use an existing vault)"
        ]
    vault = load_resource(vault_path, VAULT_TYPE, "a Key Vault (az keyvault show)")
    authorization = "rbac" if vault.get("enableRbacAuthorization") is True else "accessPolicy"
    if problems := vault_problems(vault, authorization):
        raise AdoptError([f"{vault_path}: {p}" for p in problems] + [
            "fix the vault in Azure, or leave VAULT out to have the stack create its own vault"])
    return {"existingId": vault["id"], "authorization": authorization}, [
        f"keyVault.existingId: {vault['id']}: the stack adds the port identity's get permission "
        f"({'role Key Vault Secrets User' if authorization == 'rbac' else 'access policy'}, as the vault uses) and the "
        "MACsec secrets; it never changes the vault's settings. Preview offline with VAULT=<this file> too"
    ]


def build_stack(port_path: str, circuits_path: str | None, vault_path: str | None) -> tuple[dict[str, Any], list[str]]:
    """(the stack file's config, the header notes)."""
    port = load_resource(port_path, PORT_TYPE, "an ExpressRoute Direct port (az network express-route port show)")
    circuits, circuit_notes = [], []
    if circuits_path:
        every = load_list(circuits_path, "circuits (az network express-route list)")
        circuits, circuit_notes = circuit_settings(every, port, circuits_path)
    settings, notes = port_settings(port, port_path, bool(circuits))
    if circuits:
        settings["circuits"] = circuits
    vault, vault_notes = vault_section(vault_path, port)
    group = parse_arm_id(port["id"], PORT_TYPE).group
    location = port.get("location")
    if not location:
        raise AdoptError([f"{port_path}: location is missing"])
    config = {
        "azure-native:location": location,
        f"{NAMESPACE}:resourceGroupName": group,
        f"{NAMESPACE}:keyVault": vault,
        f"{NAMESPACE}:ports": [settings],
    }
    notes = [
        f"azure-native:location: {location}, the port's region (the stack's identity{'' if vault_path else ' and vault'} "
        "go there too); it must stay the port's region, or the import fails",
        f"resourceGroupName: {group}, the port's resource group; it is adopted as it is",
    ] + notes + circuit_notes + vault_notes
    return config, notes


def header(stack: str, sources: list[str], notes: list[str]) -> str:
    lines = [
        f"Written by `make adopt` from {', '.join(sources)}: an existing ExpressRoute Direct port, adopted",
        "with Pulumi's import option on the first `pulumi up` (which changes nothing on the port; the",
        "next one attaches the stack's identity and applies the link settings below, as Azure has them).",
        "Pulumi refuses an import whose settings differ from Azure's: change nothing before that deployment",
        "except what is marked DECIDE or KEYS. Then encrypt link by link (README: Bring an existing port).",
        f"Preview: make preview STACK={stack}",
        "",
        "Inferred from Azure, and still to decide:",
    ]
    lines += [f"- {note}" for note in notes]
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def write_new(target: Path, text: str) -> None:
    """Write ``target`` atomically, never over an existing file (FileExistsError, even in a race)."""
    write_atomically(target, text, overwrite=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``adopt`` subcommand's options."""
    parser.add_argument("--stack", required=True, help="stack name: writes Pulumi.<stack>.yaml (never overwritten)")
    parser.add_argument("--port", required=True, metavar="FILE",
                        help="JSON of az network express-route port show (or the ARM GET of the port)")
    parser.add_argument("--circuits", metavar="FILE",
                        help="JSON of az network express-route list (or ARM's {\"value\": [...]}); only circuits on the port are taken")
    parser.add_argument("--vault", metavar="FILE",
                        help="JSON of az keyvault show: use that vault (keyVault.existingId); default: a new vault")
    parser.add_argument("--project-dir", default=".", help="where Pulumi.yaml is (default: the current directory)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    """Run the ``adopt`` subcommand; returns its exit code."""
    target = Path(args.project_dir) / f"Pulumi.{args.stack}.yaml"
    try:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.stack):
            raise AdoptError([f"--stack {args.stack}: use letters, digits, '-', '_' and '.' only"])
        if target.exists():
            raise AdoptError([f"{target}: exists already; not overwritten (choose another STACK or move the file)"])
        config, notes = build_stack(args.port, args.circuits, args.vault)
        try:
            parse_stack_config({k.split(":", 1)[1]: v for k, v in config.items() if k.startswith(NAMESPACE + ":")})
        except ConfigError as exc:
            raise AdoptError(["the port cannot be described by this stack's config as it is in Azure:", *exc.problems]) from None
        sources = [s for s in (args.port, args.circuits, args.vault) if s]
        text = header(args.stack, sources, notes) + yaml.safe_dump({"config": config}, sort_keys=False)
        write_new(target, text)
    except AdoptError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except FileExistsError:
        print(f"error: {target}: exists already; not overwritten\nnothing written", file=sys.stderr)
        return ExitCode.BAD_INPUT
    print(f"wrote {target}: review its header, then make preview STACK={args.stack}")
    return ExitCode.OK
