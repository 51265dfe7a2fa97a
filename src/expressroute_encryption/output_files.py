"""Files the command writes (``preview --export``, ``adopt``'s stack file, ``config-reference --write``,
``bench --json``): whole or not at all, and none left behind by an interrupted run.

Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path

from .interrupts import deferred


def write_atomically(target: Path, text: str, *, overwrite: bool) -> None:
    """Write ``text`` to ``target`` through a temporary file in the same folder, renamed over
    ``target`` (``overwrite``) or linked to it, which fails with ``FileExistsError`` when ``target``
    exists, even in a race (``write_new``). Raises OSError."""
    if not overwrite:
        write_new([(Path(target), text)])
        return
    target = Path(target)
    with deferred() as signals, _staged([(target, text)]) as (temporary,):
        if not signals.interrupted:  # else leaving the block raises the signal; nothing was put in place
            os.replace(temporary, target)


def write_new(files: Sequence[tuple[Path, str]]) -> None:
    """Write every (path, text) whole and only where no file exists yet, or none of them: each
    through a temporary file in its folder, then linked to its path, which fails with
    ``FileExistsError`` when the path exists, even in a race. On any failure the files this call
    linked are removed again.

    SIGINT and SIGTERM (``interrupts``) are held back meanwhile: one that came before the files
    are in place keeps them from being put there; one that came after removes the files this call
    created. The signal is then raised. Raises OSError."""
    files = [(Path(target), text) for target, text in files]
    with deferred() as signals, _staged(files) as temporaries:
        if signals.interrupted:
            return
        linked: list[Path] = []
        try:
            for (target, _), temporary in zip(files, temporaries):
                os.link(temporary, target)
                linked.append(target)
                signals.on_interrupt(target.unlink)
        except BaseException:
            for target in linked:
                with contextlib.suppress(OSError):
                    target.unlink()
            raise


@contextlib.contextmanager
def _staged(files: Sequence[tuple[Path, str]]) -> Iterator[list[Path]]:
    """Each text in a temporary file beside its target, created with mode 0600 (it may hold a
    whole export) and given the mode a plain write would give once complete; the temporary
    files are removed on every way out."""
    umask = os.umask(0)
    os.umask(umask)
    temporaries: list[Path] = []
    try:
        for target, text in files:
            temporary = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            temporaries.append(temporary)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o666 & ~umask)
        yield temporaries
    finally:
        for temporary in temporaries:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
