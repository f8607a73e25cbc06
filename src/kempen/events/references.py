"""Resolve the contact an incoming order or event refers to, in one query per kind of reference.

A record names its contact by `contact_id`, `contact_external_id` or `contact_email`; when it
carries several, the first of that list wins. References are always resolved inside the caller's
workspace, so an id of another workspace is simply an unknown contact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from kempen.contacts.schemas import normalise_email
from kempen.kit.sql import chunked
from kempen.models import Contact

# A reference is ("id", 42), ("external_id", "C-1") or ("email", "mia@example.com").
Reference = tuple[str, Any]

_LABELS = {"id": "contact_id", "external_id": "contact_external_id", "email": "contact_email"}
_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "id": Contact.id, "external_id": Contact.external_id, "email": Contact.email_normalized,
}


def email_key(value: str) -> str:
    """Return the identity form of an email as stored in `Contact.email_normalized`."""
    value = value.strip()
    if value.isascii():
        # For ASCII addresses the validator's normal form is the lower-cased address; skipping it
        # keeps lookups cheap on the ingest hot path.
        return value.lower()
    try:
        return normalise_email(value)
    except ValueError:
        return value.lower()


def reference_of(record: Mapping[str, Any]) -> Reference | None:
    """Return the contact reference a validated record carries, or None if it has none."""
    contact_id = record.get("contact_id")
    if contact_id is not None:
        return ("id", contact_id)
    external_id = record.get("contact_external_id")
    if external_id:
        return ("external_id", external_id)
    email = record.get("contact_email")
    if email:
        return ("email", email_key(email))
    return None


def describe(reference: Reference) -> str:
    """Say, for a refused row, which contact could not be found."""
    return f"unknown contact: no contact with {_LABELS[reference[0]]} {reference[1]!r} in this workspace"


NO_REFERENCE = "a contact is needed: give contact_id, contact_external_id or contact_email"


def resolve_references(
    session: Session, *, workspace_id: int, references: Iterable[Reference | None]
) -> dict[Reference, int]:
    """Map each reference that names a contact of the workspace to that contact's id."""
    wanted: dict[str, set[Any]] = {"id": set(), "external_id": set(), "email": set()}
    for reference in references:
        if reference is not None:
            wanted[reference[0]].add(reference[1])
    found: dict[Reference, int] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    for kind, values in wanted.items():
        if not values:
            continue
        column = _COLUMNS[kind]
        for condition in _membership(column, sorted(values), postgres=postgres):
            stmt = select(Contact.id, column).where(Contact.workspace_id == workspace_id, condition)
            for contact_id, value in session.execute(stmt):
                found[(kind, value)] = contact_id
    return found


def _membership(column: InstrumentedAttribute[Any], values: list[Any], *, postgres: bool) -> list[ColumnElement[bool]]:
    if postgres:
        # One array parameter instead of thousands of bound values: one short statement to plan.
        item_type = BigInteger() if column is Contact.id else String()
        return [column == any_(bindparam(None, values, type_=ARRAY(item_type)))]
    return [column.in_(chunk) for chunk in chunked(values)]
