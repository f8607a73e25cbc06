"""Behavioural events: idempotent batch ingestion (the hot path) and the contact timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.contacts.schemas import RowError
from kempen.events import paging, references, schemas
from kempen.events.collector import collector_paused
from kempen.events.store import EventColumns, insert_events
from kempen.kit.clock import utcnow
from kempen.kit.errors import InvalidInput
from kempen.models import Event

MAX_PAGE = 500
_PROPERTIES_REFUSED = (f"properties: larger than {schemas.MAX_PROPERTIES_BYTES:,} bytes as JSON, "
                       "or holding a NUL character")


def ingest_json(session: Session, *, workspace_id: int, body: bytes) -> schemas.EventIngestResult:
    """Parse a raw `{"events": [...]}` body with orjson and ingest it (the HTTP fast path)."""
    with collector_paused():
        prepared = _prepare(session, workspace_id, _records_of(body))
    return _store(session, workspace_id, prepared)


def _records_of(body: bytes) -> list[Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"The body is not valid JSON: {exc}") from None
    records = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(records, list) or set(payload) != {"events"}:
        raise InvalidInput('The body must be a JSON object {"events": [...]}.')
    return records


def ingest_events(session: Session, *, workspace_id: int, records: list[Any]) -> schemas.EventIngestResult:
    """Store a batch of events; refuse bad rows individually and count re-sent idempotency keys once."""
    with collector_paused():
        prepared = _prepare(session, workspace_id, records)
    return _store(session, workspace_id, prepared)


@dataclass
class _Prepared:
    rows: EventColumns
    in_batch_duplicates: int
    errors: list[RowError]
    received_at: datetime


def _prepare(session: Session, workspace_id: int, records: list[Any]) -> _Prepared:
    """Validate the records and resolve their contacts: everything but the write."""
    if len(records) > schemas.MAX_BATCH:
        raise InvalidInput(f"A batch holds at most {schemas.MAX_BATCH:,} events; this one has {len(records):,}.",
                           errors=[{"location": "body.events", "message": "too many events"}])
    valid, errors = validate_events(records)
    refs = [references.reference_of(event) for _, event in valid]
    contacts = references.resolve_references(session, workspace_id=workspace_id, references=refs)
    now = utcnow()
    rows, in_batch_duplicates = _columns(valid, refs, contacts, errors, now)
    return _Prepared(rows, in_batch_duplicates, errors, now)


def _store(session: Session, workspace_id: int, prepared: _Prepared) -> schemas.EventIngestResult:
    rows, errors = prepared.rows, prepared.errors
    stored = insert_events(session, workspace_id=workspace_id, received_at=prepared.received_at, rows=rows)
    errors.sort(key=lambda e: e.index)
    return schemas.EventIngestResult(accepted=stored, duplicates=prepared.in_batch_duplicates + len(rows) - stored,
                                     rejected=len(errors), errors=errors)


def validate_events(records: list[Any]) -> tuple[list[tuple[int, schemas.EventIn]], list[RowError]]:
    """Validate every record in one pass; on failure, set the bad rows aside and validate the rest."""
    try:
        return list(enumerate(schemas.EVENTS.validate_python(records))), []
    except ValidationError as exc:
        reasons: dict[int, list[str]] = {}
        for error in exc.errors(include_url=False, include_input=False):
            index, *location = error["loc"]
            message = error["msg"].removeprefix("Value error, ")
            where = ".".join(str(p) for p in location)
            reasons.setdefault(int(index), []).append(f"{where}: {message}" if where else message)
    good = [i for i in range(len(records)) if i not in reasons]
    events = schemas.EVENTS.validate_python([records[i] for i in good])
    errors = [RowError(index=i, reason="; ".join(r)) for i, r in reasons.items()]
    return list(zip(good, events, strict=True)), errors


def _columns(
    valid: list[tuple[int, schemas.EventIn]], refs: list[references.Reference | None],
    contacts: dict[references.Reference, int], errors: list[RowError], now: datetime,
) -> tuple[EventColumns, int]:
    """Turn validated events into insert columns, refusing unknown contacts and repeated keys."""
    rows = EventColumns()
    seen_keys: set[str] = set()
    duplicates = 0
    for (index, event), ref in zip(valid, refs, strict=True):
        contact_id = contacts.get(ref) if ref is not None else None
        if contact_id is None:
            reason = references.describe(ref) if ref is not None else references.NO_REFERENCE
            errors.append(RowError(index=index, reason=reason))
            continue
        properties = orjson.dumps(event.get("properties") or {}).decode()
        if len(properties) > schemas.MAX_PROPERTIES_BYTES or "\\u0000" in properties:
            errors.append(RowError(index=index, reason=_PROPERTIES_REFUSED))
            continue
        key = event.get("idempotency_key")
        if key is not None:
            if key in seen_keys:
                duplicates += 1
                continue
            seen_keys.add(key)
        occurred = event.get("occurred_at") or now
        rows.contact_ids.append(contact_id)
        rows.names.append(event["name"])
        rows.occurred_at.append(occurred if occurred.tzinfo is not None else occurred.replace(tzinfo=UTC))
        rows.properties.append(properties)
        rows.sources.append(event.get("source"))
        rows.keys.append(key)
    return rows, duplicates


def list_events(
    session: Session, *, workspace_id: int, contact_id: int | None = None, name: str | None = None,
    cursor: str | None = None, limit: int = 50,
) -> tuple[Sequence[Event], str | None]:
    """Return one page of events, newest first, optionally for one contact and/or one event name."""
    limit = max(1, min(limit, MAX_PAGE))
    stmt = select(Event).where(Event.workspace_id == workspace_id)
    if contact_id is not None:
        stmt = stmt.where(Event.contact_id == contact_id)
    if name is not None:
        stmt = stmt.where(Event.name == name)
    stmt = paging.after_cursor(stmt, Event.occurred_at, Event.id, cursor)
    rows = list(session.scalars(stmt.order_by(Event.occurred_at.desc(), Event.id.desc()).limit(limit + 1)))
    return paging.page(rows, limit, lambda e: (e.occurred_at, e.id))
