"""The recorder with the database gone: events spooled to disk, the visitor redirected, replayed exactly once."""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kempen import db as kempen_db
from kempen.config import get_settings
from kempen.models import TouchKind, TrackingEvent
from kempen.tracking import recorder as recorder_module
from kempen.tracking.clicks import event_row
from kempen.tracking.links import EmailTracker, TrackedDelivery
from kempen.tracking.recorder import Recorder
from tests.conftest import Tenant


def unreachable(engine: Engine, tmp_path: Path) -> Engine:
    """An engine of the same kind whose database cannot be reached (nothing listens / no such folder)."""
    if engine.dialect.name == "postgresql":
        return kempen_db.make_engine(engine.url.set(port=1).render_as_string(hide_password=False),
                                     connect_args={"connect_timeout": 2})
    return kempen_db.make_engine(f"sqlite:///{tmp_path / 'missing' / 'folder' / 'kempen.db'}")


@pytest.fixture
def down(db: Engine, tmp_path: Path) -> Iterator[Recorder]:
    """A recorder whose database is down, spooling to its own folder."""
    bad = unreachable(db, tmp_path)
    recorder = Recorder(engine=bad, spool_dir=tmp_path / "spool")
    yield recorder
    recorder.close()
    bad.dispose()


def count(session: Session, tenant: Tenant) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(TrackingEvent)
                              .where(TrackingEvent.workspace_id == tenant.id)) or 0)


def test_events_are_spooled_while_the_database_is_down_and_replayed_once(
        db: Engine, session: Session, tenant: Tenant, delivery: TrackedDelivery, down: Recorder,
        tmp_path: Path) -> None:
    futures = [down.submit(event_row(TouchKind.CLICK, delivery, url=f"https://shop.example/{i}", link_index=0))
               for i in range(25)]
    for future in futures:
        future.result(timeout=30)  # answered although nothing reached the database
    assert not down.available and count(session, tenant) == 0
    down.close()
    spooled = list((tmp_path / "spool").glob("*.jsonl"))
    assert len(spooled) >= 1 and sum(len(p.read_text().splitlines()) for p in spooled) == 25
    # The database is back: a recorder starting up replays the spool, a second one finds nothing left.
    for _ in range(2):
        Recorder(engine=db, spool_dir=tmp_path / "spool").close()
    assert count(session, tenant) == 25
    assert list((tmp_path / "spool").iterdir()) == []
    urls = session.scalars(select(TrackingEvent.url).where(TrackingEvent.workspace_id == tenant.id))
    assert sorted(u or "" for u in urls) == sorted(f"https://shop.example/{i}" for i in range(25))


def test_a_file_still_being_written_is_not_replayed(db: Engine, session: Session, tenant: Tenant,
                                                    delivery: TrackedDelivery, down: Recorder,
                                                    tmp_path: Path) -> None:
    down.submit(event_row(TouchKind.OPEN, delivery)).result(timeout=30)
    Recorder(engine=db, spool_dir=tmp_path / "spool").close()  # `down` still holds its file open
    assert count(session, tenant) == 0
    down.engine = db  # the database comes back: the next write succeeds and releases the file
    down.submit(event_row(TouchKind.OPEN, delivery)).result(timeout=30)
    down.close()
    Recorder(engine=db, spool_dir=tmp_path / "spool").close()
    assert count(session, tenant) == 2


