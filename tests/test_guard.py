"""guard.py: the change guard, run by the program against the last deployment's record
before anything is registered. One link at a time on a live port, key changes announced by
their generation, the port lifecycle, removals only with ``decommission``, and the
warnings the operator sees before ``pulumi up``. On the first ``pulumi up`` a new port must start
at reserved unless it is adopted; vault settings Azure cannot change back (purge protection,
soft-delete retention) are refused, also in the rotation plan's problems."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from expressroute_encryption.cli import main as cli_main
from expressroute_encryption.offline.harness import ProgramRun
from expressroute_encryption.offline.wire import unwrap
from tests.helpers import (
    BYO_CAK, BYO_CKN, LINK1_ON, MICROSOFT, OFF, PROJECT_DIR, base_config, byo, circuit, cli, deployed,
    dev_live_config, find, links_sent, live_config, live_dev_project, live_port, macsec, one, plain_inputs, plan,
    port, problems, project_copy, refused, run_stack, up,
)


def warnings_of(caplog, values, previous, **kw) -> list[str]:
    """What the program logs with pulumi.log.warn (the CLI and the offline preview show it)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="offline-preview"):
        run_stack(values, previous=previous, **kw)
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# --- one link at a time on a live port ----------------------------------------------------


def test_first_deployment_has_nothing_to_compare():
    run = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 5, "link2": 7}))]))
    assert find(run, "ExpressRoutePort")


def test_rotating_link1_only_passes_and_changes_only_link1(live):
    after = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))]), previous=live)
    before_links, after_links = (plain_inputs(one(r, "ExpressRoutePort"))["links"] for r in (live, after))
    assert before_links[1] == after_links[1]
    assert before_links[0]["macSecConfig"]["cakSecretIdentifier"] != after_links[0]["macSecConfig"]["cakSecretIdentifier"]
    changed = {r.name for r in after.resources if find(live, r.type.split(":")[-1], r.name)
               and plain_inputs(r) != plain_inputs(one(live, r.type.split(":")[-1], r.name))}
    assert changed == {"port-a-link1-cak", "port-a-link1-ckn", "port-a"}
    assert {r.name for r in find(after, "RandomBytes")} - {r.name for r in find(live, "RandomBytes")} == {
        "port-a-link1-cak-gen2", "port-a-link1-ckn-gen2"}


def test_rotating_both_links_of_an_active_port_is_refused_before_anything_is_registered(live, monkeypatch):
    from expressroute_encryption.offline import harness

    registered = []
    original = harness.RecordingMonitor.RegisterResource
    monkeypatch.setattr(harness.RecordingMonitor, "RegisterResource",
                        lambda self, req: registered.append(req.type) or original(self, req))
    message = refused(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2, "link2": 2}))]), live)
    assert registered == ["pulumi:pulumi:Stack"]
    lines = message.splitlines()
    assert lines[0] == "MACsec change refused: 1 problem; nothing was deployed:"
    assert lines[1].strip().startswith(
        "ports[0].macsec: port 'port-a' is active and this update changes MACsec on both link1 and link2 "
        "(link1: keyGeneration 1 -> 2; link2: keyGeneration 1 -> 2)"
    )
    assert "first only link1" in message and "then link2" in message
    assert "ports[0].macsec.allowBothLinks: true" in message


def test_allow_both_links_overrides_the_guard(live):
    run = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2, "link2": 2}, allowBothLinks=True))]),
                    previous=live)
    assert [link["adminState"] for link in plain_inputs(one(run, "ExpressRoutePort"))["links"]] == ["Enabled", "Enabled"]


@pytest.mark.parametrize("stage", ["reserved", "encrypted"])
def test_ports_without_traffic_are_not_guarded(stage):
    previous = deployed(stage)
    run = run_stack(base_config(ports=[port(stage="active", macsec=macsec(cipher="GcmAes128", keyGeneration={"link1": 2, "link2": 2}))]),
                    previous=previous)
    assert find(run, "ExpressRoutePort")


