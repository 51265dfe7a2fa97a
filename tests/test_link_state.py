"""link_state.py: what one link gets from a deployment, in one definition that the port sends
to Azure, the record keeps, the guard compares (older records field by field, with
defaults) and the preview describes."""

from __future__ import annotations

import pytest

from expressroute_encryption import link_state as ls
from expressroute_encryption.config.loading import parse_stack_config
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import (
    LINK1_ON,
    PROJECT_DIR,
    base_config,
    cli,
    find,
    links_sent,
    live_config,
    live_dev_project,
    one,
    plain_inputs,
    plan,
    project_copy,
    refused,
    run_stack,
    with_ports,
)


# --- one link state ------------------------------------------------------------------


def test_port_settings_sent_to_azure_come_from_the_link_state(live):
    links = plain_inputs(one(live, "ExpressRoutePort"))["links"]
    state = unwrap(live.stack_outputs["ports"])["port-a"]["links"]
    for link in links:
        assert link["adminState"] == state[link["name"]]["adminState"]
        assert link["macSecConfig"]["cipher"] == state[link["name"]]["cipher"]
        assert link["macSecConfig"]["sciState"] == state[link["name"]]["sciState"]


def test_a_new_link_field_compares_as_its_default_on_an_unchanged_live_port(live, monkeypatch):
    """The last deployment was made before the field existed: an unchanged port is not refused."""
    new = ls.LinkField("fecMode", lambda port, link, source: "Off", default="Off")
    monkeypatch.setattr(ls, "FIELDS", ls.FIELDS + (new,))
    run = run_stack(base_config(), previous=live)
    assert unwrap(run.stack_outputs["ports"])["port-a"]["links"]["link1"]["fecMode"] == "Off"
    text = plan(base_config(), live)
    assert "  link1: no change (not disruptive)" in text and "  link2: no change (not disruptive)" in text
    # A value other than the default is a change, on both links: the field is compared.
    monkeypatch.setattr(ls, "FIELDS", ls.FIELDS[:-1] + (ls.LinkField("fecMode", lambda *_: "On", default="Off"),))
    assert "link1: fecMode Off -> On; link2: fecMode Off -> On" in refused(base_config(), live)


def test_an_output_from_before_the_version_compares_missing_fields_as_defaults(live):
    def older(ports):
        del ports["port-a"]["linkStateVersion"]
        for link in ports["port-a"]["links"].values():
            del link["sciState"]  # its default, Disabled, is what BASE applies

    run = run_stack(base_config(), previous=with_ports(live, older))
    assert find(run, "ExpressRoutePort")


def test_the_preview_summary_reads_the_link_state(capsys, tmp_path):
    code, out, err = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(live_dev_project(tmp_path)))
    assert code == 0, err
    assert ("  link1: MACsec on, cipher GcmAes256, SCI Disabled, admin Enabled, key generation 1 (generated), "
            "secrets er-direct-ams-dev-link1-cak / er-direct-ams-dev-link1-ckn") in out


# --- what a link with enabled: false gets ------------------------------------------------


@pytest.mark.parametrize("stage", ["encrypted", "active"])
def test_the_link_state_follows_enabled_per_link_and_the_admin_state_the_stage(stage):
    settings = parse_stack_config(live_config(macsec=LINK1_ON, stage=stage)).ports[0]
    states = {link: ls.link_state(settings, link, ls.GENERATED) for link in ("link1", "link2")}
    assert states["link1"]["macsecEnabled"] is True and states["link2"]["macsecEnabled"] is False
    admin = "Enabled" if stage == "active" else "Disabled"
    assert states["link1"]["adminState"] == states["link2"]["adminState"] == admin


def test_a_live_unencrypted_port_gets_admin_enabled_links_without_macsec(unencrypted):
    links = links_sent(unencrypted)
    assert links == {"link1": {"name": "link1", "adminState": "Enabled"},
                     "link2": {"name": "link2", "adminState": "Enabled"}}
    # The identity stays (harmless), and each link's keys are made all the same.
    assert plain_inputs(one(unencrypted, "network:ExpressRoutePort"))["identity"]["type"] == "UserAssigned"
    assert {r.name for r in find(unencrypted, "keyvault:Secret")} == {
        f"port-a-{link}-{kind}" for link in ("link1", "link2") for kind in ("cak", "ckn")}
    keys = unwrap(unencrypted.stack_outputs["macsecKeys"])["port-a"]
    assert set(keys) == {"link1", "link2"} and all(len(keys[link]["cak"]) == 64 for link in keys)


