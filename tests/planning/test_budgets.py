"""Budgets per channel and month: plan, actual from spend and message costs, variance, warnings, approval."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import (
    AuditEntry,
    Campaign,
    CampaignBudget,
    CampaignMessage,
    CampaignSpend,
    CampaignStatus,
    Channel,
    Contact,
    Delivery,
    DeliveryStatus,
    MessageVariant,
    Programme,
)
from kempen.planning import budgets
from kempen.planning.budgets import BudgetAlert, MonthlyBudgetSet
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import Tenant, unique


def make_campaign(session: Session, workspace_id: int, status: CampaignStatus = CampaignStatus.DRAFT,
                  **extra: object) -> Campaign:
    campaign = Campaign(workspace_id=workspace_id, name=unique("budget-"), status=status, **extra)
    session.add(campaign)
    session.flush()
    return campaign


def spend(session: Session, campaign: Campaign, channel: str, day: date, amount: str) -> None:
    session.add(CampaignSpend(workspace_id=campaign.workspace_id, campaign_id=campaign.id, channel=channel,
                              spend_date=day, amount=Decimal(amount), currency="EUR", source="manual"))
    session.flush()


def sent_emails(session: Session, campaign: Campaign, times: list[datetime]) -> None:
    message = CampaignMessage(workspace_id=campaign.workspace_id, campaign_id=campaign.id, channel=Channel.EMAIL,
                              name="Mail")
    session.add(message)
    session.flush()
    variant = MessageVariant(workspace_id=campaign.workspace_id, campaign_id=campaign.id, message_id=message.id,
                             name="A", split_percent=100, subject="Hi")
    session.add(variant)
    session.flush()
    for at in times:
        address = unique("c") + "@example.com"
        contact = Contact(workspace_id=campaign.workspace_id, email=address, email_normalized=address)
        session.add(contact)
        session.flush()
        session.add(Delivery(workspace_id=campaign.workspace_id, campaign_id=campaign.id, message_id=message.id,
                             variant_id=variant.id, contact_id=contact.id, channel=Channel.EMAIL,
                             status=DeliveryStatus.SENT, sent_at=at))
    session.flush()


def plan(session: Session, campaign: Campaign, channel: str, month: date, amount: str,
         warn: str | None = None) -> None:
    budgets.set_monthly_budget(session, workspace_id=campaign.workspace_id, actor="user:1", campaign_id=campaign.id,
                               data=MonthlyBudgetSet(channel=channel, month=month, amount=Decimal(amount),
                                                     warn_percent=None if warn is None else Decimal(warn)))


def test_actual_per_month_splits_spend_and_message_costs_at_month_boundaries(session: Session,
                                                                             tenant: Tenant) -> None:
    get_tracking_settings(session, workspace_id=tenant.id).email_cost_per_message = Decimal("0.50")
    campaign = make_campaign(session, tenant.id)
    spend(session, campaign, "paid_search", date(2026, 1, 31), "10.00")
    spend(session, campaign, "paid_search", date(2026, 2, 1), "4.00")
    # 23:59 UTC on 31 January counts in January; 00:00 UTC on 1 February in February.
    sent_emails(session, campaign, [datetime(2026, 1, 31, 23, 59, tzinfo=UTC),
                                    datetime(2026, 2, 1, 0, 0, tzinfo=UTC), datetime(2026, 2, 14, 9, tzinfo=UTC)])
    actual = budgets.actual_by_month(session, workspace_id=tenant.id, campaign_ids=[campaign.id])
    assert actual == {(date(2026, 1, 1), "paid_search"): Decimal("10.00"),
                      (date(2026, 2, 1), "paid_search"): Decimal("4.00"),
                      (date(2026, 1, 1), "email"): Decimal("0.50"),
                      (date(2026, 2, 1), "email"): Decimal("1.00")}


def test_lines_show_variance_and_warning_levels_at_the_threshold(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    plan(session, campaign, "paid_search", date(2026, 3, 15), "100")  # any day: stored as the month
    plan(session, campaign, "paid_search", date(2026, 4, 1), "100")
    plan(session, campaign, "paid_search", date(2026, 5, 1), "100")
    plan(session, campaign, "social", date(2026, 3, 1), "100", warn="50")
    spend(session, campaign, "paid_search", date(2026, 3, 2), "89.99")   # under 90 %: ok
    spend(session, campaign, "paid_search", date(2026, 4, 30), "90.00")  # exactly 90 %: warning
    spend(session, campaign, "paid_search", date(2026, 5, 3), "100.01")  # past the plan: over
    spend(session, campaign, "social", date(2026, 3, 9), "50")           # its own threshold, 50 %
    spend(session, campaign, "print", date(2026, 3, 9), "7")             # no plan: ok, variance unknown
    lines = {(ln.month, ln.channel): ln for ln in budgets.month_lines(session, workspace_id=tenant.id,
                                                                       campaign_id=campaign.id)}
    march, april, may = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
    assert [lines[(m, "paid_search")].level for m in (march, april, may)] == ["ok", "warning", "over"]
    assert lines[(may, "paid_search")].variance == Decimal("0.01")
    assert lines[(march, "paid_search")].variance == Decimal("-10.01")
    assert lines[(april, "paid_search")].used_percent == Decimal("90.0")
    assert lines[(march, "social")].level == "warning" and lines[(march, "social")].warn_percent == Decimal("50")
    assert lines[(march, "print")].planned is None and lines[(march, "print")].level == "ok"
    only_april = budgets.month_lines(session, workspace_id=tenant.id, campaign_id=campaign.id, since=april,
                                     until=may)
    assert [(ln.month, ln.channel) for ln in only_april] == [(april, "paid_search")]


def test_workspace_threshold_applies_to_rows_without_their_own(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    plan(session, campaign, "email", date(2026, 3, 1), "100")
    spend(session, campaign, "email", date(2026, 3, 1), "80")
    assert budgets.month_lines(session, workspace_id=tenant.id, campaign_id=campaign.id)[0].level == "ok"
    budgets.set_warn_percent(session, workspace_id=tenant.id, actor="user:1", percent=Decimal("75"))
    assert budgets.month_lines(session, workspace_id=tenant.id, campaign_id=campaign.id)[0].level == "warning"
    with pytest.raises(InvalidInput):
        budgets.set_warn_percent(session, workspace_id=tenant.id, actor="user:1", percent=Decimal("0"))


def test_alerts_are_recorded_once_per_level_and_reach_listeners(session: Session, tenant: Tenant) -> None:
    heard: list[BudgetAlert] = []
    listener = budgets.on_budget_alert(lambda _session, alert: heard.append(alert))
    try:
        campaign = make_campaign(session, tenant.id)
        plan(session, campaign, "email", date(2026, 3, 1), "100")
        spend(session, campaign, "email", date(2026, 3, 1), "95")
        first = budgets.check_budget_alerts(session, workspace_id=tenant.id)
        again = budgets.check_budget_alerts(session, workspace_id=tenant.id)
        spend(session, campaign, "email", date(2026, 3, 2), "10")
        over = budgets.check_budget_alerts(session, workspace_id=tenant.id)
    finally:
        budgets._listeners.remove(listener)
    assert [a.line.level for a in first] == ["warning"] and again == []
    assert [a.line.level for a in over] == ["over"]
    assert [a.line.level for a in heard] == ["warning", "over"]
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.workspace_id == tenant.id, AuditEntry.action.like("budget.%")).order_by(AuditEntry.id)).all()
    assert actions == ["budget.threshold_passed", "budget.overspent"]


def test_planning_months_replans_the_channel_total(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id)
    plan(session, campaign, "email", date(2026, 3, 1), "100")
    plan(session, campaign, "email", date(2026, 4, 1), "50.50")

    def total() -> Decimal | None:
        return session.scalar(select(CampaignBudget.amount).where(CampaignBudget.campaign_id == campaign.id))

    assert total() == Decimal("150.50")
    budgets.delete_monthly_budget(session, workspace_id=tenant.id, actor="user:1", campaign_id=campaign.id,
                                  channel="email", month=date(2026, 4, 9))
    assert total() == Decimal("100.00")
    budgets.delete_monthly_budget(session, workspace_id=tenant.id, actor="user:1", campaign_id=campaign.id,
                                  channel="email", month=date(2026, 3, 1))
    assert total() is None
    with pytest.raises(NotFound):
        budgets.delete_monthly_budget(session, workspace_id=tenant.id, actor="user:1", campaign_id=campaign.id,
                                      channel="email", month=date(2026, 3, 1))


@pytest.mark.parametrize("status", [CampaignStatus.APPROVED, CampaignStatus.SCHEDULED])
def test_budget_change_sends_an_approved_campaign_back_to_draft(session: Session, tenant: Tenant,
                                                                 status: CampaignStatus) -> None:
    campaign = make_campaign(session, tenant.id, status=status,
                             scheduled_at=datetime(2030, 1, 1, tzinfo=UTC) if status == CampaignStatus.SCHEDULED
                             else None)
    plan(session, campaign, "email", date(2026, 3, 1), "100")
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.DRAFT and campaign.scheduled_at is None
    reason = session.scalars(select(AuditEntry.details).where(
        AuditEntry.entity_id == str(campaign.id), AuditEntry.action == "campaign.status_changed")).one()
    assert reason["to"] == "draft" and "budget" in reason["reason"].lower()


def test_running_campaign_budget_may_change_without_a_review(session: Session, tenant: Tenant) -> None:
    campaign = make_campaign(session, tenant.id, status=CampaignStatus.RUNNING)
    plan(session, campaign, "email", date(2026, 3, 1), "100")
    session.refresh(campaign)
    assert campaign.status == CampaignStatus.RUNNING


def test_programme_budget_rolls_up_its_campaigns_spend(session: Session, tenant: Tenant) -> None:
    programme = Programme(workspace_id=tenant.id, name=unique("prog-"))
    session.add(programme)
    session.flush()
    inside = make_campaign(session, tenant.id, programme_id=programme.id)
    outside = make_campaign(session, tenant.id)
    spend(session, inside, "social", date(2026, 6, 3), "30")
    spend(session, outside, "social", date(2026, 6, 3), "500")
    budgets.set_monthly_budget(session, workspace_id=tenant.id, actor="user:1", programme_id=programme.id,
                               data=MonthlyBudgetSet(channel="social", month=date(2026, 6, 1), amount=Decimal("40")))
    [line] = budgets.month_lines(session, workspace_id=tenant.id, programme_id=programme.id)
    assert (line.planned, line.actual, line.level) == (Decimal("40.00"), Decimal("30.00"), "ok")
    with pytest.raises(InvalidInput):
        budgets.month_lines(session, workspace_id=tenant.id, campaign_id=inside.id, programme_id=programme.id)


def test_another_workspaces_campaign_is_not_found(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    campaign = make_campaign(session, other_tenant.id)
    with pytest.raises(NotFound):
        budgets.month_lines(session, workspace_id=tenant.id, campaign_id=campaign.id)