def test_cipher_change_is_disruptive_on_both_links(live):
    message = refused(base_config(ports=[port(macsec=macsec(cipher="GcmAes128"))]), live)
    assert "(link1: cipher GcmAes256 -> GcmAes128; link2: cipher GcmAes256 -> GcmAes128)" in message


def test_cipher_change_staged_on_one_link_passes(live):
    run = run_stack(base_config(ports=[port(macsec=macsec(link1={"cipher": "GcmAes128"}))]), previous=live)
    links = plain_inputs(one(run, "ExpressRoutePort"))["links"]
    assert [link["macSecConfig"]["cipher"] for link in links] == ["GcmAes128", "GcmAes256"]
    assert plain_inputs(one(run, "RandomBytes", "port-a-link1-cak-gen1"))["length"] == 16
    assert plain_inputs(one(run, "RandomBytes", "port-a-link2-cak-gen1"))["length"] == 32


def test_sci_change_counts_too(live):
    message = refused(base_config(ports=[port(macsec=macsec(sciState="Enabled"))]), live)
    assert "sciState Disabled -> Enabled" in message


def test_taking_a_live_port_out_of_service_is_guarded(live):
    message = refused(base_config(ports=[port(stage="encrypted")]), live)
    assert "adminState Enabled -> Disabled" in message


def test_taking_a_live_port_out_of_service_does_not_advise_one_link_at_a_time(live):
    message = refused(base_config(ports=[port(stage="encrypted")]), live)
    assert "ports[0].stage: port 'port-a' is active and stage encrypted admin-disables both links at once" in message
    assert "cannot be done one link at a time" in message and "first only link1" not in message
    assert "ports[0].macsec.allowBothLinks: true for this one deployment and back to false afterwards" in message


@pytest.fixture(scope="module")
def dev_export(tmp_path_factory):
    """An export of the dev stack, its port active, as the offline preview makes it (the PREVIOUS of the tests below)."""
    previous = tmp_path_factory.mktemp("previous") / "previous.json"
    project = live_dev_project(tmp_path_factory.mktemp("live"))
    assert cli_main(["preview", "--stack", "dev", "--project-dir", str(project), "--export", str(previous)]) == 0
    return previous


@pytest.mark.parametrize("generations,code", [({"link1": 2, "link2": 1}, 0), ({"link1": 2, "link2": 2}, 1)])
def test_rotation_plan_and_preview_with_previous(tmp_path, capsys, dev_export, generations, code):
    """The rotation plan exits 0 for one link and 1 for both; the preview refuses the same change (exit 2)."""
    config = dev_live_config()
    config["expressroute-encryption:ports"][0]["macsec"]["keyGeneration"] = generations
    project = project_copy(tmp_path, "dev", {"config": config})
    plan_code, out, err = cli(capsys, "rotation-plan", "--stack", "dev", "--project-dir", str(project),
                              "--previous", str(dev_export))
    assert plan_code == code, err
    assert "port er-direct-ams-dev (stage active):" in out
    preview_code, _, err = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(project),
                               "--previous", str(dev_export))
    assert preview_code == (0 if code == 0 else 2), err
    assert "Traceback" not in err
    if code:
        assert "MACsec change refused" in err


# --- turning MACsec on and off, link by link ---------------------------------------------


def test_enabling_both_links_of_a_live_port_is_refused_naming_allow_both_links(unencrypted):
    message = refused(live_config(macsec={"cipher": "GcmAes256"}), unencrypted)
    assert "ports[0].macsec: port 'port-a' is active and this update turns MACsec on for both link1 and link2" in message
    assert "ports[0].macsec.allowBothLinks: true" in message
    assert "keep ports[0].macsec.link2.enabled: false while link1 is enabled" in message
    assert "no runbook: this change is refused" in plan(live_config(macsec={"cipher": "GcmAes256"}), unencrypted)


def test_allow_both_links_enables_both_in_one_deployment(unencrypted):
    result = run_stack(live_config(macsec={"cipher": "GcmAes256", "allowBothLinks": True}), previous=unencrypted)
    assert all("macSecConfig" in link for link in links_sent(result).values())


