"""Contact CRUD, search and detail. Batch upserts live in `batch`, merges in `merge`."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts import custom_fields as cf
from kempen.contacts import schemas
from kempen.contacts.identity import IdentityConflict, IdentityKeys, find_contact
from kempen.contacts.tags import tag_contacts, tags_of_contact
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.kit.pagination import keyset_page
from kempen.models import Company, Consent, Contact, ContactList, ContactTag, ListMembership, Tag
from kempen.webhooks import service as webhooks


def contact_payload(contact: Contact) -> dict[str, Any]:
    """The JSON form of a contact, as the API and webhooks show it."""
    return schemas.Contact.model_validate(contact).model_dump(mode="json")


def keys_of(fields: schemas.ContactFields) -> IdentityKeys:
    return IdentityKeys(external_id=fields.external_id, email_normalized=fields.email_normalized, phone=fields.phone)


def definitions_by_key(session: Session, workspace_id: int) -> dict[str, Any]:
    return {d.key: d for d in cf.list_definitions(session, workspace_id=workspace_id)}


def check_company(session: Session, *, workspace_id: int, company_id: int | None) -> None:
    if company_id is None:
        return
    found = session.scalar(select(Company.id).where(Company.workspace_id == workspace_id, Company.id == company_id))
    if found is None:
        raise InvalidInput(f"No company {company_id} in this workspace.")


def apply_fields(contact: Contact, fields: schemas.ContactFields, definitions: dict[str, Any], *, creating: bool) -> None:
    """Copy the fields that were given onto a contact; raise ValueError, changing nothing, if invalid."""
    custom = contact.custom_fields
    if fields.custom_fields is not None or creating:
        custom = cf.validate_custom_fields(definitions, fields.custom_fields or {}, existing=contact.custom_fields or {})
    data = fields.model_dump(exclude_unset=True, exclude={"custom_fields", "tags"})
    for name, value in data.items():
        setattr(contact, name, value)
    if "email" in data:
        contact.email_normalized = fields.email_normalized
    contact.custom_fields = custom


def get_contact_or_raise(session: Session, *, workspace_id: int, contact_id: int) -> Contact:
    contact = session.scalar(select(Contact).where(Contact.workspace_id == workspace_id, Contact.id == contact_id))
    if contact is None:
        raise NotFound(f"No contact {contact_id} in this workspace.")
    return contact


def find_contact_by_reference(session: Session, *, workspace_id: int, reference: str) -> Contact:
    """Find a contact by id, email, external id or phone (as a person would type it)."""
    reference = reference.strip()
    if reference.isdigit():
        found = session.scalar(select(Contact).where(Contact.workspace_id == workspace_id, Contact.id == int(reference)))
        if found is not None:
            return found
    conditions = [Contact.external_id == reference, Contact.phone == reference]
    if "@" in reference:
        conditions.append(Contact.email_normalized == reference.lower())
    found = session.scalar(select(Contact).where(Contact.workspace_id == workspace_id, or_(*conditions)).limit(1))
    if found is None:
        raise NotFound(f"No contact matches {reference!r}.")
    return found


def create_contact(session: Session, *, workspace_id: int, actor: str, data: schemas.ContactCreate) -> Contact:
    """Create a contact; refuse one whose identity keys already belong to a contact."""
    try:
        existing = find_contact(session, workspace_id=workspace_id, keys=keys_of(data))
    except IdentityConflict as exc:
        raise Conflict(str(exc)) from None
    if existing is not None:
        raise Conflict(f"Contact {existing.id} already has these identity keys; update it or use the batch upsert.")
    check_company(session, workspace_id=workspace_id, company_id=data.company_id)
    contact = Contact(workspace_id=workspace_id, custom_fields={})
    try:
        apply_fields(contact, data, definitions_by_key(session, workspace_id), creating=True)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    session.add(contact)
    session.flush()
    if data.tags:
        tag_contacts(session, workspace_id=workspace_id, names_by_contact={contact.id: data.tags})
    audit.record(session, workspace_id=workspace_id, actor=actor, action="contact.created",
                 entity_type="contact", entity_id=contact.id)
    webhooks.enqueue(session, workspace_id=workspace_id, event_type="contact.created",
                     payloads=[contact_payload(contact)])
    return contact


def update_contact(
    session: Session, *, workspace_id: int, actor: str, contact_id: int, data: schemas.ContactUpdate
) -> Contact:
    """Change the given fields of a contact."""
    contact = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    check_company(session, workspace_id=workspace_id, company_id=data.company_id)
    _check_keys_free(session, workspace_id=workspace_id, contact=contact, data=data)
    before = contact_payload(contact)
    try:
        apply_fields(contact, data, definitions_by_key(session, workspace_id), creating=False)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if not (contact.external_id or contact.email_normalized or contact.phone):
        raise InvalidInput("A contact needs at least one of external_id, email or phone.")
    session.flush()
    if data.tags:
        tag_contacts(session, workspace_id=workspace_id, names_by_contact={contact.id: data.tags})
    after = contact_payload(contact)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k] and k != "updated_at"}
    audit.record(session, workspace_id=workspace_id, actor=actor, action="contact.updated",
                 entity_type="contact", entity_id=contact.id, details={"changes": changes})
    webhooks.enqueue(session, workspace_id=workspace_id, event_type="contact.updated", payloads=[after])
    return contact


def _check_keys_free(session: Session, *, workspace_id: int, contact: Contact, data: schemas.ContactUpdate) -> None:
    given = data.model_dump(exclude_unset=True)
    checks = []
    if given.get("external_id"):
        checks.append(("external id", Contact.external_id == data.external_id))
    if given.get("email"):
        checks.append(("email", Contact.email_normalized == data.email_normalized))
    for label, condition in checks:
        owner = session.scalar(select(Contact.id).where(Contact.workspace_id == workspace_id, condition,
                                                        Contact.id != contact.id))
        if owner is not None:
            raise Conflict(f"That {label} already belongs to contact {owner}; merge the two contacts instead.")


def delete_contact(session: Session, *, workspace_id: int, actor: str, contact_id: int) -> None:
    """Delete a contact with its orders, events, tags, list memberships and consents."""
    contact = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    payload = contact_payload(contact)
    session.delete(contact)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="contact.deleted",
                 entity_type="contact", entity_id=contact_id, details={"contact": payload})
    webhooks.enqueue(session, workspace_id=workspace_id, event_type="contact.deleted", payloads=[payload])


def search_contacts_query(
    *, workspace_id: int, q: str | None = None, country: str | None = None,
    lifecycle_stage: str | None = None, tag: str | None = None, list_id: int | None = None,
) -> Select[Contact]:
    """Build the filtered query behind contact search (newest first)."""
    stmt = select(Contact).where(Contact.workspace_id == workspace_id)
    if q:
        term = q.strip().lower()
        like = f"%{term.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(
            Contact.email_normalized.startswith(term, autoescape=True),
            Contact.external_id == q.strip(),
            Contact.phone == q.strip(),
            Contact.first_name.ilike(like),
            Contact.last_name.ilike(like),
        ))
    if country:
        stmt = stmt.where(Contact.country == country.upper())
    if lifecycle_stage:
        stmt = stmt.where(Contact.lifecycle_stage == lifecycle_stage)
    if tag:
        tagged = (select(ContactTag.contact_id).join(Tag, Tag.id == ContactTag.tag_id)
                  .where(ContactTag.workspace_id == workspace_id, Tag.name == tag))
        stmt = stmt.where(Contact.id.in_(tagged))
    if list_id is not None:
        members = select(ListMembership.contact_id).where(
            ListMembership.workspace_id == workspace_id, ListMembership.list_id == list_id)
        stmt = stmt.where(Contact.id.in_(members))
    return stmt


def list_contacts(
    session: Session, *, workspace_id: int, cursor: str | None = None, limit: int = 50, **filters: Any
) -> tuple[list[Contact], str | None]:
    """Return one page of contacts (keyset pagination by descending id) and the next cursor."""
    stmt = search_contacts_query(workspace_id=workspace_id, **filters)
    return keyset_page(session, stmt, Contact.id, cursor=cursor, limit=limit)


def contact_detail(session: Session, *, workspace_id: int, contact_id: int) -> schemas.ContactDetail:
    """A contact with its tags, lists and consents."""
    contact = get_contact_or_raise(session, workspace_id=workspace_id, contact_id=contact_id)
    lists = session.scalars(
        select(ContactList.name).join(ListMembership, ListMembership.list_id == ContactList.id)
        .where(ListMembership.workspace_id == workspace_id, ListMembership.contact_id == contact_id)
        .order_by(ContactList.name)
    )
    consents = session.scalars(
        select(Consent).where(Consent.workspace_id == workspace_id, Consent.contact_id == contact_id)
        .order_by(Consent.channel)
    )
    return schemas.ContactDetail(
        **schemas.Contact.model_validate(contact).model_dump(),
        tags=tags_of_contact(session, workspace_id=workspace_id, contact_id=contact_id),
        lists=list(lists),
        consents=[schemas.ConsentOut.model_validate(c) for c in consents],
    )


def parse_create(record: dict[str, Any]) -> schemas.ContactCreate:
    """Validate one incoming record; raise ValueError with a readable reason."""
    try:
        return schemas.ContactCreate.model_validate(record)
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """Turn a Pydantic error into one line a person can act on."""
    parts = []
    for error in exc.errors():
        location = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)

