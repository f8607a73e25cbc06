"""Tags on contacts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.sql import chunked, insert_ignoring_conflicts
from kempen.models import ContactTag, Tag


def ensure_tags(session: Session, *, workspace_id: int, names: set[str]) -> dict[str, int]:
    """Return tag ids by name, creating the tags that do not exist yet."""
    if not names:
        return {}
    stmt = select(Tag.name, Tag.id).where(Tag.workspace_id == workspace_id, Tag.name.in_(names))
    found: dict[str, int] = {name: tag_id for name, tag_id in session.execute(stmt)}
    missing = names - found.keys()
    if missing:
        insert_ignoring_conflicts(session, Tag.__table__, [{"workspace_id": workspace_id, "name": n} for n in missing])
        found.update({name: tag_id for name, tag_id in session.execute(stmt)})
    return found


def tag_contacts(session: Session, *, workspace_id: int, names_by_contact: dict[int, list[str]]) -> None:
    """Add tags (by name) to contacts; tags they already have are left as they are."""
    all_names = {name for names in names_by_contact.values() for name in names}
    tag_ids = ensure_tags(session, workspace_id=workspace_id, names=all_names)
    rows = [
        {"workspace_id": workspace_id, "contact_id": contact_id, "tag_id": tag_ids[name]}
        for contact_id, names in names_by_contact.items() for name in set(names)
    ]
    for chunk in chunked(rows):
        insert_ignoring_conflicts(session, ContactTag.__table__, list(chunk))


def tags_of_contact(session: Session, *, workspace_id: int, contact_id: int) -> list[str]:
    stmt = (
        select(Tag.name).join(ContactTag, ContactTag.tag_id == Tag.id)
        .where(ContactTag.workspace_id == workspace_id, ContactTag.contact_id == contact_id)
        .order_by(Tag.name)
    )
    return list(session.scalars(stmt))
