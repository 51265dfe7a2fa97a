"""The delete locks component: a CanNotDelete lock per target, and the component contract
(unknown arguments refused with their path, nothing registered)."""

from __future__ import annotations

import pytest

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.offline.harness import run_program
from tests.helpers import find, plain_inputs

VAULT_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ops/providers/Microsoft.KeyVault/vaults/kv-ops"
PROGRAM = """
from expressroute_encryption import ResourceLocks

ResourceLocks("locks", {{"targets": [{targets}]}})
"""


def run_locks(tmp_path, targets: str):
    (tmp_path / "__main__.py").write_text(PROGRAM.format(targets=targets))
    return run_program(tmp_path, "platform-locks", "prod", {}, [])


def test_each_target_gets_a_cannotdelete_lock_named_for_it(tmp_path):
    run = run_locks(tmp_path, f'{{"kind": "vault", "name": "kv-ops", "id": "{VAULT_ID}"}}')
    (lock,) = find(run, "authorization:ManagementLockByScope")
    assert lock.name == "kv-ops-vault-lock"
    assert {k: plain_inputs(lock)[k] for k in ("scope", "level", "lockName")} == {
        "scope": VAULT_ID, "level": "CanNotDelete", "lockName": "do-not-delete"}


def test_unknown_or_wrong_target_keys_are_refused_with_their_path(tmp_path):
    with pytest.raises(ConfigError) as info:
        run_locks(tmp_path, f'{{"kind": "keyvault", "name": "kv-ops", "id": "{VAULT_ID}", "scope": "x"}}')
    assert str(info.value).startswith("ResourceLocks 'locks': 2 problems; nothing was deployed:")
    assert info.value.problems == [
        "targets[0].kind: Input should be 'vault', 'port' or 'circuit'",
        "targets[0].scope: unknown key (allowed: kind, name, id)",
    ]
