"""`kempen campaign launch|schedule|pause|resume|cancel|status`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.kit.clock import utcnow
from tests.conftest import Tenant
from tests.delivery.conftest import add_contacts, configure_sending, make_campaign

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("db", "parked")


def invoke(tenant: Tenant, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["campaign", *args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output


def test_launch_status_pause_resume_cancel(session: Session, tenant: Tenant) -> None:
    configure_sending(session, tenant.id)
    add_contacts(session, tenant.id, 8)
    built = make_campaign(session, tenant.id, splits=(50, 50), holdout="25")
    cid = str(built.campaign_id)
    code, output = invoke(tenant, "launch", cid)
    assert code == 0, output
    assert "audience 8, holdout 2, 6 deliveries in 1 batches" in output
    code, output = invoke(tenant, "launch", cid)
    assert code == 1 and "already been launched" in output
    code, output = invoke(tenant, "status", cid, "--json")
    assert code == 0
    body = json.loads(output)
    assert body["deliveries"] == 6 and body["by_status"]["pending"] == 6 and body["holdout"] == 2
    code, output = invoke(tenant, "status", cid)
    assert code == 0 and "audience" in output and "variant A" in output
    assert invoke(tenant, "pause", cid) == (0, f"✓ campaign {cid} is paused\n")
    assert invoke(tenant, "resume", cid)[0] == 0
    code, output = invoke(tenant, "cancel", cid)
    assert code == 0 and "cancelled" in output
    # --watch returns at once for a finished campaign, with the bar at 100 %.
    code, output = invoke(tenant, "status", cid, "--watch")
    assert code == 0 and "100.0 %" in output


def test_schedule(session: Session, tenant: Tenant) -> None:
    configure_sending(session, tenant.id)
    built = make_campaign(session, tenant.id)
    code, output = invoke(tenant, "schedule", str(built.campaign_id), "--at", "tomorrow")
    assert code == 1 and "ISO 8601" in output
    at = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    code, output = invoke(tenant, "schedule", str(built.campaign_id), "--at", at.isoformat())
    assert code == 0 and f"scheduled for {at:%Y-%m-%d %H:%M:%S} UTC" in output
