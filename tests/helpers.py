"""Test helpers shared by every test module: a base config, running the real program under the
Azure mocks, finding registered resources, and the config-problem helpers. Fixtures live in
``conftest.py``."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from hypothesis import settings

from expressroute_encryption.cli import main
from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.config.namespace import NAMESPACE
from expressroute_encryption.offline.harness import ProgramRun, Registration, run_program
from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID, AzureMocks
from expressroute_encryption.offline.wire import unwrap
from expressroute_encryption.record import Previous
from expressroute_encryption.runbook import rotation_plan

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPO = PROJECT_DIR

BASE: dict[str, Any] = {
    "resourceGroupName": "rg-er-test",
    "keyVault": {"name": "kv-er-test", "allowedIpRanges": ["198.51.100.0/24"]},
    "ports": [
        {
            "name": "port-a",
            "peeringLocation": "Equinix-Amsterdam-AM5",
            "bandwidthInGbps": 10,
            "encapsulation": "QinQ",
            "billingType": "MeteredData",
            "stage": "active",
            "macsec": {"cipher": "GcmAes256"},
        }
    ],
}

# Well-formed bring-your-own keys for a 256-bit cipher; tests check they never leak.
BYO_CAK = "c0ffee" * 10 + "abcd"  # 64 hex digits
BYO_CKN = "5ec2e7" * 4  # 24 hex digits


def base_config(**changes: Any) -> dict[str, Any]:
    """A deep copy of BASE with top-level keys replaced (None removes a key)."""
    values = copy.deepcopy(BASE)
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def port(**changes: Any) -> dict[str, Any]:
    """BASE's port with fields replaced."""
    values = copy.deepcopy(BASE["ports"][0])
    values.update(changes)
    return values


def cli_config(values: dict[str, Any], location: str | None = "westeurope") -> dict[str, str]:
    """The config as the Pulumi CLI passes it: namespaced keys, objects as JSON."""
    config = {
        f"{NAMESPACE}:{k}": v if isinstance(v, str) else json.dumps(v) for k, v in values.items()
    }
    if location:
        config["azure-native:location"] = location
    return config


def run_stack(values: dict[str, Any], secret_keys: tuple[str, ...] = (), stack: str = "test",
              previous: ProgramRun | None = None, live_ports: dict[str, Any] | None = None, **kw) -> ProgramRun:
    """Run __main__.py under the mocks, as `pulumi preview` would; ``previous`` is the
    run whose stack outputs the program reads back as its last deployment, ``live_ports``
    the ports Azure has (``live_port``), for the program's read of a port it adopts."""
    return run_program(
        PROJECT_DIR,
        "expressroute-encryption",
        stack,
        cli_config(values, **kw),
        [f"{NAMESPACE}:{k}" for k in secret_keys],
        mocks=AzureMocks(previous_outputs=previous.stack_outputs if previous else None, live_ports=live_ports),
    )


def live_port(name: str = "port-a", admin: str = "Enabled", macsec: dict[str, dict] | None = None) -> dict[str, Any]:
    """A port as ``az network express-route port show`` prints it: both links ``admin``,
    and ``macsec`` per link (cipher, sciState; secret identifiers are added)."""
    links = []
    for link in ("link1", "link2"):
        entry = {"name": link, "adminState": admin, "connectorType": "LC", "provisioningState": "Succeeded"}
        if macsec and link in macsec:
            entry["macSecConfig"] = {
                **macsec[link],
                "cakSecretIdentifier": f"https://kv-routers.vault.azure.net/secrets/{name}-{link}-cak/{'a' * 32}",
                "cknSecretIdentifier": f"https://kv-routers.vault.azure.net/secrets/{name}-{link}-ckn/{'b' * 32}",
            }
        links.append(entry)
    return {"name": name, "resourceGroup": "rg-er-test", "bandwidthInGbps": 10, "encapsulation": "QinQ",
            "id": f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-er-test/providers/Microsoft.Network/"
                  f"expressRoutePorts/{name}", "links": links}


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    """The ``expressroute-encryption`` command run in-process: its exit code, stdout and stderr."""
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(values: dict[str, Any], previous: ProgramRun | None, **kw) -> str:
    """The message of the program's refusal (``pulumi.RunError``) of ``values`` after ``previous``."""
    with pytest.raises(pulumi.RunError) as info:
        run_stack(values, previous=previous, **kw)
    return str(info.value)


