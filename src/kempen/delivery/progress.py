"""A campaign's live progress from one GROUP BY over its deliveries (plus the holdout count and variant names)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from kempen.campaigns.service import get_campaign_or_raise
from kempen.delivery.schemas import CampaignProgress, VariantProgress
from kempen.kit.clock import utcnow
from kempen.models import (
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


def campaign_progress(session: Session, *, workspace_id: int, campaign_id: int,
                      now: datetime | None = None) -> CampaignProgress:
    """Audience, holdout, deliveries by status and reason, per-variant sends, send rate and ETA."""
    now = now or utcnow()
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    by_status: Counter[DeliveryStatus] = Counter()
    skipped: Counter[DeliveryReason] = Counter()
    failed: Counter[DeliveryReason] = Counter()
    per_variant: Counter[int] = Counter()
    sent_per_variant: Counter[int] = Counter()
    deferred = recent = 0
    for status, reason, variant_id, count, waiting, sent_lately in _counts(session, workspace_id, campaign_id, now):
        by_status[status] += count
        per_variant[variant_id] += count
        deferred += waiting
        recent += sent_lately
        if status == DeliveryStatus.SENT:
            sent_per_variant[variant_id] += count
        elif status == DeliveryStatus.SKIPPED and reason is not None:
            skipped[reason] += count
        elif status == DeliveryStatus.FAILED and reason is not None:
            failed[reason] += count
    audience = 0
    if campaign.snapshot_id is not None:
        audience = session.scalar(select(SegmentSnapshot.member_count).where(
            SegmentSnapshot.workspace_id == workspace_id, SegmentSnapshot.id == campaign.snapshot_id)) or 0
    holdout = session.scalar(select(func.count()).select_from(CampaignHoldoutMember).where(
        CampaignHoldoutMember.workspace_id == workspace_id, CampaignHoldoutMember.campaign_id == campaign_id)) or 0
    variants = [VariantProgress(message_id=v.message_id, variant_id=v.id, name=v.name, deliveries=per_variant[v.id],
                                sent=sent_per_variant[v.id])
                for v in session.execute(select(MessageVariant.id, MessageVariant.message_id, MessageVariant.name)
                                         .where(MessageVariant.workspace_id == workspace_id,
                                                MessageVariant.campaign_id == campaign_id)
                                         .order_by(MessageVariant.message_id, MessageVariant.id))]
    total = sum(by_status.values())
    done = sum(by_status[s] for s in SETTLED)
    rate = _rate(recent, campaign.launched_at, now)
    left = by_status[DeliveryStatus.PENDING] - deferred + by_status[DeliveryStatus.SENDING]
    eta = None
    if left == 0:
        eta = 0.0
    elif rate > 0 and campaign.status == CampaignStatus.RUNNING:
        eta = round(left / rate, 1)
    finished = campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
    return CampaignProgress(
        campaign_id=campaign_id, status=campaign.status, scheduled_at=campaign.scheduled_at,
        launched_at=campaign.launched_at, finished_at=campaign.finished_at, audience=audience, holdout=holdout,
        deliveries=total, by_status={s: by_status[s] for s in DeliveryStatus}, skipped_by_reason=dict(skipped),
        failed_by_reason=dict(failed), deferred=deferred, variants=variants, rate_per_second=round(rate, 2),
        eta_seconds=eta, done=done,
        percent_done=round(100.0 * done / total, 1) if total else (100.0 if finished else 0.0))
