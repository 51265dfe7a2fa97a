"""offline/whatif.py: the offline what-if of ``preview --previous``: every resource created,
updated (the names of the inputs that change, a secret's name only), replaced, deleted or the
same, matched by URN; and every link of every port, before -> after, DISRUPTIVE when it goes
down, by the guard's own comparison. In the text output, in ``--json`` (``changes``, ``links``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from expressroute_encryption.offline import wire
from expressroute_encryption.offline.mocks import SUBSCRIPTION_ID
from expressroute_encryption.offline.whatif import resource_changes
from tests.helpers import BYO_CAK, BYO_CKN, PROJECT_DIR, base_config, byo, cli, dev_live_config, macsec, port, run_stack

OTHER_SUBSCRIPTION = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def preview_json(capsys, project: Path, stack: str, *args: str) -> tuple[int, dict]:
    code, out, err = cli(capsys, "preview", "--stack", stack, "--project-dir", str(project), "--json", *args)
    return code, json.loads(out)


def project_with(tmp_path: Path, config: dict, name: str = "dev") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for file in ("Pulumi.yaml", "__main__.py"):
        (folder / file).symlink_to(PROJECT_DIR / file)
    (folder / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": config}))
    return folder


@pytest.fixture(scope="module")
def last_deployment(tmp_path_factory) -> Path:
    """The dev stack, exported as Azure would have it: the same resources under another
    subscription's ids (the mocks' ids are not Azure's, so they must not read as changes)."""
    folder = tmp_path_factory.mktemp("last")
    export = folder / "export.json"
    from expressroute_encryption.cli import main

    project = project_with(tmp_path_factory.mktemp("live"), dev_live_config())
    assert main(["preview", "--stack", "dev", "--project-dir", str(project), "--export", str(export)]) == 0
    export.write_text(export.read_text().replace(SUBSCRIPTION_ID, OTHER_SUBSCRIPTION))
    return export


def by_name(changes: list[dict]) -> dict[str, dict]:
    """The changes of Azure resources by name (a component may share its port's name)."""
    return {change["urn"].rsplit("::", 1)[-1]: change for change in changes if ":index:" not in change["urn"].split("::")[-2].split("$")[-1]}


def test_without_previous_every_resource_is_created(capsys):
    code, summary = preview_json(capsys, PROJECT_DIR, "dev")
    assert code == 0
    assert summary["resources"] == len(summary["changes"]) == 14
    assert {change["op"] for change in summary["changes"]} == {"create"}
    assert all(set(change) == {"urn", "op", "fields"} for change in summary["changes"])
    assert [(link["port"], link["link"], link["before"], link["disruptive"]) for link in summary["links"]] == [
        ("er-direct-ams-dev", "link1", None, False), ("er-direct-ams-dev", "link2", None, False)]
    assert summary["links"][0]["after"]["keyGeneration"] == 1
    code, out, _ = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(PROJECT_DIR))
    assert "What-if:\n  no PREVIOUS deployment: every resource is created (14 create)" in out


def test_the_same_config_against_its_deployment_is_the_same_everywhere(capsys, tmp_path, last_deployment):
    code, summary = preview_json(capsys, project_with(tmp_path, dev_live_config()), "dev", "--previous", str(last_deployment))
    assert code == 0
    assert {change["op"] for change in summary["changes"]} == {"same"}
    assert not any(link["disruptive"] for link in summary["links"])


def test_a_key_rotation_updates_the_secrets_and_the_port_and_marks_the_link_disruptive(capsys, tmp_path,
                                                                                      last_deployment):
    config = dev_live_config()
    config["expressroute-encryption:ports"][0]["macsec"]["keyGeneration"] = {"link1": 2, "link2": 1}
    project = project_with(tmp_path, config)
    code, summary = preview_json(capsys, project, "dev", "--previous", str(last_deployment))
    assert code == 0
    changes = by_name(summary["changes"])
    assert changes["er-direct-ams-dev-link1-cak"]["op"] == "update"
    assert changes["er-direct-ams-dev-link1-cak"]["fields"] == ["properties.value (secret)"]
    assert changes["er-direct-ams-dev"]["op"] == "update"
    assert changes["er-direct-ams-dev"]["fields"] == ["links[0].macSecConfig.cakSecretIdentifier",
                                                      "links[0].macSecConfig.cknSecretIdentifier"]
    assert changes["er-direct-ams-dev-link1-cak-gen2"]["op"] == "create"
    assert changes["er-direct-ams-dev-link2-cak"]["op"] == "same"
    assert {name for name, c in changes.items() if c["op"] != "same"} == {
        "er-direct-ams-dev-link1-cak", "er-direct-ams-dev-link1-ckn", "er-direct-ams-dev",
        "er-direct-ams-dev-link1-cak-gen2", "er-direct-ams-dev-link1-ckn-gen2"}
    link1, link2 = summary["links"]
    assert (link1["link"], link1["disruptive"], link1["fields"]) == ("link1", True, ["keyGeneration"])
    assert (link1["before"]["keyGeneration"], link1["after"]["keyGeneration"]) == (1, 2)
    assert (link2["disruptive"], link2["fields"]) == (False, [])
    assert any("secret input(s) of 4 resource(s) are encrypted in PREVIOUS and were not compared" in note
               for note in summary["notes"])
    code, out, _ = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(project), "--previous",
                       str(last_deployment))
    assert ("  er-direct-ams-dev/link1: MACsec on GcmAes256 SCI Disabled, admin Enabled, key 1 (generated) -> MACsec on "
            "GcmAes256 SCI Disabled, admin Enabled, key 2 (generated)  DISRUPTIVE (keyGeneration 1 -> 2)") in out
    assert "  update  ExpressRoutePort er-direct-ams-dev: links[0].macSecConfig.cakSecretIdentifier" in out


