"""What the offline preview checks and says for a stack that adopts what already runs in Azure.

- **The stack's policy config.** Without ``--policy-config``, ``policy-config.<stack>.json``
  next to the stack file is used when it exists, and a note says so: the same file the
  pipelines render for ``pulumi preview``/``up --policy-pack-config``.
- **Exemptions that exempt nothing.** A warning per exempted port the stack does not have.
- **--vault FILE** answers the program's read of ``keyVault.existingId``: it must describe that
  vault (ids compared without case, as ARM compares them), and it is refused for a stack that
  creates its own vault (it would be ignored, and a wrong file would make a bad id pass).
- **A vault in another subscription** than the deployment's is read and written through an
  explicit provider for its subscription (``existing_vault``), offline as on ``pulumi up``;
  a note says which subscription the preview took as the deployment's.
- **The keys of a port adopted with MACsec.** What the preview can check without the vault
  and the routers (the format of the keys given) and what it cannot (that they are the keys
  in use), said plainly per port.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from expressroute_encryption.config.namespace import NAMESPACE
from expressroute_encryption.printable import one_line

KEY_VAULT_KEY = f"{NAMESPACE}:keyVault"


def policy_config_for(stack: str, project_dir: Path, given: str | None) -> tuple[str | None, list[str]]:
    """The policy config to use: ``given``, else the stack's own file if there is one (with a note)."""
    from expressroute_encryption.policy import pack_config

    if given is not None:
        return given, []
    found = pack_config.existing_stack_file(project_dir, stack)
    if found is None:
        return None, []
    return str(found), [pack_config.found_note(found, f"this stack's, next to Pulumi.{one_line(stack)}.yaml",
                                               "--policy-config (make CONFIG=)")]


def existing_vault_id(config: Mapping[str, str]) -> str | None:
    """``keyVault.existingId`` as the stack file has it (None when absent or unreadable: the
    config's own check names that)."""
    try:
        key_vault = json.loads(config.get(KEY_VAULT_KEY) or "null")
    except ValueError:
        return None
    existing = key_vault.get("existingId") if isinstance(key_vault, dict) else None
    return existing if isinstance(existing, str) else None


def vault_file_problems(config: Mapping[str, str], vault_state: Mapping[str, Any], vault_path: str) -> list[str]:
    """Why ``--vault FILE`` cannot answer for this stack's vault: there is no ``existingId``, or
    the file describes another vault."""
    existing = existing_vault_id(config)
    if existing is None:
        return [f"--vault {one_line(vault_path)}: this stack has no keyVault.existingId (it creates its own vault), "
                "so there is no existing vault to describe; leave --vault out, or set keyVault.existingId"]
    described = str(vault_state.get("id") or "")
    if described.lower() != existing.lower():
        return [f"--vault {one_line(vault_path)}: describes the vault {one_line(described)}, but keyVault.existingId "
                f"names {one_line(existing)}; give the az keyvault show JSON of that vault"]
    return []


def vault_subscription_notes(config: Mapping[str, str], deployment_subscription: str) -> list[str]:
    """A note when the existing vault is in another subscription than the preview's deployment."""
    from expressroute_encryption.arm import VAULT_TYPE, parse_arm_id

    parts = parse_arm_id(existing_vault_id(config), VAULT_TYPE)
    if parts is None or parts.subscription.lower() == deployment_subscription.lower():
        return []
    return [f"keyVault.existingId is in subscription {one_line(parts.subscription)}, not the deployment's "
            f"({one_line(deployment_subscription)} here: azure-native:subscriptionId, or the offline stand-in when "
            "it is not set): the vault is read, and its secrets and the identity's permission written, through an "
            "explicit azure-native provider for its subscription; pulumi up does the same whenever the vault's "
            "subscription is not the one it deploys to"]


def exemption_warnings(resources: Sequence[Mapping[str, Any]], config: Mapping | None) -> list[str]:
    """A warning per exemption naming a port the previewed stack does not have."""
    from expressroute_encryption.policy.checker import exemption_warnings as warnings

    return warnings(config, resources) if config else []


def adoption_key_notes(config: Mapping[str, str], secret_keys: Sequence[str],
                       previous_outputs: Mapping[str, Any]) -> list[str]:
    """Per port this deployment adopts with MACsec on a link: what the preview checks of the
    keys given in ``macsecKeys``, and what it cannot check without the vault and the routers."""
    from expressroute_encryption.adoption import adopting_ports, macsec_links
    from expressroute_encryption.config.errors import ConfigError, config_set_path
    from expressroute_encryption.config.loading import stack_config_from
    from expressroute_encryption.offline.wire import unwrap
    from expressroute_encryption.record import Previous

    try:
        stack = stack_config_from(config, secret_keys)
    except ConfigError:
        return []  # the program names every problem
    adopting = adopting_ports(stack, Previous.from_outputs(unwrap(dict(previous_outputs))))
    notes = []
    for port in stack.ports:
        links = macsec_links(port)
        if port.name not in adopting or not links or port.name not in stack.macsec_keys:
            continue
        path = config_set_path("macsecKeys", port.name, links[0], "cak")
        notes.append(
            f"port {one_line(port.name)} is adopted with MACsec on {' and '.join(links)}: the preview checks the keys "
            f"in macsecKeys only as keys (hex, the CAK length of each link's cipher, no key reused), and only when it "
            f"could decrypt them; it cannot read the vault's secrets or your routers, so it cannot tell whether they "
            f"are the keys the links use now. Compare them before pulumi up (az keyvault secret show --id <the "
            f"link's secret URL, in adopt's header> --query value; set with pulumi config set --secret --path "
            f"'{path}'): the deployment after the import points the links at these keys, and a link whose key "
            f"differs from its router's drops")
    return notes
