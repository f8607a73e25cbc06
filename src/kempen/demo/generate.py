"""Generate a whole demo dataset into one workspace, chunk by chunk, in the caller's transaction.

Determinism: every chunk draws from its own random stream seeded by (seed, first contact number), and all
timestamps are relative to midnight UTC of the `as_of` day, never the wall clock. The same contacts,
seed and as-of day on an empty workspace therefore give the same rows (ids aside, which follow the
database's existing rows).

Demo rows are bulk-written: no webhooks are enqueued for them; one audit entry records the run.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.demo import setup
from kempen.demo.common import CHUNK_SIZE, EXTERNAL_ID_PREFIX, DemoContext, IdRange, chunk_rng
from kempen.demo.contacts import generate_contacts
from kempen.demo.events import generate_events
from kempen.demo.memberships import (
    generate_consents,
    generate_list_memberships,
    generate_suppressions,
    generate_tags,
)
from kempen.demo.orders import generate_orders
from kempen.demo.writer import BulkWriter
from kempen.kit.errors import Conflict, InvalidInput
from kempen.models import Contact

# Called with (table name, rows just written); the CLI turns it into progress bars.
ProgressCallback = Callable[[str, int], None]
MAX_CONTACTS = 10_000_000


@dataclass
class DemoSummary:
    """What a run wrote, and how long it took."""

    workspace_id: int
    seed: int
    as_of: date
    first_number: int
    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def count_demo_contacts(session: Session, *, workspace_id: int, seed: int | None = None) -> int:
    """Count the contacts earlier demo runs created in a workspace (of one seed, or of any)."""
    prefix = f"{EXTERNAL_ID_PREFIX}{seed}-" if seed is not None else EXTERNAL_ID_PREFIX
    stmt = select(func.count()).select_from(Contact).where(
        Contact.workspace_id == workspace_id, Contact.external_id.like(f"{prefix}%"))
    return session.scalar(stmt) or 0


def ensure_can_generate(session: Session, *, workspace_id: int, contacts: int, append: bool) -> None:
    """Raise unless the arguments are sane and the workspace has no demo contacts yet (or we append)."""
    if not 0 < contacts <= MAX_CONTACTS:
        raise InvalidInput(f"--contacts must be between 1 and {MAX_CONTACTS:,}.")
    if not append and count_demo_contacts(session, workspace_id=workspace_id):
        raise Conflict("This workspace already has demo contacts; pass --append to add more.")


def _prepare(session: Session, ctx: DemoContext, writer: BulkWriter, contacts: int,
             ranges: dict[str, IdRange], summary: DemoSummary) -> None:
    setup.ensure_custom_fields(session, workspace_id=ctx.workspace_id)
    ctx.tag_ids = setup.ensure_tags(session, workspace_id=ctx.workspace_id)
    ctx.list_ids = setup.ensure_lists(session, workspace_id=ctx.workspace_id)
    session.flush()
    companies = setup.company_rows(ctx, first_number=setup.next_company_number(session, ctx),
                                   count=max(3, contacts // setup.CONTACTS_PER_COMPANY),
                                   ids=ranges["companies"], dialect=writer.dialect)
    writer.reserve(ranges)
    summary.counts["companies"] += writer.write("companies", companies)


def _write_chunk(ctx: DemoContext, writer: BulkWriter, numbers: np.ndarray, ranges: dict[str, IdRange],
                 report: ProgressCallback) -> None:
    first, dialect = int(numbers[0]), writer.dialect
    chunk = generate_contacts(chunk_rng(ctx.seed, first, 0), ctx, numbers, ranges["contacts"], dialect)
    orders = generate_orders(chunk_rng(ctx.seed, first, 1), ctx, chunk, ranges["orders"], ranges["order_items"],
                             dialect)
    events = generate_events(chunk_rng(ctx.seed, first, 2), ctx, chunk, ranges["events"], dialect)
    rng = chunk_rng(ctx.seed, first, 3)
    consents, email_status = generate_consents(rng, ctx, chunk, dialect)
    suppressions = generate_suppressions(rng, ctx, chunk, email_status, ranges["suppressions"], dialect)
    tags = generate_tags(rng, ctx, chunk, dialect)
    memberships = generate_list_memberships(rng, ctx, chunk, email_status, dialect)
    writer.reserve(ranges)
    report("contacts", writer.write("contacts", chunk.columns))
    for name, columns in (("consents", consents), ("suppressions", suppressions), ("contact_tags", tags),
                          ("list_memberships", memberships)):
        report(name, writer.write(name, columns))
    report("orders", writer.write("orders", orders.orders))
    report("order_items", writer.write("order_items", orders.items))
    report("events", writer.write("events", events))


def generate_demo(session: Session, *, workspace_id: int, contacts: int, seed: int, as_of: date, actor: str,
                  append: bool = False, on_progress: ProgressCallback | None = None) -> DemoSummary:
    """Generate `contacts` demo contacts with their orders, events, consents, tags and lists."""
    ensure_can_generate(session, workspace_id=workspace_id, contacts=contacts, append=append)
    started = time.perf_counter()
    first_number = count_demo_contacts(session, workspace_id=workspace_id, seed=seed)
    summary = DemoSummary(workspace_id=workspace_id, seed=seed, as_of=as_of, first_number=first_number)
    ctx = DemoContext(workspace_id=workspace_id, seed=seed, as_of=as_of)
    writer = BulkWriter(session)

    def report(table: str, rows: int) -> None:
        summary.counts[table] += rows
        if on_progress is not None:
            on_progress(table, rows)

    with writer.loading():
        ranges = writer.id_ranges()
        _prepare(session, ctx, writer, contacts, ranges, summary)
        for start in range(first_number, first_number + contacts, CHUNK_SIZE):
            stop = min(start + CHUNK_SIZE, first_number + contacts)
            _write_chunk(ctx, writer, np.arange(start, stop, dtype=np.int64), ranges, report)
        writer.analyze()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="demo.generated", entity_type="workspace",
                 entity_id=workspace_id, details={"seed": seed, "as_of": as_of.isoformat(),
                                                  "first_number": first_number, "counts": dict(summary.counts)})
    summary.seconds = time.perf_counter() - started
    return summary
