"""Budgets per channel and calendar month: the plan, what was actually spent, the variance and warnings.

Planned: `monthly_budgets` rows of a campaign or a programme. Actual, per channel and month (UTC days):
the campaign's spend rows (entered or imported) plus its messages sent × the workspace's cost per
message, exactly as reporting/costs.py counts cost; a programme's actual is the sum over its campaigns.
Only amounts in the workspace currency are added up.

Warnings: a month and channel is at "warning" once actual ≥ its threshold (the row's own, else the
workspace's, default 90 %) of the plan, and "over" once actual > the plan. `check_budget_alerts`
records each newly reached level once (an audit entry) and hands it to the registered listeners (the
hook notifications use); the pages compute levels on the fly and never write.

Planning a campaign's month re-plans its channel's total (`campaign_budgets`) as the sum of its months,
so the performance page and the monthly view agree. Changing the budget of an approved or scheduled
campaign withdraws its approval (campaigns.lifecycle.begin_edit), like an edit of its content.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns.service import get_campaign_or_raise
from kempen.kit.errors import InvalidInput, NotFound
from kempen.models import (
    DEFAULT_WARN_PERCENT,
    Campaign,
    CampaignBudget,
    CampaignSpend,
    Delivery,
    DeliveryStatus,
    MonthlyBudget,
    Programme,
    WorkspaceBudgetSettings,
)
from kempen.reporting import costs
from kempen.reporting.schemas import Amount, BudgetSet, ChannelName
from kempen.reporting.series import utc_trunc
from kempen.tracking.settings import get_tracking_settings

Level = Literal["ok", "warning", "over"]
_LEVEL_RANK: dict[Level, int] = {"ok": 0, "warning": 1, "over": 2}
Percent = Annotated[Decimal, Field(gt=0, le=500, max_digits=5, decimal_places=2)]


class MonthlyBudgetSet(BaseModel):
    channel: ChannelName
    month: date = Field(description="Any day of the month; stored as its first day")
    amount: Amount
    warn_percent: Percent | None = Field(None, description="Warn past this % of the plan; default: the workspace's")


class MonthlyBudgetOut(BaseModel):
    id: int
    campaign_id: int | None
    programme_id: int | None
    channel: str
    month: date
    amount: Decimal
    currency: str
    warn_percent: Decimal | None

    model_config = {"from_attributes": True}


class MonthLine(BaseModel):
    """One channel in one month: planned, actual, variance (actual − planned) and the warning level."""

    month: date
    channel: str
    planned: Decimal | None
    actual: Decimal
    variance: Decimal | None
    used_percent: Decimal | None  # actual / planned × 100
    warn_percent: Decimal
    level: Level


class BudgetSettingsOut(BaseModel):
    warn_percent: Decimal


@dataclass(frozen=True)
class BudgetAlert:
    """A month and channel whose spend newly passed its threshold ("warning") or its plan ("over")."""

    workspace_id: int
    campaign_id: int | None
    programme_id: int | None
    line: MonthLine


BudgetAlertListener = Callable[[Session, BudgetAlert], None]
_listeners: list[BudgetAlertListener] = []


def on_budget_alert(listener: BudgetAlertListener) -> BudgetAlertListener:
    """Register a function called (inside the transaction) for every new budget warning; usable as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


# The threshold

def warn_percent(session: Session, *, workspace_id: int) -> Decimal:
    """The workspace's warning threshold in % of the plan (90 unless changed)."""
    row = session.get(WorkspaceBudgetSettings, workspace_id)
    return Decimal(row.warn_percent) if row is not None else DEFAULT_WARN_PERCENT


def set_warn_percent(session: Session, *, workspace_id: int, actor: str, percent: Decimal) -> Decimal:
    """Change the workspace's warning threshold."""
    if not Decimal("0") < percent <= Decimal("500"):
        raise InvalidInput("The warning threshold is a percentage of the plan, above 0 and at most 500.")
    row = session.get(WorkspaceBudgetSettings, workspace_id)
    if row is None:
        row = WorkspaceBudgetSettings(workspace_id=workspace_id)
        session.add(row)
    row.warn_percent = percent
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="budget_settings.updated",
                 entity_type="workspace", entity_id=workspace_id, details={"warn_percent": str(percent)})
    return percent


# Planning

def get_programme_or_raise(session: Session, *, workspace_id: int, programme_id: int) -> Programme:
    programme = session.scalar(select(Programme).where(Programme.workspace_id == workspace_id,
                                                       Programme.id == programme_id))
    if programme is None:
        raise NotFound("There is no such programme in this workspace.")
    return programme


