"""Writing a sub-chunk's outcomes: one UPDATE for every delivery, plus suppressions for bounces.

Every update is conditional on the delivery still being SENDING, the state the worker put it in: a
row someone else settled meanwhile (only the sweeper may, after this worker lost its lease) is left
alone rather than overwritten.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from kempen.channels.base import FailureKind, PermanentCause, SendResult
from kempen.crm.suppressions import normalise_address
from kempen.delivery.rules import Recipient
from kempen.kit.sql import insert_ignoring_conflicts
from kempen.models import Channel, Delivery, DeliveryReason, DeliveryStatus, Suppression, SuppressionReason

RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
_DETAIL_LENGTH = 500
_table: Any = Delivery.__table__

# One statement shape for every outcome, so a whole sub-chunk is a single executemany (SQLite) ...
_SETTLE = (
    update(_table)
    .where(_table.c.id == bindparam("b_id"), _table.c.status == DeliveryStatus.SENDING)
    .values(status=bindparam("b_status"), reason=bindparam("b_reason"), detail=bindparam("b_detail"),
            address=bindparam("b_address"), provider_message_id=bindparam("b_provider"),
            sent_at=bindparam("b_sent_at"), not_before=bindparam("b_not_before"),
            attempts=_table.c.attempts + bindparam("b_attempts"))
)
_COLUMNS = ("b_id", "b_status", "b_reason", "b_detail", "b_address", "b_provider", "b_sent_at", "b_not_before",
            "b_attempts")
# ... or a single UPDATE joined to the outcomes passed as arrays (PostgreSQL): the same rows for about
# half the client CPU, as nothing is processed per row on the way out.
_SETTLE_PG = """
UPDATE deliveries AS d
   SET status = v.status, reason = v.reason, detail = v.detail, address = v.address,
       provider_message_id = v.provider, sent_at = v.sent_at, not_before = v.not_before,
       attempts = d.attempts + v.attempts
  FROM unnest(%(ids)s::bigint[], %(statuses)s::varchar[], %(reasons)s::varchar[], %(details)s::text[],
              %(addresses)s::varchar[], %(providers)s::varchar[], %(sent_at)s::timestamptz[],
              %(not_before)s::timestamptz[], %(attempts)s::int[])
       AS v(id, status, reason, detail, address, provider, sent_at, not_before, attempts)
 WHERE d.id = v.id AND d.status = 'sending'
"""


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after `attempts` tries: 1, 2, 4, … minutes up to an hour, ±10 % jitter."""
    base = min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1))
    return base * random.uniform(0.9, 1.1)  # noqa: S311 - spreading retries, not security


@dataclass
class Tally:
    """What happened to a batch's deliveries (for logs, tests and benchmarks)."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    retried: int = 0
    suppressed: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.skipped += other.skipped
        self.deferred += other.deferred
        self.retried += other.retried
        self.suppressed += other.suppressed


class Settlement:
    """Collects the outcome of each delivery of a sub-chunk, then writes them all at once."""

    def __init__(self, *, now: datetime, max_attempts: int) -> None:
        self.now = now
        self.max_attempts = max_attempts
        self.rows: list[tuple[Any, ...]] = []
        self.tally = Tally()
        self.bounced: list[tuple[str, str]] = []

    def _row(self, delivery_id: int, status: DeliveryStatus, *, reason: DeliveryReason | None = None,
             detail: str | None = None, address: str | None = None, provider: str | None = None,
             sent_at: datetime | None = None, not_before: datetime | None = None, attempts: int = 0) -> None:
        self.rows.append((delivery_id, status.value, reason.value if reason is not None else None,
                          detail[:_DETAIL_LENGTH] if detail else None, address, provider, sent_at, not_before,
                          attempts))

    def skipped(self, items: Iterable[tuple[int, DeliveryReason]]) -> None:
        for delivery_id, reason in items:
            self._row(delivery_id, DeliveryStatus.SKIPPED, reason=reason)
            self.tally.skipped += 1

    def deferred(self, items: Iterable[tuple[int, datetime]]) -> None:
        # Not tried: the attempt counted when the delivery was picked is given back.
        for delivery_id, not_before in items:
            self._row(delivery_id, DeliveryStatus.PENDING, not_before=not_before, attempts=-1)
            self.tally.deferred += 1

    def failed(self, delivery_id: int, reason: DeliveryReason, detail: str, address: str | None = None) -> None:
        self._row(delivery_id, DeliveryStatus.FAILED, reason=reason, detail=detail, address=address)
        self.tally.failed += 1

    def result(self, result: SendResult, recipient: Recipient) -> None:
        """Record what the channel said about one message."""
        if result.ok:
            self._row(result.delivery_id, DeliveryStatus.SENT, address=recipient.address, provider=result.provider_id,
                      sent_at=self.now, detail=result.detail)
            self.tally.sent += 1
        elif result.failure == FailureKind.TEMPORARY:
            if recipient.attempts >= self.max_attempts:
                self.failed(result.delivery_id, DeliveryReason.RETRIES_EXHAUSTED, result.detail, recipient.address)
            else:
                self._row(result.delivery_id, DeliveryStatus.PENDING, detail=result.detail,
                          not_before=self.now + retry_delay(recipient.attempts))
                self.tally.retried += 1
        elif result.cause == PermanentCause.ADDRESS:
            self.failed(result.delivery_id, DeliveryReason.BOUNCED, result.detail, recipient.address)
            self.bounced.append((recipient.address, result.detail))
        else:
            self.failed(result.delivery_id, DeliveryReason.REJECTED, result.detail, recipient.address)

    def write(self, session: Session, *, workspace_id: int, channel: Channel, campaign_id: int) -> Tally:
        """Apply every collected outcome, and suppress bounced addresses, in the caller's transaction."""
        if self.rows:
            _write_outcomes(session, self.rows)
        suppressions = []
        for address, detail in self.bounced:
            try:
                normal = normalise_address(channel, address)
            except ValueError:
                normal = address.strip().lower()
            suppressions.append({"workspace_id": workspace_id, "channel": channel, "address": normal,
                                 "reason": SuppressionReason.BOUNCED,
                                 "note": f"bounced in campaign {campaign_id}: {detail}"[:_DETAIL_LENGTH]})
            self.tally.suppressed.append(normal)
        insert_ignoring_conflicts(session, Suppression.__table__, suppressions)
        return self.tally


def _write_outcomes(session: Session, rows: list[tuple[Any, ...]]) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids, statuses, reasons, details, addresses, providers, sent_at, not_before, attempts = zip(*rows, strict=True)
        connection.exec_driver_sql(_SETTLE_PG, {
            "ids": list(ids), "statuses": list(statuses), "reasons": list(reasons), "details": list(details),
            "addresses": list(addresses), "providers": list(providers), "sent_at": list(sent_at),
            "not_before": list(not_before), "attempts": list(attempts)})
    else:
        connection.execute(_SETTLE, [dict(zip(_COLUMNS, row, strict=True)) for row in rows])
