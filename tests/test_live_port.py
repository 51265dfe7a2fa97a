"""offline/live_port.py: the ``--live-port FILE`` of ``preview`` and ``rotation-plan``: a port as
Azure describes it, in the az CLI's shape or the REST API's, checked field by field, every bad
file one clean line (exit 2) naming the file and the field, never a value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expressroute_encryption.offline.live_port import LivePortError, load_live_port, load_live_ports
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
