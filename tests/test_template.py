"""templates/expressroute-direct: `pulumi new <path-or-url>` makes a project and a stack from
it. Rendered here as the CLI renders it (every file copied with ${PROJECT} and ${DESCRIPTION}
replaced, Pulumi.yaml saved without its template section, each prompt's answer saved into
Pulumi.<stack>.yaml as a text value under its key) and previewed offline: the new stack
starts where a real deployment starts, a port at stage reserved, and runs the same program."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from expressroute_encryption.cli import main
from expressroute_encryption.config.namespace import NAMESPACE
from tests.helpers import PROJECT_DIR

TEMPLATE = PROJECT_DIR / "templates" / "expressroute-direct"
# What the issue asks the template to prompt for, by the key each answer is saved under.
PER_SITE = {
    "vault name": f"{NAMESPACE}:keyVault.name",
    "port name": f"{NAMESPACE}:ports[0].name",
    "peering location": f"{NAMESPACE}:ports[0].peeringLocation",
    "bandwidth": f"{NAMESPACE}:ports[0].bandwidthInGbps",
    "encapsulation": f"{NAMESPACE}:ports[0].encapsulation",
    "cipher": f"{NAMESPACE}:ports[0].macsec.cipher",
}


def template_doc() -> dict:
    return yaml.safe_load((TEMPLATE / "Pulumi.yaml").read_text())


def render(where: Path, stack: str, answers: dict[str, str] | None = None, project: str | None = None,
           description: str = "ExpressRoute Direct, Amsterdam") -> Path:
    """The project `pulumi new <template> --stack <stack>` leaves, `answers` typed at the
    prompts (the defaults otherwise, as with --yes)."""
    template = template_doc()
    project = project or template["name"]  # the project name prompt's default
    where.mkdir(parents=True)
    for source in sorted(TEMPLATE.rglob("*")):
        if "__pycache__" in source.parts:
            continue
        target = where / source.relative_to(TEMPLATE)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        data = source.read_bytes()
        if b"\0" not in data[:8000]:  # the CLI's isBinary test: text files get the placeholders replaced
            data = data.decode().replace("${PROJECT}", project).replace("${DESCRIPTION}", description).encode()
        target.write_bytes(data)
    # Load the project, update the name and description, remove the template section, save it.
    saved = dict(yaml.safe_load((where / "Pulumi.yaml").read_text()), name=project, description=description)
    del saved["template"]
    saved["config"]["pulumi:tags"] = {"value": {"pulumi:template": str(TEMPLATE)}}
    (where / "Pulumi.yaml").write_text(yaml.safe_dump(saved, sort_keys=False))
    # Each prompt's answer, or its default; an empty one is not saved; every value is text.
    config = {}
    for key, prompt in sorted(template["template"]["config"].items()):
        value = (answers or {}).get(key, prompt.get("default", ""))
        if value != "":
            config[key] = str(value)
    (where / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return where


def preview(capsys, project: Path, stack: str, *args: str) -> tuple[int, str, str]:
    code = main(["preview", "--project-dir", str(project), "--stack", stack, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_it_prompts_for_what_differs_per_site_with_defaults_and_descriptions():
    prompts = template_doc()["template"]["config"]
    assert set(PER_SITE.values()) <= set(prompts)
    assert all(prompt.get("description") and prompt.get("default") not in (None, "") for prompt in prompts.values())
    assert prompts[f"{NAMESPACE}:ports[0].stage"]["default"] == "reserved"


def test_the_default_answers_preview_as_a_new_port_at_reserved(tmp_path, capsys):
    project = render(tmp_path / "site", "ams")
    code, out, err = preview(capsys, project, "ams")
    assert code == 0, err
    assert "warning:" not in out
    assert "port er-direct-ams-1: stage reserved" in out and "  next: download the port's LOA" in out
    assert "    azure-native:keyvault:Vault  macsec-vault" in out
    assert "Policies (policy/): 0 mandatory," in out


def test_other_answers_reach_the_port(tmp_path, capsys):
    answers = {PER_SITE["vault name"]: "kv-ermacsec-lon", PER_SITE["port name"]: "er-direct-lon-7",
               PER_SITE["peering location"]: "Equinix-London-LD5", PER_SITE["bandwidth"]: "100",
               PER_SITE["encapsulation"]: "Dot1Q", PER_SITE["cipher"]: "GcmAesXpn256",
               "azure-native:location": "uksouth"}
    project = render(tmp_path / "site", "lon", answers)
    export = tmp_path / "export.json"
    code, out, err = preview(capsys, project, "lon", "--export", str(export))
    assert code == 0, err
    (port,) = [r for r in json.loads(export.read_text())["deployment"]["resources"]
               if r["type"] == "azure-native:network:ExpressRoutePort"]
    assert {key: port["inputs"][key] for key in ("expressRoutePortName", "bandwidthInGbps", "encapsulation",
                                                  "peeringLocation")} == {
        "expressRoutePortName": "er-direct-lon-7", "bandwidthInGbps": 100, "encapsulation": "Dot1Q",
        "peeringLocation": "Equinix-London-LD5"}
    assert "cipher GcmAesXpn256" in out


def test_an_answer_azure_refuses_is_one_line_with_its_path(tmp_path, capsys):
    project = render(tmp_path / "site", "bad", {PER_SITE["cipher"]: "GcmAesXpn256"})  # on the default 10 Gbps
    code, _, err = preview(capsys, project, "bad")
    assert code == 2
    assert err.splitlines() == [
        "stack config: 1 problem; nothing was deployed:",
        "  ports[0].macsec.cipher: GcmAesXpn256 is not supported on 10 Gbps ports; use GcmAes128 or GcmAes256 "
        "(XPN ciphers need a 100 Gbps port)"]


def test_the_stack_it_writes_meets_the_schema_it_ships(tmp_path):
    project = render(tmp_path / "site", "ams")
    schema = json.loads((project / "schemas/pulumi-stack.schema.json").read_text())
    stack = yaml.safe_load((project / "Pulumi.ams.yaml").read_text())
    assert list(jsonschema.Draft7Validator(schema).iter_errors(stack)) == []
    editor = json.loads((project / ".vscode/settings.json").read_text())
    assert editor["yaml.schemas"] == {"./schemas/pulumi-stack.schema.json": ["Pulumi.*.yaml"]}


def test_it_runs_this_repository_s_program_with_its_project_config():
    """Same __main__.py (the program is the package's), same typed project config, the
    project name that is the config namespace; the pins are codegen's (tests/test_codegen.py)."""
    assert (TEMPLATE / "__main__.py").read_text() == (PROJECT_DIR / "__main__.py").read_text()
    root, template = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text()), template_doc()
    assert template["config"] == root["config"]
    assert template["name"] == root["name"] == NAMESPACE
    assert template["runtime"]["options"]["toolchain"] == root["runtime"]["options"]["toolchain"] == "pip"