def test_the_redirect_works_while_the_database_is_down(db: Engine, session: Session, tenant: Tenant,
                                                      delivery: TrackedDelivery, down: Recorder,
                                                      monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    d = delivery
    track = EmailTracker(get_settings().base_url, workspace_id=d.workspace_id, delivery_id=d.delivery_id,
                         contact_id=d.contact_id, campaign_id=d.campaign_id, message_id=d.message_id,
                         variant_id=d.variant_id, issued_at=d.issued_at, opens=True)
    # Only the recorder's database is gone (the variant's links are read once, then cached in the process).
    monkeypatch.setattr(recorder_module, "_recorder", down)
    client = tenant.client
    first = client.get(urlsplit(track.click(0)).path, follow_redirects=False)
    assert first.status_code == 302
    answers = [client.get(urlsplit(track.click(0)).path, follow_redirects=False).status_code for _ in range(5)]
    assert answers == [302] * 5
    assert client.get(urlsplit(track.open_url).path).status_code == 200
    assert count(session, tenant) == 0
    down.close()
    Recorder(engine=db, spool_dir=tmp_path / "spool").close()
    assert count(session, tenant) == 7


def test_awkward_text_is_stored_as_given(db: Engine, session: Session, tenant: Tenant,
                                         delivery: TrackedDelivery) -> None:
    """Tabs, newlines, backslashes and quotes survive COPY's text format; NUL, which PostgreSQL text cannot hold, is dropped."""
    agent = 'Mozilla/5.0 (X11)\t"quoted"\\back\nslash\r\x00end ✓'
    url = "https://shop.example/a\\b?q=1\t2"
    recorder = Recorder(engine=db)
    try:
        recorder.submit(event_row(TouchKind.CLICK, delivery, url=url, link_index=0, user_agent=agent,
                                  ip="2001:db8::1")).result(timeout=10)
        recorder.submit(event_row(TouchKind.OPEN, delivery, machine="apple_mpp")).result(timeout=10)
    finally:
        recorder.close()
    session.expire_all()
    rows = session.scalars(select(TrackingEvent).where(TrackingEvent.workspace_id == tenant.id)
                           .order_by(TrackingEvent.id)).all()
    assert [(r.kind, r.url, r.link_index, r.machine, r.machine_reason, r.ip) for r in rows] == [
        (TouchKind.CLICK, url, 0, False, None, "2001:db8::1"), (TouchKind.OPEN, None, None, True, "apple_mpp", None)]
    expected_agent = agent if db.dialect.name == "sqlite" else agent.replace("\x00", "")
    assert rows[0].user_agent == expected_agent and rows[1].user_agent is None
    assert rows[0].occurred_at.tzinfo is not None and rows[0].delivery_id == delivery.delivery_id


def _stored_flags(session: Session, tenant: Tenant) -> list[tuple[bool, str | None]]:
    session.expire_all()
    return [(r.machine, r.machine_reason) for r in session.scalars(
        select(TrackingEvent).where(TrackingEvent.workspace_id == tenant.id).order_by(TrackingEvent.id))]


def test_a_reflag_covers_clicks_not_yet_written(db: Engine, session: Session, tenant: Tenant,
                                               delivery: TrackedDelivery, tmp_path: Path) -> None:
    """A burst found while the earlier click is still queued (or in another writer): it is flagged all the same."""
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", writers=0)  # groups written by hand below
    click = event_row(TouchKind.CLICK, delivery, link_index=0)
    recorder.reflag(delivery_id=delivery.delivery_id, since=click["occurred_at"], reason="links_clicked_together")
    later = event_row(TouchKind.CLICK, delivery._replace(delivery_id=6), link_index=0)
    recorder._write_group([(click, None), (later, None)])
    assert _stored_flags(session, tenant) == [(True, "links_clicked_together"), (False, None)]


def test_the_event_that_found_a_burst_is_answered_after_the_flag_on_earlier_clicks(
        db: Engine, session: Session, tenant: Tenant, delivery: TrackedDelivery, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Commit mode: once the second click is answered, the first is flagged too (not a moment later)."""

    class HandedOverAtOnce(queue.SimpleQueue):  # type: ignore[type-arg]
        """A queue whose every item a writer takes before the next is put: the worst interleaving."""

        def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
            super().put(item)
            deadline = time.monotonic() + 2
            while not self.empty() and time.monotonic() < deadline:
                time.sleep(0.001)

    monkeypatch.setattr(recorder_module.queue, "SimpleQueue", HandedOverAtOnce)
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", ack="commit", writers=2)
    store = recorder._store

    def slow_reflags(rows: list[dict[str, object]], reflags: list[object]) -> None:
        if reflags:  # the other writer commits the second click meanwhile, if it is not in this group
            time.sleep(0.3)
        store(rows, reflags)  # type: ignore[arg-type]

    monkeypatch.setattr(recorder, "_store", slow_reflags)
    first = event_row(TouchKind.CLICK, delivery, link_index=0)
    second = event_row(TouchKind.CLICK, delivery, link_index=1, machine="links_clicked_together")

    async def visit() -> list[tuple[bool, str | None]]:
        await recorder.record(first)
        recorder.reflag(delivery_id=delivery.delivery_id, since=first["occurred_at"], reason="links_clicked_together")
        await recorder.record(second)
        return _stored_flags(session, tenant)

    try:
        flags = asyncio.run(visit())
    finally:
        recorder.close()
    assert flags == [(True, "links_clicked_together")] * 2


def test_a_reflag_that_arrives_during_a_write_is_applied_after_it(db: Engine, session: Session, tenant: Tenant,
                                                                   delivery: TrackedDelivery, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder(engine=db, spool_dir=tmp_path / "spool", writers=0)
    click = event_row(TouchKind.CLICK, delivery, link_index=0)
    store = recorder._store

    def store_then_reflag(rows: list[dict[str, object]], reflags: list[object]) -> None:
        store(rows, reflags)  # type: ignore[arg-type]
        if rows:  # the other writer ran the reflag's UPDATE just before this group's commit
            monkeypatch.setattr(recorder, "_store", store)
            recorder.reflag(delivery_id=delivery.delivery_id, since=click["occurred_at"], reason="honeypot_link")

    monkeypatch.setattr(recorder, "_store", store_then_reflag)
    recorder._write_group([(click, None)])
    assert _stored_flags(session, tenant) == [(True, "honeypot_link")]
