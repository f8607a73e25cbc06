"""The `kempen import` part of bench/ingest.py: contacts and orders CSV throughput, if imports exist."""

from __future__ import annotations

import csv
import importlib
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker


def _write_contacts(path: Path, rows: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Customer ID", "Email", "First name", "Last name", "Country", "City"])
        for i in range(rows):
            writer.writerow([f"imp-{i}", f"imp{i}@example.com", f"First{i}", f"Last{i}", "MY", "Kuala Lumpur"])


def _write_orders(path: Path, orders: int) -> None:
    """Two line items per order, one CSV row per item, as shops export them."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Order ID", "Customer ID", "Order date", "Total", "Currency", "SKU", "Product name",
                         "Quantity", "Price"])
        for i in range(orders):
            for item in range(2):
                writer.writerow([f"ord-{i}", f"imp-{i % 5_000}", f"2025-03-{1 + i % 28:02d}T12:00:00", "30.00",
                                 "MYR", f"SKU-{item}", f"Product {item}", "1", "15.00"])


def measure_imports(engine: Engine, workspace_id: int, tmp: Path, rows: int) -> list[tuple[str, int, float]]:
    """Return (method, rows, seconds) for a contacts and an orders import, or nothing if imports are absent."""
    try:
        imports: Any = importlib.import_module("kempen.imports.service")
        import_contacts, import_orders = imports.import_contacts, imports.import_orders
    except (ImportError, AttributeError):
        print("note: kempen.imports.service.import_contacts/import_orders not found; import figures skipped")
        return []
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    contacts_csv, orders_csv = tmp / f"contacts-{workspace_id}.csv", tmp / f"orders-{workspace_id}.csv"
    _write_contacts(contacts_csv, rows)
    _write_orders(orders_csv, rows // 2)
    figures = []
    for method, function, path, count in (("kempen import contacts", import_contacts, contacts_csv, rows),
                                          ("kempen import orders (CSV rows)", import_orders, orders_csv, rows)):
        started = time.perf_counter()
        try:
            run = function(factory, workspace_id=workspace_id, actor="bench", path=path, batch_size=5_000)
        except Exception as exc:  # an import module still being built must not sink the event figures
            print(f"note: {method} failed ({type(exc).__name__}: {exc}); figure skipped")
            continue
        seconds = time.perf_counter() - started
        print(f"{method}: {getattr(run, 'status', '?')}, created {getattr(run, 'created_rows', '?')}, "
              f"rejected {getattr(run, 'rejected_rows', '?')}")
        figures.append((method, count, seconds))
    return figures
