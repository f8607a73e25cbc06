"""The audit log for admins: GET /audit with filters, as JSON pages or CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from kempen.http.deps import Admin, SessionDep
from kempen.kit.pagination import MAX_PAGE
from kempen.teamwork import audit_log, schemas

router = APIRouter(tags=["audit"])
Text = Annotated[str, Query(max_length=120)]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "With format=csv: " + ", ".join(audit_log.CSV_COLUMNS)}}


@router.get("/audit", response_model=schemas.AuditPage, responses=CSV_RESPONSE)
def list_audit_entries(session: SessionDep, principal: Admin, entity_type: Text = "", entity_id: Text = "",
                       actor: Annotated[str, Query(max_length=320, description="user:ID, api_key:ID or an email")] = "",
                       action: Annotated[str, Query(max_length=60, description="exact, or a prefix ending in . or *")] = "",
                       since: date | None = None, until: date | None = None, cursor: str | None = None,
                       limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
                       format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Any:
    """Who changed what and when, newest first; `until` is inclusive (UTC days)."""
    where = audit_log.AuditFilter(entity_type=entity_type, entity_id=entity_id, actor=actor, action=action,
                                  since=since, until=until)
    if format == "csv":
        body = "".join(audit_log.export_csv(session, workspace_id=principal.workspace_id, where=where))
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
    items, next_cursor = audit_log.list_entries(session, workspace_id=principal.workspace_id, where=where,
                                                cursor=cursor, limit=limit)
    return schemas.AuditPage(items=[schemas.AuditEntry.model_validate(e) for e in items], next_cursor=next_cursor)
