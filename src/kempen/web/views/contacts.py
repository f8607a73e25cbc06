"""The contacts list: search, filters and cursor pagination, with HTMX partials for results and rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.contacts import lookups
from kempen.contacts import service as contacts
from kempen.http.deps import SessionDep
from kempen.kit.errors import InvalidInput
from kempen.models import Contact, LifecycleStage
from kempen.web.auth import WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
STAGE_VALUES = frozenset(stage.value for stage in LifecycleStage)


@dataclass(frozen=True)
class ContactFilters:
    """The search and filters of the contacts list, as given in the query string."""

    q: str = ""
    country: str = ""
    lifecycle_stage: str = ""
    tag: str = ""

    def as_service_filters(self) -> dict[str, Any]:
        stage = self.lifecycle_stage if self.lifecycle_stage in STAGE_VALUES else None
        return {"q": self.q.strip() or None, "country": self.country or None,
                "lifecycle_stage": stage, "tag": self.tag or None}

    def query_string(self, **extra: str) -> str:
        """Encode the non-empty filters (plus `extra`) for a link."""
        values = {"q": self.q, "country": self.country, "lifecycle_stage": self.lifecycle_stage, "tag": self.tag}
        return urlencode({k: v for k, v in {**values, **extra}.items() if v})

    @property
    def active(self) -> bool:
        return any((self.q.strip(), self.country, self.lifecycle_stage, self.tag))


def contact_filters(
    q: Annotated[str, Query(max_length=200)] = "", country: Annotated[str, Query(max_length=2)] = "",
    lifecycle_stage: Annotated[str, Query(max_length=24)] = "", tag: Annotated[str, Query(max_length=120)] = "",
) -> ContactFilters:
    return ContactFilters(q=q, country=country, lifecycle_stage=lifecycle_stage, tag=tag)


Filters = Annotated[ContactFilters, Depends(contact_filters)]


def _page(session: Session, workspace_id: int, filters: ContactFilters,
          cursor: str | None) -> tuple[list[Contact], str | None, str | None]:
    """Return one page of contacts, the next cursor, and a message if the cursor was refused."""
    try:
        rows, next_cursor = contacts.list_contacts(session, workspace_id=workspace_id, cursor=cursor or None,
                                                   limit=PAGE_SIZE, **filters.as_service_filters())
        return rows, next_cursor, None
    except InvalidInput:
        return [], None, "That page link is no longer valid; start again from the first page."


def _results_context(session: Session, workspace_id: int, filters: ContactFilters,
                     cursor: str | None) -> dict[str, Any]:
    rows, next_cursor, error = _page(session, workspace_id, filters, cursor)
    return {"rows": rows, "next_cursor": next_cursor, "error": error, "filters": filters, "cursor": cursor}


@router.get("/contacts")
def contacts_page(request: Request, session: SessionDep, ctx: WebUser, filters: Filters,
                  cursor: str | None = None) -> Response:
    """Show the contacts list with its search box and filters."""
    context = _results_context(session, ctx.workspace_id, filters, cursor)
    context.update(
        ctx=ctx, nav="contacts", stages=list(LifecycleStage),
        countries=lookups.countries_in_use(session, workspace_id=ctx.workspace_id),
        tags=lookups.tag_names(session, workspace_id=ctx.workspace_id),
    )
    return render(request, "contacts/list.html", context)


@router.get("/contacts/results")
def contacts_results(request: Request, session: SessionDep, ctx: WebUser, filters: Filters) -> Response:
    """Return the results table alone, for the search box and filters to swap in."""
    context = _results_context(session, ctx.workspace_id, filters, None)
    page_url = "/contacts" + (f"?{filters.query_string()}" if filters.active else "")
    return render(request, "contacts/_results.html", context, headers={"HX-Push-Url": page_url})


@router.get("/contacts/rows")
def contacts_rows(request: Request, session: SessionDep, ctx: WebUser, filters: Filters,
                  cursor: str | None = None) -> Response:
    """Return the next page of rows, for "Load more" to append."""
    context = _results_context(session, ctx.workspace_id, filters, cursor)
    return render(request, "contacts/_rows.html", context)
