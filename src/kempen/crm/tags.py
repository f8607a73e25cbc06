"""Tag management: counts, create, rename, delete, and tagging contacts one by one or in bulk."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts.service import get_contact_or_raise
from kempen.contacts.tags import ensure_tags, tag_contacts, tags_of_contact
from kempen.crm import schemas
from kempen.crm.common import split_known
from kempen.kit.errors import Conflict, NotFound
from kempen.kit.sql import chunked
from kempen.models import ContactTag, Tag


def get_tag_or_raise(session: Session, *, workspace_id: int, name: str) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.workspace_id == workspace_id, Tag.name == name))
    if tag is None:
        raise NotFound(f"No tag {name!r} in this workspace.")
    return tag


def list_tags(session: Session, *, workspace_id: int) -> list[schemas.Tag]:
    """Return every tag of the workspace by name, with how many contacts carry it."""
    count = func.count(ContactTag.contact_id)
    stmt = (
        select(Tag.id, Tag.name, Tag.created_at, count)
        .outerjoin(ContactTag, ContactTag.tag_id == Tag.id)
        .where(Tag.workspace_id == workspace_id)
        .group_by(Tag.id, Tag.name, Tag.created_at)
        .order_by(Tag.name)
    )
    return [schemas.Tag(id=i, name=n, created_at=c, contact_count=k) for i, n, c, k in session.execute(stmt)]


def tag_summary(session: Session, *, workspace_id: int, tag: Tag) -> schemas.Tag:
    count = session.scalar(select(func.count()).select_from(ContactTag).where(
        ContactTag.workspace_id == workspace_id, ContactTag.tag_id == tag.id))
    return schemas.Tag(id=tag.id, name=tag.name, created_at=tag.created_at, contact_count=count or 0)


def create_tag(session: Session, *, workspace_id: int, actor: str, name: str) -> Tag:
    """Create an empty tag; 409 if the name is taken."""
    if session.scalar(select(Tag.id).where(Tag.workspace_id == workspace_id, Tag.name == name)) is not None:
        raise Conflict(f"A tag {name!r} already exists.")
    tag = Tag(workspace_id=workspace_id, name=name)
    session.add(tag)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="tag.created",
                 entity_type="tag", entity_id=tag.id, details={"name": name})
    return tag


def rename_tag(session: Session, *, workspace_id: int, actor: str, name: str, new_name: str) -> Tag:
    """Rename a tag; the contacts that carry it keep it under the new name."""
    tag = get_tag_or_raise(session, workspace_id=workspace_id, name=name)
    if new_name != name and session.scalar(
            select(Tag.id).where(Tag.workspace_id == workspace_id, Tag.name == new_name)) is not None:
        raise Conflict(f"A tag {new_name!r} already exists.")
    tag.name = new_name
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="tag.renamed",
                 entity_type="tag", entity_id=tag.id, details={"from": name, "to": new_name})
    return tag


def delete_tag(session: Session, *, workspace_id: int, actor: str, name: str) -> None:
    """Delete a tag and remove it from every contact."""
    tag = get_tag_or_raise(session, workspace_id=workspace_id, name=name)
    session.execute(delete(ContactTag).where(ContactTag.workspace_id == workspace_id, ContactTag.tag_id == tag.id))
    session.delete(tag)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="tag.deleted",
                 entity_type="tag", entity_id=tag.id, details={"name": name})


def add_contact_tags(session: Session, *, workspace_id: int, actor: str, contact_id: int,
                     names: list[str]) -> list[str]:
    """Tag one contact (creating missing tags); return all its tags."""
    get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    tag_contacts(session, workspace_id=workspace_id, names_by_contact={contact_id: names})
    audit.record(session, workspace_id=workspace_id, actor=actor, action="contact.tagged",
                 entity_type="contact", entity_id=contact_id, details={"tags": sorted(set(names))})
    return tags_of_contact(session, workspace_id=workspace_id, contact_id=contact_id)


def remove_contact_tag(session: Session, *, workspace_id: int, actor: str, contact_id: int, name: str) -> None:
    """Take a tag off one contact; 404 if the contact does not carry it."""
    get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    tag = get_tag_or_raise(session, workspace_id=workspace_id, name=name)
    result = session.execute(delete(ContactTag).where(
        ContactTag.workspace_id == workspace_id, ContactTag.tag_id == tag.id, ContactTag.contact_id == contact_id))
    if not result.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"Contact {contact_id} does not carry the tag {name!r}.")
    audit.record(session, workspace_id=workspace_id, actor=actor, action="contact.untagged",
                 entity_type="contact", entity_id=contact_id, details={"tag": name})


def bulk_tag(session: Session, *, workspace_id: int, actor: str, name: str,
             contact_ids: list[int]) -> schemas.MembershipResult:
    """Give a tag (created if missing) to many contacts; unknown ids are reported, not tagged."""
    known, unknown = split_known(session, workspace_id=workspace_id, ids=contact_ids)
    tag_id = ensure_tags(session, workspace_id=workspace_id, names={name})[name]
    before = _count_tagged(session, workspace_id, tag_id)
    tag_contacts(session, workspace_id=workspace_id, names_by_contact={cid: [name] for cid in known})
    added = _count_tagged(session, workspace_id, tag_id) - before
    audit.record(session, workspace_id=workspace_id, actor=actor, action="tag.bulk_added",
                 entity_type="tag", entity_id=tag_id, details={"name": name, "added": added})
    return schemas.MembershipResult(changed=added, not_found=unknown)


def bulk_untag(session: Session, *, workspace_id: int, actor: str, name: str,
               contact_ids: list[int]) -> schemas.MembershipResult:
    """Take a tag off many contacts; ids that are not this workspace's contacts are reported."""
    tag = get_tag_or_raise(session, workspace_id=workspace_id, name=name)
    known, unknown = split_known(session, workspace_id=workspace_id, ids=contact_ids)
    removed = 0
    for chunk in chunked(known):
        result = session.execute(delete(ContactTag).where(
            ContactTag.workspace_id == workspace_id, ContactTag.tag_id == tag.id, ContactTag.contact_id.in_(chunk)))
        removed += result.rowcount  # type: ignore[attr-defined]
    audit.record(session, workspace_id=workspace_id, actor=actor, action="tag.bulk_removed",
                 entity_type="tag", entity_id=tag.id, details={"name": name, "removed": removed})
    return schemas.MembershipResult(changed=removed, not_found=unknown)


def _count_tagged(session: Session, workspace_id: int, tag_id: int) -> int:
    # Counting before and after is exact where insert-ignoring-conflicts reports no row count.
    return session.scalar(select(func.count()).select_from(ContactTag).where(
        ContactTag.workspace_id == workspace_id, ContactTag.tag_id == tag_id)) or 0
