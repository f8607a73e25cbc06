"""The sweeper's recovery cases, with synthetic lease owners and journal files."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kempen.channels.base import AdapterStats, Outgoing, ResultCallback, SendJournal, SendResult
from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery import batches
from kempen.delivery.compose import AdapterCache
from kempen.delivery.control import cancel_campaign, launch_campaign
from kempen.delivery.journal import BatchJournal, journal_file
from kempen.delivery.owner import hostname, new_owner, retire_owner
from kempen.delivery.sweeper import sweep
from kempen.delivery.worker import process_batch
from kempen.kit.clock import utcnow
from kempen.models import (
    BatchStatus,
    Campaign,
    CampaignStatus,
    Channel,
    Delivery,
    DeliveryBatch,
    DeliveryReason,
    DeliveryStatus,
)
from tests.delivery.conftest import ACTOR, add_contacts, make_campaign, new_workspace, statuses

pytestmark = pytest.mark.usefixtures("parked", "journal_dir")


def dead_owner() -> str:
    """The owner string of a process of this host that has exited."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    return f"{hostname()}:{child.stdout.strip()}:1.dead"


def in_flight(session: Session, owner: str, *, count: int = 10) -> tuple[int, int, list[int]]:
    """A launched campaign whose one batch `owner` claimed and whose deliveries it marked SENDING."""
    ws = new_workspace(session)
    add_contacts(session, ws, count)
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    batch_id = session.scalars(select(DeliveryBatch.id).where(DeliveryBatch.campaign_id == built.campaign_id)).one()
    claim = batches.claim_batch(session, batch_id=batch_id, owner=owner, now=utcnow(), lease_seconds=60)
    assert claim is not None
    ids = batches.take_subchunk(session, claim, now=utcnow(), limit=100)
    session.commit()
    return built.campaign_id, batch_id, ids


def write_journal(owner: str, batch_id: int, entries: dict[int, int]) -> Path:
    journal = BatchJournal(journal_file(get_settings().journal_path, owner, batch_id))
    journal.arm(entries)
    for delivery_id in entries:
        journal.committing(delivery_id)
    journal.close()
    return journal.path


def expire(session: Session, batch_id: int, *, ago: timedelta = timedelta(seconds=1)) -> None:
    session.execute(update(DeliveryBatch).where(DeliveryBatch.id == batch_id)
                    .values(lease_expires_at=utcnow() - ago))
    session.commit()


def batch_of(session: Session, batch_id: int) -> DeliveryBatch:
    session.expire_all()
    batch = session.get(DeliveryBatch, batch_id)
    assert batch is not None
    return batch


def test_dead_worker_of_this_host_is_settled_from_its_journal(session: Session) -> None:
    owner = dead_owner()
    campaign_id, batch_id, ids = in_flight(session, owner)
    # Four were handed over on this attempt; one was journaled on an earlier attempt only.
    path = write_journal(owner, batch_id, {**{i: 1 for i in ids[:4]}, ids[4]: 0})
    report = sweep(get_session_factory())  # dead process: no need to wait for the lease
    assert report.recovered == [batch_id] and (report.from_journal, report.resend) == (4, 6)
    assert statuses(session, campaign_id) == Counter({(DeliveryStatus.SENT, None): 4, (DeliveryStatus.PENDING, None): 6})
    rows = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.campaign_id == campaign_id))}
    assert {rows[i].detail for i in ids[:4]} == {batches.RECOVERED}
    assert {rows[i].attempts for i in ids[4:]} == {0}  # not tried after all
    batch = batch_of(session, batch_id)
    assert batch.status == BatchStatus.PENDING and batch.lease_owner is None
    assert not path.exists()


def test_dead_worker_of_this_host_without_a_journal_had_handed_nothing_over(session: Session) -> None:
    owner = dead_owner()
    campaign_id, batch_id, _ = in_flight(session, owner)
    report = sweep(get_session_factory())
    assert report.recovered == [batch_id] and report.resend == 10
    assert statuses(session, campaign_id) == Counter({(DeliveryStatus.PENDING, None): 10})


def test_another_hosts_worker_waits_for_the_grace_period_then_is_settled_as_unknown(session: Session) -> None:
    owner = "far-away.example:4242:1.gone"
    campaign_id, batch_id, _ = in_flight(session, owner)
    report = sweep(get_session_factory())
    assert report.recovered == [] and batch_id in report.left_running  # its lease still runs
    expire(session, batch_id)
    assert sweep(get_session_factory()).recovered == []  # its host may still recover it from its journal
    grace = get_settings().orphan_grace_seconds
    report = sweep(get_session_factory(), now=utcnow() + timedelta(seconds=grace + 5))
    assert report.recovered == [batch_id] and report.unknown == 10
    assert statuses(session, campaign_id) == Counter({(DeliveryStatus.FAILED, DeliveryReason.OUTCOME_UNKNOWN): 10})
    assert batch_of(session, batch_id).status == BatchStatus.DONE
    session.expire_all()
    assert session.get(Campaign, campaign_id).status == CampaignStatus.COMPLETED  # type: ignore[union-attr]


