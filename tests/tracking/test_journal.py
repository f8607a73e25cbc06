"""Journal acknowledgement: answered once journalled, committed moments later, nothing lost to a crash or an outage.

On PostgreSQL events go through the event loop's journal writer (tracking/journal.py); on SQLite the same
calls commit before they return. Either way every event ends up stored exactly once.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.models import TouchKind, TrackingEvent
from kempen.tracking import journal
from kempen.tracking import recorder as recorder_module
from kempen.tracking.clicks import event_row
from kempen.tracking.copy_text import copy_line
from kempen.tracking.journal import SEGMENT_BYTES, SUFFIX, Segment
from kempen.tracking.links import EmailTracker, TrackedDelivery
from kempen.tracking.recorder import Recorder
from tests.conftest import Tenant
from tests.tracking.test_recorder import count, unreachable


def _journalled(spool: Path) -> list[Path]:
    return sorted(spool.glob(f"*{SUFFIX}")) if spool.is_dir() else []


def _clicks_then_drain(recorder: Recorder, delivery: TrackedDelivery, clicks: int, note: Callable[[], int]) -> int:
    """Record the clicks in one event loop, read `note` once all are answered, wait for the writes; the note."""
    noted: list[int] = []

    async def visit() -> None:
        for i in range(clicks):
            await recorder.record(event_row(TouchKind.CLICK, delivery, url=f"https://shop.example/{i}", link_index=0))
        noted.append(note())
        await recorder.drain()

    try:
        asyncio.run(visit())
    finally:
        recorder.close()
    return noted[0]


def test_events_are_answered_at_once_and_committed_moments_later(db: Engine, session: Session, tenant: Tenant,
                                                                 delivery: TrackedDelivery, tmp_path: Path) -> None:
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", ack="journal")
    seen_after_answer = _clicks_then_drain(recorder, delivery, 40, lambda: count(session, tenant))
    if db.dialect.name == "postgresql":
        assert seen_after_answer == 0  # answered before the commit: the loop had not yet run its writers
    else:
        assert seen_after_answer == 40  # SQLite commits before answering
    assert count(session, tenant) == 40
    assert _journalled(tmp_path / "spool") == []  # committed segments are deleted


def test_a_dead_process_journal_is_replayed_by_the_next_recorder(db: Engine, session: Session, tenant: Tenant,
                                                                 delivery: TrackedDelivery, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    lines = [copy_line(event_row(TouchKind.OPEN, delivery, user_agent=f"agent\t{i}")) for i in range(5)]
    # A process killed in the middle of its last write: a line cut short, which is left out.
    (spool / f"journal-999999-1-0{SUFFIX}").write_text("".join(lines) + lines[0][:20])
    for _ in range(2):  # the first recorder replays it, the second finds nothing left
        Recorder(engine=db, spool_dir=spool).close()
    assert count(session, tenant) == 5
    session.expire_all()
    agents = session.scalars(select(TrackingEvent.user_agent).where(TrackingEvent.workspace_id == tenant.id))
    assert sorted(a or "" for a in agents) == [f"agent\t{i}" for i in range(5)]
    assert list(spool.iterdir()) == []


def test_a_dead_process_mapped_segment_is_replayed_up_to_its_last_whole_line(
        db: Engine, session: Session, tenant: Tenant, delivery: TrackedDelivery, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    segment = Segment(spool)
    lines = [copy_line(event_row(TouchKind.CLICK, delivery, url=f"https://shop.example/{i}", link_index=0)).encode()
             for i in range(3)]
    for line in lines:
        assert segment.append(line)
    segment.append(lines[0][:30])  # the copy the process was killed in
    # Killed: the mapping and the lock go with the process, the file stays at its reserved size, NULs after.
    segment.map.close()
    os.close(segment.fd)
    assert segment.path.stat().st_size == SEGMENT_BYTES
    Recorder(engine=db, spool_dir=spool).close()
    session.expire_all()
    urls = session.scalars(select(TrackingEvent.url).where(TrackingEvent.workspace_id == tenant.id))
    assert sorted(u or "" for u in urls) == [f"https://shop.example/{i}" for i in range(3)]
    assert _journalled(spool) == []


def test_a_group_larger_than_a_segment_goes_on_in_another(db: Engine, session: Session, tenant: Tenant,
                                                          delivery: TrackedDelivery, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "SEGMENT_BYTES", 300)  # two or three lines each
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", ack="journal")
    segments_seen = _clicks_then_drain(recorder, delivery, 30, lambda: len(_journalled(tmp_path / "spool")))
    if db.dialect.name == "postgresql":
        assert segments_seen >= 10  # 30 lines in segments of two or three, none written yet
    assert count(session, tenant) == 30
    assert _journalled(tmp_path / "spool") == []


def test_events_journalled_while_the_database_is_down_are_kept_and_replayed(
        db: Engine, session: Session, tenant: Tenant, delivery: TrackedDelivery, tmp_path: Path) -> None:
    bad = unreachable(db, tmp_path)
    spool = tmp_path / "spool"
    recorder = Recorder(engine=bad, spool_dir=spool, ack="journal")

    async def visit() -> None:
        for i in range(12):
            await recorder.record(event_row(TouchKind.CLICK, delivery, url=f"https://shop.example/{i}", link_index=0))
        await recorder.drain()

    try:
        asyncio.run(visit())
        assert not recorder.available and count(session, tenant) == 0
        if db.dialect.name == "postgresql":
            kept = _journalled(spool)
            assert kept and sum(len(p.read_text().splitlines()) for p in kept) == 12
    finally:
        recorder.close()
        bad.dispose()
    Recorder(engine=db, spool_dir=spool).close()  # the database is back
    assert count(session, tenant) == 12
    assert _journalled(spool) == []


def test_a_burst_found_before_the_write_flags_the_journalled_clicks(db: Engine, session: Session, tenant: Tenant,
                                                                    delivery: TrackedDelivery, tmp_path: Path) -> None:
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", ack="journal")

    async def visit() -> None:
        rows = [event_row(TouchKind.CLICK, delivery, url="https://shop.example/", link_index=0) for _ in range(3)]
        for row in rows:
            await recorder.record(row)
        recorder.reflag(delivery_id=delivery.delivery_id, since=rows[0]["occurred_at"], reason="burst")
        await recorder.drain()

    try:
        asyncio.run(visit())
    finally:
        recorder.close()
    session.expire_all()
    flags = session.execute(select(TrackingEvent.machine, TrackingEvent.machine_reason)
                            .where(TrackingEvent.workspace_id == tenant.id)).all()
    assert [tuple(f) for f in flags] == [(True, "burst")] * 3


def test_a_deleted_contacts_event_does_not_hold_back_the_others(db: Engine, session: Session, tenant: Tenant,
                                                                 delivery: TrackedDelivery, tmp_path: Path) -> None:
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", ack="journal")
    gone = delivery._replace(contact_id=10**12)

    async def visit() -> None:
        await recorder.record(event_row(TouchKind.OPEN, delivery))
        await recorder.record(event_row(TouchKind.OPEN, gone))
        await recorder.record(event_row(TouchKind.OPEN, delivery))
        await recorder.drain()

    try:
        asyncio.run(visit())
    finally:
        recorder.close()
    assert count(session, tenant) == 2
    assert _journalled(tmp_path / "spool") == []


def test_the_redirect_answers_and_the_click_is_stored(db: Engine, session: Session, tenant: Tenant,
                                                      delivery: TrackedDelivery, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    d = delivery
    track = EmailTracker(get_settings().base_url, workspace_id=d.workspace_id, delivery_id=d.delivery_id,
                         contact_id=d.contact_id, campaign_id=d.campaign_id, message_id=d.message_id,
                         variant_id=d.variant_id, issued_at=d.issued_at, opens=True)
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", ack="journal")
    monkeypatch.setattr(recorder_module, "_recorder", recorder)
    try:
        answers = [tenant.client.get(urlsplit(track.click(0)).path, follow_redirects=False).status_code
                   for _ in range(4)]
        assert answers == [302] * 4
        deadline = time.monotonic() + 15
        while count(session, tenant) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        recorder.close()
    assert count(session, tenant) == 4
