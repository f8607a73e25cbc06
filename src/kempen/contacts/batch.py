"""Batch upsert of contacts through the identity rules (API batch calls and CSV imports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts import schemas
from kempen.contacts.identity import IdentityConflict, load_identity_index
from kempen.contacts.service import apply_fields, contact_payload, definitions_by_key, keys_of, parse_create
from kempen.contacts.tags import tag_contacts
from kempen.models import Company, Contact
from kempen.webhooks import service as webhooks


def upsert_contacts(
    session: Session, *, workspace_id: int, actor: str, records: list[dict[str, Any]], audit_action: bool = True,
) -> schemas.UpsertResult:
    """Create or update each record, matched by the identity rules; refuse bad rows, keep the good ones.

    Rows are refused individually (with their index and reason); the accepted rows are written in
    the caller's transaction with a handful of set-based statements.
    """
    parsed: list[schemas.ContactCreate | None] = []
    errors: list[schemas.RowError] = []
    for index, record in enumerate(records):
        try:
            parsed.append(parse_create(record))
        except ValueError as exc:
            parsed.append(None)
            errors.append(schemas.RowError(index=index, reason=str(exc)))

    valid = [p for p in parsed if p is not None]
    identities = load_identity_index(session, workspace_id=workspace_id, keys=[keys_of(p) for p in valid])
    definitions = definitions_by_key(session, workspace_id)
    companies = _existing_companies(session, workspace_id, {p.company_id for p in valid if p.company_id})

    results: list[Contact | None] = []
    created: list[Contact] = []
    created_keys: set[int] = set()
    updated: dict[int, Contact] = {}
    for index, fields in enumerate(parsed):
        if fields is None:
            results.append(None)
            continue
        try:
            contact = _upsert_one(fields, identities, definitions, companies, workspace_id)
        except (IdentityConflict, ValueError) as exc:
            results.append(None)
            errors.append(schemas.RowError(index=index, reason=str(exc)))
            continue
        results.append(contact)
        if contact.id is None:
            if id(contact) not in created_keys:
                created_keys.add(id(contact))
                created.append(contact)
        else:
            updated[contact.id] = contact

    session.add_all(created)
    session.flush()
    _tag(session, workspace_id, parsed, results)
    _notify(session, workspace_id, created, list(updated.values()))
    if audit_action and (created or updated):
        audit.record(session, workspace_id=workspace_id, actor=actor, action="contacts.upserted",
                     entity_type="contact", entity_id="batch",
                     details={"created": len(created), "updated": len(updated), "rejected": len(errors)})
    errors.sort(key=lambda e: e.index)
    return schemas.UpsertResult(
        created=len(created), updated=len(updated), rejected=len(errors),
        ids=[c.id if c is not None else None for c in results], errors=errors,
    )


def _upsert_one(fields: schemas.ContactCreate, identities: Any, definitions: dict[str, Any],
                companies: set[int], workspace_id: int) -> Contact:
    if fields.company_id is not None and fields.company_id not in companies:
        raise ValueError(f"no company {fields.company_id} in this workspace")
    contact = identities.match(keys_of(fields))
    if contact is None:
        contact = Contact(workspace_id=workspace_id, custom_fields={})
        apply_fields(contact, fields, definitions, creating=True)
    else:
        apply_fields(contact, fields, definitions, creating=False)
    identities.register(contact)
    return contact


def _existing_companies(session: Session, workspace_id: int, ids: set[int | None]) -> set[int]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    stmt = select(Company.id).where(Company.workspace_id == workspace_id, Company.id.in_(wanted))
    return set(session.scalars(stmt))


def _tag(session: Session, workspace_id: int, parsed: list[schemas.ContactCreate | None],
         results: list[Contact | None]) -> None:
    names_by_contact: dict[int, list[str]] = {}
    for fields, contact in zip(parsed, results, strict=True):
        if fields is not None and contact is not None and fields.tags:
            names_by_contact.setdefault(contact.id, []).extend(fields.tags)
    if names_by_contact:
        tag_contacts(session, workspace_id=workspace_id, names_by_contact=names_by_contact)


def _notify(session: Session, workspace_id: int, created: list[Contact], updated: list[Contact]) -> None:
    for event_type, contacts in (("contact.created", created), ("contact.updated", updated)):
        endpoints = webhooks.subscribers(session, workspace_id=workspace_id, event_type=event_type)
        if endpoints and contacts:
            webhooks.enqueue(session, workspace_id=workspace_id, event_type=event_type,
                             payloads=[contact_payload(c) for c in contacts], endpoints=endpoints)
