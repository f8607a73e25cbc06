"""Contact routes: CRUD, search, batch upsert and merge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status

from kempen.contacts import batch, merge, schemas, service
from kempen.http.deps import IdPath, Marketer, SessionDep, Viewer
from kempen.kit.ids import MAX_ID
from kempen.kit.pagination import MAX_PAGE
from kempen.models import LifecycleStage

router = APIRouter(prefix="/contacts", tags=["contacts"])


@router.get("", response_model=schemas.ContactPage)
def list_contacts(
    session: SessionDep, principal: Viewer,
    q: Annotated[str | None, Query(description="Email prefix, name, phone or external id")] = None,
    country: str | None = None,
    lifecycle_stage: LifecycleStage | None = None,
    tag: str | None = None,
    list_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> schemas.ContactPage:
    """Search contacts, newest first, one page at a time."""
    items, next_cursor = service.list_contacts(
        session, workspace_id=principal.workspace_id, cursor=cursor, limit=limit, q=q, country=country,
        lifecycle_stage=lifecycle_stage, tag=tag, list_id=list_id,
    )
    return schemas.ContactPage(items=[schemas.Contact.model_validate(c) for c in items], next_cursor=next_cursor)


@router.post("", response_model=schemas.Contact, status_code=status.HTTP_201_CREATED)
def create_contact(session: SessionDep, principal: Marketer, data: schemas.ContactCreate) -> Any:
    """Create a contact; 409 if its external id, email or phone already identify one."""
    return service.create_contact(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)


@router.put("/batch", response_model=schemas.UpsertResult)
def upsert_contacts(
    session: SessionDep, principal: Marketer,
    payload: Annotated[schemas.ContactUpsertBatch, Body()],
) -> schemas.UpsertResult:
    """Create or update up to 10,000 contacts, matched by external id, then email, then phone.

    Bad rows are refused one by one with their index and reason; the good ones are stored.
    """
    return batch.upsert_contacts(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                 records=payload.contacts)


@router.post("/merge", response_model=schemas.Contact)
def merge_contacts(session: SessionDep, principal: Marketer, request: schemas.MergeRequest) -> Any:
    """Merge `loser_id` into `survivor_id`, moving its history, and delete the loser."""
    return merge.merge_contacts(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                survivor_id=request.survivor_id, loser_id=request.loser_id)


@router.get("/{contact_id}", response_model=schemas.ContactDetail)
def get_contact(session: SessionDep, principal: Viewer, contact_id: IdPath) -> schemas.ContactDetail:
    """A contact with its tags, lists and consents."""
    return service.contact_detail(session, workspace_id=principal.workspace_id, contact_id=contact_id)


@router.patch("/{contact_id}", response_model=schemas.Contact)
def update_contact(session: SessionDep, principal: Marketer, contact_id: IdPath, data: schemas.ContactUpdate) -> Any:
    """Change the given fields; custom fields are merged key by key (null removes one)."""
    return service.update_contact(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                  contact_id=contact_id, data=data)


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact(session: SessionDep, principal: Marketer, contact_id: IdPath) -> None:
    """Delete a contact with its history."""
    service.delete_contact(session, workspace_id=principal.workspace_id, actor=principal.actor,
                           contact_id=contact_id)
