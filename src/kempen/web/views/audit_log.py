"""The audit log page for admins (/settings/audit): filters, pages of 50, CSV export of what is filtered."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from kempen.http.deps import SessionDep
from kempen.kit.errors import InvalidInput
from kempen.models import Role
from kempen.teamwork import audit_log
from kempen.web.auth import WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/settings/audit"
Text = Annotated[str, Query(max_length=320)]


def _error(request: Request, ctx: WebContext, status: int, title: str, message: str) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "audit", "status_code": status, "title": title,
                                          "message": message}, status_code=status)


def _date(value: str, what: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise InvalidInput(f"Give the {what} date as YYYY-MM-DD.") from None


@router.get(PAGE)
def audit_page(request: Request, session: SessionDep, ctx: WebUser, entity_type: Text = "", entity_id: Text = "",
               actor: Text = "", action: Text = "", since: Text = "", until: Text = "", cursor: str | None = None,
               format: Annotated[str, Query(max_length=8)] = "") -> Response:
    """Who changed what and when in this workspace, newest first (admins)."""
    if not ctx.principal.role.includes(Role.ADMIN):
        return _error(request, ctx, 403, "Admins only", "The audit log is open to the workspace's admins.")
    form = {"entity_type": entity_type, "entity_id": entity_id, "actor": actor, "action": action, "since": since,
            "until": until}
    try:
        where = audit_log.AuditFilter(entity_type=entity_type, entity_id=entity_id, actor=actor, action=action,
                                      since=_date(since, "start"), until=_date(until, "end"))
        if format == "csv":
            body = "".join(audit_log.export_csv(session, workspace_id=ctx.workspace_id, where=where))
            return Response(body, media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
        entries, next_cursor = audit_log.list_entries(session, workspace_id=ctx.workspace_id, where=where,
                                                      cursor=cursor, limit=50)
    except InvalidInput as exc:
        entries, next_cursor, problem = [], None, exc.detail
    else:
        problem = ""
    query = {k: v for k, v in form.items() if v}
    return render(request, "audit/log.html", {
        "ctx": ctx, "nav": "audit", "entries": entries, "form": form, "problem": problem,
        "labels": audit_log.actor_labels(session, workspace_id=ctx.workspace_id, entries=entries),
        "entity_types": audit_log.entity_types(session, workspace_id=ctx.workspace_id),
        "next_url": f"{PAGE}?{urlencode({**query, 'cursor': next_cursor})}" if next_cursor else "",
        "csv_url": f"{PAGE}?{urlencode({**query, 'format': 'csv'})}", "first_page": cursor is None,
        "first_url": f"{PAGE}?{urlencode(query)}",
        "show": lambda details: json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)})
