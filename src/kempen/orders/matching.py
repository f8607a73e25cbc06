"""Find (or, when asked, create) the contact of each parsed order, in bulk and inside one workspace."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kempen.contacts import batch as contact_batch
from kempen.contacts.schemas import RowError
from kempen.events import references
from kempen.orders.schemas import OrderIn


def match_contacts(
    session: Session, *, workspace_id: int, actor: str, parsed: list[OrderIn | None], errors: list[RowError],
) -> list[int | None]:
    """Return the contact id of each parsed order; refuse rows (adding to `errors`) whose contact is unknown."""
    refs = [references.reference_of(o.model_dump(include=_REFERENCE_FIELDS)) if o else None for o in parsed]
    known = references.resolve_references(session, workspace_id=workspace_id, references=refs)
    contact_ids: list[int | None] = [known.get(r) if r is not None else None for r in refs]
    to_create = [i for i, o in enumerate(parsed) if o is not None and contact_ids[i] is None and o.create_contact]
    creating = set(to_create)
    if to_create:
        _create_contacts(session, workspace_id, actor, parsed, to_create, contact_ids, errors)
    for index, (order, ref) in enumerate(zip(parsed, refs, strict=True)):
        if order is not None and contact_ids[index] is None and index not in creating and ref is not None:
            errors.append(RowError(index=index, reason=references.describe(ref)))
    return contact_ids


_REFERENCE_FIELDS = {"contact_id", "contact_external_id", "contact_email"}


def _create_contacts(
    session: Session, workspace_id: int, actor: str, parsed: list[OrderIn | None], rows: list[int],
    contact_ids: list[int | None], errors: list[RowError],
) -> None:
    """Upsert the contacts of `rows` through the identity rules and fill in their ids."""
    records: list[dict[str, Any]] = []
    for index in rows:
        order = parsed[index]
        assert order is not None
        record = {"external_id": order.contact_external_id, "email": order.contact_email}
        records.append({k: v for k, v in record.items() if v})
    result = contact_batch.upsert_contacts(session, workspace_id=workspace_id, actor=actor, records=records)
    reasons = {e.index: e.reason for e in result.errors}
    for position, index in enumerate(rows):
        contact_ids[index] = result.ids[position]
        if result.ids[position] is None:
            errors.append(RowError(index=index, reason=f"contact: {reasons.get(position, 'could not be created')}"))
