"""Order and event routes: purchase history, behavioural events and the contact timelines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from kempen.contacts import service as contacts
from kempen.events import schemas as event_schemas
from kempen.events import service as events
from kempen.http.deps import Marketer, SessionDep, Viewer
from kempen.kit.errors import InvalidInput, KempenError
from kempen.orders import schemas as order_schemas
from kempen.orders import service as orders

router = APIRouter(tags=["orders and events"])
PageLimit = Annotated[int, Query(ge=1, le=orders.MAX_PAGE)]
MAX_EVENTS_BODY = 64 * 1024 * 1024


class PayloadTooLarge(KempenError):
    status = 413
    title = "Payload too large"


@router.post("/orders", response_model=order_schemas.OrderDetail, status_code=status.HTTP_201_CREATED)
def put_order(session: SessionDep, principal: Marketer, data: order_schemas.OrderIn,
              response: Response) -> order_schemas.OrderDetail:
    """Create an order, or update the one with the same external id (201 created, 200 updated)."""
    result = orders.upsert_orders(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                  records=[data.model_dump(exclude_unset=True)])
    if result.errors:
        raise InvalidInput(result.errors[0].reason)
    order_id = result.ids[0]
    assert order_id is not None
    if result.updated:
        response.status_code = status.HTTP_200_OK
    return orders.order_detail(session, workspace_id=principal.workspace_id, order_id=order_id)


@router.put("/orders/batch", response_model=order_schemas.OrderUpsertResult)
def upsert_orders(session: SessionDep, principal: Marketer,
                  payload: Annotated[order_schemas.OrderUpsertBatch, Body()]) -> order_schemas.OrderUpsertResult:
    """Create or update up to 10,000 orders by external id; each re-sent order gets its items replaced.

    Bad rows are refused one by one with their index and reason; the good ones are stored.
    """
    return orders.upsert_orders(session, workspace_id=principal.workspace_id, actor=principal.actor,
                                records=payload.orders)


@router.get("/orders", response_model=order_schemas.OrderPage)
def list_orders(session: SessionDep, principal: Viewer, contact_id: int | None = None, cursor: str | None = None,
                limit: PageLimit = 50) -> order_schemas.OrderPage:
    """Orders with their items, most recently placed first, one page at a time."""
    items, next_cursor = orders.list_orders(session, workspace_id=principal.workspace_id, contact_id=contact_id,
                                            cursor=cursor, limit=limit)
    return order_schemas.OrderPage(items=items, next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=order_schemas.OrderDetail)
def get_order(session: SessionDep, principal: Viewer, order_id: int) -> order_schemas.OrderDetail:
    """An order with its line items."""
    return orders.order_detail(session, workspace_id=principal.workspace_id, order_id=order_id)


async def _raw_body(request: Request) -> bytes:
    if int(request.headers.get("content-length") or 0) > MAX_EVENTS_BODY:
        raise PayloadTooLarge(f"The body is larger than {MAX_EVENTS_BODY // 2**20} MiB; send smaller batches.")
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


@router.post("/events/batch", response_model=event_schemas.EventIngestResult,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": event_schemas.batch_body_schema()}}}})
def ingest_events(session: SessionDep, principal: Marketer, body: RawBody) -> event_schemas.EventIngestResult:
    """Store up to 10,000 events; a re-sent `idempotency_key` is counted as a duplicate, never stored twice.

    Bad rows are refused one by one with their index and reason; the good ones are stored.
    """
    return events.ingest_json(session, workspace_id=principal.workspace_id, body=body)


@router.get("/events", response_model=event_schemas.EventPage)
def list_events(session: SessionDep, principal: Viewer, contact_id: int | None = None, name: str | None = None,
                cursor: str | None = None, limit: PageLimit = 50) -> event_schemas.EventPage:
    """Events, newest first, optionally of one contact and/or one name."""
    items, next_cursor = events.list_events(session, workspace_id=principal.workspace_id, contact_id=contact_id,
                                            name=name, cursor=cursor, limit=limit)
    return event_schemas.EventPage(items=[event_schemas.Event.model_validate(e) for e in items],
                                   next_cursor=next_cursor)


@router.get("/contacts/{contact_id}/events", response_model=event_schemas.EventPage)
def contact_events(session: SessionDep, principal: Viewer, contact_id: int, name: str | None = None,
                   cursor: str | None = None, limit: PageLimit = 50) -> event_schemas.EventPage:
    """A contact's event timeline, newest first."""
    contacts.get_contact_or_raise(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    return list_events(session, principal, contact_id=contact_id, name=name, cursor=cursor, limit=limit)


@router.get("/contacts/{contact_id}/orders", response_model=order_schemas.OrderPage)
def contact_orders(session: SessionDep, principal: Viewer, contact_id: int, cursor: str | None = None,
                   limit: PageLimit = 50) -> order_schemas.OrderPage:
    """A contact's purchase history, most recent first."""
    contacts.get_contact_or_raise(session, workspace_id=principal.workspace_id, contact_id=contact_id)
    return list_orders(session, principal, contact_id=contact_id, cursor=cursor, limit=limit)
