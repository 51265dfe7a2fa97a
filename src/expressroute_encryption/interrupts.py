"""Ctrl-C (SIGINT) and SIGTERM: the command ends with one line, a non-zero exit and no leftover files.

Python's default turns SIGINT into a ``KeyboardInterrupt`` traceback, and SIGTERM kills the process on
the spot, past every ``finally`` (a temporary file stays behind). While ``handled()`` is active (the
``expressroute-encryption`` command, ``cli.main``), both raise ``Interrupted`` instead, once: every
``finally`` on the way out runs, a second signal during that clean-up is ignored, and ``cli.main`` prints
one line and exits 128 + the signal's number (130, 143), the shells' convention.

``deferred()`` holds the signals back while a file is put in place (``output_files``), so that the file
is whole or not there, and lets the block say what to undo if a signal came meanwhile.

Standard library only.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_DESCRIPTIONS = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived; ``exit_code`` is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def description(self) -> str:
        return _DESCRIPTIONS.get(self.signum, signal.Signals(self.signum).name)


class _State:
    depth = 0  # nested deferred() blocks
    pending: int | None = None  # a signal held back by deferred()
    raised = False  # Interrupted was raised once: the way out is under way


def _handler(signum: int, frame: object) -> None:
    if _State.raised:
        return  # a second Ctrl-C while cleaning up: let the clean-up finish
    if _State.depth:
        _State.pending = _State.pending or signum
        return
    _State.raised = True
    raise Interrupted(signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Interrupted`` inside the block; the previous handlers come back after
    it. Outside the main thread (where Python runs signal handlers) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _handler) for signum in SIGNALS}
    _State.depth, _State.pending, _State.raised = 0, None, False
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _State.depth, _State.pending, _State.raised = 0, None, False


class deferred:
    """Holds SIGINT and SIGTERM back inside the block. ``interrupted`` says whether one came meanwhile
    (the block can then skip what it was about to do); ``on_interrupt(undo)`` registers what to undo if
    one came. On leaving the outermost block, a held signal runs the undos and raises ``Interrupted``."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def __enter__(self) -> "deferred":
        _State.depth += 1
        return self

    @property
    def interrupted(self) -> bool:
        return _State.pending is not None

    def on_interrupt(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def __exit__(self, *exc_info: object) -> bool:
        if _State.pending is not None:
            for undo in reversed(self._undo):
                with contextlib.suppress(OSError):
                    undo()
        _State.depth -= 1
        if _State.depth == 0 and _State.pending is not None:
            signum, _State.pending = _State.pending, None
            _State.raised = True
            raise Interrupted(signum)
        return False