def _owner_filter(campaign_id: int | None, programme_id: int | None) -> tuple[str, int]:
    """The audit entity of a budget's owner: ("campaign", id) or ("programme", id)."""
    if campaign_id is not None and programme_id is None:
        return "campaign", campaign_id
    if programme_id is not None and campaign_id is None:
        return "programme", programme_id
    raise InvalidInput("A monthly budget belongs to a campaign or to a programme: give exactly one.")


def _rows(workspace_id: int, campaign_id: int | None,
          programme_id: int | None) -> Select[MonthlyBudget]:
    stmt = select(MonthlyBudget).where(MonthlyBudget.workspace_id == workspace_id)
    if campaign_id is not None:
        return stmt.where(MonthlyBudget.campaign_id == campaign_id)
    return stmt.where(MonthlyBudget.programme_id == programme_id)


def _check_owner(session: Session, workspace_id: int, campaign_id: int | None,
                 programme_id: int | None) -> Campaign | None:
    _owner_filter(campaign_id, programme_id)
    if campaign_id is not None:
        return get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    get_programme_or_raise(session, workspace_id=workspace_id, programme_id=programme_id or 0)
    return None


def list_monthly_budgets(session: Session, *, workspace_id: int, campaign_id: int | None = None,
                         programme_id: int | None = None) -> list[MonthlyBudget]:
    """The planned months of a campaign or a programme, by month then channel."""
    _check_owner(session, workspace_id, campaign_id, programme_id)
    stmt = _rows(workspace_id, campaign_id, programme_id)
    return list(session.scalars(stmt.order_by(MonthlyBudget.month, MonthlyBudget.channel)))


def set_monthly_budget(session: Session, *, workspace_id: int, actor: str, data: MonthlyBudgetSet,
                       campaign_id: int | None = None, programme_id: int | None = None) -> MonthlyBudget:
    """Plan (or re-plan) one channel's amount in one month; an approved or scheduled campaign goes back to review."""
    campaign = _check_owner(session, workspace_id, campaign_id, programme_id)
    if campaign is not None:
        _withdraw_approval(session, campaign, actor)
    month = month_start(data.month)
    currency = get_tracking_settings(session, workspace_id=workspace_id).currency
    row = session.scalar(_rows(workspace_id, campaign_id, programme_id).where(
        MonthlyBudget.channel == data.channel, MonthlyBudget.month == month))
    if row is None:
        row = MonthlyBudget(workspace_id=workspace_id, campaign_id=campaign_id, programme_id=programme_id,
                            channel=data.channel, month=month, alerted_level=0)
        session.add(row)
    row.amount, row.currency, row.warn_percent = data.amount, currency, data.warn_percent
    session.flush()
    kind, owner_id = _owner_filter(campaign_id, programme_id)
    audit.record(session, workspace_id=workspace_id, actor=actor, action="monthly_budget.set",
                 entity_type=kind, entity_id=owner_id,
                 details={"channel": data.channel, "month": month.isoformat(), "amount": str(data.amount),
                          "currency": currency, "warn_percent": _text(data.warn_percent)})
    if campaign_id is not None:
        _sync_channel_total(session, workspace_id, actor, campaign_id, data.channel)
    check_budget_alerts(session, workspace_id=workspace_id, actor=actor)
    return row


def delete_monthly_budget(session: Session, *, workspace_id: int, actor: str, channel: str, month: date,
                          campaign_id: int | None = None, programme_id: int | None = None) -> None:
    """Remove one month's plan on a channel; 404 if there is none."""
    campaign = _check_owner(session, workspace_id, campaign_id, programme_id)
    month = month_start(month)
    row = session.scalar(_rows(workspace_id, campaign_id, programme_id).where(
        MonthlyBudget.channel == channel, MonthlyBudget.month == month))
    if row is None:
        raise NotFound(f"There is no budget on {channel!r} for {month:%B %Y}.")
    if campaign is not None:
        _withdraw_approval(session, campaign, actor)
    session.delete(row)
    session.flush()
    kind, owner_id = _owner_filter(campaign_id, programme_id)
    audit.record(session, workspace_id=workspace_id, actor=actor, action="monthly_budget.deleted",
                 entity_type=kind, entity_id=owner_id, details={"channel": channel, "month": month.isoformat()})
    if campaign_id is not None:
        _sync_channel_total(session, workspace_id, actor, campaign_id, channel)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _withdraw_approval(session: Session, campaign: Campaign, actor: str) -> None:
    costs.withdraw_approval_for_budget(session, campaign, actor=actor)


