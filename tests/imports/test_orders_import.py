"""Importing orders: one row per line item grouped by order id; orders of unknown customers refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kempen.contacts.batch import upsert_contacts
from kempen.imports import service
from kempen.kit.errors import InvalidInput
from kempen.models import ImportRun, ImportStatus, Order, OrderItem
from tests.conftest import Tenant
from tests.imports.conftest import WriteCsv, read_rejects

HEADER = ["Order ID", "Customer Email", "Date", "Total", "Currency", "Status", "SKU", "Product Name",
          "Category", "Qty", "Price", "Gift note"]
ROWS = [
    ["A-1", "ann@example.com", "2024-03-01 10:00", "60.00", "EUR", "Paid", "TEA", "Green tea", "tea", "2", "10",
     ""],                                                                                          # line 2
    ["A-1", "", "", "", "", "", "CUP", "Cup", "ware", "1", "40", "for mum"],                        # line 3
    ["A-2", "ghost@example.com", "2024-03-02", "5", "EUR", "", "TEA", "Green tea", "tea", "1", "5", ""],  # line 4
    ["A-2", "", "", "", "", "", "CUP", "Cup", "ware", "1", "0", ""],                                # line 5
    ["", "ann@example.com", "2024-03-03", "5", "EUR", "", "TEA", "", "", "1", "5", ""],              # line 6
    ["A-3", "bo@example.com", "2024-03-04", "12.5", "EURO", "", "", "", "", "", "", ""],             # line 7
    ["A-4", "bo@example.com", "2024-03-05T09:30:00+08:00", "12.50", "myr", "fulfilled", "", "", "", "", "",
     ""],                                                                                          # line 8
]


@pytest.fixture
def customers(session: Session, tenant: Tenant) -> None:
    upsert_contacts(session, workspace_id=tenant.id, actor="test",
                    records=[{"email": "ann@example.com"}, {"email": "bo@example.com"}])
    session.commit()


def _run(factory: sessionmaker[Session], tenant: Tenant, path: Path, **kwargs: object) -> ImportRun:
    return service.import_orders(factory, workspace_id=tenant.id, actor="test", path=path, **kwargs)  # type: ignore[arg-type]


def _orders(session: Session, tenant: Tenant) -> dict[str, Order]:
    session.expire_all()
    return {o.external_id: o for o in session.scalars(select(Order).where(Order.workspace_id == tenant.id))}


def _items(session: Session, order: Order) -> list[tuple[str, int, Decimal]]:
    stmt = select(OrderItem).where(OrderItem.workspace_id == order.workspace_id, OrderItem.order_id == order.id)
    return [(i.sku, i.quantity, i.price) for i in session.scalars(stmt.order_by(OrderItem.sku))]


@pytest.mark.usefixtures("customers")
def test_line_items_are_grouped_and_bad_orders_refused_row_by_row(
        factory: sessionmaker[Session], session: Session, tenant: Tenant, write_csv: WriteCsv, tmp_path: Path) -> None:
    rejects_path = tmp_path / "orders.rejects.csv"
    run = _run(factory, tenant, write_csv([HEADER, *ROWS]), rejects_path=rejects_path)

    assert (run.status, run.total_rows, run.created_rows, run.rejected_rows) == (ImportStatus.COMPLETED, 7, 2, 4)
    assert run.column_mapping["unmapped"] == ["Gift note"]
    reasons = {int(r["line"]): r["reason"] for r in read_rejects(rejects_path)}
    assert sorted(reasons) == [4, 5, 6, 7]
    assert reasons[4] == reasons[5] and "unknown contact" in reasons[4] and "ghost@example.com" in reasons[4]
    assert reasons[6] == "missing order id" and "unknown currency 'EURO'" in reasons[7]

    orders = _orders(session, tenant)
    assert sorted(orders) == ["A-1", "A-4"]
    assert (orders["A-1"].amount, orders["A-1"].status, orders["A-1"].currency) == (Decimal("60.00"), "paid", "EUR")
    assert _items(session, orders["A-1"]) == [("CUP", 1, Decimal("40")), ("TEA", 2, Decimal("10"))]
    assert orders["A-4"].currency == "MYR" and orders["A-4"].placed_at.hour == 1 and _items(session, orders["A-4"]) == []


@pytest.mark.usefixtures("customers")
def test_reimport_replaces_items_instead_of_duplicating(
        factory: sessionmaker[Session], session: Session, tenant: Tenant, write_csv: WriteCsv) -> None:
    path = write_csv([HEADER, *ROWS])
    _run(factory, tenant, path)
    again = _run(factory, tenant, path)
    assert (again.created_rows, again.updated_rows) == (0, 2)
    orders = _orders(session, tenant)
    assert len(orders) == 2 and len(_items(session, orders["A-1"])) == 2
    assert session.scalar(select(func.count()).select_from(OrderItem)
                          .where(OrderItem.workspace_id == tenant.id)) == 2


@pytest.mark.usefixtures("customers")
def test_an_order_is_never_split_between_batches(factory: sessionmaker[Session], session: Session,
                                                 tenant: Tenant, write_csv: WriteCsv, tmp_path: Path) -> None:
    head = ["Order", "Email", "Date", "Amount", "Currency", "SKU", "Price"]

    def row(order: str, sku: str) -> list[str]:
        return [order, "ann@example.com", "2024-01-01", "3", "EUR", sku, "1"]

    rows = [row("B-1", "a"), row("B-1", "b"), row("B-1", "c"), row("B-2", "a"), row("B-1", "d")]
    run = _run(factory, tenant, write_csv([head, *rows]), batch_size=2, rejects_path=tmp_path / "r.csv")
    orders = _orders(session, tenant)
    assert len(_items(session, orders["B-1"])) == 3  # batch 1 grew to keep B-1's three adjacent rows together
    assert (run.created_rows, run.rejected_rows) == (2, 1)
    [reject] = read_rejects(tmp_path / "r.csv")
    assert reject["line"] == "6" and "keep an order's rows adjacent" in reject["reason"]


def test_orders_need_an_order_id_and_a_customer_column(factory: sessionmaker[Session], tenant: Tenant,
                                                       write_csv: WriteCsv) -> None:
    with pytest.raises(InvalidInput, match="No order id column"):
        _run(factory, tenant, write_csv([["Email", "Total"], ["a@example.com", "1"]]))
    with pytest.raises(InvalidInput, match="contact_id or contact_external_id or contact_email"):
        _run(factory, tenant, write_csv([["Order ID", "Total"], ["A", "1"]]))
