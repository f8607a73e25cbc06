"""The webhook dispatcher: send due outbox rows, signed, and retry failures with exponential backoff.

A delivery is claimed (its row locked with `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
processes can dispatch at once without sending a row twice) and leased by pushing its
`next_attempt_at` past the HTTP timeout; the claim commits before any request is made, so no
transaction stays open during network calls. If a process dies mid-send, the lease expires and
another picks the row up: delivery is at least once, and receivers dedupe by `Kempen-Delivery`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kempen import __version__
from kempen.config import get_settings
from kempen.kit.clock import utcnow
from kempen.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from kempen.webhooks.network import destination_refusal
from kempen.webhooks.service import endpoint_secret
from kempen.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header

MAX_ATTEMPTS = 8
BASE_BACKOFF = timedelta(seconds=30)
LEASE_MARGIN = timedelta(seconds=60)
_ERROR_LENGTH = 500


@dataclass(frozen=True)
class Job:
    """One claimed delivery, with everything needed to send it and no database state."""

    delivery_id: int
    url: str
    secret: str
    event_type: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    response_status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, 4 min, ..."""
    return BASE_BACKOFF * 2 ** max(0, attempts - 1)


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON body sent for a delivery: its id and creation time, then the event type and data."""
    document: dict[str, Any] = {"id": delivery.id, "created_at": delivery.created_at.isoformat(),
                                **delivery.payload}
    return json.dumps(document, separators=(",", ":"), default=str).encode()


def claim_due(session: Session, *, now: datetime, limit: int) -> list[Job]:
    """Lock up to `limit` due pending deliveries, lease them, and return them as jobs."""
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # SQLite ignores this; its single writer serialises claims
    )
    deliveries = list(session.scalars(stmt))
    endpoint_ids = {d.endpoint_id for d in deliveries}
    endpoints = {e.id: e for e in session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids)))}
    lease_until = now + timedelta(seconds=get_settings().webhook_timeout_seconds) + LEASE_MARGIN
    jobs = []
    for delivery in deliveries:
        endpoint = endpoints.get(delivery.endpoint_id)
        if endpoint is None or not endpoint.is_active:
            delivery.status = WebhookDeliveryStatus.FAILED
            delivery.last_error = "the endpoint is disabled"
            continue
        delivery.next_attempt_at = lease_until
        jobs.append(Job(delivery_id=delivery.id, url=endpoint.url, secret=endpoint_secret(endpoint),
                        event_type=delivery.event_type, body=body_of(delivery)))
    session.flush()
    return jobs


def send(client: httpx.Client, job: Job) -> Outcome:
    """POST one job; any answer but 2xx, or no answer, is a failure to retry."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Kempen-Webhooks/{__version__}",
        SIGNATURE_HEADER: signature_header(job.secret, job.body, int(utcnow().timestamp())),
        EVENT_HEADER: job.event_type,
        DELIVERY_HEADER: str(job.delivery_id),
    }
    refusal = destination_refusal(job.url)
    if refusal:
        return Outcome(job.delivery_id, None, f"refused: {refusal}")
    try:
        response = client.post(job.url, content=job.body, headers=headers)
    except httpx.HTTPError as exc:
        return Outcome(job.delivery_id, None, f"{type(exc).__name__}: {exc}"[:_ERROR_LENGTH])
    if 200 <= response.status_code < 300:
        return Outcome(job.delivery_id, response.status_code, None)
    snippet = response.text[:200].strip()
    return Outcome(job.delivery_id, response.status_code, f"HTTP {response.status_code}: {snippet}"[:_ERROR_LENGTH])


def record_outcomes(session: Session, outcomes: list[Outcome], *, now: datetime) -> None:
    """Mark deliveries delivered, or schedule their retry, or give up after the last attempt."""
    for outcome in outcomes:
        delivery = session.get(WebhookDelivery, outcome.delivery_id)
        if delivery is None or delivery.status != WebhookDeliveryStatus.PENDING:
            continue  # the endpoint was deleted meanwhile
        delivery.attempts += 1
        delivery.response_status = outcome.response_status
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status = WebhookDeliveryStatus.DELIVERED
            delivery.delivered_at = utcnow()
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDeliveryStatus.FAILED
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
    session.flush()


def send_all(jobs: list[Job]) -> list[Outcome]:
    if not jobs:
        return []
    timeout = get_settings().webhook_timeout_seconds
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        return [send(client, job) for job in jobs]


def deliver_due(
    source: sessionmaker[Session] | Session, *, now: datetime | None = None, limit: int = 100,
) -> int:
    """Send up to `limit` due deliveries; return how many were attempted.

    Given a session factory, the claim and the results are committed in two short transactions
    of their own (the normal, multi-process-safe mode). Given a session, everything happens in
    that session's transaction and the caller commits (locks are then held while sending).
    """
    now = now or utcnow()
    if isinstance(source, Session):
        jobs = claim_due(source, now=now, limit=limit)
        record_outcomes(source, send_all(jobs), now=now)
        return len(jobs)
    with source() as session, session.begin():
        jobs = claim_due(session, now=now, limit=limit)
    outcomes = send_all(jobs)
    with source() as session, session.begin():
        record_outcomes(session, outcomes, now=now)
    return len(jobs)