def _sync_channel_total(session: Session, workspace_id: int, actor: str, campaign_id: int, channel: str) -> None:
    total = session.scalar(select(func.sum(MonthlyBudget.amount)).where(
        MonthlyBudget.workspace_id == workspace_id, MonthlyBudget.campaign_id == campaign_id,
        MonthlyBudget.channel == channel))
    if total is not None:
        costs.set_budget(session, workspace_id=workspace_id, actor=actor, campaign_id=campaign_id,
                         data=BudgetSet(channel=channel, amount=Decimal(total)))
    else:
        session.execute(delete(CampaignBudget).where(
            CampaignBudget.workspace_id == workspace_id, CampaignBudget.campaign_id == campaign_id,
            CampaignBudget.channel == channel))


# Actual and variance

def _campaign_ids(session: Session, workspace_id: int, campaign_id: int | None, programme_id: int | None) -> list[int]:
    if campaign_id is not None:
        return [campaign_id]
    return list(session.scalars(select(Campaign.id).where(Campaign.workspace_id == workspace_id,
                                                          Campaign.programme_id == programme_id)))


def actual_by_month(session: Session, *, workspace_id: int,
                    campaign_ids: list[int]) -> dict[tuple[date, str], Decimal]:
    """Actual cost per (month, channel) of the campaigns: spend rows plus messages sent × cost per message."""
    settings = get_tracking_settings(session, workspace_id=workspace_id)
    actual: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    if not campaign_ids:
        return actual
    spend = select(CampaignSpend.spend_date, CampaignSpend.channel, func.sum(CampaignSpend.amount)).where(
        CampaignSpend.workspace_id == workspace_id, CampaignSpend.campaign_id.in_(campaign_ids),
        CampaignSpend.currency == settings.currency).group_by(CampaignSpend.spend_date, CampaignSpend.channel)
    for day, channel, amount in session.execute(spend):
        actual[(month_start(day), channel)] += Decimal(amount or 0)
    sent_day = utc_trunc("day", Delivery.__table__.c.sent_at)
    sent = select(sent_day, Delivery.channel, func.count()).where(
        Delivery.workspace_id == workspace_id, Delivery.campaign_id.in_(campaign_ids),
        Delivery.status == DeliveryStatus.SENT, Delivery.sent_at.is_not(None)).group_by(sent_day, Delivery.channel)
    for day_text, channel, count in session.execute(sent):
        price = costs.cost_per_message(settings, str(channel))
        if price:
            key = (month_start(date.fromisoformat(str(day_text)[:10])), str(channel))
            actual[key] += price * count
    return actual


def level_of(planned: Decimal | None, actual: Decimal, threshold: Decimal) -> Level:
    """ok, warning (actual ≥ threshold % of the plan) or over (actual > plan); no plan: ok."""
    if planned is None:
        return "ok"
    if actual > planned:
        return "over"
    if actual > 0 and actual * 100 >= planned * threshold:
        return "warning"
    return "ok"


def month_lines(session: Session, *, workspace_id: int, campaign_id: int | None = None,
                programme_id: int | None = None, since: date | None = None,
                until: date | None = None) -> list[MonthLine]:
    """Planned against actual per month and channel (months with either), oldest first; `until` exclusive."""
    _check_owner(session, workspace_id, campaign_id, programme_id)
    plans = {(row.month, row.channel): row for row in session.scalars(
        _rows(workspace_id, campaign_id, programme_id))}
    actual = actual_by_month(session, workspace_id=workspace_id,
                             campaign_ids=_campaign_ids(session, workspace_id, campaign_id, programme_id))
    default = warn_percent(session, workspace_id=workspace_id)
    lines = []
    for month, channel in sorted(set(plans) | set(actual)):
        if (since and month < month_start(since)) or (until and month >= until):
            continue
        row = plans.get((month, channel))
        lines.append(_line(month, channel, row, actual.get((month, channel), Decimal("0")), default))
    return lines


def _line(month: date, channel: str, row: MonthlyBudget | None, spent: Decimal, default: Decimal) -> MonthLine:
    planned = Decimal(row.amount) if row is not None else None
    threshold = Decimal(row.warn_percent) if row is not None and row.warn_percent is not None else default
    used = (spent * 100 / planned).quantize(Decimal("0.1")) if planned else None
    return MonthLine(month=month, channel=channel, planned=planned, actual=spent.quantize(Decimal("0.01")),
                     variance=None if planned is None else (spent - planned).quantize(Decimal("0.01")),
                     used_percent=used, warn_percent=threshold, level=level_of(planned, spent, threshold))


def warnings(lines: Iterable[MonthLine]) -> list[MonthLine]:
    """The lines past their threshold or their plan."""
    return [line for line in lines if line.level != "ok"]


# Alerts: the hook

Owner = tuple[int | None, int | None]  # (campaign_id, programme_id) of a budget: exactly one is set


