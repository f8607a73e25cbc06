"""Campaign and workspace reports: engagement, attributed revenue and costs, put together per level."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, literal, select
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit, AttributionModel
from kempen.campaigns import service as campaigns
from kempen.experiments.analysis import analyse_campaign
from kempen.experiments.schemas import Metric
from kempen.kit.clock import utcnow
from kempen.models import (
    Campaign,
    CampaignHoldoutMember,
    CampaignStatus,
    Contact,
    Delivery,
    WorkspaceTrackingSettings,
)
from kempen.reporting import costs, metrics
from kempen.reporting.export import sort_rows
from kempen.reporting.figures import Money, credited, make_figures
from kempen.reporting.incrementality import campaign_incrementality
from kempen.reporting.metrics import Counts, Selection
from kempen.reporting.revenue import attributed_credits
from kempen.reporting.schemas import CampaignReport, Figures, WorkspaceReport
from kempen.reporting.series import time_series
from kempen.segments import preview as segment_preview
from kempen.segments import rules
from kempen.segments import service as segments
from kempen.tracking.settings import get_tracking_settings

KeyOf = Callable[[AttributedCredit], Hashable | None]


@dataclass
class Level:
    """Everything needed to build one table: counts, holdouts, credits, spend and budgets per key."""

    counts: dict[Any, Counts]
    holdouts: dict[Any, int]
    credits: dict[Hashable, tuple[float, Decimal]]
    spend: dict[Any, Decimal]
    budgets: dict[Any, Decimal]


def message_cost(counts: Counts, settings: WorkspaceTrackingSettings) -> Decimal:
    """Sent messages × the workspace's cost per message of their channel."""
    return (counts.sent_email * costs.cost_per_message(settings, "email")
            + counts.sent_sms * costs.cost_per_message(settings, "sms"))


def build_rows(level: Level, settings: WorkspaceTrackingSettings, labels: dict[Any, str]) -> list[Figures]:
    """One row per key found in any of the level's sources."""
    keys = set(level.counts) | set(level.credits) | set(level.spend) | set(level.budgets)
    rows = []
    for key in sorted(keys, key=lambda k: (k is None, str(labels.get(k, k)))):
        counts = level.counts.get(key, Counts())
        conversions, revenue = level.credits.get(key, (0.0, Decimal("0")))
        money = Money(conversions=conversions, revenue=revenue, spend=level.spend.get(key, Decimal("0")),
                      message_cost=message_cost(counts, settings), budget=level.budgets.get(key))
        rows.append(make_figures(str(key), labels.get(key, str(key)), counts, money, level.holdouts.get(key, 0)))
    return rows


def _summed(values: dict[tuple[int, str], Decimal], key: Callable[[int, str], Any]) -> dict[Any, Decimal]:
    found: dict[Any, Decimal] = {}
    for (campaign_id, channel), amount in values.items():
        k = key(campaign_id, channel)
        found[k] = found.get(k, Decimal("0")) + amount
    return found


def _labels_of_variants(session: Session, workspace_id: int, campaign_id: int) -> dict[Any, str]:
    detail = campaigns.campaign_detail(session, workspace_id=workspace_id, campaign_id=campaign_id)
    many = len(detail.messages) > 1
    return {v.id: f"{m.name} · {v.name}" if many else v.name for m in detail.messages for v in m.variants}


