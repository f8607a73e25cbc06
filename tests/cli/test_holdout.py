"""`kempen holdout show|enable|change|end|report` against a real workspace, on both databases."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.experiments.universal_holdout import get_universal_holdout
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import AuditEntry, Contact, Order
from tests.conftest import Tenant, unique

runner = CliRunner()


def run(tenant: Tenant, *args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, ["holdout", *args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output, result.exception


def _contacts(session: Session, workspace_id: int, count: int) -> list[int]:
    ids = []
    for _ in range(count):
        email = f"{unique('cli')}@example.com"
        contact = Contact(workspace_id=workspace_id, email=email, email_normalized=email,
                          created_at=utcnow() - timedelta(days=2))
        session.add(contact)
        session.flush()
        ids.append(contact.id)
    session.commit()
    return ids


def test_show_enable_change_and_end(tenant: Tenant, session: Session) -> None:
    _contacts(session, tenant.id, 50)
    code, out, _ = run(tenant, "show")
    assert code == 0 and "Universal holdout: off" in out and "0 of 50 contacts" in out, out
    until = (utcnow() + timedelta(days=60)).date()
    code, out, error = run(tenant, "enable", "--percent", "20", "--until", until.isoformat(), "--json")
    assert code == 0, (out, error)
    data = json.loads(out)
    assert data["state"] == "running" and Decimal(data["percent"]) == 20 and data["ends_at"].startswith(
        (until + timedelta(days=1)).isoformat())
    assert 0 < data["held_out_now"] < 50
    code, _, error = run(tenant, "enable", "--percent", "5")
    assert code != 0 and isinstance(error, Conflict) and "already running" in error.detail
    code, out, _ = run(tenant, "change", "--no-end")
    assert code == 0 and "no end date" in out, out
    code, out, _ = run(tenant, "end")
    assert code == 0 and "Universal holdout: ended" in out, out
    actions = list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.workspace_id == tenant.id, AuditEntry.entity_type == "workspace_universal_holdout")
        .order_by(AuditEntry.id)))
    assert actions == ["universal_holdout.enabled", "universal_holdout.changed", "universal_holdout.ended"]
    assert all(a.startswith("universal_holdout.") for a in actions)


def test_bad_input_is_one_readable_error(tenant: Tenant) -> None:
    for args, expected in ((("enable", "--percent", "50"), "from 1 to 20"),
                           (("enable", "--percent", "many"), "not a number"),
                           (("enable", "--until", "next week"), "YYYY-MM-DD"),
                           (("enable", "--from", "2020-01-01"), "in the past"),
                           (("change", "--until", "2030-01-01", "--no-end"), "either")):
        code, _, error = run(tenant, *args)
        assert code != 0 and isinstance(error, InvalidInput) and expected in error.detail, (args, error)
    code, _, error = run(tenant, "end")
    assert code != 0 and isinstance(error, Conflict) and "nothing to end" in error.detail


def test_report_text_and_json(tenant: Tenant, session: Session) -> None:
    code, out, _ = run(tenant, "report")
    assert code == 0 and "is off" in out
    ids = _contacts(session, tenant.id, 60)
    assert run(tenant, "enable", "--percent", "10", "--seed", "12345")[0] == 0
    assert get_universal_holdout(session, workspace_id=tenant.id).seed == 12345
    for contact_id in ids[:6]:
        session.add(Order(workspace_id=tenant.id, external_id=unique("o"), contact_id=contact_id,
                          placed_at=utcnow(), amount=Decimal("40"), currency="EUR"))
    session.commit()
    code, out, _ = run(tenant, "report", "--json")
    data = json.loads(out)
    assert data["held_out"]["contacts"] + data["exposed"]["contacts"] == 60
    assert data["held_out"]["converted"] + data["exposed"]["converted"] == 6
    assert data["held_out"]["revenue"] + data["exposed"]["revenue"] == 240.0
    code, out, _ = run(tenant, "report")
    assert code == 0 and "10 % held" in out and "Contacts" in out and "Difference" in out, out
    assert f"Held out right now: {data['held_out_now']} contacts." in out and "Not enough data yet" in out