def test_enabling_both_links_of_a_port_that_is_not_live_passes():
    encrypted = run_stack(live_config(stage="encrypted"))
    assert find(run_stack(live_config(macsec={"cipher": "GcmAes256"}, stage="encrypted"), previous=encrypted),
                "network:ExpressRoutePort")


def test_enabling_one_link_of_a_live_port_passes(unencrypted):
    assert "macSecConfig" not in links_sent(run_stack(live_config(macsec=LINK1_ON), previous=unencrypted))["link2"]


def test_a_disabled_link_may_change_its_cipher_without_a_disruption(unencrypted):
    """Nothing is sent for MACsec on a disabled link, so its cipher is not a change yet."""
    values = live_config(macsec={**OFF, "cipher": "GcmAes128"})
    assert "  link1: no change (not disruptive)" in plan(values, unencrypted)


def test_turning_macsec_off_on_a_link_is_refused():
    encrypted = run_stack(live_config(macsec={"cipher": "GcmAes256"}))
    message = refused(live_config(macsec={"cipher": "GcmAes256", "link2": {"enabled": False}}), encrypted)
    assert message.count("this program does not turn MACsec off") == 1
    assert "ports[0].macsec.link2.enabled: link2 of port 'port-a' has MACsec since the last deployment" in message


# --- bring-your-own keys: every change announced by its generation ---------------------------


def test_byo_key_change_without_generation_bump_is_refused(live_byo):
    new_cak = "ab" * 32
    message = refused(base_config(macsecKeys=byo(cak=new_cak)), live_byo, secret_keys=("macsecKeys",))
    assert "ports[0].macsec.keyGeneration.link1: the bring-your-own key of link1 changed but its keyGeneration is still 1; raise it to 2" in message
    assert new_cak not in message and BYO_CAK not in message


def test_byo_key_change_with_generation_bump_passes(live_byo):
    new_cak = "ab" * 32
    run = run_stack(base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 2}))], macsecKeys=byo(cak=new_cak)),
                    previous=live_byo, secret_keys=("macsecKeys",))
    secret = one(run, "keyvault:Secret", "port-a-link1-cak")
    assert unwrap(secret.inputs["properties"])["value"] == new_cak


def test_switching_a_live_port_to_bring_your_own_keys_is_named(caplog, live):
    keys = {"port-a": {link: {"cak": BYO_CAK, "ckn": BYO_CKN} for link in ("link1", "link2")}}
    message = refused(base_config(macsecKeys=keys), live, secret_keys=("macsecKeys",))
    assert "port 'port-a' is active and switches from generated to bringYourOwn keys" in message
    assert "first only link1" not in message
    values = base_config(ports=[port(macsec=macsec(allowBothLinks=True))], macsecKeys=keys)
    warnings = warnings_of(caplog, values, live, secret_keys=("macsecKeys",))
    assert any("port 'port-a' switches from generated to bringYourOwn keys while active" in w for w in warnings)
    assert "switches from generated to bringYourOwn keys while active" in plan(values, live)
    assert not any(BYO_CAK in w or BYO_CKN in w for w in warnings)


def test_a_generation_jump_is_named(caplog, live):
    values = base_config(ports=[port(macsec=macsec(keyGeneration={"link1": 3}))])
    expected = ("ports[0].macsec.keyGeneration.link1: jumps from 1 to 3: only generations 2 and 3 are kept, so "
                "moving back to 1 would not restore the key your router has now")
    assert any(w.startswith(expected) for w in warnings_of(caplog, values, live))
    assert expected in plan(values, live)


def test_allow_both_links_left_on_is_named(caplog, live):
    values = base_config(ports=[port(macsec=macsec(allowBothLinks=True, keyGeneration={"link1": 2}))])
    expected = "ports[0].macsec.allowBothLinks: true, but this update does not change both links"
    assert any(w.startswith(expected) for w in warnings_of(caplog, values, live))
    assert expected in plan(values, live)
    after_outage = run_stack(base_config(ports=[port(macsec=macsec(allowBothLinks=True))]))
    assert any(w.startswith("ports[0].macsec.allowBothLinks: still true from the last deployment")
               for w in warnings_of(caplog, base_config(ports=[port(macsec=macsec(allowBothLinks=True))]),
                                    after_outage))