def test_only_the_disabled_link_goes_without_macsec():
    links = links_sent(run_stack(live_config(macsec=LINK1_ON)))
    assert links["link1"]["macSecConfig"]["cipher"] == "GcmAes256" and "macSecConfig" not in links["link2"]


def test_a_reserved_port_still_sends_no_links():
    assert "links" not in plain_inputs(one(run_stack(live_config(stage="reserved")), "network:ExpressRoutePort"))


def test_the_preview_summary_says_macsec_off_per_link(tmp_path, capsys):
    doc = {"config": {"azure-native:location": "westeurope",
                      **{f"expressroute-encryption:{k}": v for k, v in live_config(macsec=LINK1_ON).items()}}}
    project = project_copy(tmp_path, "enable", doc)
    code, out, err = cli(capsys, "preview", "--stack", "enable", "--project-dir", str(project))
    assert code == 1, out + err  # link2 unencrypted: the policy says so
    assert "  link1: MACsec on, cipher GcmAes256" in out
    assert ("  link2: MACsec off (enabled: false), cipher GcmAes256, SCI Disabled, admin Enabled, key generation 1 "
            "(generated), secrets port-a-link2-cak / port-a-link2-ckn") in out
    assert "expressroute-port-macsec-required" in out


# --- what Azure shows of a link ------------------------------------------------------


def test_azure_links_become_the_fields_azure_shows():
    from tests.helpers import live_port

    port = live_port(macsec={"link1": {"cipher": "GcmAesXpn256", "sciState": "Enabled"}}, admin="Disabled")
    assert ls.azure_link_states(port) == {
        "link1": {"macsecEnabled": True, "adminState": "Disabled", "cipher": "GcmAesXpn256", "sciState": "Enabled"},
        "link2": {"macsecEnabled": False, "adminState": "Disabled"},
    }
    # No sciState: Azure's default, Disabled.
    del port["links"][0]["macSecConfig"]["sciState"]
    assert ls.azure_link_states(port)["link1"]["sciState"] == "Disabled"


def test_a_link_whose_secret_identifiers_were_cleared_has_macsec_off():
    """Microsoft turns MACsec off by clearing both identifiers; a cipher may stay behind."""
    link = {"name": "link1", "adminState": "Enabled",
            "macSecConfig": {"cipher": "GcmAes128", "cakSecretIdentifier": None, "cknSecretIdentifier": ""}}
    assert ls.azure_link_state(link, "link1") == {"macsecEnabled": False, "adminState": "Enabled"}


def test_the_stack_keeps_its_own_fields_and_its_cipher_where_azure_has_no_macsec():
    planned = {"macsecEnabled": False, "adminState": "Disabled", "cipher": "GcmAes256", "sciState": "Disabled",
               "keyGeneration": 3, "keySource": "bringYourOwn"}
    assert ls.with_azure_fields(planned, {"macsecEnabled": False, "adminState": "Enabled"}) == {
        **planned, "adminState": "Enabled"}


def test_as_azure_link_is_the_inverse_of_azure_link_state():
    state = {"macsecEnabled": True, "adminState": "Enabled", "cipher": "GcmAes128", "sciState": "Disabled"}
    urls = ("https://kv-a.vault.azure.net/secrets/p-link1-cak", "https://kv-a.vault.azure.net/secrets/p-link1-ckn")
    assert ls.azure_link_state(ls.as_azure_link("link1", state, urls), "link1") == state
    off = {"macsecEnabled": False, "adminState": "Disabled", "cipher": "GcmAes128", "sciState": "Disabled"}
    assert ls.azure_link_state(ls.as_azure_link("link1", off, urls), "link1") == {
        "macsecEnabled": False, "adminState": "Disabled"}
