"""Pull-request summary of the offline checks, for GitHub Actions and Azure Pipelines alike.

    python3 pipelines/pr_summary.py --stack dev --preview offline-preview-dev.json \\
        [--policy policy-check-dev.json] [--out summary-dev.md]

reads the JSON summaries of ``make preview ... JSON=1`` (``expressroute-encryption preview --json``)
and ``make check-policy ... JSON=1`` (``expressroute-encryption check-policy --json``),
writes a short Markdown summary (stdout, or ``--out``) and exits with the status the pipeline
should fail with: the offline preview's own exit code (0 ok, 1 mandatory policy violation,
2 config, stack-file or policy-config error, including a MACsec change the rotation guard
refuses), else 1 when the policy check reports a mandatory violation, else 0. A summary file
that is missing or unreadable (the command crashed) gives exit 2 and says so in the Markdown.

The summary also carries the offline what-if of the preview JSON (``changes``: what the
next deployment does to each resource; ``links``: each link of each port, before -> after,
disruptive or not), next to the real ``pulumi preview`` diff the pipelines post.

    python3 pipelines/pr_summary.py --ado-thread summary.md [summary-prod.md ...] [--pulumi-preview FILE]

prints the JSON body of an Azure DevOps "create pull request thread" request holding those
Markdown files and, with ``--pulumi-preview``, the output of ``pulumi preview`` (the thread is
created closed, so it never blocks "all comments resolved").

Standard library only: it runs before or without the project's virtualenv. Neither input holds
secret values (the preview and checker never print them), so the summary can be posted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_VIOLATION, EXIT_INPUT = 0, 1, 2
MAX_VIOLATIONS = 30  # a pull-request comment stays readable; the full list is in the job log
MAX_CHANGES = 40
MAX_PREVIEW_CHARS = 60000  # of `pulumi preview` in a thread; its end (the summary) is kept
ADO_THREAD_CLOSED, ADO_COMMENT_TEXT = 4, 1
FENCE = "`" * 3
# A link's fields (link_state.FIELDS) as a reviewer reads them.
LINK_FIELDS = {"macsecEnabled": "MACsec on", "adminState": "admin state", "cipher": "cipher", "sciState": "SCI",
               "keyGeneration": "key generation", "keySource": "key source"}


def _load(path: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(document, problem): a JSON object, or why there is none."""
    if path is None:
        return None, None
    try:
        document = json.loads(Path(path).read_text())
    except FileNotFoundError:
        return None, f"{path}: not written (the command failed before its summary)"
    except (OSError, ValueError) as exc:
        return None, f"{path}: not a JSON summary ({type(exc).__name__})"
    if not isinstance(document, dict):
        return None, f"{path}: not a JSON object"
    return document, None


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if "::" in urn else urn


def _resource_label(urn: str) -> str:
    """``ExpressRoutePort er-direct-ams-1`` from a URN (its type's last part and its name)."""
    parts = urn.split("::")
    return f"{parts[-2].rsplit('$', 1)[-1].rsplit(':', 1)[-1]} {parts[-1]}" if len(parts) >= 4 else urn


