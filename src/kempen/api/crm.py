"""CRM routes: companies, custom fields, tags, static lists, consents, suppressions and unsubscribes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status

from kempen.contacts.schemas import ConsentOut
from kempen.contacts.schemas import Contact as ContactOut
from kempen.crm import companies, consents, fields, lists, schemas, suppressions, tags
from kempen.http.deps import Admin, IdPath, Marketer, SessionDep, Viewer
from kempen.kit.pagination import MAX_PAGE
from kempen.models import Channel

router = APIRouter(tags=["crm"])
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
TagName = Annotated[str, Path(min_length=1, max_length=120)]
Id = IdPath
NO_CONTENT = status.HTTP_204_NO_CONTENT
CREATED = status.HTTP_201_CREATED


# Companies

@router.get("/companies", response_model=schemas.CompanyPage)
def list_companies(session: SessionDep, principal: Viewer, q: str | None = None, cursor: str | None = None,
                   limit: Limit = 50) -> schemas.CompanyPage:
    """Search companies by name or domain prefix, newest first, one page at a time."""
    items, next_cursor = companies.list_companies(session, workspace_id=principal.workspace_id, q=q,
                                                  cursor=cursor, limit=limit)
    return schemas.CompanyPage(items=[schemas.Company.model_validate(c) for c in items], next_cursor=next_cursor)


@router.post("/companies", response_model=schemas.Company, status_code=CREATED)
def create_company(session: SessionDep, principal: Marketer, data: schemas.CompanyCreate) -> Any:
    """Create a company; 409 if another company has its domain."""
    return companies.create_company(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)


@router.get("/companies/{company_id}", response_model=schemas.Company)
def get_company(session: SessionDep, principal: Viewer, company_id: Id) -> Any:
    return companies.get_company_or_raise(session, workspace_id=principal.workspace_id, company_id=company_id)


@router.patch("/companies/{company_id}", response_model=schemas.Company)
def update_company(session: SessionDep, principal: Marketer, company_id: Id, data: schemas.CompanyUpdate) -> Any:
    """Change the given fields of a company."""
    return companies.update_company(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                    company_id=company_id, data=data)


@router.delete("/companies/{company_id}", status_code=NO_CONTENT)
def delete_company(session: SessionDep, principal: Marketer, company_id: Id) -> None:
    """Delete a company; its contacts stay, unlinked."""
    companies.delete_company(session, workspace_id=principal.workspace_id, actor=principal.actor,
                             company_id=company_id)


@router.get("/companies/{company_id}/contacts", response_model=schemas.MemberPage)
def company_contacts(session: SessionDep, principal: Viewer, company_id: Id, cursor: str | None = None,
                     limit: Limit = 50) -> schemas.MemberPage:
    """The contacts linked to a company, newest first."""
    items, next_cursor = companies.company_contacts(session, workspace_id=principal.workspace_id,
                                                    company_id=company_id, cursor=cursor, limit=limit)
    return schemas.MemberPage(items=[ContactOut.model_validate(c) for c in items], next_cursor=next_cursor)


@router.put("/contacts/{contact_id}/company", response_model=ContactOut)
def set_contact_company(session: SessionDep, principal: Marketer, contact_id: Id,
                        data: schemas.ContactCompany) -> Any:
    """Link a contact to a company, or unlink it with `{"company_id": null}`."""
    return companies.set_contact_company(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                         contact_id=contact_id, company_id=data.company_id)


# Custom field definitions (a workspace setting: Admin to change)

@router.get("/custom-fields", response_model=list[schemas.CustomField])
def list_custom_fields(session: SessionDep, principal: Viewer) -> Any:
    return fields.list_fields(session, workspace_id=principal.workspace_id)


@router.post("/custom-fields", response_model=schemas.CustomField, status_code=CREATED)
def create_custom_field(session: SessionDep, principal: Admin, data: schemas.CustomFieldCreate) -> Any:
    """Declare a custom contact field; 409 if the key exists."""
    return fields.create_field(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)


@router.delete("/custom-fields/{key}", status_code=NO_CONTENT)
def delete_custom_field(session: SessionDep, principal: Admin, key: str) -> None:
    """Remove a definition; values already on contacts are kept."""
    fields.delete_field(session, workspace_id=principal.workspace_id, actor=principal.actor, key=key)


# Tags

@router.get("/tags", response_model=list[schemas.Tag])
def list_tags(session: SessionDep, principal: Viewer) -> list[schemas.Tag]:
    """Every tag with the number of contacts carrying it."""
    return tags.list_tags(session, workspace_id=principal.workspace_id)


@router.post("/tags", response_model=schemas.Tag, status_code=CREATED)
def create_tag(session: SessionDep, principal: Marketer, data: schemas.TagCreate) -> schemas.Tag:
    tag = tags.create_tag(session, workspace_id=principal.workspace_id, actor=principal.actor, name=data.name)
    return tags.tag_summary(session, workspace_id=principal.workspace_id, tag=tag)


@router.patch("/tags/{name}", response_model=schemas.Tag)
def rename_tag(session: SessionDep, principal: Marketer, name: TagName, data: schemas.TagCreate) -> schemas.Tag:
    """Rename a tag (body: the new name)."""
    tag = tags.rename_tag(session, workspace_id=principal.workspace_id, actor=principal.actor, name=name,
                          new_name=data.name)
    return tags.tag_summary(session, workspace_id=principal.workspace_id, tag=tag)


@router.delete("/tags/{name}", status_code=NO_CONTENT)
def delete_tag(session: SessionDep, principal: Marketer, name: TagName) -> None:
    """Delete a tag and take it off every contact."""
    tags.delete_tag(session, workspace_id=principal.workspace_id, actor=principal.actor, name=name)


@router.post("/tags/{name}/contacts", response_model=schemas.MembershipResult)
def bulk_tag(session: SessionDep, principal: Marketer, name: TagName,
             data: schemas.ContactIdBatch) -> schemas.MembershipResult:
    """Tag up to 10,000 contacts (the tag is created if missing)."""
    return tags.bulk_tag(session, workspace_id=principal.workspace_id, actor=principal.actor, name=name,
                         contact_ids=data.contact_ids)


@router.post("/tags/{name}/contacts/remove", response_model=schemas.MembershipResult)
def bulk_untag(session: SessionDep, principal: Marketer, name: TagName,
               data: schemas.ContactIdBatch) -> schemas.MembershipResult:
    """Take a tag off up to 10,000 contacts."""
    return tags.bulk_untag(session, workspace_id=principal.workspace_id, actor=principal.actor, name=name,
                           contact_ids=data.contact_ids)


@router.post("/contacts/{contact_id}/tags", response_model=list[str])
def tag_contact(session: SessionDep, principal: Marketer, contact_id: Id, data: schemas.ContactTags) -> list[str]:
    """Add tags to a contact; returns all of its tags."""
    return tags.add_contact_tags(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                 contact_id=contact_id, names=data.names)


@router.delete("/contacts/{contact_id}/tags/{name}", status_code=NO_CONTENT)
def untag_contact(session: SessionDep, principal: Marketer, contact_id: Id, name: TagName) -> None:
    tags.remove_contact_tag(session, workspace_id=principal.workspace_id, actor=principal.actor,
                            contact_id=contact_id, name=name)


# Static lists

@router.get("/lists", response_model=list[schemas.ContactList])
def list_lists(session: SessionDep, principal: Viewer) -> list[schemas.ContactList]:
    """Every static list with its member count."""
    return lists.list_lists(session, workspace_id=principal.workspace_id)


@router.post("/lists", response_model=schemas.ContactList, status_code=CREATED)
def create_list(session: SessionDep, principal: Marketer, data: schemas.ListCreate) -> schemas.ContactList:
    created = lists.create_list(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)
    return lists.summary(session, workspace_id=principal.workspace_id, contact_list=created)


@router.get("/lists/{list_id}", response_model=schemas.ContactList)
def get_list(session: SessionDep, principal: Viewer, list_id: Id) -> schemas.ContactList:
    found = lists.get_list_or_raise(session, workspace_id=principal.workspace_id, list_id=list_id)
    return lists.summary(session, workspace_id=principal.workspace_id, contact_list=found)


@router.patch("/lists/{list_id}", response_model=schemas.ContactList)
def update_list(session: SessionDep, principal: Marketer, list_id: Id, data: schemas.ListUpdate) -> Any:
    updated = lists.update_list(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                list_id=list_id, data=data)
    return lists.summary(session, workspace_id=principal.workspace_id, contact_list=updated)


@router.delete("/lists/{list_id}", status_code=NO_CONTENT)
def delete_list(session: SessionDep, principal: Marketer, list_id: Id) -> None:
    """Delete a list; its contacts stay."""
    lists.delete_list(session, workspace_id=principal.workspace_id, actor=principal.actor, list_id=list_id)


@router.get("/lists/{list_id}/members", response_model=schemas.MemberPage)
def list_members(session: SessionDep, principal: Viewer, list_id: Id, cursor: str | None = None,
                 limit: Limit = 50) -> schemas.MemberPage:
    """A list's members, newest contact first, one page at a time."""
    items, next_cursor = lists.list_members(session, workspace_id=principal.workspace_id, list_id=list_id,
                                            cursor=cursor, limit=limit)
    return schemas.MemberPage(items=[ContactOut.model_validate(c) for c in items], next_cursor=next_cursor)


