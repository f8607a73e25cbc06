"""Turn CSV rows into the records the contact and order services take, one batch at a time.

Empty cells are left out of a record, so re-importing a file with a blank column never erases a
value already stored. Orders come one row per line item: rows that share an order id form one
order, its order-level fields taken from the first row that has them. Rows of one order are never
split between two batches when they are adjacent (as shop exports write them); the rows of an
order that appear again after its batch was written are refused with a reason, rather than
silently replacing the items written before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kempen.imports.mapping import CUSTOM_PREFIX
from kempen.imports.reader import CsvRow
from kempen.imports.rejects import Reject

_TAG_SPLIT = re.compile(r"[;,]")
_LOWERCASE = {"lifecycle_stage", "status"}
ITEM_PREFIX = "item."


@dataclass
class Batch:
    """The records of one batch, the CSV rows behind each, and the rows refused before any service saw them."""

    records: list[dict[str, Any]] = field(default_factory=list)
    rows: list[list[CsvRow]] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    row_count: int = 0

    def refuse(self, row: CsvRow, reason: str) -> None:
        self.rejects.append(Reject(row.line, row.cells, reason))


def contact_record(cells: list[str], positions: list[tuple[int, str]]) -> dict[str, Any]:
    """Build a contact record from a row's non-empty cells."""
    record: dict[str, Any] = {}
    for index, target in positions:
        value = cells[index].strip()
        if not value:
            continue
        if target == "tags":
            record["tags"] = [t.strip() for t in _TAG_SPLIT.split(value) if t.strip()]
        elif target.startswith(CUSTOM_PREFIX):
            record.setdefault("custom_fields", {})[target.removeprefix(CUSTOM_PREFIX)] = value
        else:
            record[target] = value.lower() if target in _LOWERCASE else value
    return record


def contact_batches(rows: Iterator[CsvRow], positions: list[tuple[int, str]], size: int) -> Iterator[Batch]:
    """Group rows into batches of `size` rows, one contact record per usable row."""
    batch = Batch()
    for row in rows:
        if batch.row_count >= size:
            yield batch
            batch = Batch()
        batch.row_count += 1
        if row.error:
            batch.refuse(row, row.error)
            continue
        batch.records.append(contact_record(row.cells, positions))
        batch.rows.append([row])
    if batch.row_count:
        yield batch


def order_batches(rows: Iterator[CsvRow], positions: list[tuple[int, str]], size: int) -> Iterator[Batch]:
    """Group rows into orders by order id, and orders into batches of about `size` rows."""
    id_index = next(i for i, target in positions if target == "external_id")
    has_items = any(target.startswith(ITEM_PREFIX) for _, target in positions)
    # Ids of orders already written by an earlier batch: one short string per order, not the rows.
    written: set[str] = set()
    batch, last_id = Batch(), None
    groups: dict[str, int] = {}  # order id → its record's index in the batch
    for row in rows:
        order_id = None if row.error else row.cells[id_index].strip()
        if batch.row_count >= size and order_id != last_id:
            yield batch
            written.update(groups)
            batch = Batch()
            groups = {}
        batch.row_count += 1
        last_id = order_id
        if row.error or not order_id:
            batch.refuse(row, row.error or "missing order id")
        elif order_id in written:
            batch.refuse(row, f"order {order_id}'s rows are not together: earlier rows of it were imported "
                              "in a previous batch; keep an order's rows adjacent")
        elif order_id in groups:
            _add_row(batch.records[groups[order_id]], row.cells, positions)
            batch.rows[groups[order_id]].append(row)
        else:
            groups[order_id] = len(batch.records)
            batch.records.append({"items": []} if has_items else {})
            _add_row(batch.records[-1], row.cells, positions)
            batch.rows.append([row])
    if batch.row_count:
        yield batch


def _add_row(record: dict[str, Any], cells: list[str], positions: list[tuple[int, str]]) -> None:
    item: dict[str, str] = {}
    for index, target in positions:
        value = cells[index].strip()
        if not value:
            continue
        if target.startswith(ITEM_PREFIX):
            item[target.removeprefix(ITEM_PREFIX)] = value
        elif target not in record:
            record[target] = value.lower() if target in _LOWERCASE else value
    if item:
        record["items"].append(item)
