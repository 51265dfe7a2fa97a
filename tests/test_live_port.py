"""offline/live_port.py: the ``--live-port FILE`` of ``preview`` and ``rotation-plan``: a port as
Azure describes it, in the az CLI's shape or the REST API's, checked field by field, every bad
file one clean line (exit 2) naming the file and the field, never a value; and ``--metrics FILE``,
with which the same commands run the change gate offline (``rotation-plan`` exits 1 when the next
``pulumi up`` would be refused; a preview reports)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expressroute_encryption.offline.live_port import LivePortError, load_live_port, load_live_ports
from tests.gate_helpers import GBPS
from tests.helpers import PROJECT_DIR, cli, live_port

FIXTURES = Path(__file__).parent / "fixtures" / "adopt"
KEY_LIKE = "c0ffee" * 10 + "abcd"


@pytest.mark.parametrize("name", ["port-cli.json", "port-arm.json", "port-arm-macsec.json"])
def test_both_shapes_of_azure_json_are_read(name):
    port = load_live_port(FIXTURES / name)
    assert port["name"] == "portName"
    assert [link["name"] for link in port["links"]] == ["link1", "link2"]
    assert all("adminState" in link for link in port["links"])  # properties at the top level


def write(tmp_path: Path, document) -> Path:
    path = tmp_path / "port.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def broken(**link1) -> dict:
    port = live_port(macsec={"link1": {"cipher": "GcmAes256"}})
    port["links"][0]["macSecConfig"].update(link1)
    return port


@pytest.mark.parametrize("document, expected", [
    ("{not json", "port.json: not JSON (an ExpressRoute Direct port (az network express-route port show) expected)"),
    ([1, 2], "port.json: expected an ExpressRoute Direct port (az network express-route port show): a JSON "
             "object, got a list"),
    ({**live_port(), "id": "/subscriptions/x/resourceGroups/y"}, "port.json: id: not the ARM id of a "
                                                                  "Microsoft.Network/expressRoutePorts resource"),
    ({**live_port(), "links": [{"name": "link1", "adminState": "Enabled"}]}, "port.json: links: expected link1 and link2"),
    (broken(cipher="gcm-aes-256"), "port.json: links[link1].macSecConfig.cipher: expected one of GcmAes128, GcmAes256, "
                                   "GcmAesXpn128, GcmAesXpn256"),
    (broken(sciState="On"), "port.json: links[link1].macSecConfig.sciState: expected one of Enabled, Disabled"),
    (broken(cakSecretIdentifier=KEY_LIKE), "port.json: links[link1].macSecConfig.cakSecretIdentifier: not a Key Vault "
                                           "secret URL"),
    (broken(cknSecretIdentifier=None), "port.json: links[link1].macSecConfig.cknSecretIdentifier: missing while the "
                                       "other secret identifier is set"),
    ({**live_port(), "links": [{"name": "link1", "adminState": "Up"}, {"name": "link2", "adminState": "Enabled"}]},
     "port.json: links[link1].adminState: expected one of Enabled, Disabled"),
])
def test_a_bad_file_is_one_line_naming_the_field_and_never_a_value(tmp_path, document, expected):
    path = write(tmp_path, document)
    with pytest.raises(LivePortError) as info:
        load_live_port(path)
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert KEY_LIKE not in message


def test_the_same_port_twice_is_refused(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(live_port()))
    second.write_text(json.dumps(live_port(name="PORT-A")))
    with pytest.raises(LivePortError) as info:
        load_live_ports([str(first), str(second)])
    assert "port 'PORT-A' is given by another --live-port file too" in str(info.value)


@pytest.mark.parametrize("command", ["preview", "rotation-plan"])
def test_the_commands_exit_2_on_a_bad_live_port_file(tmp_path, capsys, command):
    path = write(tmp_path, broken(cipher="aes"))
    code, out, err = cli(capsys, command, "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--live-port", str(path))
    assert code == 2
    assert err.strip().splitlines() == [
        f"error: {path}: links[link1].macSecConfig.cipher: expected one of GcmAes128, GcmAes256, GcmAesXpn128, "
        "GcmAesXpn256"]


# --- the change gate offline: --live-port and --metrics --------------------------------------------

def _gate_project(tmp_path: Path):
    """A project whose stack rotates link1 of an active port with one circuit, the export of the
    deployment before, and that deployment's record (to describe Azure as it left it)."""
    import yaml

    from expressroute_encryption.offline.harness import ProgramRun
    from tests.gate_helpers import rotate_link1, with_circuit

    def stack(folder: Path, values: dict) -> Path:
        folder.mkdir()
        for name in ("Pulumi.yaml", "__main__.py"):
            (folder / name).symlink_to(PROJECT_DIR / name)
        config = {"azure-native:location": "westeurope", **{f"expressroute-encryption:{k}": v for k, v in values.items()}}
        (folder / "Pulumi.prod.yaml").write_text(yaml.safe_dump({"config": config}))
        return folder

    before = stack(tmp_path / "before", with_circuit())
    export = tmp_path / "export.json"
    assert cli_main(["preview", "--stack", "prod", "--project-dir", str(before), "--export", str(export)]) == 0
    resources = json.loads(export.read_text())["deployment"]["resources"]
    outputs = next(r["outputs"] for r in resources if r["type"] == "pulumi:pulumi:Stack")
    return stack(tmp_path / "after", rotate_link1(with_circuit())), export, ProgramRun(stack_outputs=outputs)