def test_it_carries_this_repository_s_policy_pack_in_its_own_virtualenv():
    """`pulumi up --policy-pack policy` works in the new project: the same pack, run in the
    project's virtualenv (`venv`), where its requirements install pulumi-policy and the package."""
    def code(path: Path) -> str:  # the statements, without the docstring
        tree = ast.parse(path.read_text())
        return ast.dump(ast.Module([node for node in tree.body if not isinstance(node, ast.Expr)], []))

    assert code(TEMPLATE / "policy/__main__.py") == code(PROJECT_DIR / "policy/__main__.py")
    ours, theirs = (yaml.safe_load((root / "policy/PulumiPolicy.yaml").read_text()) for root in (TEMPLATE, PROJECT_DIR))
    assert ours["runtime"]["options"]["virtualenv"] == "../" + template_doc()["runtime"]["options"]["virtualenv"]
    assert {k: v for k, v in ours.items() if k != "runtime"} == {k: v for k, v in theirs.items() if k != "runtime"}
    pins = (TEMPLATE / "requirements.txt").read_text()
    assert "pulumi-policy==" in pins and "expressroute-encryption[tools]==" in pins


def test_another_project_name_is_refused_by_the_cli_rules_it_mirrors():
    """Pulumi refuses a typed key that is not namespaced by the project: a project made from
    the template under another name would fail to load, rather than read its config from a
    namespace the program never looks at."""
    template = template_doc()
    typed = [key for key, value in template["config"].items() if isinstance(value, dict) and "type" in value]
    assert typed and all(key.startswith(f"{template['name']}:") for key in typed)
    assert all(value["type"] in ("string", "integer", "boolean", "array") for value in template["config"].values())
