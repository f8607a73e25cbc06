"""A batch's lease: claim, renew, release and finish, each a conditional UPDATE; and settling lost sends.

A batch moves PENDING → QUEUED (dispatch) → RUNNING (claimed by one owner until its lease expires)
→ DONE, or back to PENDING (deferred deliveries, a pause, a stopping worker, the sweeper), or
CANCELLED. Every write that belongs to the lease holder is conditional on `lease_owner`, so a worker
that lost its lease can change nothing. Deliveries go PENDING → SENDING (picked for a sub-chunk) →
SENT | FAILED | SKIPPED | PENDING (retry, quiet hours) | CANCELLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from kempen.models import (
    BatchStatus,
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryBatch,
    DeliveryReason,
    DeliveryStatus,
)

_batches: Any = DeliveryBatch.__table__
_deliveries: Any = Delivery.__table__
RECOVERED = "recovered from journal"


@dataclass(frozen=True, slots=True)
class Claim:
    batch_id: int
    workspace_id: int
    campaign_id: int
    message_id: int
    owner: str


def _due(now: datetime) -> Any:
    return or_(_deliveries.c.not_before.is_(None), _deliveries.c.not_before <= now)


def claim_batch(session: Session, *, batch_id: int, owner: str, now: datetime, lease_seconds: float) -> Claim | None:
    """Take a pending or queued batch for `owner`; None when someone else has it or it is finished."""
    row = session.execute(
        update(_batches)
        .where(_batches.c.id == batch_id, _batches.c.status.in_((BatchStatus.PENDING, BatchStatus.QUEUED)))
        .values(status=BatchStatus.RUNNING, lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=_batches.c.attempts + 1)
        .returning(_batches.c.workspace_id, _batches.c.campaign_id, _batches.c.message_id)).first()
    if row is None:
        return None
    return Claim(batch_id, row.workspace_id, row.campaign_id, row.message_id, owner)


def renew_lease(session: Session, claim: Claim, *, now: datetime, lease_seconds: float) -> bool:
    """Extend the lease; False if it is no longer ours (the sweeper settled the batch: stop at once)."""
    result = session.execute(
        update(_batches)
        .where(_batches.c.id == claim.batch_id, _batches.c.lease_owner == claim.owner,
               _batches.c.status == BatchStatus.RUNNING)
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds)))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def campaign_status(session: Session, claim: Claim) -> CampaignStatus | None:
    return session.scalar(select(Campaign.status).where(Campaign.workspace_id == claim.workspace_id,
                                                        Campaign.id == claim.campaign_id))


def take_subchunk(session: Session, claim: Claim, *, now: datetime, limit: int) -> list[int]:
    """Mark up to `limit` due pending deliveries of the batch SENDING (one more attempt); return their ids."""
    # Two statements rather than UPDATE … WHERE id IN (SELECT … LIMIT): right after a launch the planner's
    # statistics are stale and it once chose a nested loop over the whole campaign (100 ms instead of 1).
    due = list(session.scalars(
        select(_deliveries.c.id)
        .where(_deliveries.c.batch_id == claim.batch_id, _deliveries.c.status == DeliveryStatus.PENDING, _due(now))
        .order_by(_deliveries.c.id).limit(limit)))
    if not due:
        return []
    rows = session.execute(
        update(_deliveries)
        .where(_deliveries.c.workspace_id == claim.workspace_id, _deliveries.c.id.in_(due),
               _deliveries.c.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SENDING, attempts=_deliveries.c.attempts + 1, last_attempt_at=now)
        .returning(_deliveries.c.id))
    return sorted(rows.scalars())


def _pending_state(session: Session, batch_id: int) -> tuple[int, datetime | None, bool]:
    """(pending count, earliest not_before when all are deferred else None, any still SENDING)."""
    counts: dict[Any, int] = dict(session.execute(
        select(_deliveries.c.status, func.count())
        .where(_deliveries.c.batch_id == batch_id,
               _deliveries.c.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)))
        .group_by(_deliveries.c.status)).all())
    pending = counts.get(DeliveryStatus.PENDING, 0)
    earliest = None
    if pending:
        undated = session.scalar(select(func.count()).where(
            _deliveries.c.batch_id == batch_id, _deliveries.c.status == DeliveryStatus.PENDING,
            _deliveries.c.not_before.is_(None)))
        if not undated:
            earliest = session.scalar(select(func.min(_deliveries.c.not_before)).where(
                _deliveries.c.batch_id == batch_id, _deliveries.c.status == DeliveryStatus.PENDING))
    return pending, earliest, bool(counts.get(DeliveryStatus.SENDING, 0))


def release_batch(session: Session, *, batch_id: int, owner: str | None, now: datetime) -> BatchStatus | None:
    """Give up a batch: DONE when nothing is left, else PENDING (not before its earliest deferred delivery).

    With `owner`, only if that owner still holds the lease; returns the new status, or None if not ours.
    """
    pending, earliest, sending = _pending_state(session, batch_id)
    values: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}
    if pending or sending:
        values.update(status=BatchStatus.PENDING, not_before=earliest)
    else:
        values.update(status=BatchStatus.DONE, finished_at=now, not_before=None)
    stmt = update(_batches).where(_batches.c.id == batch_id)
    if owner is not None:
        stmt = stmt.where(_batches.c.lease_owner == owner, _batches.c.status == BatchStatus.RUNNING)
    result = session.execute(stmt.values(**values))
    return values["status"] if result.rowcount else None  # type: ignore[attr-defined]


_SETTLE_LOST = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("b_id"), _deliveries.c.status == DeliveryStatus.SENDING)
    .values(status=bindparam("b_status"), reason=bindparam("b_reason"), detail=bindparam("b_detail"),
            sent_at=bindparam("b_sent_at"), attempts=_deliveries.c.attempts + bindparam("b_attempts"))
)


def settle_sending(session: Session, *, batch_id: int, journal: dict[int, int] | None, now: datetime,
                   unknown: bool = False) -> dict[str, int]:
    """Settle the SENDING deliveries of a batch whose worker is gone, using its journal when there is one.

    Journaled at their current attempt: handed to the channel → SENT. The others were never handed
    over → PENDING again (the attempt is given back), unless `unknown`: without the journal of a
    worker on another host nothing can be known, and resending could duplicate → FAILED outcome_unknown.
    """
    journal = journal or {}
    rows = session.execute(select(_deliveries.c.id, _deliveries.c.attempts).where(
        _deliveries.c.batch_id == batch_id, _deliveries.c.status == DeliveryStatus.SENDING)).all()
    updates: list[dict[str, Any]] = []
    counts = {"sent": 0, "pending": 0, "unknown": 0}
    for delivery_id, attempts in rows:
        if journal.get(delivery_id) == attempts:
            updates.append({"b_id": delivery_id, "b_status": DeliveryStatus.SENT, "b_reason": None,
                            "b_detail": RECOVERED, "b_sent_at": now, "b_attempts": 0})
            counts["sent"] += 1
        elif unknown:
            updates.append({"b_id": delivery_id, "b_status": DeliveryStatus.FAILED,
                            "b_reason": DeliveryReason.OUTCOME_UNKNOWN, "b_sent_at": None, "b_attempts": 0,
                            "b_detail": "the worker was lost while sending and its journal is not readable here"})
            counts["unknown"] += 1
        else:
            updates.append({"b_id": delivery_id, "b_status": DeliveryStatus.PENDING, "b_reason": None,
                            "b_detail": None, "b_sent_at": None, "b_attempts": -1})
            counts["pending"] += 1
    if updates:
        session.execute(_SETTLE_LOST, updates)
    return counts


def expire_lease_condition(now: datetime) -> Any:
    """Running batches whose lease ran out."""
    return and_(_batches.c.status == BatchStatus.RUNNING, _batches.c.lease_expires_at < now)
