"""`kempen calendar` and `kempen budget …` against a real workspace, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import CampaignSpend, CampaignStatus, Channel, MonthlyBudget
from tests.conftest import Tenant
from tests.planning.test_calendar import make_campaign

runner = CliRunner()


def run(tenant: Tenant, *args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, [*args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output, result.exception


def test_calendar_month_week_filter_and_ics(session: Session, tenant: Tenant, tmp_path: Path) -> None:
    email = make_campaign(session, tenant.id, (Channel.EMAIL,), status=CampaignStatus.SCHEDULED,
                          scheduled_at=datetime(2026, 12, 10, 9, tzinfo=UTC))
    sms = make_campaign(session, tenant.id, (Channel.SMS,), status=CampaignStatus.RUNNING,
                        launched_at=datetime(2026, 12, 22, 9, tzinfo=UTC))
    session.commit()
    code, out, _ = run(tenant, "calendar", "--month", "2026-12")
    assert code == 0 and email.name in out and sms.name in out and "Scheduled send" in out
    code, out, _ = run(tenant, "calendar", "--week", "2026-12-09")
    assert code == 0 and email.name in out and sms.name not in out
    code, out, _ = run(tenant, "calendar", "--month", "2026-12", "--channel", "sms")
    assert email.name not in out and sms.name in out
    target = tmp_path / "plan.ics"
    code, out, _ = run(tenant, "calendar", "--month", "2026-12", "--ics", str(target))
    assert code == 0 and "2 events" in out
    uids = {str(e["uid"]) for e in Calendar.from_ical(target.read_bytes()).walk("VEVENT")}
    assert uids == {f"campaign-{email.id}-scheduled@127.0.0.1", f"campaign-{sms.id}-launched@127.0.0.1"}
    code, out, _ = run(tenant, "calendar", "--month", "December")
    assert code == 1 and out == "error: 'December' is not a month; write it as YYYY-MM, e.g. 2026-12.\n"


def test_budget_set_list_threshold_check(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    session.add(CampaignSpend(workspace_id=tenant.id, campaign_id=campaign.id, channel="email",
                              spend_date=date(2026, 5, 3), amount=Decimal("92"), currency="EUR"))
    session.commit()
    code, out, _ = run(tenant, "budget", "set", "email", "2026-05", "100", "--campaign", str(campaign.id))
    assert code == 0 and "May 2026" in out
    assert session.scalars(select(MonthlyBudget.amount).where(MonthlyBudget.campaign_id == campaign.id)).one() == 100
    code, out, _ = run(tenant, "budget", "list", "--campaign", str(campaign.id))
    assert code == 0 and "2026-05" in out and "past 90 %" in out and "-8.00" in out
    assert run(tenant, "budget", "check")[1].strip() == "No new warnings."  # raised when the plan was set
    code, out, _ = run(tenant, "budget", "threshold", "95")
    assert code == 0 and "95 %" in out
    code, _, exc = run(tenant, "budget", "set", "email", "2026-05", "ten", "--campaign", str(campaign.id))
    assert code != 0 and isinstance(exc, InvalidInput)
    code, _, exc = run(tenant, "budget", "list")
    assert code != 0 and isinstance(exc, InvalidInput)
    assert run(tenant, "budget", "remove", "email", "2026-05", "--campaign", str(campaign.id))[0] == 0
    code, _, exc = run(tenant, "budget", "remove", "email", "2026-05", "--campaign", str(campaign.id))
    assert code != 0 and isinstance(exc, NotFound)
