"""config/operations.py: the monitoring settings: the Log Analytics workspace id and the alert
e-mail addresses, refused as Azure refuses them."""

from __future__ import annotations

import pytest

from tests.helpers import base_config, only_problem


WORKSPACE_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-ops/providers/"
                "Microsoft.OperationalInsights/workspaces/law-ops")


@pytest.mark.parametrize("workspace", [WORKSPACE_ID + "\n", WORKSPACE_ID.replace("/rg-ops/", "/../"),
                                       WORKSPACE_ID.replace("/law-ops", "/.."), WORKSPACE_ID + "/../../other",
                                       WORKSPACE_ID.replace("/rg-ops/", "/rg-ops./")])
def test_a_workspace_id_azure_refuses_is_refused(workspace):
    assert only_problem(base_config(monitoring={"alertEmails": ["noc@example.com"], "logAnalyticsWorkspaceId": workspace})) == (
        "monitoring.logAnalyticsWorkspaceId: must be the ARM id of a Log Analytics workspace: "
        "/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name>")


@pytest.mark.parametrize("address", ["noc@example.com\n", "noc@example.com\r", " noc@example.com"])
def test_an_alert_email_with_a_line_break_is_refused(address):
    assert only_problem(base_config(monitoring={"alertEmails": [address]})) == (
        "monitoring.alertEmails[0]: must be an e-mail address such as noc@example.com")