def _violation_rows(violations: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(violations, key=lambda v: (v.get("level") != "mandatory", v.get("policy", ""), v.get("urn", "")))
    rows = ["| level | policy | resource | message |", "|---|---|---|---|"]
    for v in ordered[:MAX_VIOLATIONS]:
        rows.append(f"| {_cell(v.get('level'))} | `{_cell(v.get('policy'))}` | "
                    f"{_cell(_resource_name(str(v.get('urn', ''))))} | {_cell(v.get('message'))} |")
    if len(ordered) > MAX_VIOLATIONS:
        rows.append(f"\n...and {len(ordered) - MAX_VIOLATIONS} more (see the job log).")
    return rows


def _what_if_rows(preview: dict[str, Any]) -> list[str]:
    """The offline what-if: the resources that change, and every link, before -> after."""
    changes = [c for c in preview.get("changes") or [] if isinstance(c, dict)]
    links = [link for link in preview.get("links") or [] if isinstance(link, dict)]
    if not changes and not links:
        return []
    counts: dict[str, int] = {}
    for change in changes:
        counts[str(change.get("op"))] = counts.get(str(change.get("op")), 0) + 1
    totals = ", ".join(f"{n} {op}" for op, n in sorted(counts.items())) or "nothing"
    compared = any(c.get("op") != "create" for c in changes) or any(link.get("before") for link in links)
    if not compared:
        return [f"What-if: no previous deployment given, every resource is created ({totals}).", ""]
    lines = [f"**What-if against the last deployment** (offline; `pulumi preview` shows the real diff): {totals}", ""]
    changed = [c for c in changes if c.get("op") != "same"]
    if changed:
        lines += ["| op | resource | inputs that change |", "|---|---|---|"]
        for change in changed[:MAX_CHANGES]:
            fields = ", ".join(str(f) for f in change.get("fields") or []) or "-"
            lines.append(f"| {_cell(change.get('op'))} | {_cell(_resource_label(str(change.get('urn', ''))))} | "
                         f"{_cell(fields)} |")
        if len(changed) > MAX_CHANGES:
            lines.append(f"\n...and {len(changed) - MAX_CHANGES} more (see the job log).")
        lines.append("")
    for link in links:
        before, after = link.get("before") or {}, link.get("after") or {}
        words = [f"{LINK_FIELDS.get(name, name)} {before.get(name)} -> {after.get(name)}"
                 for name in link.get("fields") or []]
        what = ", ".join(words) if words else ("new" if not before else "removed" if not after else "no change")
        flag = " (**disruptive**)" if link.get("disruptive") else ""
        lines.append(f"- `{_cell(link.get('port'))}/{_cell(link.get('link'))}`: {_cell(what)}{flag}")
    return lines + ([""] if links else [])


def summarize(stack: str, preview_path: str, policy_path: str | None = None) -> tuple[str, int]:
    """(Markdown, exit status) for one stack."""
    preview, preview_problem = _load(preview_path)
    policy, policy_problem = _load(policy_path)

    if preview is None:
        status = EXIT_INPUT
    else:
        code = preview.get("exitCode")
        status = code if code in (EXIT_OK, EXIT_VIOLATION, EXIT_INPUT) else EXIT_INPUT
    if status == EXIT_OK and policy_path is not None:
        if policy is None:
            status = EXIT_INPUT
        elif policy.get("mandatory"):
            status = EXIT_VIOLATION

    verdict = {EXIT_OK: "passed", EXIT_VIOLATION: "failed: mandatory policy violation",
               EXIT_INPUT: "failed: config or input error"}[status]
    lines = [f"### Stack `{_cell(stack)}`: offline checks {verdict} (exit {status})", ""]

    if preview is None:
        lines += [f"Offline preview: {_cell(preview_problem)}", ""]
    else:
        errors = [str(e) for e in preview.get("errors") or []]
        if errors:
            lines += ["Errors (nothing was deployed):", "", "```text",
                      *(e.replace("```", "'''") for e in errors), "```", ""]
        else:
            types = preview.get("resourceTypes") or {}
            by_type = ", ".join(f"{_cell(t.rsplit(':', 1)[-1])} {n}" for t, n in sorted(types.items()))
            pol = preview.get("policy") or {}
            lines += [
                "| offline preview | |", "|---|---|",
                f"| resources | {preview.get('resources', 0)} ({by_type or 'none'}) |",
                f"| policy pack | {pol.get('mandatory', 0)} mandatory, {pol.get('advisory', 0)} advisory violation(s) |",
            ]
            if policy is not None:
                lines.append(f"| policy check on the export | {policy.get('resources', 0)} resources checked: "
                             f"{policy.get('mandatory', 0)} mandatory, {policy.get('advisory', 0)} advisory |")
            elif policy_problem:
                lines.append(f"| policy check on the export | {_cell(policy_problem)} |")
            lines.append("")
            exemptions = [str(e) for e in pol.get("exemptions") or []]
            if exemptions:
                lines += [f"- {_cell(e)}" for e in exemptions] + [""]
            violations = pol.get("violations") or []
            if violations:
                lines += _violation_rows(violations) + [""]
            lines += _what_if_rows(preview)
        notes = [str(n) for n in preview.get("notes") or []]
        if notes:
            lines += [f"- note: {_cell(n)}" for n in notes] + [""]
    return "\n".join(lines), status


def ado_thread(markdown_files: list[str], pulumi_preview: str | None = None) -> dict[str, Any]:
    """Body of POST .../pullRequests/{id}/threads (Azure DevOps REST API): the summaries and,
    when given, the output of ``pulumi preview`` (the real diff; its last part if long)."""
    content = "\n\n".join(Path(f).read_text().strip() for f in markdown_files)
    if pulumi_preview:
        text = Path(pulumi_preview).read_text(errors="replace").replace(FENCE, "'" * 3)
        if len(text) > MAX_PREVIEW_CHARS:
            text = "[... the start is in the job log ...]\n" + text[-MAX_PREVIEW_CHARS:]
        content += ("\n\n#### `pulumi preview --policy-pack policy --diff` (the real diff)\n\n"
                    f"<details><summary>pulumi preview</summary>\n\n{FENCE}text\n{text.strip()}\n{FENCE}\n</details>")
    return {"comments": [{"parentCommentId": 0, "content": content, "commentType": ADO_COMMENT_TEXT}],
            "status": ADO_THREAD_CLOSED}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pr_summary", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", help="stack name, for the heading")
    parser.add_argument("--preview", metavar="FILE", help="JSON summary of the offline preview")
    parser.add_argument("--policy", metavar="FILE", help="JSON summary of the offline policy check")
    parser.add_argument("--out", metavar="FILE", help="write the Markdown here instead of stdout")
    parser.add_argument("--ado-thread", nargs="+", metavar="MARKDOWN",
                        help="print an Azure DevOps pull-request thread holding these summaries")
    parser.add_argument("--pulumi-preview", metavar="FILE",
                        help="with --ado-thread: the output of pulumi preview, added to the thread")
    args = parser.parse_args(argv)

    if args.ado_thread:
        print(json.dumps(ado_thread(args.ado_thread, args.pulumi_preview)))
        return EXIT_OK
    if not (args.stack and args.preview):
        parser.error("--stack and --preview are required (or --ado-thread)")
    markdown, status = summarize(args.stack, args.preview, args.policy)
    if args.out:
        Path(args.out).write_text(markdown + "\n")
    else:
        print(markdown)
    return status


if __name__ == "__main__":
    sys.exit(main())
