"""The exit codes every command of the ``expressroute-encryption`` tool returns."""

from enum import IntEnum
from signal import SIGINT, SIGTERM


class ExitCode(IntEnum):
    """0 ok; 1 the check ran and refuses (a mandatory policy is violated, or the next
    ``pulumi up`` would be refused); 2 bad input (config, stack file, export, policy
    config, arguments, or the ``[tools]`` extra not installed): one line per problem,
    nothing written. 130 and 143: stopped by Ctrl-C (SIGINT) or SIGTERM, one line, no
    partial file left (128 + the signal's number, as shells report it)."""

    OK = 0
    REFUSED = 1
    BAD_INPUT = 2
    INTERRUPTED = 128 + SIGINT
    TERMINATED = 128 + SIGTERM
