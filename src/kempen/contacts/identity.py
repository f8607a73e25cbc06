"""Identity matching: external id first, then normalised email, then phone.

A record matches the contact found by the first key it carries that is known. If its other keys
belong to a *different* contact, the record is refused rather than silently moving an email or
external id from one person to another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kempen.kit.sql import chunked
from kempen.models import Contact


class IdentityConflict(ValueError):
    """The record's keys point at two different contacts."""


@dataclass(frozen=True)
class IdentityKeys:
    external_id: str | None
    email_normalized: str | None
    phone: str | None


@dataclass
class IdentityIndex:
    """Contacts known so far by each key; new contacts of a batch are registered as they are made."""

    by_external_id: dict[str, Contact] = field(default_factory=dict)
    by_email: dict[str, Contact] = field(default_factory=dict)
    # Phones are shared, so each maps to every holder, oldest first; the oldest is the match.
    by_phone: dict[str, list[Contact]] = field(default_factory=dict)

    _keys_of: dict[int, tuple[str | None, str | None, str | None]] = field(default_factory=dict)
    _creation_order: dict[int, int] = field(default_factory=dict)

    def register(self, contact: Contact) -> None:
        """Index a contact under its current keys, dropping keys it no longer holds."""
        if contact.id is None:
            self._creation_order.setdefault(id(contact), len(self._creation_order))
        previous = self._keys_of.get(id(contact))
        if previous is not None:
            old_external_id, old_email, old_phone = previous
            for index, key in ((self.by_external_id, old_external_id), (self.by_email, old_email)):
                if key is not None and index.get(key) is contact:
                    del index[key]
            holders = self.by_phone.get(old_phone or "", [])
            if contact in holders and old_phone != contact.phone:
                holders.remove(contact)
        if contact.external_id:
            self.by_external_id[contact.external_id] = contact
        if contact.email_normalized:
            self.by_email[contact.email_normalized] = contact
        if contact.phone:
            holders = self.by_phone.setdefault(contact.phone, [])
            if all(holder is not contact for holder in holders):
                holders.append(contact)
                holders.sort(key=self._age)
        self._keys_of[id(contact)] = (contact.external_id, contact.email_normalized, contact.phone)

    def _age(self, contact: Contact) -> tuple[int, int]:
        # Stored contacts by id, then this batch's new ones in creation order: the oldest holder wins.
        if contact.id is not None:
            return (0, contact.id)
        return (1, self._creation_order[id(contact)])

    def match(self, keys: IdentityKeys) -> Contact | None:
        """Return the contact these keys identify, or None for a new person."""
        if keys.external_id and (contact := self.by_external_id.get(keys.external_id)):
            owner = self.by_email.get(keys.email_normalized or "")
            if owner is not None and owner is not contact:
                raise IdentityConflict(f"email {keys.email_normalized} belongs to another contact")
            return contact
        if keys.email_normalized and (contact := self.by_email.get(keys.email_normalized)):
            if keys.external_id and contact.external_id and contact.external_id != keys.external_id:
                raise IdentityConflict(
                    f"email {keys.email_normalized} belongs to the contact with external id {contact.external_id}"
                )
            return contact
        # Phones are shared (households, switchboards): a phone match whose other keys differ is
        # another person, not a conflict.
        holders = self.by_phone.get(keys.phone or "")
        contact = holders[0] if holders else None
        if contact is not None and not _differs(keys.external_id, contact.external_id) and not _differs(
            keys.email_normalized, contact.email_normalized
        ):
            return contact
        return None


def _differs(incoming: str | None, existing: str | None) -> bool:
    return bool(incoming and existing and incoming != existing)


def load_identity_index(session: Session, *, workspace_id: int, keys: Sequence[IdentityKeys]) -> IdentityIndex:
    """Load, in a few set-based queries, every existing contact any of these keys could match."""
    index = IdentityIndex()
    external_ids = sorted({k.external_id for k in keys if k.external_id})
    emails = sorted({k.email_normalized for k in keys if k.email_normalized})
    phones = sorted({k.phone for k in keys if k.phone})
    for column, values in ((Contact.external_id, external_ids), (Contact.email_normalized, emails),
                           (Contact.phone, phones)):
        for chunk in chunked(values):
            stmt = select(Contact).where(Contact.workspace_id == workspace_id, column.in_(chunk)).order_by(Contact.id)
            for contact in session.scalars(stmt):
                index.register(contact)
    return index


def find_contact(session: Session, *, workspace_id: int, keys: IdentityKeys) -> Contact | None:
    """Return the contact that a single set of keys identifies, if any."""
    conditions = []
    if keys.external_id:
        conditions.append(Contact.external_id == keys.external_id)
    if keys.email_normalized:
        conditions.append(Contact.email_normalized == keys.email_normalized)
    if keys.phone:
        conditions.append(Contact.phone == keys.phone)
    if not conditions:
        return None
    stmt = select(Contact).where(Contact.workspace_id == workspace_id, or_(*conditions)).order_by(Contact.id)
    index = IdentityIndex()
    for contact in session.scalars(stmt):
        index.register(contact)
    return index.match(keys)
