"""The built-in SMTP sink's inbox (embedded setup): list, read, download and clear caught emails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kempen.http.deps import IdPath, Marketer, SessionDep
from kempen.kit.pagination import MAX_PAGE
from kempen.mailsink import service
from kempen.mailsink.schemas import (
    ClearResult,
    Header,
    SinkMessageDetail,
    SinkMessagePage,
    SinkMessageSummary,
)

router = APIRouter(prefix="/mailsink", tags=["mail sink"])
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/messages", response_model=SinkMessagePage)
def list_messages(session: SessionDep, principal: Marketer, cursor: str | None = None,
                  limit: Limit = 50) -> SinkMessagePage:
    """The workspace's caught emails, newest first, one page at a time."""
    items, next_cursor = service.list_messages(session, workspace_id=principal.workspace_id, cursor=cursor,
                                               limit=limit)
    return SinkMessagePage(items=[SinkMessageSummary.model_validate(m) for m in items], next_cursor=next_cursor)


@router.get("/messages/{message_id}", response_model=SinkMessageDetail)
def get_message(session: SessionDep, principal: Marketer, message_id: IdPath) -> SinkMessageDetail:
    """One caught email, parsed: headers, subject, from, to, text and HTML."""
    message = service.get_message(session, workspace_id=principal.workspace_id, message_id=message_id)
    parsed = service.parse_message(message.raw)
    summary = SinkMessageSummary.model_validate(message)
    return SinkMessageDetail(**summary.model_dump(), headers=[Header(name=n, value=v) for n, v in parsed.headers],
                             from_=parsed.from_, to=parsed.to, date=parsed.date, text=parsed.text,
                             html=parsed.html)


@router.get("/messages/{message_id}/raw", response_class=Response,
            responses={200: {"content": {"message/rfc822": {}}}})
def get_raw_message(session: SessionDep, principal: Marketer, message_id: IdPath) -> Response:
    """The email exactly as the sink received it."""
    message = service.get_message(session, workspace_id=principal.workspace_id, message_id=message_id)
    return Response(message.raw, media_type="message/rfc822",
                    headers={"Content-Disposition": f'attachment; filename="message-{message.id}.eml"',
                             "X-Content-Type-Options": "nosniff"})


@router.delete("/messages", response_model=ClearResult)
def clear_messages(session: SessionDep, principal: Marketer) -> ClearResult:
    """Delete every caught email of the workspace."""
    return ClearResult(deleted=service.clear_messages(session, workspace_id=principal.workspace_id))
