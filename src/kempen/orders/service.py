"""Orders (purchase history): batch upsert by external id, detail and the contact's order timeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts.schemas import RowError
from kempen.contacts.service import describe_validation_error
from kempen.events import paging
from kempen.kit.errors import NotFound
from kempen.kit.sql import chunked
from kempen.models import Order, OrderItem
from kempen.orders import schemas
from kempen.orders.matching import match_contacts
from kempen.webhooks import service as webhooks

MAX_PAGE = 500


def upsert_orders(
    session: Session, *, workspace_id: int, actor: str, records: list[dict[str, Any]],
) -> schemas.OrderUpsertResult:
    """Create or update orders by external id, replacing their line items; refuse bad rows one by one.

    When one batch carries an external id twice, the later row wins and both rows report its id.
    """
    parsed, errors = _parse(records)
    contact_ids = match_contacts(session, workspace_id=workspace_id, actor=actor, parsed=parsed, errors=errors)
    winners: dict[str, int] = {}
    for index, order in enumerate(parsed):
        if order is not None and contact_ids[index] is not None:
            winners[order.external_id] = index
    existing = _existing_ids(session, workspace_id, list(winners))
    new = [i for ext, i in winners.items() if ext not in existing]
    changed = {existing[ext]: i for ext, i in winners.items() if ext in existing}
    stored = dict(existing)
    stored.update(_insert_orders(session, workspace_id, [(parsed[i], contact_ids[i]) for i in new]))
    _update_orders(session, [(order_id, parsed[i], contact_ids[i]) for order_id, i in changed.items()])
    _replace_items(session, workspace_id, {stored[parsed[i].external_id]: parsed[i] for i in winners.values()},
                   replaced=list(changed))
    created_ids = [stored[parsed[i].external_id] for i in new]
    _notify(session, workspace_id, created_ids, list(changed))
    if winners:
        audit.record(session, workspace_id=workspace_id, actor=actor, action="orders.upserted", entity_type="order",
                     entity_id="batch", details={"created": len(new), "updated": len(changed), "rejected": len(errors)})
    ids = [stored[o.external_id] if o is not None and contact_ids[i] is not None else None
           for i, o in enumerate(parsed)]
    errors.sort(key=lambda e: e.index)
    return schemas.OrderUpsertResult(created=len(new), updated=len(changed), rejected=len(errors), ids=ids,
                                     errors=errors)


def _parse(records: list[dict[str, Any]]) -> tuple[list[Any], list[RowError]]:
    parsed: list[schemas.OrderIn | None] = []
    errors: list[RowError] = []
    for index, record in enumerate(records):
        try:
            parsed.append(schemas.OrderIn.model_validate(record))
        except ValidationError as exc:
            parsed.append(None)
            errors.append(RowError(index=index, reason=describe_validation_error(exc)))
    return parsed, errors


def _existing_ids(session: Session, workspace_id: int, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunked(external_ids):
        stmt = select(Order.external_id, Order.id).where(Order.workspace_id == workspace_id,
                                                         Order.external_id.in_(chunk))
        found.update({ext: order_id for ext, order_id in session.execute(stmt)})
    return found


def _fields(order: schemas.OrderIn, contact_id: int | None) -> dict[str, Any]:
    return {"contact_id": contact_id, "placed_at": order.placed_at, "amount": order.amount,
            "currency": order.currency, "status": order.status, "channel": order.channel}


def _insert_orders(session: Session, workspace_id: int, rows: list[tuple[Any, int | None]]) -> dict[str, int]:
    """Insert new orders in bulk and return their ids by external id."""
    if not rows:
        return {}
    values = [{"workspace_id": workspace_id, "external_id": o.external_id, **_fields(o, c)} for o, c in rows]
    # Mapped back by external id, so the rows may come back in any order and insert in big batches.
    stmt = insert(Order).returning(Order.external_id, Order.id)
    return {ext: order_id for ext, order_id in session.execute(stmt, values)}


def _update_orders(session: Session, rows: list[tuple[int, Any, int | None]]) -> None:
    if rows:
        # ORM bulk UPDATE by primary key: one executemany; the ids come from a workspace-scoped query.
        session.execute(update(Order), [{"id": order_id, **_fields(o, c)} for order_id, o, c in rows])


def _replace_items(session: Session, workspace_id: int, orders: dict[int, schemas.OrderIn],
                   *, replaced: list[int]) -> None:
    for chunk in chunked(replaced):
        session.execute(delete(OrderItem).where(OrderItem.workspace_id == workspace_id,
                                                OrderItem.order_id.in_(chunk)))
    values = [{"workspace_id": workspace_id, "order_id": order_id, **item.model_dump()}
              for order_id, order in orders.items() for item in order.items]
    if values:
        session.execute(insert(OrderItem), values)


def _notify(session: Session, workspace_id: int, created: list[int], updated: list[int]) -> None:
    for event_type, ids in (("order.created", created), ("order.updated", updated)):
        endpoints = webhooks.subscribers(session, workspace_id=workspace_id, event_type=event_type)
        if endpoints and ids:
            payloads = [d.model_dump(mode="json") for d in order_details(session, workspace_id=workspace_id, ids=ids)]
            webhooks.enqueue(session, workspace_id=workspace_id, event_type=event_type, payloads=payloads,
                             endpoints=endpoints)


def get_order_or_raise(session: Session, *, workspace_id: int, order_id: int) -> Order:
    order = session.scalar(select(Order).where(Order.workspace_id == workspace_id, Order.id == order_id))
    if order is None:
        raise NotFound(f"No order {order_id} in this workspace.")
    return order


def order_detail(session: Session, *, workspace_id: int, order_id: int) -> schemas.OrderDetail:
    """An order with its line items."""
    order = get_order_or_raise(session, workspace_id=workspace_id, order_id=order_id)
    return _with_items(session, workspace_id, [order])[0]


def order_details(session: Session, *, workspace_id: int, ids: Sequence[int]) -> list[schemas.OrderDetail]:
    """Orders with their line items, in the order of `ids` (unknown ids are skipped)."""
    orders: dict[int, Order] = {}
    for chunk in chunked(list(ids)):
        orders.update({o.id: o for o in session.scalars(
            select(Order).where(Order.workspace_id == workspace_id, Order.id.in_(chunk)))})
    return _with_items(session, workspace_id, [orders[i] for i in ids if i in orders])


def _with_items(session: Session, workspace_id: int, orders: Sequence[Order]) -> list[schemas.OrderDetail]:
    items: dict[int, list[schemas.OrderItem]] = {o.id: [] for o in orders}
    for chunk in chunked(list(items)):
        stmt = select(OrderItem).where(OrderItem.workspace_id == workspace_id, OrderItem.order_id.in_(chunk))
        for item in session.scalars(stmt.order_by(OrderItem.id)):
            items[item.order_id].append(schemas.OrderItem.model_validate(item))
    return [schemas.OrderDetail(**schemas.Order.model_validate(o).model_dump(), items=items[o.id]) for o in orders]


def list_orders(
    session: Session, *, workspace_id: int, contact_id: int | None = None, cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[schemas.OrderDetail], str | None]:
    """Return one page of orders with their items, most recently placed first."""
    limit = max(1, min(limit, MAX_PAGE))
    stmt = select(Order).where(Order.workspace_id == workspace_id)
    if contact_id is not None:
        stmt = stmt.where(Order.contact_id == contact_id)
    stmt = paging.after_cursor(stmt, Order.placed_at, Order.id, cursor)
    rows = list(session.scalars(stmt.order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit + 1)))
    page, next_cursor = paging.page(rows, limit, lambda o: (o.placed_at, o.id))
    return _with_items(session, workspace_id, page), next_cursor