def check_budget_alerts(session: Session, *, workspace_id: int, actor: str = "system",
                        only: Iterable[Owner] | None = None) -> list[BudgetAlert]:
    """Record (audit) and announce every month and channel that newly reached a warning level.

    Safe to call often (after spend is entered or imported, from a periodic loop): a level already
    announced is not announced again; a plan raised back under the threshold re-arms the warning.
    `only` limits the check to these campaigns' and programmes' budgets (the sending round's).
    """
    alerts: list[BudgetAlert] = []
    stmt = select(MonthlyBudget).where(MonthlyBudget.workspace_id == workspace_id)
    if only is not None:
        wanted = set(only)
        campaign_ids = sorted({c for c, _ in wanted if c is not None})
        programme_ids = sorted({p for _, p in wanted if p is not None})
        stmt = stmt.where(or_(MonthlyBudget.campaign_id.in_(campaign_ids),
                              MonthlyBudget.programme_id.in_(programme_ids)))
    rows = list(session.scalars(stmt))
    owners = {(row.campaign_id, row.programme_id) for row in rows}
    for campaign_id, programme_id in sorted(owners, key=str):
        lines = {(ln.month, ln.channel): ln for ln in month_lines(
            session, workspace_id=workspace_id, campaign_id=campaign_id, programme_id=programme_id)}
        for row in rows:
            if (row.campaign_id, row.programme_id) != (campaign_id, programme_id):
                continue
            alert = _update_alert(session, row, lines[(row.month, row.channel)], actor)
            if alert is not None:
                alerts.append(alert)
    return alerts


@costs.on_spend_changed
def _check_after_spend(session: Session, workspace_id: int, actor: str) -> None:
    # Spend entered, removed or imported may cross a threshold: announce it now, not on the next plan change.
    check_budget_alerts(session, workspace_id=workspace_id, actor=actor)


def _update_alert(session: Session, row: MonthlyBudget, line: MonthLine, actor: str) -> BudgetAlert | None:
    rank = _LEVEL_RANK[line.level]
    if rank <= row.alerted_level:
        row.alerted_level = rank  # re-arm when the plan was raised (or spend removed)
        return None
    # Compare-and-set: two servers running the sending round at once must not both announce one level
    # (on PostgreSQL the second waits for the first's commit, then finds the level already moved).
    claimed = session.execute(update(MonthlyBudget).where(
        MonthlyBudget.id == row.id, MonthlyBudget.alerted_level == row.alerted_level).values(alerted_level=rank)
        .execution_options(synchronize_session=False))
    if getattr(claimed, "rowcount", 1) != 1:
        session.refresh(row)
        return None
    session.refresh(row, ["alerted_level"])
    kind, owner_id = _owner_filter(row.campaign_id, row.programme_id)
    action = "budget.overspent" if line.level == "over" else "budget.threshold_passed"
    audit.record(session, workspace_id=row.workspace_id, actor=actor, action=action, entity_type=kind,
                 entity_id=owner_id, details={"channel": line.channel, "month": line.month.isoformat(),
                                              "planned": str(line.planned), "actual": str(line.actual),
                                              "warn_percent": str(line.warn_percent)})
    alert = BudgetAlert(workspace_id=row.workspace_id, campaign_id=row.campaign_id,
                        programme_id=row.programme_id, line=line)
    for listener in list(_listeners):
        listener(session, alert)
    return alert


# The workspace's view

@dataclass(frozen=True)
class OwnerMonth:
    """One campaign's or programme's lines in one month."""

    kind: Literal["campaign", "programme"]
    id: int
    name: str
    lines: list[MonthLine]


def month_overview(session: Session, *, workspace_id: int, month: date) -> list[OwnerMonth]:
    """Every campaign and programme with a plan in `month`: its lines that month, warnings first."""
    month = month_start(month)
    planned = session.execute(select(MonthlyBudget.campaign_id, MonthlyBudget.programme_id).where(
        MonthlyBudget.workspace_id == workspace_id, MonthlyBudget.month == month).distinct()).all()
    found = []
    for campaign_id, programme_id in planned:
        lines = month_lines(session, workspace_id=workspace_id, campaign_id=campaign_id, programme_id=programme_id,
                            since=month, until=next_month(month))
        if campaign_id is not None:
            name = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id).name
            found.append(OwnerMonth(kind="campaign", id=campaign_id, name=name, lines=lines))
        else:
            name = get_programme_or_raise(session, workspace_id=workspace_id, programme_id=programme_id or 0).name
            found.append(OwnerMonth(kind="programme", id=programme_id or 0, name=name, lines=lines))
    return sorted(found, key=lambda o: (-max(_LEVEL_RANK[ln.level] for ln in o.lines), o.kind, o.name))
