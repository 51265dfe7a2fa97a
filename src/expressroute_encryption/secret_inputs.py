"""Key arguments of the components (MACsec keys, VPN shared keys, authorization keys),
checked once their secret values resolve.

A plain string is refused when the component is constructed (``config.PLAIN_SECRET``).
What remains is an Output: it must be secret (a non-secret Output would sit in the
caller's state in plain text, like a plain string), and its value must have the right
format. Both are checked inside an apply, before any resource receives the key: a
problem fails the deployment with the component's name and the argument's path, never
the value. An Output that is unknown during a preview is checked on `pulumi up`.
"""

from __future__ import annotations

from typing import Any, Callable

import pulumi

from .config.errors import ConfigError
from .config.inputs import PLAIN_SECRET, port_keys_lines
from .config.ports import MacsecSettings
from .facts import LINKS


def _fail(source: str, lines: list[str]) -> None:
    # RunError: the engine prints the message without a Python traceback.
    raise pulumi.RunError(str(ConfigError(lines, source=source)))


def checked_secret(value: pulumi.Input[Any], source: str, path: str,
                   problem: Callable[[Any], str | None] | None = None) -> pulumi.Output[Any]:
    """``value`` as a secret Output that resolves only if it was given as a secret and
    ``problem(value)`` finds nothing."""
    output = pulumi.Output.from_input(value)

    async def check(plain: Any) -> Any:
        if not await output.is_secret():
            _fail(source, [f"{path}: {PLAIN_SECRET}"])
        if plain is not None and problem is not None and (found := problem(plain)):
            _fail(source, [f"{path}: {found}"])
        return plain

    return pulumi.Output.secret(output.apply(check))


def checked_port_keys(keys: pulumi.Input[Any], macsec: MacsecSettings, source: str) -> pulumi.Output[dict]:
    """Bring-your-own keys ``{link1: {cak, ckn}, link2: {...}}`` (secret Outputs, or one
    secret Output of the whole mapping) as one secret Output, once every key is secret
    and well-formed; warns (without the key) when both links share a CAK."""
    leaves = {
        (link, kind): checked_secret(keys[link][kind], source, f"keys.{link}.{kind}")
        for link in LINKS for kind in ("cak", "ckn")
    }

    def check(values: list[Any]) -> dict:
        plain: dict[str, dict[str, Any]] = {}
        for (link, kind), value in zip(leaves, values):
            plain.setdefault(link, {})[kind] = value
        problems, warnings = port_keys_lines(plain, macsec)
        if problems:
            _fail(source, problems)
        for warning in warnings:
            pulumi.log.warn(f"{source}: {warning}")
        return plain

    return pulumi.Output.secret(pulumi.Output.all(*leaves.values()).apply(check))