# --- the port lifecycle against the last deployment ---------------------------------


def test_a_port_new_to_a_deployed_stack_must_start_reserved(live):
    values = base_config(ports=[port(), port(name="port-b")])
    message = refused(values, live)
    assert "ports[1].stage: port 'port-b' is new: create it with stage: reserved first" in message
    run = run_stack(base_config(ports=[port(), port(name="port-b", stage="reserved")]), previous=live)
    assert "links" not in plain_inputs(one(run, "ExpressRoutePort", "port-b"))


@pytest.mark.parametrize("stage", ["encrypted", "active"])
def test_a_port_cannot_go_back_to_reserved(stage):
    message = refused(base_config(ports=[port(stage="reserved")]), deployed(stage))
    assert "ports[0].stage: port 'port-a' cannot go back to reserved" in message


def test_reserved_port_may_go_straight_to_active():
    run = run_stack(base_config(ports=[port(stage="active")]), previous=deployed("reserved"))
    assert [link["adminState"] for link in plain_inputs(one(run, "ExpressRoutePort"))["links"]] == ["Enabled"] * 2


def test_first_deployment_past_reserved_is_warned_in_the_preview(capsys, tmp_path):
    code, out, _ = cli(capsys, "preview", "--stack", "dev", "--project-dir", str(live_dev_project(tmp_path)))
    assert code == 0
    assert ("warning: port 'er-direct-ams-dev' is deployed for the first time at stage active: if the port "
            "does not exist in Azure yet, deploy it as reserved first") in out


# --- removing a live port or a circuit with peerings -----------------------------------


@pytest.fixture(scope="module")
def two_ports():
    return run_stack(base_config(ports=[port(circuits=[circuit()]), port(name="port-b", stage="encrypted")]))


@pytest.mark.parametrize("kept,name", [("port-a", "port-b"), ("port-b", "port-a")])
def test_removing_a_live_port_is_refused_without_decommission(two_ports, kept, name):
    remaining = [p for p in (port(circuits=[circuit()]), port(name="port-b", stage="encrypted"))
                 if p["name"] == kept]
    message = refused(base_config(ports=remaining), two_ports)
    assert f"port '{name}' was" in message and f"decommission (- port: {name})" in message


def test_a_decommission_entry_allows_the_removal(two_ports):
    run = run_stack(base_config(ports=[port(circuits=[circuit()])], decommission=[{"port": "port-b"}]),
                    previous=two_ports)
    assert {r.name for r in find(run, "ExpressRoutePort")} == {"port-a"}


def test_removing_a_circuit_with_peerings_needs_decommission(two_ports):
    ports = [port(), port(name="port-b", stage="encrypted")]
    message = refused(base_config(ports=ports), two_ports)
    assert "circuit 'ckt-1' has peerings (AzurePrivatePeering)" in message
    assert "decommission (- circuit: ckt-1)" in message
    # The circuit was locked (protect is on): its lock is lifted in one deployment first.
    unlocked = run_stack(base_config(ports=[port(circuits=[circuit()]), port(name="port-b", stage="encrypted")],
                                     locks=False), previous=two_ports)
    run = run_stack(base_config(ports=ports, decommission=[{"circuit": "ckt-1"}], locks=False), previous=unlocked)
    assert not find(run, "ExpressRouteCircuit")


def test_a_reserved_port_may_be_removed():
    run = run_stack(base_config(), previous=run_stack(base_config(ports=[port(), port(name="port-b", stage="reserved")])))
    assert {r.name for r in find(run, "ExpressRoutePort")} == {"port-a"}


