"""Costs of campaigns: planned budgets per channel, actual spend per channel and day, and per-message costs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns import lifecycle
from kempen.campaigns.service import get_campaign_or_raise
from kempen.kit.errors import NotFound
from kempen.models import (
    EDITABLE_STATUSES,
    Campaign,
    CampaignBudget,
    CampaignSpend,
    WorkspaceTrackingSettings,
)
from kempen.reporting import schemas
from kempen.tracking.settings import get_tracking_settings

# Channels whose messages Kempen sends and counts, and the setting holding their cost per message.
MESSAGE_COST_FIELDS = {"email": "email_cost_per_message", "sms": "sms_cost_per_message"}
# Called (inside the transaction) after spend is entered, removed or imported: session, workspace id, actor.
# Layers above register here (planning's budget warnings) since reporting may not import them.
SpendListener = Callable[[Session, int, str], None]
_spend_listeners: list[SpendListener] = []


def on_spend_changed(listener: SpendListener) -> SpendListener:
    """Register a function to run after a workspace's spend changed."""
    if listener not in _spend_listeners:
        _spend_listeners.append(listener)
    return listener


def spend_changed(session: Session, *, workspace_id: int, actor: str) -> None:
    for listener in list(_spend_listeners):
        listener(session, workspace_id, actor)


def cost_per_message(settings: WorkspaceTrackingSettings, channel: str) -> Decimal:
    """The workspace's cost of one sent message on a channel (0 where none is set)."""
    field = MESSAGE_COST_FIELDS.get(channel)
    return Decimal(getattr(settings, field)) if field else Decimal("0")


def withdraw_approval_for_budget(session: Session, campaign: Campaign, *, actor: str) -> None:
    """A budget is part of what the reviewer approved: an approved or scheduled campaign goes back to review.

    The rule (review, or draft without required approval or when no longer ready) is `lifecycle.begin_edit`'s.

    A running or finished campaign's budget may still be re-planned (plans change mid-flight).
    """
    if campaign.status in EDITABLE_STATUSES:
        lifecycle.begin_edit(session, campaign, actor=actor, what="The budget")


def set_budget(session: Session, *, workspace_id: int, actor: str, campaign_id: int,
               data: schemas.BudgetSet) -> CampaignBudget:
    """Plan (or re-plan) a campaign's budget on one channel, in the workspace currency."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    withdraw_approval_for_budget(session, campaign, actor=actor)
    currency = get_tracking_settings(session, workspace_id=workspace_id).currency
    row = session.scalar(select(CampaignBudget).where(
        CampaignBudget.workspace_id == workspace_id, CampaignBudget.campaign_id == campaign_id,
        CampaignBudget.channel == data.channel))
    if row is None:
        row = CampaignBudget(workspace_id=workspace_id, campaign_id=campaign_id, channel=data.channel,
                             amount=data.amount, currency=currency)
        session.add(row)
    else:
        row.amount, row.currency = data.amount, currency
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign_budget.set",
                 entity_type="campaign", entity_id=campaign_id,
                 details={"channel": data.channel, "amount": str(data.amount), "currency": currency})
    return row


def delete_budget(session: Session, *, workspace_id: int, actor: str, campaign_id: int, channel: str) -> None:
    """Remove a campaign's planned budget on a channel; 404 if there is none."""
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    result = session.execute(delete(CampaignBudget).where(
        CampaignBudget.workspace_id == workspace_id, CampaignBudget.campaign_id == campaign_id,
        CampaignBudget.channel == channel))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"This campaign has no budget on {channel!r}.")
    withdraw_approval_for_budget(session, campaign, actor=actor)
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign_budget.deleted",
                 entity_type="campaign", entity_id=campaign_id, details={"channel": channel})


def list_budgets(session: Session, *, workspace_id: int, campaign_id: int) -> list[CampaignBudget]:
    get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    return list(session.scalars(select(CampaignBudget).where(
        CampaignBudget.workspace_id == workspace_id, CampaignBudget.campaign_id == campaign_id)
        .order_by(CampaignBudget.channel)))


