"""Budget pages through the real login: plan a month, warnings, planned period, overview, roles, the card."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.models import CampaignPlannedPeriod, CampaignSpend, CampaignStatus, MonthlyBudget, Role
from kempen.planning import budgets
from tests.conftest import unique
from tests.planning.test_budgets import make_campaign
from tests.web.conftest import PASSWORD, LoggedIn, login


def _post(logged_in: LoggedIn, path: str, **form: str) -> httpx.Response:
    return logged_in.client.post(path, data={"csrf_token": logged_in.csrf, **form}, follow_redirects=False)


def test_marketer_plans_months_and_sees_warnings(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    campaign = make_campaign(session, ws, status=CampaignStatus.APPROVED)
    session.add(CampaignSpend(workspace_id=ws, campaign_id=campaign.id, channel="social", spend_date=date(2026, 5, 9),
                              amount=Decimal("120"), currency="EUR"))
    session.commit()
    url = f"/campaigns/{campaign.id}/budget"
    saved = _post(logged_in, f"{url}/months", channel="Social", month="2026-05", amount="100", warn_percent="")
    assert saved.status_code == 303 and saved.headers["location"].endswith("saved=month")
    row = session.scalars(select(MonthlyBudget).where(MonthlyBudget.campaign_id == campaign.id)).one()
    assert (row.channel, row.month, row.amount) == ("social", date(2026, 5, 1), Decimal("100"))
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT  # the approval was withdrawn
    page = logged_in.client.get(url)
    assert page.status_code == 200 and 'id="budget-warnings"' in page.text and "over the plan by EUR 20.00" in page.text
    assert 'data-level="over"' in page.text
    bad = _post(logged_in, f"{url}/months", channel="social", month="May", amount="1")
    assert bad.status_code == 303 and "problem=" in bad.headers["location"]
    negative = _post(logged_in, f"{url}/months", channel="social", month="2026-05", amount="-3")
    assert "problem=" in negative.headers["location"]
    card = logged_in.client.get(f"{url}/card")
    assert card.status_code == 200 and 'id="budget-by-month"' in card.text and "Over plan" in card.text
    removed = _post(logged_in, f"{url}/months/delete", channel="social", month="2026-05")
    assert removed.headers["location"].endswith("saved=removed")


def test_planned_period_form(logged_in: LoggedIn, session: Session) -> None:
    campaign = make_campaign(session, logged_in.tenant.id)
    session.commit()
    url = f"/campaigns/{campaign.id}/budget"
    assert _post(logged_in, f"{url}/period", starts_on="2026-12-01", ends_on="2026-12-20").status_code == 303
    period = session.get(CampaignPlannedPeriod, campaign.id)
    assert period is not None and period.ends_on == date(2026, 12, 20)
    assert "20 Dec 2026" in logged_in.client.get(url).text
    wrong = _post(logged_in, f"{url}/period", starts_on="2026-12-20", ends_on="2026-12-01")
    assert "problem=" in wrong.headers["location"]
    assert _post(logged_in, f"{url}/period", clear="1").headers["location"].endswith("saved=period-cleared")


def test_overview_lists_the_month_and_admin_changes_the_threshold(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    calm, hot = make_campaign(session, ws), make_campaign(session, ws)
    for campaign in (calm, hot):
        budgets.set_monthly_budget(session, workspace_id=ws, actor="user:1", campaign_id=campaign.id,
                                   data=budgets.MonthlyBudgetSet(channel="email", month=date(2026, 7, 1),
                                                                 amount=Decimal("100")))
    session.add(CampaignSpend(workspace_id=ws, campaign_id=hot.id, channel="email", spend_date=date(2026, 7, 2),
                              amount=Decimal("95"), currency="EUR"))
    session.commit()
    page = logged_in.client.get("/budgets?month=2026-07")
    assert page.status_code == 200 and "July 2026" in page.text
    assert page.text.index(f'data-owner="campaign-{hot.id}"') < page.text.index(f'data-owner="campaign-{calm.id}"')
    assert 'data-level="warning"' in page.text
    assert logged_in.client.get("/budgets?month=2026-13").status_code == 400
    assert _post(logged_in, "/budgets/settings", warn_percent="96").headers["location"].endswith("saved=threshold")
    assert 'data-level="warning"' not in logged_in.client.get("/budgets?month=2026-07").text


def test_viewer_reads_but_cannot_change(logged_in: LoggedIn, session: Session) -> None:
    campaign = make_campaign(session, logged_in.tenant.id)
    email = f"{unique('viewer')}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=Role.VIEWER)
    session.commit()
    assert login(logged_in.client, email).status_code == 303
    page = logged_in.client.get(f"/campaigns/{campaign.id}/budget")
    assert page.status_code == 200 and 'id="month-form"' not in page.text
    refused = _post(logged_in, f"/campaigns/{campaign.id}/budget/months", channel="email", month="2026-05",
                    amount="5")
    assert refused.status_code == 403 and "marketer" in refused.text
    assert session.scalars(select(MonthlyBudget).where(MonthlyBudget.campaign_id == campaign.id)).all() == []
    assert _post(logged_in, "/budgets/settings", warn_percent="50").status_code == 403
    assert logged_in.client.get("/campaigns/999999/budget").status_code == 404