def test_a_decommission_entry_left_over_is_named(caplog, live):
    warnings = warnings_of(caplog, base_config(decommission=[{"port": "port-old"}]), live)
    assert any(w.startswith("decommission[0]: port 'port-old' is not removed by this update") for w in warnings)


def test_a_decommission_entry_names_one_port_or_circuit():
    found = problems(base_config(decommission=[{"port": "a", "circuit": "b"}, {}]))
    assert found == [
        "decommission[0].circuit: give exactly one of port: <port name> or circuit: <circuit name>",
        "decommission[1].circuit: give exactly one of port: <port name> or circuit: <circuit name>",
    ]


# --- delete locks: no delete a lock of the stack would block -------------------------------

LIFT = ("lift the lock first: set locks: false and run pulumi up (that removes the delete locks and changes nothing "
        "else), make this change in the next deployment, then remove locks: false")


def with_lock_record(run, edit):
    """A copy of ``run`` whose ``locks`` output went through ``edit`` (None: an older record without it)."""
    outputs = copy.deepcopy(run.stack_outputs)
    if edit is None:
        outputs.pop("locks")
    else:
        edit(outputs["locks"])
    return ProgramRun(stack_outputs=outputs)


@pytest.fixture(scope="module")
def locked():
    """A deployment with monitoring, an RBAC vault and a circuit with a peering and an authorization,
    every lock on (protect's default)."""
    return run_stack(base_config(keyVault={"name": "kv-er-test", "authorization": "rbac"},
                                 ports=[port(circuits=[circuit()])], monitoring={"alertEmails": ["noc@example.com"]}))


def locked_config(**changes):
    values = base_config(keyVault={"name": "kv-er-test", "authorization": "rbac"}, ports=[port(circuits=[circuit()])],
                         monitoring={"alertEmails": ["noc@example.com"]})
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def test_the_lock_record_says_what_is_locked_and_what_is_under_each_lock(locked):
    assert unwrap(locked.stack_outputs["locks"]) == {
        "vault": {"locked": True, "vault": "kv-er-test", "roleAssignment": True, "auditLog": True},
        "circuits": {"ckt-1": {"locked": True, "peerings": ["privatePeering"], "authorizations": ["team-a"]}},
    }


@pytest.mark.parametrize("changes,where", [
    ({"monitoring": None}, "monitoring: removing it deletes the vault's audit-log diagnostic setting"),
    ({"keyVault": {"name": "kv-er-test"}}, "keyVault.authorization: switching from rbac deletes the port identity's "
                                           "role assignment"),
    ({"ports": [port(circuits=[circuit(authorizations=[])])]},
     "ports[0].circuits[0]: removing authorization team-a from circuit 'ckt-1'"),
    ({"ports": [port(circuits=[circuit(privatePeering=None, microsoftPeering=copy.deepcopy(MICROSOFT))])]},
     "ports[0].circuits[0]: removing privatePeering from circuit 'ckt-1'"),
    ({"keyVault": {"name": "kv-er-other", "authorization": "rbac"}}, "keyVault.name: the last deployment's vault "
                                                                     "kv-er-test was locked, and moving to kv-er-other"),
], ids=["monitoring", "rbac", "authorization", "peering", "vault"])
def test_a_delete_under_a_lock_is_refused_with_the_way_through(locked, changes, where):
    message = refused(locked_config(**changes), locked)
    [line] = message.splitlines()[1:]
    assert line.strip().startswith(where) and line.endswith(LIFT)


@pytest.mark.parametrize("changes", [{"monitoring": None}, {"ports": [port(circuits=[circuit(authorizations=[])])]}],
                         ids=["monitoring", "authorization"])
def test_lifting_the_lock_in_the_same_deployment_is_too_late(locked, changes):
    """Pulumi does not order a lock's removal before the delete under it: refused all the same."""
    assert LIFT in refused(locked_config(locks=False, **changes), locked)


def test_a_lock_this_deployment_adds_is_there_before_the_delete(locked):
    unlocked = run_stack(locked_config(locks=False), previous=locked)
    assert LIFT in refused(locked_config(monitoring=None), unlocked)  # locks back on with the removal


