"""Dispatch: hand due batches of running campaigns to workers, and complete campaigns left with none.

A due PENDING batch becomes QUEUED in a committed transaction first, and only then is its id put on
the queue (the broker, or the in-process queue): a queue message never points at an uncommitted
row. The claim that follows is conditional, so a batch enqueued twice (after `requeue_stale`) is
still sent once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from kempen.delivery.control import OPEN_BATCH, complete_if_done, winner_settled
from kempen.kit.clock import utcnow
from kempen.models import BatchStatus, Campaign, CampaignStatus, DeliveryBatch

Enqueue = Callable[[Sequence[int]], None]
_batches: Any = DeliveryBatch.__table__


def queued_count(session: Session) -> int:
    """Batches queued and not yet claimed, across every workspace."""
    return int(session.scalar(select(func.count()).select_from(DeliveryBatch)
                              .where(DeliveryBatch.status == BatchStatus.QUEUED)) or 0)


def _due_batches(now: datetime, limit: int) -> Select[tuple[int]]:
    """Due pending batches of running campaigns, taking turns between campaigns (each one's oldest first).

    Round robin, not oldest first: a campaign launched a minute after a million-contact one must not
    wait for all of it; running campaigns share the workers.
    """
    turn = func.row_number().over(partition_by=DeliveryBatch.campaign_id, order_by=DeliveryBatch.id)
    due = (select(DeliveryBatch.id.label("id"), turn.label("turn"))
           .join(Campaign, (Campaign.id == DeliveryBatch.campaign_id)
                 & (Campaign.workspace_id == DeliveryBatch.workspace_id))
           .where(DeliveryBatch.status == BatchStatus.PENDING,
                  or_(DeliveryBatch.not_before.is_(None), DeliveryBatch.not_before <= now),
                  Campaign.status == CampaignStatus.RUNNING)
           .subquery("due"))
    return select(due.c.id).order_by(due.c.turn, due.c.id).limit(limit)


def queue_due_batches(factory: sessionmaker[Session], *, enqueue: Enqueue, limit: int,
                      now: datetime | None = None) -> list[int]:
    """Move up to `limit` due pending batches of running campaigns to QUEUED, commit, then enqueue them."""
    if limit <= 0:
        return []
    now = now or utcnow()
    with factory() as session, session.begin():
        ids = list(session.scalars(_due_batches(now, limit)))
        if not ids:
            return []
        queued = list(session.execute(
            update(_batches)
            .where(_batches.c.id.in_(ids),
                   _batches.c.status == BatchStatus.PENDING)
            .values(status=BatchStatus.QUEUED, queued_at=now)
            .returning(_batches.c.id)).scalars())
    queued.sort()
    if queued:
        enqueue(queued)
    return queued


def unqueue(factory: sessionmaker[Session], batch_ids: Sequence[int]) -> int:
    """Put batches that were queued but will not be claimed (a stopping in-process worker) back to PENDING."""
    if not batch_ids:
        return 0
    with factory() as session, session.begin():
        result = session.execute(
            update(_batches)
            .where(_batches.c.id.in_(list(batch_ids)),
                   _batches.c.status == BatchStatus.QUEUED)
            .values(status=BatchStatus.PENDING))
        return int(result.rowcount)  # type: ignore[attr-defined]


def complete_finished(factory: sessionmaker[Session], *, now: datetime | None = None) -> list[int]:
    """Complete running campaigns none of whose batches is open.

    Two workers finishing a campaign's last two batches at the same moment may each see the other's
    batch still open; this catches that (and a launch whose every contact was held out).
    """
    now = now or utcnow()
    with factory() as session:
        open_batch = exists().where(DeliveryBatch.campaign_id == Campaign.id, DeliveryBatch.status.in_(OPEN_BATCH))
        finished = session.execute(select(Campaign.workspace_id, Campaign.id).where(
            Campaign.status == CampaignStatus.RUNNING, ~open_batch, winner_settled()).limit(100)).all()
    done = []
    for workspace_id, campaign_id in finished:
        with factory() as session, session.begin():
            if complete_if_done(session, workspace_id=workspace_id, campaign_id=campaign_id, now=now):
                done.append(campaign_id)
    return done
