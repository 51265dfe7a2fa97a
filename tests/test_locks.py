"""The delete locks component: a CanNotDelete lock per target, the component contract
(unknown arguments refused with their path, nothing registered), what the stack locks
(not a vault it does not own, unless asked) and what the locks are said to cover. The
guard's rules for deletes under a lock are in tests/test_guard.py."""

from __future__ import annotations

import re

import pytest

from expressroute_encryption.config.errors import ConfigError
from expressroute_encryption.offline.harness import run_program
from tests.helpers import REPO, base_config, find, only_problem, plain_inputs, run_stack

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


# --- the stack's locks: what they cover, and a vault the stack does not own ----------------

EXISTING_VAULT = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-keys/providers/"
                  "Microsoft.KeyVault/vaults/kv-shared")


def lock_scopes(run) -> set[str]:
    return {plain_inputs(lock)["scope"] for lock in find(run, "authorization:ManagementLockByScope")}


def test_an_existing_vault_is_not_locked_unless_asked_for():
    existing = base_config(keyVault={"existingId": EXISTING_VAULT})
    assert EXISTING_VAULT not in lock_scopes(run_stack(existing))
    assert EXISTING_VAULT in lock_scopes(run_stack({**existing, "lockExistingVault": True}))


@pytest.mark.parametrize("values,expected", [
    (base_config(lockExistingVault=True),
     "lockExistingVault: only with keyVault.existingId: a vault the stack creates is locked whenever locks are on"),
    (base_config(keyVault={"existingId": EXISTING_VAULT}, lockExistingVault=True, locks=False),
     "lockExistingVault: needs locks on (locks is false, or protect is false without locks: true)"),
], ids=["own-vault", "locks-off"])
def test_lock_existing_vault_needs_an_existing_vault_and_locks(values, expected):
    assert only_problem(values) == expected


def test_the_docs_claim_no_lock_on_secrets():
    """Locks are control plane only: a secret is deleted on the data plane, so no lock of
    the stack protects it (soft delete and purge protection do)."""
    from expressroute_encryption import locks, monitoring

    docs = [(REPO / "README.md").read_text(), *(path.read_text() for path in sorted((REPO / "docs").glob("*.md")))]
    for text in (locks.__doc__, locks.ResourceLocks.__doc__, monitoring.__doc__, *docs):
        assert not re.search(r"secrets[^.]*cannot be deleted|lock[^.]*covers? [^.]*secrets", text, re.I)
    assert "data plane" in locks.ResourceLocks.__doc__