def test_the_way_through_lock_off_then_change_then_lock_on(locked):
    unlocked = run_stack(locked_config(locks=False), previous=locked)
    assert find(unlocked, "ManagementLockByScope") == []
    changed = run_stack(locked_config(locks=False, monitoring=None, keyVault={"name": "kv-er-test"},
                                      ports=[port(circuits=[circuit(authorizations=[])])]), previous=unlocked)
    assert find(changed, "DiagnosticSetting") == [] and find(changed, "RoleAssignment") == []
    assert find(changed, "ExpressRouteCircuitAuthorization") == []
    relocked = run_stack(locked_config(monitoring=None, keyVault={"name": "kv-er-test"},
                                       ports=[port(circuits=[circuit(authorizations=[])])]), previous=changed)
    assert len(find(relocked, "ManagementLockByScope")) == 3


def test_changes_that_delete_nothing_under_a_lock_pass(locked):
    run = run_stack(locked_config(ports=[port(circuits=[circuit(authorizations=["team-a", "team-b"])])],
                                  monitoring={"alertEmails": ["noc@example.com"],
                                              "logAnalyticsWorkspaceId": "/subscriptions/0000/resourceGroups/rg-logs/"
                                              "providers/Microsoft.OperationalInsights/workspaces/central"}),
                    previous=locked)
    assert len(find(run, "ExpressRouteCircuitAuthorization")) == 2


def test_a_port_and_its_lock_go_together():
    """A port has nothing of the program's under its lock, and the lock depends on the port: Pulumi
    deletes the lock first."""
    previous = run_stack(base_config(ports=[port(), port(name="port-b", stage="encrypted")]))
    run = run_stack(base_config(decommission=[{"port": "port-b"}]), previous=previous)
    assert {r.name for r in find(run, "ExpressRoutePort")} == {"port-a"}


def test_a_record_without_locks_counts_them_as_on(locked):
    older = with_lock_record(locked, None)
    assert LIFT in refused(locked_config(ports=[port(circuits=[circuit(privatePeering=None)])]), older)
    # What was under the locks is not known: the audit log and the role assignment are not assumed.
    run_stack(locked_config(monitoring=None, keyVault={"name": "kv-er-test"}), previous=older)


def test_an_unlocked_deployment_may_delete(locked):
    unlocked = with_lock_record(locked, lambda record: [
        entry.update(locked=False) for entry in (record["vault"], *record["circuits"].values())])
    run = run_stack(locked_config(locks=False, monitoring=None, ports=[port(circuits=[circuit(authorizations=[])])]),
                    previous=unlocked)
    assert find(run, "DiagnosticSetting") == []


def test_an_existing_vault_the_stack_did_not_lock_is_free(tmp_path):
    existing = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-keys/providers/"
                "Microsoft.KeyVault/vaults/kv-shared")
    values = base_config(keyVault={"existingId": existing}, monitoring={"alertEmails": ["noc@example.com"]})
    before = run_stack(values)
    assert unwrap(before.stack_outputs["locks"])["vault"]["locked"] is False
    run_stack(base_config(keyVault={"existingId": existing}), previous=before)


# --- the deployment that adopts a port is judged against Azure's links ----------------------

SUB = "9b2c1f4e-7d3a-4c55-9e61-2f0a8d6b3c17"  # the mocks' subscription
ADOPTED = f"/subscriptions/{SUB}/resourceGroups/rg-er-test/providers/Microsoft.Network/expressRoutePorts/port-a"


def adopting(macsec_settings=OFF, **changes):
    """The config that adopts port-a (live in Azure, active, without MACsec) with ``changes``."""
    return live_config(macsec=macsec_settings, importId=ADOPTED, **changes)


def stack_doc(values) -> dict:
    return {"config": {**{f"expressroute-encryption:{k}": v for k, v in values.items()},
                       "azure-native:location": "westeurope"}}


