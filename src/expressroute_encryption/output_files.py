"""Files the command writes (``preview --export``, ``adopt``'s stack file, ``config-reference --write``,
``bench --json``): whole or not at all, and none left behind by an interrupted run.

Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from .interrupts import deferred


def write_atomically(target: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` to ``target`` through a temporary file in the same folder, created with mode 0600
    (it may hold a whole export) and given the mode a plain write would give once complete, then renamed
    over ``target`` (``overwrite``) or linked to it, which fails with ``FileExistsError`` when ``target``
    exists, even in a race. The temporary file is removed on every way out.

    SIGINT and SIGTERM (``interrupts``) are held back meanwhile: one that came before the file is in
    place keeps it from being put there; one that came after removes a file this call created
    (``overwrite`` false). The signal is then raised. Raises OSError."""
    target = Path(target)
    umask = os.umask(0)
    os.umask(umask)
    with deferred() as signals:
        temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o666 & ~umask)
            if signals.interrupted:
                return  # leaving the block raises the signal; nothing was put in place
            if overwrite:
                os.replace(temporary, target)
            else:
                os.link(temporary, target)
                signals.on_interrupt(target.unlink)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