def cli_main(argv):
    from expressroute_encryption.cli import main

    return main(argv)


def _gate_files(tmp_path: Path, record, link1_traffic: float) -> list[str]:
    from tests.gate_helpers import GBPS, circuit_metrics, drained, ids, live_from_record, port_metrics

    port_id, (circuit_id,) = ids(record)
    files = {"port.json": live_from_record(record),
             "port-metrics.json": port_metrics(port_id, link1=drained(4 * GBPS, link1_traffic),
                                               link2=drained(4 * GBPS, 8 * GBPS)),
             "circuit-metrics.json": circuit_metrics(circuit_id, shape="az")}
    for name, document in files.items():
        (tmp_path / name).write_text(json.dumps(document))
    return ["--live-port", str(tmp_path / "port.json"), "--metrics", str(tmp_path / "port-metrics.json"),
            "--metrics", str(tmp_path / "circuit-metrics.json")]


def test_rotation_plan_runs_the_gate_on_the_files_and_says_what_it_read(tmp_path, capsys):
    project, export, record = _gate_project(tmp_path)
    args = ("rotation-plan", "--stack", "prod", "--project-dir", str(project), "--previous", str(export))
    code, out, err = cli(capsys, *args, *_gate_files(tmp_path, record, 0.0))
    assert code == 0, err
    assert "  change gate: port 'port-a' (link1): allowed" in out
    assert "  change gate: port 'port-a' (link1): would be refused" not in out
    assert "    read: link1, last 5 minutes: at most 0 bps (0.0% of the peak" in out
    assert "    read: circuit ckt-1 AzurePrivatePeering, last 5 minutes (lowest): Primary Arp 100%, Bgp 100%" in out
    code, out, err = cli(capsys, *args, *_gate_files(tmp_path, record, 3 * GBPS))
    assert code == 1
    assert "  change gate: port 'port-a' (link1): would be refused: 2 reason(s)" in out
    refused = out.split("The next `pulumi up` will be refused:", 1)[1]
    assert "ports[0]: change gate: link1 of port 'port-a' has not drained: it carried up to 6 Gbps" in refused