@pytest.mark.parametrize("values, detail", [
    # adopt --port on a live port without MACsec, then stage: encrypted in the same deployment
    (adopting(stage="encrypted"), "link1: adminState Enabled -> Disabled; link2: adminState Enabled -> Disabled"),
    # ... or both enabled: false overrides removed (with the routers' keys, so no key is replaced)
    (adopting({"cipher": "GcmAes256"}, **{}) | {"macsecKeys": byo()},
     "link1: macsecEnabled False -> True; link2: macsecEnabled False -> True"),
])
def test_the_adopting_deployment_refuses_any_change_to_the_links_azure_has(values, detail):
    message = refused(values, None, live_ports={"port-a": live_port()},
                      secret_keys=("macsecKeys",) if "macsecKeys" in values else ())
    lines = message.splitlines()
    assert lines[0] == "MACsec change refused: 1 problem; nothing was deployed:"
    assert lines[1].strip().startswith(
        f"ports[0].macsec: port 'port-a' is adopted by this deployment and the config changes its links from what "
        f"Azure has ({detail}): adopt the port first with its links as they are in Azure")
    assert "then make the change in the next deployment" in lines[1]


def test_the_record_of_the_adopting_deployment_is_what_azure_has_and_the_next_is_judged_against_it():
    azure = live_port(macsec={"link1": {"cipher": "GcmAes256", "sciState": "Enabled"}})
    values = adopting({"cipher": "GcmAes256", "sciState": "Enabled", "link2": {"enabled": False}}) | {"macsecKeys": byo()}
    first = run_stack(values, secret_keys=("macsecKeys",), live_ports={"port-a": azure})
    assert one(first, "network:ExpressRoutePort").ignore_changes == ["identity", "links"]
    recorded = unwrap(first.stack_outputs["ports"])["port-a"]["links"]
    assert {k: recorded["link1"][k] for k in ("macsecEnabled", "adminState", "cipher", "sciState")} == {
        "macsecEnabled": True, "adminState": "Enabled", "cipher": "GcmAes256", "sciState": "Enabled"}
    assert (recorded["link2"]["macsecEnabled"], recorded["link2"]["adminState"]) == (False, "Enabled")
    # The next deployment: turning MACsec on for link2 alone is allowed, both links at once is not.
    full = adopting({"cipher": "GcmAes256", "sciState": "Enabled"}) | {"macsecKeys": byo()}
    assert find(run_stack(full, secret_keys=("macsecKeys",), previous=first), "network:ExpressRoutePort")
    both = full | {"ports": [port(importId=ADOPTED, stage="encrypted", macsec={"cipher": "GcmAes256",
                                                                              "sciState": "Enabled"})]}
    assert "admin-disables both links at once" in refused(both, first, secret_keys=("macsecKeys",))


def test_pulumi_up_refuses_the_adopting_change_too():
    import pulumi

    from expressroute_encryption.offline.harness import run_program
    from expressroute_encryption.offline.mocks import AzureMocks
    from tests.helpers import cli_config

    with pytest.raises(pulumi.RunError) as info:
        run_program(PROJECT_DIR, "expressroute-encryption", "test", cli_config(adopting(stage="encrypted")), [],
                    mocks=AzureMocks(live_ports={"port-a": live_port()}), dry_run=False)
    assert "is adopted by this deployment and the config changes its links" in str(info.value)


def test_preview_and_rotation_plan_compare_the_adopting_deployment_with_a_live_port_file(tmp_path, capsys):
    project = project_copy(tmp_path, "adopt", stack_doc(adopting(stage="encrypted")))
    live = tmp_path / "port-a.json"
    live.write_text(json.dumps(live_port()))
    code, out, err = cli(capsys, "preview", "--stack", "adopt", "--project-dir", str(project), "--live-port", str(live))
    assert code == 2 and "Traceback" not in err
    assert "ports[0].macsec: port 'port-a' is adopted by this deployment and the config changes its links" in err
    code, out, err = cli(capsys, "rotation-plan", "--stack", "adopt", "--project-dir", str(project),
                         "--live-port", str(live))
    assert code == 1 and "adopted by this deployment: its links stay as Azure has them" in out
    assert "ports[0].macsec: port 'port-a' is adopted by this deployment" in out.split("will be refused:", 1)[1]