def test_another_hosts_journal_in_a_shared_folder_is_used(session: Session) -> None:
    owner = "far-away.example:4242:1.shared"
    campaign_id, batch_id, ids = in_flight(session, owner)
    write_journal(owner, batch_id, {i: 1 for i in ids[:3]})
    expire(session, batch_id)
    report = sweep(get_session_factory())
    assert report.recovered == [batch_id] and report.from_journal == 3
    assert statuses(session, campaign_id) == Counter({(DeliveryStatus.SENT, None): 3, (DeliveryStatus.PENDING, None): 7})


def test_a_live_worker_is_left_alone_even_past_its_lease(session: Session) -> None:
    owner = new_owner()
    try:
        campaign_id, batch_id, _ = in_flight(session, owner)
        expire(session, batch_id)
        report = sweep(get_session_factory())
        assert report.recovered == [] and batch_id in report.left_running
        assert statuses(session, campaign_id) == Counter({(DeliveryStatus.SENDING, None): 10})
        # Hung for longer than the grace period: recovered like a dead one.
        expire(session, batch_id, ago=timedelta(seconds=get_settings().orphan_grace_seconds + 5))
        assert sweep(get_session_factory()).recovered == [batch_id]
    finally:
        retire_owner(owner)


def test_a_recovered_batch_of_a_cancelled_campaign_is_cancelled(session: Session) -> None:
    owner = dead_owner()
    campaign_id, batch_id, ids = in_flight(session, owner)
    ws = session.scalar(select(Campaign.workspace_id).where(Campaign.id == campaign_id))
    assert ws is not None
    cancel_campaign(session, workspace_id=ws, campaign_id=campaign_id, actor=ACTOR)
    session.commit()
    write_journal(owner, batch_id, {ids[0]: 1})
    sweep(get_session_factory())
    assert statuses(session, campaign_id) == Counter({
        (DeliveryStatus.SENT, None): 1, (DeliveryStatus.CANCELLED, DeliveryReason.CAMPAIGN_CANCELLED): 9})
    assert batch_of(session, batch_id).status == BatchStatus.CANCELLED


def test_a_batch_queued_too_long_goes_back_to_dispatch(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 1)
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    lease = get_settings().lease_seconds
    session.execute(update(DeliveryBatch).where(DeliveryBatch.campaign_id == built.campaign_id).values(
        status=BatchStatus.QUEUED, queued_at=utcnow() - timedelta(seconds=3 * lease)))
    session.commit()
    assert sweep(get_session_factory()).requeued >= 1
    assert session.scalar(select(DeliveryBatch.status).where(
        DeliveryBatch.campaign_id == built.campaign_id).execution_options(populate_existing=True)) == BatchStatus.PENDING


class BrokenAdapter:
    """An adapter that hands two messages over, then fails with a bug (only the engine's reaction is tested)."""

    channel = Channel.EMAIL
    stats = AdapterStats()

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_batch(self, messages: Sequence[Outgoing], *, journal: SendJournal, on_result: ResultCallback) -> None:
        for message in messages[:2]:
            journal.committing(message.delivery_id)
        on_result(SendResult(messages[0].delivery_id, ok=True, provider_id="<x@y>"))
        raise RuntimeError("bug in the adapter")


def test_a_worker_error_mid_send_settles_the_batch_from_its_journal(session: Session) -> None:
    ws = new_workspace(session)
    add_contacts(session, ws, 5)
    built = make_campaign(session, ws)
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    batch_id = session.scalars(select(DeliveryBatch.id).where(DeliveryBatch.campaign_id == built.campaign_id)).one()
    cache = AdapterCache()
    cache.adapters[Channel.EMAIL] = BrokenAdapter()  # type: ignore[assignment]
    owner = new_owner()
    with pytest.raises(RuntimeError):
        process_batch(batch_id, owner=owner, adapter_cache=cache)
    retire_owner(owner)
    # Both handed over count as sent (the one reported too), the three others are pending again.
    assert statuses(session, built.campaign_id) == Counter(
        {(DeliveryStatus.SENT, None): 2, (DeliveryStatus.PENDING, None): 3})
    assert batch_of(session, batch_id).status == BatchStatus.PENDING
    assert list(get_settings().journal_path.glob("*.journal")) == []