@router.post("/lists/{list_id}/members", response_model=schemas.MembershipResult)
def add_members(session: SessionDep, principal: Marketer, list_id: Id,
                data: schemas.ContactIdBatch) -> schemas.MembershipResult:
    """Add up to 10,000 contacts; ids that are not this workspace's contacts are reported, not added."""
    return lists.add_members(session, workspace_id=principal.workspace_id, actor=principal.actor,
                             list_id=list_id, contact_ids=data.contact_ids)


@router.post("/lists/{list_id}/members/remove", response_model=schemas.MembershipResult)
def remove_members(session: SessionDep, principal: Marketer, list_id: Id,
                   data: schemas.ContactIdBatch) -> schemas.MembershipResult:
    """Remove up to 10,000 contacts from a list."""
    return lists.remove_members(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                list_id=list_id, contact_ids=data.contact_ids)


# Consents

@router.put("/consents/batch", response_model=schemas.ConsentBatchResult)
def consent_batch(session: SessionDep, principal: Marketer, data: schemas.ConsentBatch) -> schemas.ConsentBatchResult:
    """Record up to 10,000 consents, each `{contact_id | contact_email, channel, status, source, recorded_at}`.

    Bad rows are refused one by one with their index and reason; a row older than the consent
    already recorded for that contact and channel is skipped as stale.
    """
    return consents.apply_consent_batch(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                        records=data.consents)


