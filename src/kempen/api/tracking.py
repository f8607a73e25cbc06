"""Tracking API: bounce and complaint reports by webhook, topics, conversions and the site key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from kempen.http.deps import IdPath, Marketer, SessionDep, Viewer
from kempen.kit.errors import InvalidInput, KempenError
from kempen.tracking import bounces, topics
from kempen.tracking.dsn import MAX_REPORT_BYTES

router = APIRouter(tags=["tracking"])


class ReportTooLarge(KempenError):
    status = 413
    title = "Report too large"


async def _raw_report(request: Request) -> bytes:
    if int(request.headers.get("content-length") or 0) > MAX_REPORT_BYTES:
        raise ReportTooLarge(f"A bounce report is at most {MAX_REPORT_BYTES // 2**20} MiB.")
    body = await request.body()
    if len(body) > MAX_REPORT_BYTES:
        raise ReportTooLarge(f"A bounce report is at most {MAX_REPORT_BYTES // 2**20} MiB.")
    if not body.strip():
        raise InvalidInput("Send the report as the raw message (Content-Type: message/rfc822).")
    return body


@router.post("/bounces", openapi_extra={"requestBody": {"required": True, "content": {
    "message/rfc822": {"schema": {"type": "string", "format": "binary"}}}}})
def receive_report(session: SessionDep, principal: Marketer,
                   raw: Annotated[bytes, Depends(_raw_report)]) -> dict[str, Any]:
    """Apply a DSN or ARF report (the raw message) to this workspace's deliveries; say what it found."""
    return bounces.process_report(session, raw, workspace_id=principal.workspace_id).as_dict()


# Topics

@router.get("/topics", response_model=list[topics.TopicOut])
def list_topics(session: SessionDep, principal: Viewer) -> list[topics.TopicOut]:
    """The workspace's preference topics, with how many contacts opted out of each."""
    return topics.list_topics(session, workspace_id=principal.workspace_id)


@router.post("/topics", response_model=topics.TopicOut, status_code=201)
def create_topic(session: SessionDep, principal: Marketer, data: topics.TopicCreate) -> Any:
    """Create a topic; every contact is subscribed until they opt out; 409 if the key is taken."""
    return topics.create_topic(session, workspace_id=principal.workspace_id, actor=principal.actor, data=data)


@router.patch("/topics/{topic_id}", response_model=topics.TopicOut)
def update_topic(session: SessionDep, principal: Marketer, topic_id: IdPath, data: topics.TopicUpdate) -> Any:
    """Rename a topic or change its description."""
    return topics.update_topic(session, workspace_id=principal.workspace_id, actor=principal.actor,
                               topic_id=topic_id, data=data)


@router.delete("/topics/{topic_id}", status_code=204)
def delete_topic(session: SessionDep, principal: Marketer, topic_id: IdPath) -> None:
    """Delete a topic and the opt-outs made about it."""
    topics.delete_topic(session, workspace_id=principal.workspace_id, actor=principal.actor, topic_id=topic_id)
