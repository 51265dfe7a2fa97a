"""A stack's policy config, ``policy-config.<stack>.json``: one file, one list of exemptions.

The file sits next to ``Pulumi.<stack>.yaml``. It holds what a ``--policy-pack-config`` file
holds (``all``, a level or an object of properties per policy name) and, at the top level,
the stack's one list of port exemptions::

    {
      "exemptPorts": [{"name": "er-direct-ams-1", "expires": "2027-03-31", "reason": "CHG-1234"}],
      "expressroute-port-macsec-cipher": {"allowedCiphers": ["GcmAesXpn256"]}
    }

Under the Pulumi CLI a policy sees only its own config, so the list has to reach three
policies (``exemptions.TAKING_EXEMPTIONS``); ``expand`` puts it under each of them. That
expanded document is the only thing given to the CLI: the file itself is not, because the
CLI's parser takes a string or an object per top-level key and refuses the list
(``parsing "exemptPorts": ... is not a valid value; must be a string or object``, in
pulumi/pulumi ``sdk/pkg/resource/analyzer/config.go``), which also keeps an unexpanded file
from silently exempting nothing. ``expressroute-encryption policy-config`` writes the
expanded document; the pipelines pass it to ``pulumi preview``/``up --policy-pack-config``
and to the offline gate, so both check the same config.

A file without a top-level ``exemptPorts`` is already in the CLI's form and passes
unchanged: lists under the policies, as before the short form, keep working (the three
lists must agree).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..printable import one_line

FILE_NAME = "policy-config.{stack}.json"
LEVEL_KEY = "enforcementLevel"


class PackConfigError(Exception):
    """A policy config that cannot be expanded: one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def stack_file(project_dir: Path, stack: str) -> Path:
    """Where the policy config of ``stack`` lives: ``<project>/policy-config.<stack>.json``."""
    return project_dir / FILE_NAME.format(stack=stack)


def existing_stack_file(project_dir: Path, stack: str | None) -> Path | None:
    """The stack's policy config file if there is one (a file, not a folder)."""
    if not stack:
        return None
    path = stack_file(project_dir, stack)
    return path if path.is_file() else None


def expand(document: Any) -> dict[str, Any]:
    """The document as the Pulumi CLI takes it: a top-level ``exemptPorts`` list (checked
    first, its problems named under ``exemptPorts``) moved under each policy that takes it.
    Raises PackConfigError."""
    # Here, not at the top: finding a stack's file (``existing_stack_file``) loads no policy SDK.
    from .exemptions import EXEMPT_PORTS, TAKING_EXEMPTIONS, read_exemptions

    if not isinstance(document, Mapping):
        raise PackConfigError(["the policy config must be a JSON object: policy names (or all) and exemptPorts"])
    if EXEMPT_PORTS not in document:
        return dict(document)
    exempt = document[EXEMPT_PORTS]
    _, problems = read_exemptions(exempt, EXEMPT_PORTS)
    repeated = [policy for policy in TAKING_EXEMPTIONS
                if isinstance(document.get(policy), Mapping) and EXEMPT_PORTS in document[policy]]
    if repeated:
        problems.append(f"{EXEMPT_PORTS} is given at the top level and under {', '.join(repeated)}: keep one list, "
                        "at the top level (it is passed to every policy that takes it)")
    if problems:
        raise PackConfigError(problems)
    expanded = {key: value for key, value in document.items() if key != EXEMPT_PORTS}
    for policy in TAKING_EXEMPTIONS:
        entry = expanded.get(policy)
        if entry is None:
            expanded[policy] = {EXEMPT_PORTS: exempt}
        elif isinstance(entry, str):
            expanded[policy] = {LEVEL_KEY: entry, EXEMPT_PORTS: exempt}
        elif isinstance(entry, Mapping):
            expanded[policy] = {**entry, EXEMPT_PORTS: exempt}
        # Anything else is left for the pack config's own check to name.
    return expanded


def stack_of(urns: Iterable[Any]) -> str | None:
    """The stack the resources' URNs name (``urn:pulumi:<stack>::<project>::...``), when
    they all name the same one."""
    stacks = {urn.split("::", 1)[0][len("urn:pulumi:"):] for urn in urns
              if isinstance(urn, str) and urn.startswith("urn:pulumi:") and "::" in urn}
    return stacks.pop() if len(stacks) == 1 else None


def found_note(path: Path, how: str, option: str) -> str:
    """The note the offline tools print when they use a stack's policy config they found."""
    return (f"policy config: {one_line(path.name)} ({how}; the pipelines give the same config to pulumi "
            f"preview/up --policy-pack-config); {option} FILE gives another")
