"""The README is a front door: at most 300 lines, one section per task in the order people
meet them, each saying what can go wrong; its config snippets are a valid stack config; and
every link it and docs/ hold resolves, anchors included (as GitHub makes them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from expressroute_encryption.config.loading import stack_config_from
from tests.helpers import PROJECT_DIR, cli_config

README = PROJECT_DIR / "README.md"
DOCS = sorted((PROJECT_DIR / "docs").glob("*.md"))
TASKS = ["A new port, end to end", "Bring an existing port", "Rotate a link's key", "Add a circuit",
         "Turn on IPsec (VNet or Virtual WAN)", "Decommission", "Run it from a pipeline"]
NS = "expressroute-encryption"


def headings(text: str) -> list[str]:
    """Markdown headings, outside fenced code."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return [match.group(2).strip() for match in re.finditer(r"^(#{1,6}) (.+)$", text, re.M)]


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as
    hyphens, a repeated one numbered."""
    seen: dict[str, int] = {}
    found = set()
    for heading in headings(text):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return found


def links(path: Path) -> list[tuple[str, str]]:
    """(target file or '', anchor or '') of every relative link in a page, outside code."""
    text = re.sub(r"^```.*?^```", "", path.read_text(), flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", "", text)
    found = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        found.append((file, anchor))
    return found


def test_the_readme_is_a_front_door_of_at_most_300_lines():
    text = README.read_text()
    assert len(text.splitlines()) <= 300
    sections = headings(text)
    assert [h for h in sections if h in TASKS] == TASKS, "one section per task, in the order people meet them"
    for task, body in zip(TASKS, re.split(r"^## ", text, flags=re.M)[-len(TASKS):]):
        assert body.startswith(task) and "**What can go wrong.**" in body, task
    assert {block.split("\n", 1)[0] for block in re.findall(r"```mermaid\n(.*?)```", text, re.S)} == {
        "flowchart LR", "sequenceDiagram"}
    assert len(re.findall(r"```mermaid", text)) == 3


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda path: path.name)
def test_every_relative_link_resolves_with_its_anchor(page):
    for file, anchor in links(page):
        target = (page.parent / file).resolve() if file else page
        assert target.exists(), f"{page.name}: {file} does not exist"
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target.read_text()), f"{page.name}: {file}#{anchor} is no heading there"


def test_the_readme_links_every_page_of_docs():
    linked = {(README.parent / file).resolve() for file, _ in links(README) if file.startswith("docs/")}
    assert {path.resolve() for path in DOCS if path.name != "performance.md"} <= linked


def test_the_readme_config_snippets_make_a_valid_stack():
    """The new port (moved on to encrypted), its circuit and the IPsec block, pasted together,
    are a stack config the program accepts; the new port alone is one at reserved."""
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S)]
    (new_port,) = [b for b in blocks if isinstance(b, dict) and "config" in b]
    config = new_port["config"]
    stack_config_from({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, [])
    (circuits,) = [b["circuits"] for b in blocks if isinstance(b, dict) and "circuits" in b]
    (vpn,) = [b[f"{NS}:vpn"] for b in blocks if isinstance(b, dict) and f"{NS}:vpn" in b]
    values = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(NS)}
    values["ports"][0].update(stage="encrypted", circuits=circuits)
    values["vpn"] = vpn
    stack = stack_config_from(cli_config(values, location=config["azure-native:location"]), [])
    assert [c.name for c in stack.ports[0].circuits] == [stack.vpn.circuit]