def add_spend(session: Session, *, workspace_id: int, actor: str, campaign_id: int,
              data: schemas.SpendCreate) -> CampaignSpend:
    """Enter a day's spend by hand; entering the same channel and day again replaces the amount."""
    get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    currency = get_tracking_settings(session, workspace_id=workspace_id).currency
    row = session.scalar(select(CampaignSpend).where(
        CampaignSpend.workspace_id == workspace_id, CampaignSpend.campaign_id == campaign_id,
        CampaignSpend.channel == data.channel, CampaignSpend.spend_date == data.spend_date,
        CampaignSpend.source == "manual"))
    if row is None:
        row = CampaignSpend(workspace_id=workspace_id, campaign_id=campaign_id, channel=data.channel,
                            spend_date=data.spend_date, source="manual", created_by=actor)
        session.add(row)
    row.amount, row.currency, row.note = data.amount, currency, data.note
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign_spend.entered",
                 entity_type="campaign", entity_id=campaign_id,
                 details={"channel": data.channel, "date": data.spend_date.isoformat(), "amount": str(data.amount)})
    spend_changed(session, workspace_id=workspace_id, actor=actor)
    return row


def delete_spend(session: Session, *, workspace_id: int, actor: str, spend_id: int) -> None:
    """Remove one spend row; 404 if it is not the workspace's."""
    row = session.scalar(select(CampaignSpend).where(CampaignSpend.workspace_id == workspace_id,
                                                     CampaignSpend.id == spend_id))
    if row is None:
        raise NotFound("There is no such spend entry in this workspace.")
    session.delete(row)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign_spend.deleted",
                 entity_type="campaign", entity_id=row.campaign_id,
                 details={"channel": row.channel, "date": row.spend_date.isoformat(), "amount": str(row.amount)})
    spend_changed(session, workspace_id=workspace_id, actor=actor)


def list_spend(session: Session, *, workspace_id: int, campaign_id: int | None = None,
               since: date | None = None, until: date | None = None) -> list[CampaignSpend]:
    """Spend rows, newest day first, of one campaign or all; `until` is exclusive."""
    stmt = select(CampaignSpend).where(CampaignSpend.workspace_id == workspace_id)
    if campaign_id is not None:
        get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
        stmt = stmt.where(CampaignSpend.campaign_id == campaign_id)
    if since is not None:
        stmt = stmt.where(CampaignSpend.spend_date >= since)
    if until is not None:
        stmt = stmt.where(CampaignSpend.spend_date < until)
    return list(session.scalars(stmt.order_by(CampaignSpend.spend_date.desc(), CampaignSpend.channel,
                                              CampaignSpend.id)))


def spend_by(session: Session, *, workspace_id: int, currency: str,
             campaign_ids: list[int] | None) -> dict[tuple[int, str], Decimal]:
    """Total spend in `currency` per (campaign, channel); spend in other currencies is left out."""
    stmt = select(CampaignSpend.campaign_id, CampaignSpend.channel, func.sum(CampaignSpend.amount)).where(
        CampaignSpend.workspace_id == workspace_id, CampaignSpend.currency == currency)
    if campaign_ids is not None:
        stmt = stmt.where(CampaignSpend.campaign_id.in_(campaign_ids))
    stmt = stmt.group_by(CampaignSpend.campaign_id, CampaignSpend.channel)
    return {(cid, channel): Decimal(amount or 0) for cid, channel, amount in session.execute(stmt)}


def budgets_by(session: Session, *, workspace_id: int, currency: str,
               campaign_ids: list[int] | None) -> dict[tuple[int, str], Decimal]:
    """Planned budget in `currency` per (campaign, channel)."""
    stmt = select(CampaignBudget.campaign_id, CampaignBudget.channel, CampaignBudget.amount).where(
        CampaignBudget.workspace_id == workspace_id, CampaignBudget.currency == currency)
    if campaign_ids is not None:
        stmt = stmt.where(CampaignBudget.campaign_id.in_(campaign_ids))
    return {(cid, channel): Decimal(amount) for cid, channel, amount in session.execute(stmt)}


def budget_lines(planned: dict[str, Decimal], actual: dict[str, Decimal]) -> list[schemas.BudgetLine]:
    """Planned against actual cost per channel; variance = actual − planned (positive: over budget)."""
    lines = []
    for channel in sorted(set(planned) | set(actual)):
        plan, spent = planned.get(channel), actual.get(channel, Decimal("0"))
        lines.append(schemas.BudgetLine(channel=channel, planned=plan, actual=spent,
                                        variance=None if plan is None else spent - plan))
    return lines
