"""Consent per contact and channel: the latest word of the person, with its source and time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts.schemas import RowError, normalise_email
from kempen.contacts.service import describe_validation_error, get_contact_or_raise
from kempen.crm import schemas
from kempen.crm.common import existing_contact_ids
from kempen.kit.clock import as_utc, utcnow
from kempen.kit.sql import chunked
from kempen.models import Channel, Consent, ConsentStatus, Contact

# Clocks drift; a consent stamped slightly ahead of ours is still accepted.
_FUTURE_SLACK = timedelta(minutes=5)


def list_consents(session: Session, *, workspace_id: int, contact_id: int) -> list[Consent]:
    """Return a contact's consents by channel."""
    get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    stmt = select(Consent).where(Consent.workspace_id == workspace_id, Consent.contact_id == contact_id)
    return list(session.scalars(stmt.order_by(Consent.channel)))


def _record_change(session: Session, *, workspace_id: int, actor: str, consent: Consent,
                   previous: ConsentStatus | None) -> None:
    audit.record(session, workspace_id=workspace_id, actor=actor, action="consent.changed",
                 entity_type="contact", entity_id=consent.contact_id,
                 details={"channel": consent.channel.value, "status": consent.status.value,
                          "previous": previous.value if previous else None, "source": consent.source,
                          "recorded_at": consent.recorded_at.isoformat()})


def _write(session: Session, existing: Consent | None, *, workspace_id: int, contact_id: int, channel: Channel,
           status: ConsentStatus, source: str, recorded_at: datetime) -> Consent:
    if existing is None:
        existing = Consent(workspace_id=workspace_id, contact_id=contact_id, channel=channel)
        session.add(existing)
    existing.status, existing.source, existing.recorded_at = status, source, recorded_at
    return existing


def set_consent(
    session: Session, *, workspace_id: int, actor: str, contact_id: int, channel: Channel,
    status: ConsentStatus, source: str = "", recorded_at: datetime | None = None,
) -> Consent:
    """Record a contact's consent on a channel (now, unless told when) and audit it."""
    get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    existing = session.get(Consent, (contact_id, channel))
    previous = existing.status if existing is not None else None
    consent = _write(session, existing, workspace_id=workspace_id, contact_id=contact_id, channel=channel,
                     status=status, source=source, recorded_at=recorded_at or utcnow())
    session.flush()
    _record_change(session, workspace_id=workspace_id, actor=actor, consent=consent, previous=previous)
    return consent


def apply_consent_batch(
    session: Session, *, workspace_id: int, actor: str, records: list[dict[str, Any]]
) -> schemas.ConsentBatchResult:
    """Record up to 10,000 consents; bad rows are refused one by one, older news never overwrites newer."""
    parsed, errors = _parse(session, workspace_id, records)
    loaded = _load_existing(session, workspace_id, {cid for _, cid, _ in parsed})
    applied = stale = 0
    for _index, contact_id, record in parsed:
        key = (contact_id, record.channel)
        existing = loaded.get(key)
        recorded_at = as_utc(record.recorded_at) if record.recorded_at else utcnow()
        if existing is not None and existing.recorded_at > recorded_at:
            stale += 1
            continue
        previous = existing.status if existing is not None else None
        loaded[key] = _write(session, existing, workspace_id=workspace_id, contact_id=contact_id,
                             channel=record.channel, status=record.status, source=record.source,
                             recorded_at=recorded_at)
        _record_change(session, workspace_id=workspace_id, actor=actor, consent=loaded[key], previous=previous)
        applied += 1
    session.flush()
    return schemas.ConsentBatchResult(applied=applied, stale=stale, rejected=len(errors), errors=errors)


def _parse(session: Session, workspace_id: int,
           records: list[dict[str, Any]]) -> tuple[list[tuple[int, int, schemas.ConsentRecord]], list[RowError]]:
    """Validate rows and resolve their contacts; return (index, contact id, row) triples and refusals."""
    valid: list[tuple[int, schemas.ConsentRecord]] = []
    errors: list[RowError] = []
    limit = utcnow() + _FUTURE_SLACK
    for index, raw in enumerate(records):
        try:
            record = schemas.ConsentRecord.model_validate(raw)
            if record.contact_email is not None:
                record.contact_email = normalise_email(record.contact_email)
            if record.recorded_at is not None and as_utc(record.recorded_at) > limit:
                raise ValueError("recorded_at is in the future")
        except ValidationError as exc:
            errors.append(RowError(index=index, reason=describe_validation_error(exc)))
            continue
        except ValueError as exc:
            errors.append(RowError(index=index, reason=str(exc)))
            continue
        valid.append((index, record))
    by_email = _ids_by_email(session, workspace_id, {r.contact_email for _, r in valid if r.contact_email})
    known = existing_contact_ids(session, workspace_id=workspace_id,
                                 ids=[r.contact_id for _, r in valid if r.contact_id is not None])
    resolved = []
    for index, record in valid:
        contact_id = record.contact_id if record.contact_id in known else by_email.get(record.contact_email or "")
        if contact_id is None:
            reference = record.contact_id if record.contact_id is not None else record.contact_email
            errors.append(RowError(index=index, reason=f"no contact {reference} in this workspace"))
            continue
        resolved.append((index, contact_id, record))
    return resolved, sorted(errors, key=lambda e: e.index)


def _ids_by_email(session: Session, workspace_id: int, emails: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunked(sorted(emails)):
        stmt = select(Contact.email_normalized, Contact.id).where(
            Contact.workspace_id == workspace_id, Contact.email_normalized.in_(chunk))
        found.update({email: cid for email, cid in session.execute(stmt) if email})
    return found


def _load_existing(session: Session, workspace_id: int, contact_ids: set[int]) -> dict[tuple[int, Channel], Consent]:
    loaded: dict[tuple[int, Channel], Consent] = {}
    for chunk in chunked(sorted(contact_ids)):
        stmt = select(Consent).where(Consent.workspace_id == workspace_id, Consent.contact_id.in_(chunk))
        loaded.update({(c.contact_id, c.channel): c for c in session.scalars(stmt)})
    return loaded
