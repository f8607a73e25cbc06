"""Merging two records of the same person into one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts.service import contact_payload, get_contact_or_raise
from kempen.kit.errors import InvalidInput
from kempen.kit.sql import insert_ignoring_conflicts
from kempen.models import Consent, Contact, ContactTag, Event, ListMembership, Order
from kempen.webhooks import service as webhooks

_FILLABLE = ("external_id", "email", "email_normalized", "phone", "first_name", "last_name", "country", "city",
             "time_zone", "language", "lead_source", "company_id")


def merge_contacts(session: Session, *, workspace_id: int, actor: str, survivor_id: int, loser_id: int) -> Contact:
    """Fold `loser` into `survivor` and delete it.

    Orders, events, tags, list memberships and consents move to the survivor; fields the survivor
    lacks are filled from the loser; the loser's full record is kept in the audit trail.
    """
    if survivor_id == loser_id:
        raise InvalidInput("A contact cannot be merged into itself.")
    survivor = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=survivor_id)
    loser = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=loser_id)
    snapshot = contact_payload(loser)
    moved = _move_history(session, workspace_id, survivor_id, loser_id)

    filled = {name: getattr(loser, name) for name in _FILLABLE
              if getattr(survivor, name) is None and getattr(loser, name) is not None}
    custom: dict[str, Any] = {**loser.custom_fields, **survivor.custom_fields}
    session.delete(loser)
    session.flush()  # frees the loser's unique keys before the survivor takes them
    for name, value in filled.items():
        setattr(survivor, name, value)
    survivor.custom_fields = custom
    session.flush()

    audit.record(session, workspace_id=workspace_id, actor=actor, action="contact.merged",
                 entity_type="contact", entity_id=survivor_id,
                 details={"loser": snapshot, "filled": sorted(filled), "moved": moved})
    webhooks.enqueue(session, workspace_id=workspace_id, event_type="contact.merged",
                     payloads=[{"survivor": contact_payload(survivor), "loser_id": loser_id}])
    return survivor


def _move_history(session: Session, workspace_id: int, survivor_id: int, loser_id: int) -> dict[str, int]:
    moved: dict[str, int] = {}
    for model in (Order, Event):
        result = session.execute(
            update(model).where(model.workspace_id == workspace_id, model.contact_id == loser_id)
            .values(contact_id=survivor_id).execution_options(synchronize_session=False)
        )
        moved[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]

    link_models: tuple[tuple[type[ContactTag] | type[ListMembership], str], ...] = (
        (ContactTag, "tag_id"), (ListMembership, "list_id"))
    for link, key in link_models:
        rows = session.execute(select(getattr(link, key)).where(
            link.workspace_id == workspace_id, link.contact_id == loser_id)).scalars().all()
        insert_ignoring_conflicts(session, link.__table__, [
            {"workspace_id": workspace_id, "contact_id": survivor_id, key: value} for value in rows])
        session.execute(delete(link).where(link.workspace_id == workspace_id, link.contact_id == loser_id))
        moved[link.__tablename__] = len(rows)

    # Per channel, the most recently recorded consent wins: it is the person's latest word.
    consents = session.scalars(select(Consent).where(
        Consent.workspace_id == workspace_id, Consent.contact_id.in_([survivor_id, loser_id]))).all()
    latest: dict[str, Consent] = {}
    for consent in consents:
        if consent.channel not in latest or consent.recorded_at > latest[consent.channel].recorded_at:
            latest[consent.channel] = consent
    session.execute(delete(Consent).where(Consent.workspace_id == workspace_id,
                                          Consent.contact_id.in_([survivor_id, loser_id])))
    for consent in latest.values():
        session.expunge(consent)
    session.add_all(Consent(workspace_id=workspace_id, contact_id=survivor_id, channel=c.channel, status=c.status,
                            source=c.source, recorded_at=c.recorded_at) for c in latest.values())
    moved["consents"] = len(latest)
    session.flush()
    return moved
