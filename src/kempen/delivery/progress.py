"""A campaign's live progress from one GROUP BY over its deliveries (plus the holdout count and variant names)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from kempen.campaigns.service import get_campaign_or_raise
from kempen.campaigns.winner import metric_label
from kempen.delivery.schemas import CampaignProgress, VariantProgress, WinnerProgress
from kempen.kit.clock import utcnow
from kempen.models import (
    Campaign,
    CampaignHoldoutMember,
    CampaignStatus,
    Delivery,
    DeliveryReason,
    DeliveryStatus,
    MessageVariant,
    SegmentSnapshot,
)

RATE_WINDOW = timedelta(minutes=1)
SETTLED = (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED, DeliveryStatus.CANCELLED)


def _counts(session: Session, workspace_id: int, campaign_id: int, now: datetime) -> list[tuple[
        DeliveryStatus, DeliveryReason | None, int, int, int, int]]:
    deferred = func.sum(case((and_(Delivery.status == DeliveryStatus.PENDING, Delivery.not_before > now), 1),
                             else_=0))
    recent = func.sum(case((Delivery.sent_at >= now - RATE_WINDOW, 1), else_=0))
    stmt = (select(Delivery.status, Delivery.reason, Delivery.variant_id, func.count(), deferred, recent)
            .where(Delivery.workspace_id == workspace_id, Delivery.campaign_id == campaign_id)
            .group_by(Delivery.status, Delivery.reason, Delivery.variant_id))
    return [(r[0], r[1], r[2], int(r[3]), int(r[4] or 0), int(r[5] or 0)) for r in session.execute(stmt)]


def _rate(recent: int, launched_at: datetime | None, now: datetime) -> float:
    if not recent or launched_at is None:
        return 0.0
    # In the campaign's first minute the window is the time since launch, not a full minute.
    window = min(RATE_WINDOW, max(now - launched_at, timedelta(seconds=1)))
    return recent / window.total_seconds()


@dataclass
class _Tally:
    by_status: Counter[DeliveryStatus] = field(default_factory=Counter)
    skipped: Counter[DeliveryReason] = field(default_factory=Counter)
    failed: Counter[DeliveryReason] = field(default_factory=Counter)
    per_variant: Counter[int] = field(default_factory=Counter)
    sent_per_variant: Counter[int] = field(default_factory=Counter)
    deferred: int = 0
    recent: int = 0


def _tally(session: Session, workspace_id: int, campaign_id: int, now: datetime) -> _Tally:
    tally = _Tally()
    for status, reason, variant_id, count, waiting, sent_lately in _counts(session, workspace_id, campaign_id, now):
        tally.by_status[status] += count
        tally.per_variant[variant_id] += count
        tally.deferred += waiting
        tally.recent += sent_lately
        if status == DeliveryStatus.SENT:
            tally.sent_per_variant[variant_id] += count
        elif status == DeliveryStatus.SKIPPED and reason is not None:
            tally.skipped[reason] += count
        elif status == DeliveryStatus.FAILED and reason is not None:
            tally.failed[reason] += count
    return tally


def _variants(session: Session, workspace_id: int, campaign_id: int, tally: _Tally) -> list[VariantProgress]:
    rows = session.execute(select(MessageVariant.id, MessageVariant.message_id, MessageVariant.name)
                           .where(MessageVariant.workspace_id == workspace_id, MessageVariant.campaign_id == campaign_id)
                           .order_by(MessageVariant.message_id, MessageVariant.id))
    return [VariantProgress(message_id=v.message_id, variant_id=v.id, name=v.name, deliveries=tally.per_variant[v.id],
                            sent=tally.sent_per_variant[v.id]) for v in rows]


def _audience(session: Session, workspace_id: int, campaign: Campaign) -> tuple[int, int]:
    audience = 0
    if campaign.snapshot_id is not None:
        audience = session.scalar(select(SegmentSnapshot.member_count).where(
            SegmentSnapshot.workspace_id == workspace_id, SegmentSnapshot.id == campaign.snapshot_id)) or 0
    holdout = session.scalar(select(func.count()).select_from(CampaignHoldoutMember).where(
        CampaignHoldoutMember.workspace_id == workspace_id, CampaignHoldoutMember.campaign_id == campaign.id)) or 0
    return audience, holdout


def _winner_summary(campaign: Campaign, now: datetime) -> str:
    decision = campaign.winner_decision or {}
    if campaign.winner_decided_at is not None:
        return str(decision.get("summary") or "Winner decided.")
    due = f"{campaign.winner_decide_at:%Y-%m-%d %H:%M} UTC" if campaign.winner_decide_at else "the set time"
    testing = f"Testing on {campaign.winner_test_percent} %"
    if campaign.status == CampaignStatus.CANCELLED:
        return f"{testing}; cancelled before the winner was picked."
    if campaign.status == CampaignStatus.PAUSED and campaign.winner_decide_at and campaign.winner_decide_at <= now:
        return f"{testing}; the winner was due at {due} and is picked when the campaign is resumed."
    return f"{testing} — winner picked on {metric_label(campaign.winner_metric)} at {due}."


def winner_progress(campaign: Campaign, variant_names: dict[int, str], *,
                    now: datetime | None = None) -> WinnerProgress | None:
    """The automatic winner's state in words; None when it is off."""
    if not campaign.winner_metric:
        return None
    decision = campaign.winner_decision or {}
    return WinnerProgress(
        metric=campaign.winner_metric, test_percent=campaign.winner_test_percent,
        wait_minutes=campaign.winner_wait_minutes, fallback=campaign.winner_fallback,
        decide_at=campaign.winner_decide_at, decided_at=campaign.winner_decided_at,
        variant_id=campaign.winner_variant_id, variant_name=variant_names.get(campaign.winner_variant_id or 0),
        summary=_winner_summary(campaign, now or utcnow()), messages=list(decision.get("messages") or []))


def campaign_progress(session: Session, *, workspace_id: int, campaign_id: int,
                      now: datetime | None = None) -> CampaignProgress:
    """Audience, holdout, deliveries by status and reason, per-variant sends, send rate and ETA."""
    now = now or utcnow()
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    tally = _tally(session, workspace_id, campaign_id, now)
    by_status = tally.by_status
    audience, holdout = _audience(session, workspace_id, campaign)
    total = sum(by_status.values())
    done = sum(by_status[s] for s in SETTLED)
    rate = _rate(tally.recent, campaign.launched_at, now)
    left = by_status[DeliveryStatus.PENDING] - tally.deferred + by_status[DeliveryStatus.SENDING]
    eta = None
    if left == 0:
        eta = 0.0
    elif rate > 0 and campaign.status == CampaignStatus.RUNNING:
        eta = round(left / rate, 1)
    finished = campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
    variants = _variants(session, workspace_id, campaign_id, tally)
    return CampaignProgress(
        campaign_id=campaign_id, status=campaign.status, scheduled_at=campaign.scheduled_at,
        launched_at=campaign.launched_at, finished_at=campaign.finished_at, audience=audience, holdout=holdout,
        deliveries=total, by_status={s: by_status[s] for s in DeliveryStatus}, skipped_by_reason=dict(tally.skipped),
        failed_by_reason=dict(tally.failed), deferred=tally.deferred,
        variants=variants, rate_per_second=round(rate, 2), eta_seconds=eta, done=done,
        percent_done=round(100.0 * done / total, 1) if total else (100.0 if finished else 0.0),
        winner=winner_progress(campaign, {v.variant_id: v.name for v in variants}, now=now))