def find(run: ProgramRun, type_suffix: str, name: str | None = None) -> list[Registration]:
    return [
        r for r in run.resources
        if r.type.endswith(type_suffix) and (name is None or r.name == name)
    ]


def one(run: ProgramRun, type_suffix: str, name: str | None = None) -> Registration:
    found = find(run, type_suffix, name)
    assert len(found) == 1, f"expected one {type_suffix} {name or ''}, got {[r.name for r in found]}"
    return found[0]


def plain_inputs(reg: Registration) -> dict[str, Any]:
    return unwrap(reg.inputs)


def macsec(**changes: Any) -> dict[str, Any]:
    """BASE's port's macsec settings with fields replaced."""
    settings = {"cipher": "GcmAes256"}
    settings.update(changes)
    return settings


def deployed(stage: str = "active", **port_changes: Any) -> ProgramRun:
    """A previous deployment of BASE's port at ``stage``."""
    return run_stack(base_config(ports=[port(stage=stage, **port_changes)]))


def byo(cak: str = BYO_CAK, ckn: str = BYO_CKN, link2_cak: str = BYO_CAK) -> dict[str, Any]:
    """``macsecKeys`` for BASE's port: bring-your-own keys on both links."""
    return {"port-a": {"link1": {"cak": cak, "ckn": ckn}, "link2": {"cak": link2_cak, "ckn": ckn}}}


def with_ports(run: ProgramRun, edit) -> ProgramRun:
    """A copy of ``run`` whose ``ports`` output went through ``edit`` (an older or odd deployment)."""
    outputs = copy.deepcopy(run.stack_outputs)
    edit(outputs["ports"])
    return ProgramRun(stack_outputs=outputs)


# MACsec off on both links of a port (``macsec.<link>.enabled: false``), and on link1 only.
OFF = {"cipher": "GcmAes256", "link1": {"enabled": False}, "link2": {"enabled": False}}
LINK1_ON = {"cipher": "GcmAes256", "link2": {"enabled": False}}


def live_config(macsec: dict[str, Any] = OFF, **changes: Any) -> dict[str, Any]:
    """BASE with its port's macsec settings (default: MACsec off on both links) and fields replaced."""
    return base_config(ports=[port(macsec=copy.deepcopy(macsec), **changes)])


def links_sent(result: ProgramRun) -> dict[str, Any]:
    """The links the port's registration sends to Azure, by name."""
    return {link["name"]: link for link in plain_inputs(one(result, "network:ExpressRoutePort"))["links"]}


def plan(values: dict[str, Any], previous_run: ProgramRun, stack: str = "prod") -> str:
    """The rotation plan of ``values`` against the record ``previous_run`` left."""
    return rotation_plan(parse_stack_config(values), Previous.from_outputs(unwrap(previous_run.stack_outputs)), stack)


def problems(values: dict[str, Any]) -> list[str]:
    """The config problems ``values`` has (it must have some)."""
    with pytest.raises(ConfigError) as info:
        parse_stack_config(values)
    return info.value.problems


def only_problem(values: dict[str, Any]) -> str:
    found = problems(values)
    assert len(found) == 1, found
    return found[0]


# Circuits and VPN settings that pass every rule.

PRIVATE = {
    "peerAsn": 65010,
    "primaryPeerAddressPrefix": "192.168.100.0/30",
    "secondaryPeerAddressPrefix": "192.168.100.4/30",
    "vlanId": 100,
}
MICROSOFT = {
    "peerAsn": 64496,
    "primaryPeerAddressPrefix": "203.0.113.0/30",
    "secondaryPeerAddressPrefix": "203.0.113.4/30",
    "vlanId": 101,
    "advertisedPublicPrefixes": ["203.0.113.128/27"],
    "routingRegistryName": "ARIN",
}


