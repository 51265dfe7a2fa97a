"""The exit codes every command of the ``expressroute-encryption`` tool returns."""

from enum import IntEnum


class ExitCode(IntEnum):
    """0 ok; 1 the check ran and refuses (a mandatory policy is violated, or the next
    ``pulumi up`` would be refused); 2 bad input (config, stack file, export, policy
    config, arguments): one line per problem, nothing written."""

    OK = 0
    REFUSED = 1
    BAD_INPUT = 2
