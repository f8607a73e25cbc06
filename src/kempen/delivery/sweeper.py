"""The sweeper: settle batches whose worker died, and re-queue batches whose queue message was lost.

Every worker host runs it every few seconds (and once at start, which recovers what a crash left).
A RUNNING batch is recovered when its owner is known to be gone: on this host, its process is no
longer running (pid plus start time, see `owner.py`), lease expired or not; on another host, its
lease expired. Three cases:

1. The owner's journal file is readable here (this host, or a journal folder shared between hosts):
   journaled SENDING deliveries were handed over → SENT ("recovered from journal"); the other
   SENDING ones were not → PENDING; the batch → PENDING (or DONE).
2. The owner ran on this host and left no file: it had handed nothing over → SENDING → PENDING.
3. The owner ran on another host and its journal is not visible: wait `orphan_grace_seconds` after
   the lease expired for that host to come back and recover it (case 1 there); then settle it
   without the journal: its SENDING deliveries → FAILED outcome_unknown (never resent: an unknown
   outcome must not become a duplicate) and the batch is released.

A worker on this host that is alive but has not renewed its lease for `orphan_grace_seconds` past
expiry is treated as hung and recovered as in case 1 or 2.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery import batches
from kempen.delivery.control import cancel_pending, complete_if_done
from kempen.delivery.journal import journal_file, read_journal
from kempen.delivery.owner import owner_alive
from kempen.kit.clock import utcnow
from kempen.models import BatchStatus, Campaign, CampaignStatus, DeliveryBatch

logger = logging.getLogger("kempen.delivery.sweeper")
_batches: Any = DeliveryBatch.__table__
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass
class SweepReport:
    recovered: list[int] = field(default_factory=list)
    from_journal: int = 0
    resend: int = 0
    unknown: int = 0
    left_running: list[int] = field(default_factory=list)
    requeued: int = 0


@dataclass(frozen=True)
class _Running:
    id: int
    workspace_id: int
    campaign_id: int
    owner: str
    expires: datetime


def _decide(batch: _Running, now: datetime, grace: timedelta) -> tuple[bool, bool, dict[int, int] | None]:
    """(recover now?, as unknown?, journal entries) for one running batch."""
    alive = owner_alive(batch.owner)
    expired = batch.expires < now
    entries = read_journal(journal_file(get_settings().journal_path, batch.owner, batch.id))
    if alive is True:
        hung = batch.expires + grace < now
        if hung:
            logger.warning("batch %s: owner %s is alive but has not renewed its lease; recovering it",
                           batch.id, batch.owner)
        return hung, False, entries
    if alive is False:
        return True, False, entries
    if not expired:
        return False, False, None
    if entries is not None:
        return True, False, entries
    return batch.expires + grace < now, True, None


def _recover(session: Session, batch: _Running, entries: dict[int, int] | None, unknown: bool,
             now: datetime, report: SweepReport) -> bool:
    taken = session.execute(
        update(_batches)
        .where(_batches.c.id == batch.id, _batches.c.status == BatchStatus.RUNNING,
               _batches.c.lease_owner == batch.owner)
        .values(lease_owner=None, lease_expires_at=None))
    if not taken.rowcount:  # type: ignore[attr-defined]
        return False  # another sweeper got there first, or the owner renewed meanwhile
    counts = batches.settle_sending(session, batch_id=batch.id, journal=entries, now=now, unknown=unknown)
    report.from_journal += counts["sent"]
    report.resend += counts["pending"]
    report.unknown += counts["unknown"]
    status = session.scalar(select(Campaign.status).where(Campaign.workspace_id == batch.workspace_id,
                                                          Campaign.id == batch.campaign_id))
    if status == CampaignStatus.CANCELLED:
        cancel_pending(session, workspace_id=batch.workspace_id, campaign_id=batch.campaign_id, now=now,
                       batch_id=batch.id)
        return True
    if batches.release_batch(session, batch_id=batch.id, owner=None, now=now) == BatchStatus.DONE:
        complete_if_done(session, workspace_id=batch.workspace_id, campaign_id=batch.campaign_id, now=now)
    return True


def _running(session: Session) -> list[_Running]:
    rows = session.execute(select(_batches.c.id, _batches.c.workspace_id, _batches.c.campaign_id,
                                  _batches.c.lease_owner, _batches.c.lease_expires_at)
                           .where(_batches.c.status == BatchStatus.RUNNING))
    return [_Running(r.id, r.workspace_id, r.campaign_id, r.lease_owner or "", r.lease_expires_at or _LONG_AGO)
            for r in rows]


def requeue_stale(session: Session, *, now: datetime, older_than: timedelta) -> int:
    """Batches queued long ago and never claimed (a lost broker message) go back to PENDING for dispatch."""
    result = session.execute(
        update(_batches)
        .where(_batches.c.status == BatchStatus.QUEUED, _batches.c.queued_at < now - older_than)
        .values(status=BatchStatus.PENDING))
    return int(result.rowcount)  # type: ignore[attr-defined]


def sweep(factory: sessionmaker[Session] | None = None, *, now: datetime | None = None) -> SweepReport:
    """Recover the batches of dead workers and re-queue lost queue messages; one transaction per batch."""
    factory = factory or get_session_factory()
    settings = get_settings()
    now = now or utcnow()
    grace = timedelta(seconds=settings.orphan_grace_seconds)
    report = SweepReport()
    with factory() as session:
        running = _running(session)
    for batch in running:
        recover, unknown, entries = _decide(batch, now, grace)
        if not recover:
            report.left_running.append(batch.id)
            continue
        with factory() as session, session.begin():
            done = _recover(session, batch, entries, unknown, now, report)
        if done:
            report.recovered.append(batch.id)
            journal_file(settings.journal_path, batch.owner, batch.id).unlink(missing_ok=True)
            logger.info("recovered batch %s of %s", batch.id, batch.owner)
    with factory() as session, session.begin():
        report.requeued = requeue_stale(session, now=now, older_than=timedelta(seconds=2 * settings.lease_seconds))
    return report
