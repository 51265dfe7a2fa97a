"""Generated inputs for the benchmark: estates of any size, and an invalid stack.

Everything here is deterministic, valid under ``expressroute_encryption.config`` (except the
deliberately invalid stack) and compliant with the policy pack, so the benchmark
measures the normal path, not error handling.

An estate of P ports registers 129 resources per port: 50 for the port itself (the port
component, 4 random keys, 4 Key Vault secrets, the port, and per circuit its component,
the circuit and two peerings), 11 delete locks (the port's and its 10 circuits') and 68
alerts (8 on the port's links, 6 per circuit: BGP and ARP availability, QoS drops and
throughput in and out). Shared: 21 (the resource group, the vault, its identity and their
component, 11 for the VPN, the locks component and the vault's lock, and the monitoring
component, its action group, Log Analytics workspace and the vault's diagnostic setting).
20 ports give 2,601 resources and 39 ports 5,052. Without monitoring a port has 61 and the
shared part 17.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

NAMESPACE = "expressroute-encryption"
# The project the benchmark measures: the one it is run from (`make bench` runs it at the root).
PROJECT_DIR = Path.cwd()
# What a project directory needs for the offline preview (as tests/helpers.py's project_copy).
PROJECT_ENTRIES = ("Pulumi.yaml", "__main__.py", "components", "policy")


RESOURCES_PER_PORT = 129  # with 10 circuits per port, monitoring and locks
SHARED_RESOURCES = 21  # with the VPN, monitoring and locks


def estate_config(ports: int = 20, circuits_per_port: int = 10, vpn: bool = True,
                  monitoring: bool = True) -> dict[str, Any]:
    """The ``config:`` of a global estate: ``ports`` 100 Gbps Direct ports, each with
    ``circuits_per_port`` 10 Gbps circuits carrying private and Microsoft peering, an
    IPsec VPN over the first circuit's private peering and, with ``monitoring``, tags and
    the baseline alerts on every link and peering (delete locks are on either way:
    ``protect`` is)."""
    if not 1 <= ports <= 250 or not 1 <= circuits_per_port <= 20:
        raise ValueError("1-250 ports and 1-20 circuits per port (10 Gbps circuits on a 100 Gbps port, 2x oversubscription)")
    port_list = []
    for p in range(ports):
        circuits = []
        for c in range(circuits_per_port):
            circuits.append({
                "name": f"er-ckt-p{p:03d}-c{c:02d}",
                "bandwidthInGbps": 10,
                "skuTier": "Premium" if c % 3 == 0 else "Standard",
                "skuFamily": "MeteredData",
                "privatePeering": {
                    "peerAsn": 64512 + p,
                    # /30s are unique per port: 10.<port>.<circuit>.0/30 and .4/30
                    "primaryPeerAddressPrefix": f"10.{p}.{c}.0/30",
                    "secondaryPeerAddressPrefix": f"10.{p}.{c}.4/30",
                    "vlanId": 100 + 2 * c,
                },
                "microsoftPeering": {
                    "peerAsn": 64512 + p,
                    "primaryPeerAddressPrefix": f"203.0.113.{8 * c}/30",
                    "secondaryPeerAddressPrefix": f"203.0.113.{8 * c + 4}/30",
                    "vlanId": 101 + 2 * c,
                    "advertisedPublicPrefixes": [f"198.51.100.{16 * (c % 16)}/28"],
                    "routingRegistryName": "RIPENCC",
                },
            })
        port_list.append({
            "name": f"er-direct-p{p:03d}",
            "peeringLocation": f"Metro-{p // 2:03d}",
            "bandwidthInGbps": 100,
            "encapsulation": "QinQ",
            "billingType": "UnlimitedData",
            "stage": "active",
            "macsec": {"cipher": "GcmAesXpn256", "sciState": "Enabled"},
            "circuits": circuits,
        })
    config: dict[str, Any] = {
        "azure-native:location": "westeurope",
        f"{NAMESPACE}:resourceGroupName": "rg-expressroute-bench",
        f"{NAMESPACE}:keyVault": {"name": "kv-ermacsec-bench", "allowedIpRanges": ["198.51.100.0/26"]},
        f"{NAMESPACE}:ports": port_list,
    }
    if monitoring:
        config[f"{NAMESPACE}:tags"] = {"costCenter": "4711", "owner": "network-engineering"}
        config[f"{NAMESPACE}:monitoring"] = {"alertEmails": ["noc@example.com"]}
    if vpn:
        config[f"{NAMESPACE}:vpn"] = {
            "circuit": port_list[0]["circuits"][0]["name"],
            "virtualNetwork": {"name": "vnet-bench-hub", "addressSpace": ["10.250.0.0/16"],
                               "gatewaySubnetPrefix": "10.250.255.0/27"},
            "expressRouteGatewaySku": "ErGw2AZ",
            "vpnGatewaySku": "VpnGw2AZ",
            "activeActive": True,
            "onPremises": {"name": "onprem-bench", "vpnDeviceIp": "172.16.0.10",
                           "addressPrefixes": ["172.16.10.0/24"]},
            "advertisedOverExpressRoute": ["172.16.0.0/16"],
        }
    return config


def invalid_config() -> dict[str, Any]:
    """The dev stack with a cipher its 10 Gbps port cannot run: a config error (exit 2)."""
    config = copy.deepcopy(yaml.safe_load((PROJECT_DIR / "Pulumi.dev.yaml").read_text())["config"])
    config[f"{NAMESPACE}:ports"][0]["macsec"]["cipher"] = "GcmAesXpn256"
    return config


def project_dir(root: Path, stack: str, config: dict[str, Any]) -> Path:
    """A project directory for ``expressroute-encryption preview --project-dir``: symlinks to the project's
    program, components, mocks and policy pack, and a generated ``Pulumi.<stack>.yaml``."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in PROJECT_ENTRIES:
        link = root / entry
        if not link.exists():
            link.symlink_to(PROJECT_DIR / entry)
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return root
