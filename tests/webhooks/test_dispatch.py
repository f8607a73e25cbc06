"""The dispatcher against a real HTTP receiver: signed delivery, event filters, retry with backoff."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from kempen.kit.clock import utcnow
from kempen.models import WebhookDelivery, WebhookDeliveryStatus
from kempen.webhooks.dispatch import MAX_ATTEMPTS, deliver_due
from kempen.webhooks.signing import verify_signature
from tests.conftest import Tenant
from tests.webhooks.conftest import Receiver

API = "/api/v1"


def _subscribe(tenant: Tenant, url: str, events: list[str] | None = None) -> dict[str, object]:
    response = tenant.client.post(f"{API}/webhooks", json={"url": url, "event_types": events or []},
                                  headers=tenant.headers())
    assert response.status_code == 201, response.text
    return dict(response.json())


def _deliveries(session: Session, endpoint_id: object) -> list[WebhookDelivery]:
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
                                .order_by(WebhookDelivery.id)))


def test_contact_created_is_delivered_signed(db: Engine, session: Session, tenant: Tenant,
                                             receiver: Receiver) -> None:
    endpoint = _subscribe(tenant, receiver.url)
    contact = tenant.client.post(f"{API}/contacts", json={"email": "hook@example.com", "first_name": "Hook"},
                                 headers=tenant.headers()).json()
    attempted = deliver_due(sessionmaker(bind=db), now=utcnow())
    assert attempted >= 1 and len(receiver.requests) == 1
    request = receiver.requests[0]
    (delivery,) = _deliveries(session, endpoint["id"])
    assert request.path == "/hooks/kempen"
    assert request.headers["Kempen-Event"] == "contact.created"
    assert request.headers["Kempen-Delivery"] == str(delivery.id)
    assert request.headers["Content-Type"] == "application/json"
    assert verify_signature(str(endpoint["secret"]), request.headers["Kempen-Signature"], request.body, 300)
    assert not verify_signature("wrong", request.headers["Kempen-Signature"], request.body, 300)
    timestamp = int(request.headers["Kempen-Signature"].split(",")[0].removeprefix("t="))
    assert abs(timestamp - time.time()) < 60
    document = json.loads(request.body)
    assert document["id"] == delivery.id and document["type"] == "contact.created"
    assert document["data"]["id"] == contact["id"] and document["data"]["email"] == "hook@example.com"
    assert (delivery.status, delivery.attempts, delivery.response_status) == (WebhookDeliveryStatus.DELIVERED, 1, 200)
    assert delivery.delivered_at is not None and delivery.last_error is None
    deliver_due(sessionmaker(bind=db), now=utcnow() + timedelta(days=1))
    assert len(receiver.requests) == 1  # delivered once, never again
    listed = tenant.client.get(f"{API}/webhooks/{endpoint['id']}/deliveries", headers=tenant.headers()).json()
    assert [(d["status"], d["response_status"]) for d in listed["items"]] == [("delivered", 200)]


def test_event_filter_and_other_workspaces(db: Engine, tenant: Tenant, other_tenant: Tenant,
                                           receiver: Receiver) -> None:
    _subscribe(tenant, receiver.url, ["contact.deleted"])
    contact = tenant.client.post(f"{API}/contacts", json={"email": "f@example.com"}, headers=tenant.headers()).json()
    other_tenant.client.post(f"{API}/contacts", json={"email": "g@example.com"}, headers=other_tenant.headers())
    tenant.client.delete(f"{API}/contacts/{contact['id']}", headers=tenant.headers())
    deliver_due(sessionmaker(bind=db), now=utcnow())
    assert [r.headers["Kempen-Event"] for r in receiver.requests] == ["contact.deleted"]
    assert json.loads(receiver.requests[0].body)["data"]["id"] == contact["id"]


def test_a_500_is_retried_with_backoff_then_given_up(db: Engine, session: Session, tenant: Tenant,
                                                     receiver: Receiver) -> None:
    receiver.statuses = [500]
    endpoint = _subscribe(tenant, receiver.url)
    tenant.client.post(f"{API}/contacts", json={"email": "retry@example.com"}, headers=tenant.headers())
    factory = sessionmaker(bind=db)
    now = utcnow()
    deliver_due(factory, now=now)
    (delivery,) = _deliveries(session, endpoint["id"])
    assert (delivery.status, delivery.attempts, delivery.response_status) == (WebhookDeliveryStatus.PENDING, 1, 500)
    assert delivery.last_error is not None and delivery.last_error.startswith("HTTP 500")
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    deliver_due(factory, now=now + timedelta(seconds=29))
    assert len(receiver.requests) == 1  # not due yet
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        previous = delivery.next_attempt_at
        now = previous
        deliver_due(factory, now=now)
        (delivery,) = _deliveries(session, endpoint["id"])
        waits.append((delivery.next_attempt_at - previous).total_seconds())
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert waits[:-1] == [60, 120, 240, 480, 960, 1920]
    assert (delivery.status, delivery.attempts) == (WebhookDeliveryStatus.FAILED, MAX_ATTEMPTS)
    deliver_due(factory, now=now + timedelta(days=30))
    assert len(receiver.requests) == MAX_ATTEMPTS
    # Every retry is freshly signed and carries the same delivery id, so receivers can dedupe.
    assert {r.headers["Kempen-Delivery"] for r in receiver.requests} == {str(delivery.id)}


def test_recovers_after_a_failure_and_records_unreachable(db: Engine, session: Session, tenant: Tenant,
                                                           receiver: Receiver) -> None:
    receiver.statuses = [503, 204]
    endpoint = _subscribe(tenant, receiver.url)
    dead = _subscribe(tenant, "http://127.0.0.1:9/nothing-listens-here")
    tenant.client.post(f"{API}/contacts", json={"email": "flaky@example.com"}, headers=tenant.headers())
    now = utcnow()
    deliver_due(session, now=now)  # the in-transaction mode: the caller commits
    session.commit()
    deliver_due(session, now=now + timedelta(seconds=30))
    session.commit()
    (ok,) = _deliveries(session, endpoint["id"])
    assert (ok.status, ok.attempts, ok.response_status) == (WebhookDeliveryStatus.DELIVERED, 2, 204)
    (unreachable,) = _deliveries(session, dead["id"])
    assert unreachable.status == WebhookDeliveryStatus.PENDING and unreachable.attempts == 2
    assert unreachable.response_status is None and unreachable.last_error and "Connect" in unreachable.last_error
