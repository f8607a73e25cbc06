"""The events service: idempotent ingestion (also under concurrency), refused rows, timelines."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from kempen.contacts.batch import upsert_contacts
from kempen.events import service
from kempen.models import Event
from tests.conftest import Tenant


def _contacts(session: Session, workspace_id: int, n: int) -> list[int]:
    ids = upsert_contacts(session, workspace_id=workspace_id, actor="test",
                          records=[{"external_id": f"c{i}", "email": f"c{i}@example.com"} for i in range(n)]).ids
    session.commit()
    return [i for i in ids if i is not None]


def _stored(session: Session, workspace_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.workspace_id == workspace_id)) or 0


def test_a_key_sent_twice_is_stored_once(session: Session, tenant: Tenant) -> None:
    (contact,) = _contacts(session, tenant.id, 1)
    event = {"name": "page_view", "contact_id": contact, "idempotency_key": "k-1"}
    first = service.ingest_events(session, workspace_id=tenant.id, records=[event, dict(event), {**event,
                                                                                     "idempotency_key": "k-2"}])
    assert (first.accepted, first.duplicates, first.rejected) == (2, 1, 0)
    again = service.ingest_events(session, workspace_id=tenant.id, records=[event, {"name": "no_key",
                                                                                   "contact_id": contact}])
    assert (again.accepted, again.duplicates) == (1, 1)
    assert _stored(session, tenant.id) == 3


def test_bad_rows_are_refused_individually(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    (contact,) = _contacts(session, tenant.id, 1)
    (foreign,) = _contacts(session, other_tenant.id, 1)
    records: list[Any] = [
        {"name": "ok", "contact_external_id": "c0", "occurred_at": "2025-05-01T12:00:00", "properties": {"a": [1]}},
        {"name": "ok", "contact_email": " C0@Example.COM ", "source": "web"},
        {"name": "", "contact_id": contact},
        {"name": "x", "contact_id": contact, "occurred_at": "not a date"},
        {"name": "x", "contact_id": contact, "properties": [1, 2]},
        {"name": "x", "contact_id": foreign},
        {"name": "x", "contact_external_id": "ghost"},
        {"name": "x"},
        {"name": "x", "contact_id": contact, "colour": "red"},
        "not an object",
    ]
    result = service.ingest_events(session, workspace_id=tenant.id, records=records)
    assert (result.accepted, result.rejected) == (2, 8)
    reasons = {e.index: e.reason for e in result.errors}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "name" in reasons[2] and "occurred_at" in reasons[3] and "properties" in reasons[4]
    assert "unknown contact" in reasons[5] and "ghost" in reasons[6] and "contact" in reasons[7]
    assert "colour" in reasons[8]
    events, _ = service.list_events(session, workspace_id=tenant.id, contact_id=contact)
    assert len(events) == 2 and {e.source for e in events} == {None, "web"}
    stored = {e.occurred_at.isoformat() for e in events}
    assert "2025-05-01T12:00:00+00:00" in stored


def test_timeline_pages_newest_first_and_filters_by_name(session: Session, tenant: Tenant) -> None:
    contact, other = _contacts(session, tenant.id, 2)
    records = [{"name": "open" if i % 2 else "click", "contact_id": contact,
                "occurred_at": f"2025-01-{1 + i // 3:02d}T00:00:00Z"} for i in range(25)]
    records.append({"name": "open", "contact_id": other})
    assert service.ingest_events(session, workspace_id=tenant.id, records=records).accepted == 26
    seen, cursor = [], None
    while True:
        page, cursor = service.list_events(session, workspace_id=tenant.id, contact_id=contact, cursor=cursor, limit=4)
        seen += list(page)
        if cursor is None:
            break
    assert len(seen) == 25 and len({e.id for e in seen}) == 25
    assert [(e.occurred_at, e.id) for e in seen] == sorted(((e.occurred_at, e.id) for e in seen), reverse=True)
    opens, _ = service.list_events(session, workspace_id=tenant.id, name="open", limit=100)
    assert len(opens) == 13


def test_concurrent_batches_with_the_same_keys_store_each_key_once(db: Engine, tenant: Tenant,
                                                                    session: Session) -> None:
    contacts = _contacts(session, tenant.id, 10)
    batch = [{"name": "buy", "contact_id": contacts[i % 10], "idempotency_key": f"same-{i}"} for i in range(500)]
    factory = sessionmaker(bind=db)
    accepted: list[int] = []
    barrier = threading.Barrier(3)

    def send() -> None:
        with factory() as s:
            barrier.wait()
            result = service.ingest_events(s, workspace_id=tenant.id, records=batch)
            s.commit()
            accepted.append(result.accepted)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 3 and sum(accepted) == 500
    assert _stored(session, tenant.id) == 500


def test_awkward_text_round_trips_and_nul_is_refused(session: Session, tenant: Tenant) -> None:
    (contact,) = _contacts(session, tenant.id, 1)
    awkward = {"q": 'tab\there, new\nline, back\\slash, "quoted", ünïcødé 🎉', "nested": {"x": None, "y": [1.5]}}
    result = service.ingest_events(session, workspace_id=tenant.id, records=[
        {"name": "search\tterm ✓", "contact_id": contact, "properties": awkward, "idempotency_key": "ü-1"},
        {"name": "bad\x00name", "contact_id": contact},
        {"name": "bad", "contact_id": contact, "properties": {"v": "nul\x00inside"}},
        {"name": "bad", "contact_external_id": "c0\x00"},
    ])
    assert (result.accepted, result.rejected) == (1, 3), result.errors
    session.commit()
    (stored,) = service.list_events(session, workspace_id=tenant.id, contact_id=contact)[0]
    assert stored.name == "search\tterm ✓" and stored.properties == awkward and stored.idempotency_key == "ü-1"