def circuit(**changes):
    values = {
        "name": "ckt-1",
        "bandwidthInGbps": 5,
        "skuTier": "Standard",
        "skuFamily": "MeteredData",
        "authorizations": ["team-a"],
        "privatePeering": copy.deepcopy(PRIVATE),
    }
    values.update(changes)
    return values


VPN = {
    "circuit": "ckt-1",
    "virtualNetwork": {"name": "vnet-hub", "addressSpace": ["10.50.0.0/16"], "gatewaySubnetPrefix": "10.50.255.0/27"},
    "expressRouteGatewaySku": "ErGw1AZ",
    "vpnGatewaySku": "VpnGw2AZ",
    "onPremises": {"name": "dc1", "vpnDeviceIp": "10.1.0.10", "addressPrefixes": ["10.1.10.0/24"]},
    "advertisedOverExpressRoute": ["10.1.0.0/16"],
}


def vpn_config(**changes):
    vpn = copy.deepcopy(VPN)
    vpn.update(changes)
    return base_config(ports=[port(circuits=[circuit()])], vpn=vpn)


# Stack files on disk


def program_folder(tmp_path: Path) -> Path:
    """A project directory with this repo's program and no stack file (``adopt`` writes one)."""
    for name in ("Pulumi.yaml", "__main__.py"):
        (tmp_path / name).symlink_to(PROJECT_DIR / name)
    return tmp_path


def project_copy(tmp_path: Path, stack: str, stack_doc: dict) -> Path:
    """A project directory with this repo's program and one extra stack file."""
    program_folder(tmp_path)
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(stack_doc))
    return tmp_path


def dev_config() -> dict:
    return yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"]


def dev_live_config() -> dict:
    """The dev stack a few deployments on: its port active, with the circuit its stack file
    shows commented out (the stack file starts where a real deployment starts: reserved)."""
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    commented = text[text.index("      # circuits:"):].splitlines()
    circuits = yaml.safe_load("\n".join(line.replace("# ", "", 1) for line in commented if line.strip().startswith("#")))
    config = dev_config()
    config["expressroute-encryption:ports"][0].update(stage="active", **circuits)
    return config


def live_dev_project(tmp_path: Path) -> Path:
    """A project directory with this repo's program and ``dev_live_config`` as its dev stack."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    return project_copy(tmp_path, "dev", {"config": dev_live_config()})


def with_circuits(*circuits, **port_changes):
    """BASE with its port carrying ``circuits`` (and port fields replaced)."""
    return base_config(ports=[port(circuits=list(circuits), **port_changes)])


def bgp_vpn(peering_address: str, asn: int = 65020, **changes):
    """``vpn_config`` with BGP to the on-premises device at ``peering_address``."""
    on_prem = {**VPN["onPremises"], "bgp": {"asn": asn, "peeringAddress": peering_address}}
    return vpn_config(onPremises=on_prem, **changes)


def up(values, previous=None, live_ports=None):
    """The program as `pulumi up` runs it (not a preview)."""
    return run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(values), [],
                       mocks=AzureMocks(previous_outputs=previous.stack_outputs if previous else None,
                                        live_ports=live_ports), dry_run=False)


# Key material that must never be printed: a second 256-bit CAK, a VPN shared key, a circuit
# authorization key; and bring-your-own keys for BASE's port with a different CAK per link.
CAK2 = "b0bcae" * 10 + "1234"  # 64 hex digits, not BYO_CAK
SHARED_KEY = "Tunnel-Key-" + "x7Q2" * 5
AUTH_KEY = "0a1b2c3d-0000-4000-8000-00000000beef"
BYO_PORT_KEYS = {"port-a": {"link1": {"cak": BYO_CAK, "ckn": BYO_CKN}, "link2": {"cak": CAK2, "ckn": BYO_CKN}}}

# A program that connects a virtual network to a circuit with CircuitVnetConnection.
CONNECTION_PROGRAM = f"""
import pulumi
from expressroute_encryption import CircuitVnetConnection

