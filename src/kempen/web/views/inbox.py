"""The built-in SMTP sink's inbox: the emails the embedded setup caught, rendered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.config import get_settings
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import InvalidInput, NotFound
from kempen.mailsink import service as mailsink
from kempen.models import Role
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render
from kempen.web.views.email_frame import email_frame_headers

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
NEW_MESSAGES_SHOWN = 100  # counted exactly up to here, then "100+"
MessageId = IdPath
# The headers a sender checks first, in the order shown.
KEY_HEADERS = ("Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To", "Return-Path",
               "X-Kempen-Campaign", "X-Kempen-Delivery")


@dataclass(frozen=True)
class InboxPage:
    """One page of caught messages, the next cursor, and a message when a cursor was refused."""

    rows: list[Any]
    next_cursor: str | None
    error: str | None = None


def _page(session: Session, workspace_id: int, cursor: str | None) -> InboxPage:
    try:
        rows, next_cursor = mailsink.list_messages(session, workspace_id=workspace_id, cursor=cursor or None,
                                                   limit=PAGE_SIZE)
    except InvalidInput:
        return InboxPage([], None, "That page link is no longer valid; start again from the newest messages.")
    return InboxPage(list(rows), next_cursor)


def _can_clear(ctx: WebContext) -> bool:
    return ctx.principal.role.includes(Role.MARKETER)


def _not_found(request: Request, ctx: WebContext) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "inbox", "status_code": 404,
                                          "title": "Message not found",
                                          "message": "There is no such message in this workspace's inbox."},
                  status_code=404)


@router.get("/inbox")
def inbox_page(request: Request, session: SessionDep, ctx: WebUser, cursor: str | None = None,
               cleared: int | None = None) -> Response:
    """List the emails the built-in sink caught for this workspace, newest first."""
    page = _page(session, ctx.workspace_id, cursor)
    # With an SMTP server configured, mail goes there and the sink catches nothing new.
    sink_in_use = not get_settings().smtp_url
    return render(request, "inbox/list.html", {"ctx": ctx, "nav": "inbox", "page": page, "cursor": cursor,
                                               "cleared": cleared, "can_clear": _can_clear(ctx),
                                               "sink_in_use": sink_in_use})


@router.get("/inbox/rows")
def inbox_rows(request: Request, session: SessionDep, ctx: WebUser, cursor: str | None = None) -> Response:
    """Return the next page of rows, for "Load more" to append."""
    return render(request, "inbox/_rows.html", {"page": _page(session, ctx.workspace_id, cursor)})


@router.get("/inbox/new")
def new_messages(request: Request, session: SessionDep, ctx: WebUser, after: int = 0) -> Response:
    """Say how many messages arrived since the newest one shown; the list polls this while it is open."""
    rows, _ = mailsink.list_messages(session, workspace_id=ctx.workspace_id, limit=NEW_MESSAGES_SHOWN)
    arrived = sum(1 for row in rows if row.id > after)
    return render(request, "inbox/_new.html", {"after": after, "arrived": arrived,
                                                "more": arrived == NEW_MESSAGES_SHOWN})


@router.post("/inbox/clear")
def clear_inbox(request: Request, session: SessionDep, ctx: CsrfChecked) -> Response:
    """Delete every caught message of this workspace (the clear button asks first)."""
    if not _can_clear(ctx):
        return render(request, "error.html", {"ctx": ctx, "nav": "inbox", "status_code": 403,
                                              "title": "You cannot clear the inbox",
                                              "message": "Clearing the inbox needs the marketer role."},
                      status_code=403)
    removed = mailsink.clear_messages(session, workspace_id=ctx.workspace_id)
    return RedirectResponse(f"/inbox?cleared={removed}", status_code=303)


def key_headers(headers: Any) -> list[tuple[str, str | None]]:
    """The important headers by name (None when absent); DKIM-Signature as present or not."""
    found: dict[str, str] = {}
    for name, value in _header_items(headers):
        found.setdefault(name.lower(), value)
    shown: list[tuple[str, str | None]] = [(name, found.get(name.lower())) for name in KEY_HEADERS]
    dkim = found.get("dkim-signature")
    shown.insert(3, ("DKIM-Signature", _dkim_summary(dkim) if dkim is not None else None))
    return shown


def _header_items(headers: Any) -> list[tuple[str, str]]:
    items = headers.items() if hasattr(headers, "items") else headers
    return [(str(name), str(value)) for name, value in items]


def _dkim_summary(value: str) -> str:
    """Show a signature by its domain and selector (d= and s=), not its long base64 body."""
    tags = dict(part.strip().split("=", 1) for part in value.split(";") if "=" in part)
    domain, selector = tags.get("d", "").strip(), tags.get("s", "").strip()
    return f"present · d={domain} s={selector}" if domain else "present"


@router.get("/inbox/{message_id}")
def message_page(request: Request, session: SessionDep, ctx: WebUser, message_id: MessageId) -> Response:
    """Show one caught email: its envelope, key headers, HTML part (sandboxed), text part and raw source."""
    try:
        message = mailsink.get_message(session, workspace_id=ctx.workspace_id, message_id=message_id)
    except NotFound:
        return _not_found(request, ctx)
    parsed = mailsink.parse_message(message.raw)
    return render(request, "inbox/message.html", {
        "ctx": ctx, "nav": "inbox", "message": message, "parsed": parsed,
        "key_headers": key_headers(parsed.headers), "all_headers": _header_items(parsed.headers),
    }, headers=email_frame_headers())


@router.get("/inbox/{message_id}/raw")
def message_raw(session: SessionDep, ctx: WebUser, message_id: MessageId) -> Response:
    """Download the message exactly as the sink received it, as an .eml file."""
    try:
        message = mailsink.get_message(session, workspace_id=ctx.workspace_id, message_id=message_id)
    except NotFound:
        return Response("There is no such message in this workspace's inbox.", status_code=404,
                        media_type="text/plain")
    return Response(message.raw, media_type="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="message-{message.id}.eml"',
                             "X-Content-Type-Options": "nosniff"})
