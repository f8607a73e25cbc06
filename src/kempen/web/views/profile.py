"""The contact profile: attributes, company, tags, lists, consents, orders and the activity timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.contacts import custom_fields, lookups
from kempen.contacts import service as contacts
from kempen.contacts.schemas import ContactDetail
from kempen.events import service as events
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import NotFound
from kempen.orders import service as orders
from kempen.web.auth import WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
ORDERS_PAGE = 5
EVENTS_PAGE = 10
ContactId = IdPath
ATTRIBUTES = [
    ("External ID", "external_id"), ("Email", "email"), ("Phone", "phone"), ("First name", "first_name"),
    ("Last name", "last_name"), ("Country", "country"), ("City", "city"), ("Time zone", "time_zone"),
    ("Language", "language"), ("Lead source", "lead_source"),
]


@dataclass(frozen=True)
class Section:
    """One page of a profile section and the cursor of the next."""

    items: Sequence[Any]
    next_cursor: str | None


def not_found(request: Request, ctx: WebContext) -> Response:
    """The same page for a contact that does not exist and one of another workspace."""
    return render(request, "error.html", {"ctx": ctx, "nav": "contacts", "status_code": 404,
                                          "title": "Contact not found",
                                          "message": "There is no such contact in this workspace."},
                  status_code=404)


def _orders(session: Session, ctx: WebContext, contact_id: int, cursor: str | None) -> Section:
    items, next_cursor = orders.list_orders(session, workspace_id=ctx.workspace_id, contact_id=contact_id,
                                            cursor=cursor, limit=ORDERS_PAGE)
    return Section(items, next_cursor)


def _events(session: Session, ctx: WebContext, contact_id: int, cursor: str | None) -> Section:
    items, next_cursor = events.list_events(session, workspace_id=ctx.workspace_id, contact_id=contact_id,
                                            cursor=cursor, limit=EVENTS_PAGE)
    return Section(items, next_cursor)


def _custom_fields(session: Session, workspace_id: int, values: dict[str, Any]) -> list[tuple[str, Any]]:
    """Label each custom value by its definition; keep values whose definition was since deleted."""
    labels = {d.key: d.label for d in custom_fields.list_definitions(session, workspace_id=workspace_id)}
    known = [(labels[key], values[key]) for key in labels if key in values]
    return known + [(key, value) for key, value in sorted(values.items()) if key not in labels]


def _initials(detail: ContactDetail) -> str:
    parts = [p for p in (detail.first_name, detail.last_name) if p]
    if parts:
        return "".join(p[0] for p in parts).upper()
    return (detail.email or detail.phone or "?")[0].upper()


def _profile_context(session: Session, ctx: WebContext, detail: ContactDetail) -> dict[str, Any]:
    return {
        "ctx": ctx, "nav": "contacts", "contact": detail, "detail": detail, "contact_id": detail.id,
        "initials": _initials(detail),
        "attributes": [(label, getattr(detail, name)) for label, name in ATTRIBUTES],
        "custom_fields": _custom_fields(session, ctx.workspace_id, detail.custom_fields),
        "company": lookups.company_of_contact(session, workspace_id=ctx.workspace_id, company_id=detail.company_id),
        "orders": _orders(session, ctx, detail.id, None),
        "events": _events(session, ctx, detail.id, None),
    }


@router.get("/contacts/{contact_id}")
def contact_profile(request: Request, session: SessionDep, ctx: WebUser, contact_id: ContactId) -> Response:
    """Show everything known about one contact."""
    try:
        detail = contacts.contact_detail(session, workspace_id=ctx.workspace_id, contact_id=contact_id)
    except NotFound:
        return not_found(request, ctx)
    return render(request, "contacts/profile.html", _profile_context(session, ctx, detail))


def _exists(session: Session, ctx: WebContext, contact_id: int) -> bool:
    try:
        contacts.get_contact_or_raise(session, workspace_id=ctx.workspace_id, contact_id=contact_id)
    except NotFound:
        return False
    return True


@router.get("/contacts/{contact_id}/orders")
def contact_orders(request: Request, session: SessionDep, ctx: WebUser, contact_id: ContactId,
                   cursor: str | None = None) -> Response:
    """Return the next orders of a contact, for "Show more" to append."""
    if not _exists(session, ctx, contact_id):
        return not_found(request, ctx)
    section = _orders(session, ctx, contact_id, cursor)
    return render(request, "contacts/_orders.html", {"orders": section, "contact_id": contact_id})


@router.get("/contacts/{contact_id}/events")
def contact_events(request: Request, session: SessionDep, ctx: WebUser, contact_id: ContactId,
                   cursor: str | None = None) -> Response:
    """Return the next events of a contact, for "Show more" to append."""
    if not _exists(session, ctx, contact_id):
        return not_found(request, ctx)
    section = _events(session, ctx, contact_id, cursor)
    return render(request, "contacts/_events.html", {"events": section, "contact_id": contact_id})