CircuitVnetConnection("hub", {{
    "resource_group_name": "rg-app",
    "express_route_circuit_id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-net/providers/Microsoft.Network/expressRouteCircuits/ckt-1",
    "authorization_key": pulumi.Output.secret("{AUTH_KEY}"),
    "virtual_network": {{"name": "vnet-app", "address_space": ["10.40.0.0/16"], "gateway_subnet_prefix": "10.40.255.0/27"}},
    "express_route_gateway_sku": "ErGw1AZ",
}})
"""



# What `protect` covers: resource types protected by the program but not required by the
# policy (supporting resources whose loss is noticed through the gateway or port that uses
# them); operations resources, whose loss breaks neither encryption nor connectivity, so that
# `locks: false` or a changed alert can remove them; generated keys, which a rotation replaces.
SUPPORTING = {"azure-native:resources:ResourceGroup", "azure-native:network:VirtualNetwork",
              "azure-native:network:Subnet", "azure-native:network:PublicIPAddress",
              "azure-native:operationalinsights:Workspace"}  # the vault's audit history
OPERATIONS = {"azure-native:monitor:MetricAlert", "azure-native:monitor:ActionGroup",
              "azure-native:monitor:DiagnosticSetting", "azure-native:authorization:ManagementLockByScope"}
UNPROTECTED = {"random:index/randomBytes:RandomBytes", "random:index/randomPassword:RandomPassword"}


def full_config(protect: bool = True, **vault):
    """A stack with a circuit (both peerings, a route filter), the VPN and an RBAC vault."""
    ckt = circuit(microsoftPeering={**MICROSOFT, "routeFilterCommunities": ["12076:5010"]})
    return base_config(ports=[port(circuits=[ckt])], vpn=dict(VPN), protect=protect,
                       keyVault={"name": "kv-er-test", "authorization": "rbac", **vault})


# A stack file with bring-your-own keys encrypted by the passphrase provider.
STACK_PASSPHRASE = "correct horse"


def byo_project(tmp_path: Path, encrypter, cak_ciphertext: str | None = None) -> Path:
    """The dev stack as ``Pulumi.byo.yaml`` with its keys as ``secure:`` values (``cak_ciphertext``
    replaces link2's CAK)."""
    config = dev_config()
    config[f"{NAMESPACE}:macsecKeys"] = {"er-direct-ams-dev": {
        link: {"cak": {"secure": encrypter.encrypt(BYO_CAK)}, "ckn": {"secure": encrypter.encrypt(BYO_CKN)}}
        for link in ("link1", "link2")}}
    if cak_ciphertext:
        config[f"{NAMESPACE}:macsecKeys"]["er-direct-ams-dev"]["link2"]["cak"]["secure"] = cak_ciphertext
    return project_copy(tmp_path, "byo", {"encryptionsalt": encrypter.state(), "config": config})


# Property-based tests of pure validators: enough examples to find an edge, quick on two cores.
SMALL = settings(max_examples=150, deadline=None)


def preview(capsys, *args: str) -> tuple[int, str, str]:
    """``expressroute-encryption preview`` run in-process: its exit code, stdout and stderr."""
    return cli(capsys, "preview", *args)


def byo_stack(encrypt) -> dict:
    """The dev stack's config with bring-your-own keys, each leaf encrypted by ``encrypt``."""
    config = dev_config()
    config[f"{NAMESPACE}:macsecKeys"] = {
        "er-direct-ams-dev": {
            link: {"cak": {"secure": encrypt(BYO_CAK)}, "ckn": {"secure": encrypt(BYO_CKN)}}
            for link in ("link1", "link2")
        }
    }
    return config


def byo_links(link1=None, link2=None):
    """``macsecKeys`` for BASE's port with well-formed keys on each link not given."""
    good = {"cak": BYO_CAK, "ckn": BYO_CKN}
    return {"port-a": {"link1": link1 or good, "link2": link2 or good}}
