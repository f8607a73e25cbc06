"""Conversions API: a server reports goals reached (one or a batch), lists them; the site key for the snippet."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import AwareDatetime, ValidationError

from kempen.http.deps import Admin, Marketer, SessionDep, Viewer
from kempen.kit.errors import InvalidInput
from kempen.kit.ids import MAX_ID
from kempen.kit.pagination import MAX_PAGE
from kempen.tracking import conversions, site_keys
from kempen.tracking.conversions import BatchResult, ConversionIn, ConversionOut, ConversionPage

router = APIRouter(tags=["conversions"])
_ONE = ConversionIn.model_json_schema(ref_template="#/components/schemas/{model}")
_BATCH = {"type": "object", "required": ["conversions"], "properties": {"conversions": {
    "type": "array", "minItems": 1, "maxItems": conversions.MAX_BATCH, "items": _ONE}}}
_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [_ONE, _BATCH]}}}}}


@router.post("/conversions", status_code=status.HTTP_201_CREATED, openapi_extra=_BODY,
             responses={201: {"model": ConversionOut}, 200: {"model": ConversionOut | BatchResult}})
def record_conversions(session: SessionDep, principal: Marketer, response: Response,
                       payload: Annotated[dict[str, Any], Body()]) -> Any:
    """Record one conversion (201; 200 with the stored one for a repeated idempotency_key), or a batch.

    A batch (`{"conversions": [...]}`, up to 1,000) answers 200 item by item: created, duplicate or
    error with its index; the good items are stored, the bad ones not.
    """
    if "conversions" in payload:
        if not isinstance(payload["conversions"], list) or len(payload) > 1:
            raise InvalidInput("A batch is an object with one field, `conversions`: a list of conversions.")
        response.status_code = status.HTTP_200_OK
        return conversions.record_batch(session, workspace_id=principal.workspace_id, records=payload["conversions"])
    try:
        data = ConversionIn.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(conversions.describe(exc)) from None
    item = conversions.record_conversions(session, workspace_id=principal.workspace_id, items=[data])[0]
    if item.status == "error" or item.id is None:
        raise InvalidInput(item.error or "The conversion could not be stored.")
    if item.status == "duplicate":
        response.status_code = status.HTTP_200_OK
    row = conversions.get_conversion(session, workspace_id=principal.workspace_id, conversion_id=item.id)
    return ConversionOut.model_validate(row)


@router.get("/conversions", response_model=ConversionPage)
def list_conversions(session: SessionDep, principal: Viewer,
                     since: Annotated[AwareDatetime | None, Query(description="occurred at or after")] = None,
                     until: Annotated[AwareDatetime | None, Query(description="occurred before")] = None,
                     name: Annotated[str | None, Query(max_length=120)] = None,
                     contact_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                     cursor: Annotated[str | None, Query(max_length=200)] = None,
                     limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50) -> ConversionPage:
    """Conversions, most recently stored first, one page at a time."""
    rows, next_cursor = conversions.list_conversions(
        session, workspace_id=principal.workspace_id, since=_utc(since), until=_utc(until), name=name,
        contact_id=contact_id, cursor=cursor, limit=limit)
    return ConversionPage(items=[ConversionOut.model_validate(r) for r in rows], next_cursor=next_cursor)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


@router.get("/settings/tracking/site-key", tags=["settings"])
def get_site_key(session: SessionDep, principal: Viewer) -> dict[str, str]:
    """The site key that the website snippet sends (public, not a secret); made on first use."""
    return {"site_key": site_keys.get_site_key(session, workspace_id=principal.workspace_id)}


@router.post("/settings/tracking/site-key/rotate", tags=["settings"])
def rotate_site_key(session: SessionDep, principal: Admin) -> dict[str, str]:
    """Replace the site key (admins); pages still sending the old key are refused until updated."""
    return {"site_key": site_keys.rotate_site_key(session, workspace_id=principal.workspace_id,
                                                  actor=principal.actor)}
