"""The worker: claim a batch, send its due deliveries sub-chunk by sub-chunk, record every outcome.

Per sub-chunk (at most `SUBCHUNK` deliveries, so a pause or a cancel takes effect within seconds):
renew the lease and read the campaign's status (one short transaction); mark the deliveries SENDING
and read every rule input (commit); send what the rules let through, journaling each message just
before it becomes irreversible; then record all outcomes in one executemany (commit). A kill at any
point leaves either PENDING rows (sent again later) or SENDING rows plus a journal that says which
of them were handed over (see `sweeper.py` and docs/delivery.md).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from kempen.channels.base import SendResult
from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery import batches
from kempen.delivery.batches import Claim
from kempen.delivery.compose import AdapterCache, MessagePlan, compose_email, load_plan
from kempen.delivery.control import cancel_pending, complete_if_done
from kempen.delivery.heartbeat import LeaseKeeper
from kempen.delivery.journal import BatchJournal, journal_file, read_journal
from kempen.delivery.recording import Settlement, Tally
from kempen.delivery.rules import apply_rules
from kempen.kit.clock import utcnow
from kempen.kit.errors import KempenError
from kempen.models import BatchStatus, CampaignStatus, Channel, DeliveryReason

logger = logging.getLogger("kempen.delivery.worker")
SUBCHUNK = 250
# Under an SMTP rate limit a sub-chunk takes about this long: pause and cancel bite within it, and the
# progress people watch (recorded per sub-chunk) moves at least this often.
_SUBCHUNK_SECONDS = 2.0


@dataclass
class BatchOutcome:
    batch_id: int
    claimed: bool
    status: BatchStatus | None = None
    tally: Tally = field(default_factory=Tally)


def subchunk_size() -> int:
    """Deliveries per sub-chunk: SUBCHUNK, fewer when the SMTP rate limit would make that take long."""
    settings = get_settings()
    if settings.smtp_rate_per_second <= 0:
        return SUBCHUNK
    processes = max(1, int(_env_int("KEMPEN_WORKER_PROCESSES", 1)))
    per_process = settings.smtp_rate_per_second / processes
    return max(1, min(SUBCHUNK, int(per_process * _SUBCHUNK_SECONDS)))


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class _BatchRun:
    """One claim of one batch by one worker thread."""

    def __init__(self, factory: sessionmaker[Session], claim: Claim, cache: AdapterCache,
                 should_stop: Callable[[], bool]) -> None:
        self.factory = factory
        self.claim = claim
        self.cache = cache
        self.should_stop = should_stop
        self.settings = get_settings()
        self.tally = Tally()
        self.journal = BatchJournal(journal_file(self.settings.journal_path, claim.owner, claim.batch_id))
        self.plan: MessagePlan | None = None

    def run(self) -> BatchStatus | None:
        with LeaseKeeper(self.factory, self.claim, lease_seconds=self.settings.lease_seconds) as keeper:
            while True:
                stop, status = self._next_step()
                if stop:
                    return status
                if not self._subchunk(keeper):
                    return self._finish()
                keeper.progress()

    def _next_step(self) -> tuple[bool, BatchStatus | None]:
        """Renew the lease and look at the campaign: (stop now?, the batch's status when stopping)."""
        now = utcnow()
        with self.factory() as session, session.begin():
            if not batches.renew_lease(session, self.claim, now=now, lease_seconds=self.settings.lease_seconds):
                logger.warning("lost the lease of batch %s; stopping without sending", self.claim.batch_id)
                self.journal.discard()  # every result of ours is committed; the file can tell nothing more
                return True, None
            status = batches.campaign_status(session, self.claim)
            if status == CampaignStatus.CANCELLED:
                cancel_pending(session, workspace_id=self.claim.workspace_id, campaign_id=self.claim.campaign_id,
                               now=now, batch_id=self.claim.batch_id)
                self.journal.discard()
                return True, BatchStatus.CANCELLED
            if status != CampaignStatus.RUNNING or self.should_stop():
                released = batches.release_batch(session, batch_id=self.claim.batch_id, owner=self.claim.owner,
                                                 now=now)
                self.journal.discard()
                return True, released
            if self.plan is None:
                self.plan = load_plan(session, workspace_id=self.claim.workspace_id,
                                      campaign_id=self.claim.campaign_id, message_id=self.claim.message_id)
        return False, None

    def _subchunk(self, keeper: LeaseKeeper) -> bool:
        """Send one sub-chunk; False when the batch has nothing due left."""
        assert self.plan is not None
        plan, now = self.plan, utcnow()
        with self.factory() as session, session.begin():
            ids = batches.take_subchunk(session, self.claim, now=now, limit=subchunk_size())
            if not ids:
                return False
            outcome = apply_rules(session, workspace_id=plan.workspace_id, delivery_ids=ids, rules=plan.rules, now=now)
        settlement = Settlement(now=now, max_attempts=self.settings.max_send_attempts)
        settlement.skipped(outcome.skipped)
        settlement.deferred(outcome.deferred)
        # Rendering reads contexts outside the write transaction: SQLite's writer lock is not held meanwhile.
        with self.factory() as session:
            composed = self._compose(session, outcome.sendable, settlement)
        results = self._send(composed, outcome.sendable, settlement, keeper)
        recipients = {r.delivery_id: r for r in outcome.sendable}
        for result in results:
            settlement.result(result, recipients[result.delivery_id])
        with self.factory() as session, session.begin():
            self.tally.add(settlement.write(session, workspace_id=plan.workspace_id, channel=plan.channel,
                                            campaign_id=plan.campaign_id))
        return True

    def _compose(self, session: Session, sendable: list[Any], settlement: Settlement) -> list[Any]:
        assert self.plan is not None
        if self.plan.channel != Channel.EMAIL:
            for recipient in sendable:
                settlement.failed(recipient.delivery_id, DeliveryReason.REJECTED,
                                  f"sending on {self.plan.channel.value} is not available yet", recipient.address)
            return []
        composed = compose_email(session, self.plan, sendable, self.cache)
        for delivery_id, detail in composed.render_errors:
            settlement.failed(delivery_id, DeliveryReason.RENDER_ERROR, detail)
        return composed.outgoing

    def _send(self, outgoing: list[Any], sendable: list[Any], settlement: Settlement,
              keeper: LeaseKeeper) -> list[SendResult]:
        if not outgoing:
            return []
        assert self.plan is not None
        results: list[SendResult] = []

        def on_result(result: SendResult) -> None:
            results.append(result)
            keeper.progress()

        self.journal.arm({r.delivery_id: r.attempts for r in sendable})
        try:
            adapter = self.cache.adapter(self.plan.channel)
            adapter.send_batch(outgoing, journal=self.journal, on_result=on_result)
        except KempenError as exc:  # no adapter for the channel: a setup problem, not a crash
            reported = {r.delivery_id for r in results}
            for message in outgoing:
                if message.delivery_id not in reported:
                    settlement.failed(message.delivery_id, DeliveryReason.REJECTED, exc.detail, message.address)
        return results

    def _finish(self) -> BatchStatus | None:
        now = utcnow()
        with self.factory() as session, session.begin():
            status = batches.release_batch(session, batch_id=self.claim.batch_id, owner=self.claim.owner, now=now)
            if status == BatchStatus.DONE:
                complete_if_done(session, workspace_id=self.claim.workspace_id, campaign_id=self.claim.campaign_id,
                                 now=now)
        self.journal.discard()
        return status

    def recover_after_error(self) -> None:
        """After an unexpected error: settle this claim's SENDING deliveries from the journal, release the batch."""
        now = utcnow()
        entries = read_journal(self.journal.path)
        with self.factory() as session, session.begin():
            batches.settle_sending(session, batch_id=self.claim.batch_id, journal=entries, now=now)
            batches.release_batch(session, batch_id=self.claim.batch_id, owner=self.claim.owner, now=now)
        self.journal.discard()


def process_batch(batch_id: int, *, owner: str, adapter_cache: AdapterCache,
                  factory: sessionmaker[Session] | None = None,
                  should_stop: Callable[[], bool] = lambda: False) -> BatchOutcome:
    """Claim a batch and send its due deliveries; return what happened (claimed=False: someone else has it)."""
    factory = factory or get_session_factory()
    settings = get_settings()
    with factory() as session, session.begin():
        claim = batches.claim_batch(session, batch_id=batch_id, owner=owner, now=utcnow(),
                                    lease_seconds=settings.lease_seconds)
    if claim is None:
        return BatchOutcome(batch_id, claimed=False)
    run = _BatchRun(factory, claim, adapter_cache, should_stop)
    try:
        status = run.run()
    except BaseException:
        logger.exception("batch %s failed; settling it from its journal", batch_id)
        try:
            run.recover_after_error()
        except Exception:  # the database may be what failed: the sweeper settles it later
            logger.exception("could not settle batch %s; the sweeper will", batch_id)
        raise
    return BatchOutcome(batch_id, claimed=True, status=status, tally=run.tally)