def test_without_a_live_port_file_the_adopting_deployment_is_compared_with_the_config_and_says_so(tmp_path, capsys):
    project = project_copy(tmp_path, "adopt", stack_doc(adopting()))
    for command in ("preview", "rotation-plan"):
        code, out, err = cli(capsys, command, "--stack", "adopt", "--project-dir", str(project))
        # (the preview's 1: the MACsec policies want the port encrypted, which is the next deployments' job)
        assert code == (1 if command == "preview" else 0) and "refused" not in err, err
        assert ("note: port 'port-a' is adopted by this deployment and no --live-port was given: its links were "
                "compared with the config only") in out
        assert "az network express-route port show --resource-group rg-er-test --name port-a > port-a.json" in out


@pytest.mark.parametrize("stage", ["encrypted", "active"])
def test_the_first_pulumi_up_refuses_a_new_port_past_reserved(stage):
    import pulumi

    with pytest.raises(pulumi.RunError) as info:
        up(base_config(ports=[port(stage=stage)]))
    message = str(info.value)
    assert message.startswith("MACsec change refused: 1 problem; nothing was deployed:")
    assert f"ports[0].stage: port 'port-a' is new and would be created at stage {stage}" in message
    assert "stage: reserved first" in message and "importId" in message


def test_an_adopted_port_may_be_live_on_the_first_pulumi_up():
    import_id = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-er-test/providers/"
                 "Microsoft.Network/expressRoutePorts/port-a")
    macsec = {"cipher": "GcmAes256", "link1": {"enabled": False}, "link2": {"enabled": False}}
    run = up(base_config(ports=[port(stage="active", importId=import_id, macsec=macsec)]),
             live_ports={"port-a": live_port()})
    assert one(run, "network:ExpressRoutePort").import_id == import_id


def test_a_preview_without_history_only_warns_about_a_live_new_port():
    run = run_stack(base_config(ports=[port(stage="active")]))
    assert one(run, "network:ExpressRoutePort")


def vault_with(**changes):
    return base_config(keyVault={"name": "kv-er-test", "allowedIpRanges": ["198.51.100.0/24"], **changes})


def test_purge_protection_cannot_be_turned_off_again():
    import pulumi

    first = run_stack(vault_with())
    assert unwrap(first.stack_outputs["keyVault"]) == {"purgeProtection": True, "softDeleteRetentionDays": 90}
    with pytest.raises(pulumi.RunError) as info:
        run_stack(vault_with(purgeProtection=False), previous=first)
    assert "keyVault.purgeProtection: was on in the last deployment and cannot be turned off" in str(info.value)


def test_soft_delete_retention_is_fixed_once_the_vault_exists():
    import pulumi

    first = run_stack(vault_with(softDeleteRetentionDays=30))
    with pytest.raises(pulumi.RunError) as info:
        run_stack(vault_with(softDeleteRetentionDays=90), previous=first)
    assert "keyVault.softDeleteRetentionDays: the vault was created with 30 days" in str(info.value)
    assert "set it back to 30" in str(info.value)
    # Unchanged settings, and purge protection turned on later, pass.
    run_stack(vault_with(softDeleteRetentionDays=30), previous=first)
    off = run_stack(vault_with(purgeProtection=False))
    run_stack(vault_with(), previous=off)


def test_the_rotation_plan_names_an_impossible_vault_change():
    from expressroute_encryption.config.loading import parse_stack_config
    from expressroute_encryption.guard import rotation_problems
    from expressroute_encryption.record import Previous

    first = run_stack(vault_with())
    outputs = unwrap(first.stack_outputs)
    previous = Previous.from_outputs(outputs)
    problems = rotation_problems(parse_stack_config(vault_with(purgeProtection=False)), previous)
    assert [p.split(":")[0] for p in problems] == ["keyVault.purgeProtection"]
