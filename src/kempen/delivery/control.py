"""Launch, schedule, pause, resume and cancel a campaign (services: they flush, the caller commits).

Status moves go through `kempen.campaigns.service.transition`, which enforces the allowed moves, the
workspace's approval rule and readiness, and is a compare-and-set: a person and the scheduler
launching at the same moment cannot both succeed. Workers notice pause and cancel between two
sub-chunks of a batch (a few seconds at most); see docs/delivery.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.brand.resolve import freeze_for_launch
from kempen.campaigns.lifecycle import STATUS_CHANGED
from kempen.campaigns.service import get_campaign_or_raise, transition
from kempen.config import get_settings
from kempen.delivery.launch import materialise
from kempen.delivery.schemas import LaunchResult
from kempen.kit.clock import as_utc, utcnow
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import (
    BatchStatus,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryBatch,
    DeliveryReason,
    DeliveryStatus,
)
from kempen.segments.snapshots import take_snapshot

OPEN_BATCH = (BatchStatus.PENDING, BatchStatus.QUEUED, BatchStatus.RUNNING)
ENGINE_ACTOR = "engine"


def launch_campaign(session: Session, *, workspace_id: int, campaign_id: int, actor: str,
                    now: datetime | None = None) -> LaunchResult:
    """Freeze the audience, pick holdout and variants, write every delivery; the workers take it from there."""
    now = now or utcnow()
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.launched_at is not None or _has_deliveries(session, workspace_id, campaign_id):
        raise Conflict(f"Campaign {campaign_id} has already been launched (it is {campaign.status.value}).")
    campaign = transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=CampaignStatus.RUNNING,
                          actor=actor)
    assert campaign.segment_id is not None  # readiness requires one
    snapshot = take_snapshot(session, workspace_id=workspace_id, actor=actor, segment_id=campaign.segment_id,
                             reason=f"launch of campaign {campaign.name}", now=now)
    campaign.snapshot_id = snapshot.id
    campaign.launched_at = now
    # The whole send uses the brand and blocks as they are now, however they are edited meanwhile.
    freeze_for_launch(session, campaign)
    if campaign.winner_metric:  # the rest of the audience waits for the automatic winner (delivery/winner.py)
        campaign.winner_decide_at = now + timedelta(minutes=campaign.winner_wait_minutes)
    session.flush()
    made = materialise(session, workspace_id=workspace_id, campaign_id=campaign_id, snapshot_id=snapshot.id,
                       batch_size=get_settings().batch_size, now=now)
    details: dict[str, Any] = {"snapshot_id": snapshot.id, "audience": made.audience, "holdout": made.holdout,
                               "universal_holdout": made.universal_holdout, "deliveries": made.deliveries}
    if campaign.winner_decide_at is not None:
        details.update(winner_rest=made.winner_rest, winner_decide_at=campaign.winner_decide_at.isoformat())
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.launched", entity_type="campaign",
                 entity_id=campaign_id, details=details)
    if made.batches == 0:
        complete_if_done(session, workspace_id=workspace_id, campaign_id=campaign_id, now=now)
    session.refresh(campaign)
    return LaunchResult(campaign_id=campaign_id, status=campaign.status, snapshot_id=snapshot.id,
                        audience=made.audience, holdout=made.holdout, deliveries=made.deliveries,
                        batches=made.batches, winner_rest=made.winner_rest, winner_decide_at=campaign.winner_decide_at)


def _has_deliveries(session: Session, workspace_id: int, campaign_id: int) -> bool:
    return bool(session.scalar(select(exists().where(Delivery.workspace_id == workspace_id,
                                                     Delivery.campaign_id == campaign_id))))


def schedule_campaign(session: Session, *, workspace_id: int, campaign_id: int, actor: str, at: datetime,
                      now: datetime | None = None) -> Campaign:
    """Launch the campaign at `at` (in the future); a scheduled campaign just moves to the new time."""
    at = as_utc(at)
    if at <= (now or utcnow()):
        raise InvalidInput("The start time must be in the future.",
                           errors=[{"field": "at", "message": "must be in the future"}])
    campaign = get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    previous = campaign.scheduled_at
    if campaign.status != CampaignStatus.SCHEDULED:
        campaign = transition(session, workspace_id=workspace_id, campaign_id=campaign_id,
                              to=CampaignStatus.SCHEDULED, actor=actor)
    campaign.scheduled_at = at
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.scheduled", entity_type="campaign",
                 entity_id=campaign_id, details={"at": at.isoformat(),
                                                 "previous": previous.isoformat() if previous else None})
    return campaign


def pause_campaign(session: Session, *, workspace_id: int, campaign_id: int, actor: str) -> Campaign:
    """Stop sending; messages already handed to a channel are not called back, the rest wait for resume."""
    return transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=CampaignStatus.PAUSED,
                      actor=actor)


def resume_campaign(session: Session, *, workspace_id: int, campaign_id: int, actor: str) -> Campaign:
    """Carry on sending a paused campaign where it stopped."""
    return transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=CampaignStatus.RUNNING,
                      actor=actor)


def cancel_campaign(session: Session, *, workspace_id: int, campaign_id: int, actor: str,
                    now: datetime | None = None) -> Campaign:
    """Stop for good: every delivery not yet handed to a worker is cancelled, the rest finish their sub-chunk."""
    now = now or utcnow()
    campaign = transition(session, workspace_id=workspace_id, campaign_id=campaign_id, to=CampaignStatus.CANCELLED,
                          actor=actor)
    cancelled = cancel_pending(session, workspace_id=workspace_id, campaign_id=campaign_id, now=now)
    audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign.cancelled", entity_type="campaign",
                 entity_id=campaign_id, details={"deliveries_cancelled": cancelled})
    return campaign


def cancel_pending(session: Session, *, workspace_id: int, campaign_id: int, now: datetime,
                   batch_id: int | None = None) -> int:
    """Cancel the pending deliveries and the unclaimed batches of a campaign (or of one of its batches)."""
    deliveries = update(Delivery).where(Delivery.workspace_id == workspace_id, Delivery.campaign_id == campaign_id,
                                        Delivery.status == DeliveryStatus.PENDING)
    batches = update(DeliveryBatch).where(DeliveryBatch.workspace_id == workspace_id,
                                          DeliveryBatch.campaign_id == campaign_id,
                                          DeliveryBatch.status.in_((BatchStatus.PENDING, BatchStatus.QUEUED)))
    if batch_id is not None:
        deliveries = deliveries.where(Delivery.batch_id == batch_id)
        batches = update(DeliveryBatch).where(DeliveryBatch.workspace_id == workspace_id,
                                              DeliveryBatch.id == batch_id)
    result = session.execute(deliveries.values(status=DeliveryStatus.CANCELLED, reason=DeliveryReason.CAMPAIGN_CANCELLED,
                                               not_before=None).execution_options(synchronize_session=False))
    session.execute(batches.values(status=BatchStatus.CANCELLED, finished_at=now, lease_owner=None,
                                   lease_expires_at=None).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def winner_settled() -> ColumnElement[bool]:
    """True for a campaign without an automatic winner or whose winner is decided: nothing more to materialise."""
    return or_(Campaign.winner_metric.is_(None), Campaign.winner_decided_at.is_not(None))


def complete_if_done(session: Session, *, workspace_id: int, campaign_id: int, now: datetime) -> bool:
    """Mark a running campaign completed when none of its batches is left open and no winner is still to be
    decided; True if this call did."""
    open_batch = exists().where(DeliveryBatch.workspace_id == workspace_id, DeliveryBatch.campaign_id == campaign_id,
                                DeliveryBatch.status.in_(OPEN_BATCH))
    result = session.execute(
        update(Campaign)
        .where(Campaign.workspace_id == workspace_id, Campaign.id == campaign_id,
               Campaign.status == CampaignStatus.RUNNING, ~open_batch, winner_settled())
        .values(status=CampaignStatus.COMPLETED, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    audit.record(session, workspace_id=workspace_id, actor=ENGINE_ACTOR, action=STATUS_CHANGED,
                 entity_type="campaign", entity_id=campaign_id,
                 details={"from": CampaignStatus.RUNNING.value, "to": CampaignStatus.COMPLETED.value})
    return True