def test_another_resource_group_replaces_and_a_decommissioned_circuit_is_deleted(capsys, tmp_path, last_deployment):
    config = dev_live_config()
    config["expressroute-encryption:resourceGroupName"] = "rg-expressroute-dev2"
    config["expressroute-encryption:ports"][0]["circuits"] = []
    config["expressroute-encryption:decommission"] = [{"circuit": "er-ckt-ams-dev-1"}]
    code, summary = preview_json(capsys, project_with(tmp_path, config), "dev", "--previous", str(last_deployment))
    assert code == 0, summary["errors"]
    changes = by_name(summary["changes"])
    # The resource group's name is part of every id in it: each is another resource in Azure.
    assert (changes["expressroute"]["op"], changes["expressroute"]["fields"]) == ("replace", ["resourceGroupName"])
    assert changes["er-direct-ams-dev"]["op"] == "replace" and "resourceGroupName" in changes["er-direct-ams-dev"]["fields"]
    assert changes["er-ckt-ams-dev-1"]["op"] == "delete"  # the circuit, its component, peering and authorization
    assert {c["op"] for name, c in changes.items() if name.startswith("er-ckt-ams-dev-1")} == {"delete"}


def test_a_port_renamed_in_azure_is_replaced_not_updated():
    """An input that is part of the resource's ARM id (its name) gives it another identity."""
    before = run_stack(base_config())
    after = run_stack(base_config(ports=[port(name="port-a", peeringLocation="Equinix-London-LD5")]))
    previous = [{"urn": r.urn, "type": r.type, "custom": r.custom, "id": r.id, "inputs": r.inputs,
                 "outputs": r.outputs, "dependencies": r.dependencies} for r in before.resources]
    changes = {c.name: c for c in resource_changes(after, previous)[0] if c.type.endswith("ExpressRoutePort")}
    assert (changes["port-a"].op, changes["port-a"].fields) == ("update", ["peeringLocation"])
    renamed = copy.deepcopy(previous)
    entry = next(e for e in renamed if e["type"].endswith("ExpressRoutePort"))
    entry["inputs"]["expressRoutePortName"] = "port-old"
    entry["id"] = entry["id"].replace("/port-a", "/port-old")
    changes = {c.name: c for c in resource_changes(before, renamed)[0] if c.type.endswith("ExpressRoutePort")}
    assert (changes["port-a"].op, changes["port-a"].fields) == ("replace", ["expressRoutePortName"])


def test_secrets_the_export_shows_are_compared_and_never_printed():
    """A --show-secrets export: a bring-your-own key change is an update of that secret only."""
    before = run_stack(base_config(macsecKeys=byo()), secret_keys=("macsecKeys",))
    new_cak = "ab" * 32
    after = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))], macsecKeys=byo(cak=new_cak)),
                      secret_keys=("macsecKeys",), previous=before)
    previous = [{"urn": r.urn, "type": r.type, "custom": r.custom, "id": r.id, "inputs": r.inputs,
                 "outputs": r.outputs, "dependencies": r.dependencies} for r in before.resources]
    changes, notes = resource_changes(after, previous)
    changed = {c.name: c.fields for c in changes if c.op != "same" and ":index:" not in c.type}
    assert changed == {"port-a-link1-cak": ["properties.value (secret)"],
                       "port-a": ["links[0].macSecConfig.cakSecretIdentifier"]}
    assert notes == []
    text = json.dumps([c.to_dict() for c in changes])
    for secret in (new_cak, BYO_CAK, BYO_CKN):
        assert secret not in text
    assert wire.SECRET_SIG not in text