def campaign_report(session: Session, *, workspace_id: int, campaign_id: int,
                    model: AttributionModel | None = None, segment_id: int | None = None,
                    now: datetime | None = None, metric: Metric | None = None) -> CampaignReport:
    """Everything the campaign performance page shows; `segment_id` adds a breakdown by that segment.

    `metric` is what the variants are compared on (default: the campaign's winner metric, else the click rate).
    """
    campaign = campaigns.get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    settings = get_tracking_settings(session, workspace_id=workspace_id)
    model = model or AttributionModel(settings.attribution_model)
    until = now or utcnow()
    sel = Selection(workspace_id, [campaign_id], settings.exclude_machine_events)
    credits = (attributed_credits(session, workspace_id=workspace_id, since=campaign.launched_at, until=until,
                                  model=model, campaign_id=campaign_id)
               if campaign.launched_at is not None else [])
    spend = costs.spend_by(session, workspace_id=workspace_id, currency=settings.currency, campaign_ids=[campaign_id])
    budgets = costs.budgets_by(session, workspace_id=workspace_id, currency=settings.currency,
                               campaign_ids=[campaign_id])

    def level(group: str, key_of: KeyOf, by: Callable[[int, str], Any] | None) -> Level:
        holdout_key = metrics.holdout_column(group)
        return Level(counts=metrics.engagement(session, sel, metrics.group_column(group)),
                     holdouts={} if holdout_key is None else metrics.holdouts(session, sel, holdout_key),
                     credits=credited(credits, key_of), spend={} if by is None else _summed(spend, by),
                     budgets={} if by is None else _summed(budgets, by))

    totals = build_rows(level("total", lambda c: "total", lambda c, ch: "total"), settings, {"total": campaign.name})
    channel_rows = build_rows(level("channel", lambda c: c.channel, lambda c, ch: ch), settings,
                              _channel_labels())
    variant_rows = build_rows(level("variant", lambda c: c.variant_id, None), settings,
                              _labels_of_variants(session, workspace_id, campaign_id))
    report = CampaignReport(
        campaign_id=campaign.id, name=campaign.name, status=campaign.status.value, currency=settings.currency,
        model=model, launched_at=campaign.launched_at, until=until, machine_excluded=settings.exclude_machine_events,
        totals=totals[0] if totals else make_figures("total", campaign.name, Counts(), Money()),
        channels=channel_rows, variants=variant_rows,
        series=(time_series(session, sel, launched_at=campaign.launched_at, credits=credits)
                if campaign.launched_at else []),
        budget=costs.budget_lines(_summed(budgets, lambda c, ch: ch), _actual_costs(channel_rows)))
    report.incrementality = campaign_incrementality(
        session, workspace_id=workspace_id, campaign_id=campaign_id, launched_at=campaign.launched_at,
        window_days=settings.click_window_days, currency=settings.currency, cost=report.totals.cost, until=until)
    report.experiments = analyse_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id, metric=metric,
                                          until=until)
    if segment_id is not None:
        report.segment_name, report.segment_breakdown = _segment_breakdown(
            session, sel, settings, credits, segment_id)
    return report


def _actual_costs(channel_rows: list[Figures]) -> dict[str, Decimal]:
    return {row.key: row.cost for row in channel_rows if row.cost or row.budget is not None}


class _ChannelLabels(dict[Any, str]):
    """Channel names as people read them: "sms" is SMS, "paid_search" is Paid search."""

    def get(self, key: Any, default: Any = None) -> str:
        text = str(key)
        return "SMS" if text == "sms" else text.replace("_", " ").capitalize()


def _channel_labels() -> dict[Any, str]:
    return _ChannelLabels()


def _segment_breakdown(session: Session, sel: Selection, settings: WorkspaceTrackingSettings,
                       credits: list[AttributedCredit], segment_id: int) -> tuple[str, list[Figures]]:
    """The campaign's recipients split by membership of a segment (its rule compiled now)."""
    segment = segments.get_segment(session, workspace_id=sel.workspace_id, segment_id=segment_id)
    members = segment_preview.members_query(session, sel.workspace_id, rules.rule_from_json(segment.rule))

    def membership(column: Any) -> ColumnElement[str]:
        return case((column.in_(members), literal("in")), else_=literal("out"))

    credited_contacts = sorted({c.contact_id for c in credits})
    inside = set(session.scalars(select(Contact.id).where(
        Contact.workspace_id == sel.workspace_id, Contact.id.in_(credited_contacts), Contact.id.in_(members))))
    level = Level(counts=metrics.engagement(session, sel, membership(Delivery.contact_id)),
                  holdouts=metrics.holdouts(session, sel, membership(CampaignHoldoutMember.contact_id)),
                  credits=credited(credits, lambda c: "in" if c.contact_id in inside else "out"),
                  spend={}, budgets={})
    labels = {"in": f"In “{segment.name}”", "out": f"Not in “{segment.name}”"}
    return segment.name, build_rows(level, settings, labels)


