"""Suppressions (addresses never to send to) and unsubscribing a contact from a channel."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts.schemas import normalise_email, normalise_phone
from kempen.contacts.service import get_contact_or_raise
from kempen.crm import schemas
from kempen.crm.consents import set_consent
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.kit.pagination import keyset_page
from kempen.kit.sql import chunked, insert_ignoring_conflicts
from kempen.models import Channel, ConsentStatus, Contact, Suppression, SuppressionReason


def normalise_address(channel: Channel, address: str) -> str:
    """Return the canonical form of an address on a channel, or raise ValueError."""
    if channel == Channel.EMAIL:
        return normalise_email(address)
    if channel == Channel.SMS:
        return normalise_phone(address)
    text = address.strip()
    if not text:
        raise ValueError("the address is empty")
    return text


def _lenient(channel: Channel, address: str) -> str:
    # Lookups must not fail on an odd address: an unparseable one simply matches nothing normalised.
    try:
        return normalise_address(channel, address)
    except ValueError:
        return address.strip().lower()


def contact_address(contact: Contact, channel: Channel) -> str | None:
    """The contact's address on a channel, if the contact record holds one (email and SMS only)."""
    if channel == Channel.EMAIL:
        return contact.email_normalized
    if channel == Channel.SMS:
        return contact.phone
    return None


def add_suppression(session: Session, *, workspace_id: int, actor: str,
                    data: schemas.SuppressionCreate) -> Suppression:
    """Suppress an address on a channel; 409 if it already is."""
    try:
        address = normalise_address(data.channel, data.address)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if is_suppressed(session, workspace_id=workspace_id, channel=data.channel, address=address):
        raise Conflict(f"{address} is already suppressed on {data.channel.value}.")
    row = Suppression(workspace_id=workspace_id, channel=data.channel, address=address, reason=data.reason,
                      note=data.note)
    session.add(row)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="suppression.created",
                 entity_type="suppression", entity_id=row.id,
                 details={"channel": data.channel.value, "address": address, "reason": data.reason.value})
    return row


def list_suppressions(
    session: Session, *, workspace_id: int, channel: Channel | None = None, address: str | None = None,
    cursor: str | None = None, limit: int = 50,
) -> tuple[list[Suppression], str | None]:
    """Return one page of suppressions, newest first, optionally for one channel or address."""
    stmt = select(Suppression).where(Suppression.workspace_id == workspace_id)
    if channel is not None:
        stmt = stmt.where(Suppression.channel == channel)
    if address:
        # Without a channel, match the address in whichever form (email, E.164 phone, ...) it parses.
        forms = {_lenient(c, address) for c in ([channel] if channel else list(Channel))}
        stmt = stmt.where(Suppression.address.in_(forms))
    return keyset_page(session, stmt, Suppression.id, cursor=cursor, limit=limit)


def delete_suppression(session: Session, *, workspace_id: int, actor: str, suppression_id: int) -> None:
    """Lift a suppression (the address may be sent to again, consent permitting)."""
    row = session.scalar(select(Suppression).where(Suppression.workspace_id == workspace_id,
                                                   Suppression.id == suppression_id))
    if row is None:
        raise NotFound(f"No suppression {suppression_id} in this workspace.")
    details = {"channel": row.channel.value, "address": row.address, "reason": row.reason.value}
    session.delete(row)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="suppression.deleted",
                 entity_type="suppression", entity_id=suppression_id, details=details)


def is_suppressed(session: Session, *, workspace_id: int, channel: Channel, address: str) -> bool:
    """Whether an address is suppressed on a channel in a workspace."""
    stmt = select(Suppression.id).where(Suppression.workspace_id == workspace_id, Suppression.channel == channel,
                                        Suppression.address == _lenient(channel, address))
    return session.scalar(stmt.limit(1)) is not None


def suppressed_addresses(
    session: Session, *, workspace_id: int, channel: Channel, addresses: Iterable[str]
) -> set[str]:
    """Return those of `addresses` (as given) that are suppressed on a channel, in a few queries."""
    by_normal: dict[str, list[str]] = {}
    for address in addresses:
        by_normal.setdefault(_lenient(channel, address), []).append(address)
    hits: set[str] = set()
    for chunk in chunked(sorted(by_normal)):
        stmt = select(Suppression.address).where(Suppression.workspace_id == workspace_id,
                                                 Suppression.channel == channel, Suppression.address.in_(chunk))
        for normal in session.scalars(stmt):
            hits.update(by_normal[normal])
    return hits


def unsubscribe_contact(session: Session, *, workspace_id: int, actor: str, contact_id: int,
                        channel: Channel = Channel.EMAIL, source: str = "api") -> schemas.UnsubscribeResult:
    """Mark a contact unsubscribed on a channel and suppress its address there, in the caller's transaction."""
    contact = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    set_consent(session, workspace_id=workspace_id, actor=actor, contact_id=contact_id, channel=channel,
                status=ConsentStatus.UNSUBSCRIBED, source=source)
    address = contact_address(contact, channel)
    if address is not None:
        # Idempotent: unsubscribing twice, or an address already suppressed for a bounce, is fine.
        insert_ignoring_conflicts(session, Suppression.__table__, [{
            "workspace_id": workspace_id, "channel": channel, "address": address,
            "reason": SuppressionReason.UNSUBSCRIBED, "note": f"contact {contact_id} unsubscribed ({source})",
        }])
    audit.record(session, workspace_id=workspace_id, actor=actor, action="contact.unsubscribed",
                 entity_type="contact", entity_id=contact_id,
                 details={"channel": channel.value, "address": address, "source": source})
    return schemas.UnsubscribeResult(channel=channel, status=ConsentStatus.UNSUBSCRIBED, suppressed_address=address)