@router.get("/contacts/{contact_id}/consents", response_model=list[ConsentOut])
def list_consents(session: SessionDep, principal: Viewer, contact_id: Id) -> Any:
    return consents.list_consents(session, workspace_id=principal.workspace_id, contact_id=contact_id)


@router.put("/contacts/{contact_id}/consents/{channel}", response_model=ConsentOut)
def set_consent(session: SessionDep, principal: Marketer, contact_id: Id, channel: Channel,
                data: schemas.ConsentChange) -> Any:
    """Record the contact's consent on a channel now, with its source."""
    return consents.set_consent(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                contact_id=contact_id, channel=channel, status=data.status, source=data.source)


# Suppressions and unsubscribes

@router.get("/suppressions", response_model=schemas.SuppressionPage)
def list_suppressions(session: SessionDep, principal: Viewer, channel: Channel | None = None,
                      address: str | None = None, cursor: str | None = None,
                      limit: Limit = 50) -> schemas.SuppressionPage:
    """Suppressed addresses, newest first, optionally for one channel or address."""
    items, next_cursor = suppressions.list_suppressions(session, workspace_id=principal.workspace_id,
                                                        channel=channel, address=address, cursor=cursor, limit=limit)
    return schemas.SuppressionPage(items=[schemas.Suppression.model_validate(s) for s in items],
                                   next_cursor=next_cursor)


@router.post("/suppressions", response_model=schemas.Suppression, status_code=CREATED)
def add_suppression(session: SessionDep, principal: Marketer, data: schemas.SuppressionCreate) -> Any:
    """Suppress an address on a channel (normalised first); 409 if it already is."""
    return suppressions.add_suppression(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                        data=data)


@router.delete("/suppressions/{suppression_id}", status_code=NO_CONTENT)
def delete_suppression(session: SessionDep, principal: Marketer, suppression_id: Id) -> None:
    suppressions.delete_suppression(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                    suppression_id=suppression_id)


@router.post("/contacts/{contact_id}/unsubscribe", response_model=schemas.UnsubscribeResult)
def unsubscribe(session: SessionDep, principal: Marketer, contact_id: Id,
                data: Annotated[schemas.UnsubscribeRequest | None, Body()] = None) -> schemas.UnsubscribeResult:
    """Unsubscribe a contact from a channel (email by default) and suppress its address there."""
    request = data or schemas.UnsubscribeRequest()
    return suppressions.unsubscribe_contact(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                            contact_id=contact_id, channel=request.channel, source=request.source)