@dataclass(frozen=True)
class ReportFilters:
    """The workspace report's filters: campaigns launched in [since, until), maybe one channel, status, segment."""

    since: datetime
    until: datetime
    channel: str | None = None
    status: CampaignStatus | None = None
    segment_id: int | None = None
    model: AttributionModel | None = None


def selected_campaigns(session: Session, workspace_id: int, filters: ReportFilters) -> list[Campaign]:
    """Campaigns launched in the period (and of the status and segment asked for)."""
    stmt = select(Campaign).where(Campaign.workspace_id == workspace_id, Campaign.launched_at.is_not(None),
                                  Campaign.launched_at >= filters.since, Campaign.launched_at < filters.until)
    if filters.status is not None:
        stmt = stmt.where(Campaign.status == filters.status)
    if filters.segment_id is not None:
        stmt = stmt.where(Campaign.segment_id == filters.segment_id)
    return list(session.scalars(stmt.order_by(Campaign.launched_at.desc())))


def workspace_rows(session: Session, *, workspace_id: int, group: str,
                   filters: ReportFilters) -> tuple[list[Figures], WorkspaceTrackingSettings, AttributionModel]:
    """The workspace-wide table per campaign, channel or segment for the filters."""
    if group not in ("campaign", "channel", "segment", "total"):
        raise ValueError(group)
    settings = get_tracking_settings(session, workspace_id=workspace_id)
    model = filters.model or AttributionModel(settings.attribution_model)
    chosen = selected_campaigns(session, workspace_id, filters)
    ids = [c.id for c in chosen]
    sel = Selection(workspace_id, ids, settings.exclude_machine_events, channel=filters.channel)
    wanted = set(ids)
    credits = [c for c in attributed_credits(session, workspace_id=workspace_id, since=filters.since,
                                             until=filters.until, model=model)
               if c.campaign_id in wanted and (filters.channel is None or c.channel == filters.channel)]
    segment_of = {c.id: c.segment_id for c in chosen}
    spend = {k: v for k, v in costs.spend_by(session, workspace_id=workspace_id, currency=settings.currency,
                                             campaign_ids=ids).items()
             if filters.channel is None or k[1] == filters.channel}
    budgets = {k: v for k, v in costs.budgets_by(session, workspace_id=workspace_id, currency=settings.currency,
                                                 campaign_ids=ids).items()
               if filters.channel is None or k[1] == filters.channel}
    by: dict[str, Callable[[int, str], Any]] = {
        "campaign": lambda c, ch: c, "channel": lambda c, ch: ch, "segment": lambda c, ch: segment_of.get(c),
        "total": lambda c, ch: "total"}
    key_of: dict[str, KeyOf] = {
        "campaign": lambda c: c.campaign_id, "channel": lambda c: c.channel,
        "segment": lambda c: segment_of.get(c.campaign_id), "total": lambda c: "total"}
    holdout_key = metrics.holdout_column(group)
    level = Level(counts=metrics.engagement(session, sel, metrics.group_column(group)),
                  holdouts={} if holdout_key is None or filters.channel else metrics.holdouts(session, sel, holdout_key),
                  credits=credited(credits, key_of[group]), spend=_summed(spend, by[group]),
                  budgets=_summed(budgets, by[group]))
    return build_rows(level, settings, _labels(session, workspace_id, group, chosen)), settings, model


def _labels(session: Session, workspace_id: int, group: str, chosen: list[Campaign]) -> dict[Any, str]:
    if group == "campaign":
        return {c.id: c.name for c in chosen}
    if group == "segment":
        names: dict[Any, str] = {s.id: s.name for s in segments.list_segments(session, workspace_id=workspace_id)}
        names[None] = "No segment"
        return names
    if group == "total":
        return {"total": "All campaigns"}
    return _channel_labels()


def workspace_report(session: Session, *, workspace_id: int, group: str, filters: ReportFilters,
                     sort: str = "label", descending: bool = False) -> WorkspaceReport:
    """The workspace-wide table (per channel, campaign or segment), sorted by one column."""
    rows, settings, model = workspace_rows(session, workspace_id=workspace_id, group=group, filters=filters)
    return WorkspaceReport(currency=settings.currency, model=model, since=filters.since, until=filters.until,
                           machine_excluded=settings.exclude_machine_events, group=group,
                           rows=sort_rows(rows, sort, descending))
