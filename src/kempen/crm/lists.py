"""Static contact lists: CRUD and bulk membership changes."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts import service as contacts
from kempen.crm import schemas
from kempen.crm.common import split_known
from kempen.kit.errors import Conflict, NotFound
from kempen.kit.sql import chunked, insert_ignoring_conflicts
from kempen.models import Contact, ContactList, ListMembership


def get_list_or_raise(session: Session, *, workspace_id: int, list_id: int) -> ContactList:
    found = session.scalar(select(ContactList).where(ContactList.workspace_id == workspace_id,
                                                     ContactList.id == list_id))
    if found is None:
        raise NotFound(f"No list {list_id} in this workspace.")
    return found


def member_count(session: Session, *, workspace_id: int, list_id: int) -> int:
    """Return how many contacts are on a list."""
    return session.scalar(select(func.count()).select_from(ListMembership).where(
        ListMembership.workspace_id == workspace_id, ListMembership.list_id == list_id)) or 0


def summary(session: Session, *, workspace_id: int, contact_list: ContactList) -> schemas.ContactList:
    count = member_count(session, workspace_id=workspace_id, list_id=contact_list.id)
    return schemas.ContactList(id=contact_list.id, name=contact_list.name, description=contact_list.description,
                               created_at=contact_list.created_at, member_count=count)


def list_lists(session: Session, *, workspace_id: int) -> list[schemas.ContactList]:
    """Return every list of the workspace by name, with member counts."""
    count = func.count(ListMembership.contact_id)
    stmt = (
        select(ContactList.id, ContactList.name, ContactList.description, ContactList.created_at, count)
        .outerjoin(ListMembership, ListMembership.list_id == ContactList.id)
        .where(ContactList.workspace_id == workspace_id)
        .group_by(ContactList.id, ContactList.name, ContactList.description, ContactList.created_at)
        .order_by(ContactList.name)
    )
    return [schemas.ContactList(id=i, name=n, description=d, created_at=c, member_count=k)
            for i, n, d, c, k in session.execute(stmt)]


def _check_name_free(session: Session, *, workspace_id: int, name: str, list_id: int | None) -> None:
    owner = session.scalar(select(ContactList.id).where(ContactList.workspace_id == workspace_id,
                                                        ContactList.name == name))
    if owner is not None and owner != list_id:
        raise Conflict(f"A list named {name!r} already exists.")


def create_list(session: Session, *, workspace_id: int, actor: str, data: schemas.ListCreate) -> ContactList:
    """Create an empty static list; names are unique in a workspace."""
    _check_name_free(session, workspace_id=workspace_id, name=data.name, list_id=None)
    contact_list = ContactList(workspace_id=workspace_id, name=data.name, description=data.description)
    session.add(contact_list)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="list.created",
                 entity_type="list", entity_id=contact_list.id, details={"name": data.name})
    return contact_list


def update_list(session: Session, *, workspace_id: int, actor: str, list_id: int,
                data: schemas.ListUpdate) -> ContactList:
    """Rename a list or change its description."""
    contact_list = get_list_or_raise(session, workspace_id=workspace_id, list_id=list_id)
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    if "name" in changes:
        _check_name_free(session, workspace_id=workspace_id, name=changes["name"], list_id=list_id)
    for name, value in changes.items():
        setattr(contact_list, name, value)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="list.updated",
                 entity_type="list", entity_id=list_id, details={"changes": changes})
    return contact_list


def delete_list(session: Session, *, workspace_id: int, actor: str, list_id: int) -> None:
    """Delete a list and its memberships (the contacts stay)."""
    contact_list = get_list_or_raise(session, workspace_id=workspace_id, list_id=list_id)
    session.execute(delete(ListMembership).where(ListMembership.workspace_id == workspace_id,
                                                 ListMembership.list_id == list_id))
    session.delete(contact_list)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="list.deleted",
                 entity_type="list", entity_id=list_id, details={"name": contact_list.name})


def add_members(session: Session, *, workspace_id: int, actor: str, list_id: int,
                contact_ids: list[int]) -> schemas.MembershipResult:
    """Add contacts to a list; ids that are not this workspace's contacts are reported, not added."""
    get_list_or_raise(session, workspace_id=workspace_id, list_id=list_id)
    known, unknown = split_known(session, workspace_id=workspace_id, ids=contact_ids)
    before = member_count(session, workspace_id=workspace_id, list_id=list_id)
    rows = [{"workspace_id": workspace_id, "list_id": list_id, "contact_id": cid} for cid in known]
    for chunk in chunked(rows):
        insert_ignoring_conflicts(session, ListMembership.__table__, list(chunk))
    added = member_count(session, workspace_id=workspace_id, list_id=list_id) - before
    audit.record(session, workspace_id=workspace_id, actor=actor, action="list.members_added",
                 entity_type="list", entity_id=list_id, details={"added": added})
    return schemas.MembershipResult(changed=added, not_found=unknown)


def remove_members(session: Session, *, workspace_id: int, actor: str, list_id: int,
                   contact_ids: list[int]) -> schemas.MembershipResult:
    """Remove contacts from a list; ids that are not this workspace's contacts are reported."""
    get_list_or_raise(session, workspace_id=workspace_id, list_id=list_id)
    known, unknown = split_known(session, workspace_id=workspace_id, ids=contact_ids)
    removed = 0
    for chunk in chunked(known):
        result = session.execute(delete(ListMembership).where(
            ListMembership.workspace_id == workspace_id, ListMembership.list_id == list_id,
            ListMembership.contact_id.in_(chunk)))
        removed += result.rowcount  # type: ignore[attr-defined]
    audit.record(session, workspace_id=workspace_id, actor=actor, action="list.members_removed",
                 entity_type="list", entity_id=list_id, details={"removed": removed})
    return schemas.MembershipResult(changed=removed, not_found=unknown)


def list_members(session: Session, *, workspace_id: int, list_id: int, cursor: str | None = None,
                 limit: int = 50) -> tuple[list[Contact], str | None]:
    """Return one page of a list's members, newest contact first."""
    get_list_or_raise(session, workspace_id=workspace_id, list_id=list_id)
    return contacts.list_contacts(session, workspace_id=workspace_id, cursor=cursor, limit=limit, list_id=list_id)