def test_without_the_files_the_gate_says_plainly_it_was_not_run_and_how_to_get_them(tmp_path, capsys):
    project, export, record = _gate_project(tmp_path)
    args = ("--stack", "prod", "--project-dir", str(project), "--previous", str(export))
    code, out, _ = cli(capsys, "rotation-plan", *args)
    assert code == 0
    assert ("change gate: port 'port-a' (link1): not run: offline, no --live-port file for port 'port-a' (az network "
            "express-route port show --resource-group rg-er-test --name port-a > FILE)") in out
    live = _gate_files(tmp_path, record, 0.0)[:2]
    code, out, _ = cli(capsys, "rotation-plan", *args, *live)
    assert "not run: offline, no --metrics file for port 'port-a' (az monitor metrics list --resource " in out
    assert "--metrics LineProtocol PortBitsInPerSecond PortBitsOutPerSecond --filter \"Link eq '*'\"" in out
    code, out, _ = cli(capsys, "preview", *args)
    assert code == 0
    assert "  change gate: port 'port-a' (link1): not run: offline, no --live-port file" in out
    assert "DISRUPTIVE (keyGeneration 1 -> 2); change gate: not run" in out


def test_the_preview_reports_what_pulumi_up_would_decide_in_text_and_json(tmp_path, capsys):
    project, export, record = _gate_project(tmp_path)
    files = _gate_files(tmp_path, record, 3 * GBPS)
    args = ("preview", "--stack", "prod", "--project-dir", str(project), "--previous", str(export), *files)
    code, out, err = cli(capsys, *args)
    assert code == 0, err  # a preview reports; rotation-plan's exit code says refused
    section = out.split("Change gate (what `pulumi up` would decide now; docs/operations.md):", 1)[1]
    assert "  change gate: port 'port-a' (link1): would be refused: 2 reason(s)" in section
    assert "    `pulumi up` would refuse: ports[0]: change gate: link1 of port 'port-a' has not drained" in section
    assert "DISRUPTIVE (keyGeneration 1 -> 2); change gate: would refuse" in out
    assert "warning: change gate" not in out  # shown once, in its section
    code, out, _ = cli(capsys, *args, "--json")
    summary = json.loads(out)
    assert summary["exitCode"] == 0
    assert summary["gate"][0] == "change gate: port 'port-a' (link1): would be refused: 2 reason(s)"
    assert [link["gate"] for link in summary["links"]] == ["change gate: would refuse", None]


@pytest.mark.parametrize("command", ["preview", "rotation-plan"])
def test_a_bad_metrics_file_and_one_resource_twice_exit_2(tmp_path, capsys, command):
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"value": [], "interval": "PT5M"}))
    code, _, err = cli(capsys, command, "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--metrics", str(bad))
    assert code == 2
    assert err.strip().splitlines() == [f"error: {bad}: interval: the gate reads one-minute values (PT1M), not PT5M: "
                                        "ask with --interval 1m"]
    twice = str(Path(__file__).parent / "fixtures" / "gate" / "port-metrics-rest.json")
    code, _, err = cli(capsys, command, "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--metrics", twice,
                       "--metrics", twice)
    assert code == 2 and "the metrics of port 'portName' are given by" in err


def test_export_never_overwrites_a_metrics_file(tmp_path, capsys):
    metrics = tmp_path / "m.json"
    metrics.write_text((Path(__file__).parent / "fixtures" / "gate" / "port-metrics-az.json").read_text())
    before = metrics.read_text()
    code, _, err = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--metrics",
                       str(metrics), "--export", str(metrics))
    assert code == 2 and "refusing to overwrite it" in err
    assert metrics.read_text() == before


def test_mode_off_says_why_on_every_run_of_the_preview(tmp_path, capsys):
    from tests.helpers import dev_config, project_copy

    config = {**dev_config(), "expressroute-encryption:changeGate": {"mode": "off", "reason": "CHG-7 metrics outage"}}
    project = project_copy(tmp_path, "dev", {"config": config})
    code, out, _ = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(project))
    assert code == 0
    assert ("  change gate: off (CHG-7 metrics outage): disruptive link changes are not checked against Azure"
            in out.split("Change gate (what `pulumi up` would decide now; docs/operations.md):", 1)[1])
