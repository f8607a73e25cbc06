"""Webhook endpoints and the outbox of deliveries written with each change."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from kempen.config import get_settings
from kempen.kit.errors import InvalidInput, NotFound
from kempen.kit.pagination import keyset_page
from kempen.kit.secrets import derive_secret
from kempen.models import WebhookDelivery, WebhookEndpoint
from kempen.webhooks.network import LOCAL_HOSTS, literal_address_refusal

EVENT_TYPES = (
    "contact.created", "contact.updated", "contact.deleted", "contact.merged",
    "order.created", "order.updated",
)


def subscribers(session: Session, *, workspace_id: int, event_type: str) -> list[WebhookEndpoint]:
    """Return the active endpoints of a workspace that want `event_type`."""
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.is_active.is_(True)
    )
    return [ep for ep in session.scalars(stmt) if not ep.event_types or event_type in ep.event_types]


def enqueue(
    session: Session, *, workspace_id: int, event_type: str, payloads: Iterable[dict[str, Any]],
    endpoints: list[WebhookEndpoint] | None = None,
) -> int:
    """Write outbox rows for every subscribed endpoint, in the caller's transaction.

    Delivery happens after commit (see tasks), so a rolled-back change never notifies anyone.
    """
    if endpoints is None:
        endpoints = subscribers(session, workspace_id=workspace_id, event_type=event_type)
    if not endpoints:
        return 0
    rows = [
        {"workspace_id": workspace_id, "endpoint_id": ep.id, "event_type": event_type,
         "payload": {"type": event_type, "data": payload}}
        for payload in payloads for ep in endpoints
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)
    return len(rows)


def check_url(url: str) -> str:
    """Return the URL if webhooks may be sent to it, else raise InvalidInput.

    Only HTTPS, so payloads (personal data) never cross the network in clear. Plain HTTP to this
    machine is admitted only when the `webhook_allow_http_localhost` setting is on (tests, local dev).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidInput(f"{url!r} is not a valid URL.") from None
    if not host:
        raise InvalidInput(f"{url!r} has no host; give a full https:// URL.")
    refusal = literal_address_refusal(host)
    if refusal:
        raise InvalidInput(f"Webhooks can only go to public addresses; {refusal}.")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and host in LOCAL_HOSTS and get_settings().webhook_allow_http_localhost:
        return url
    raise InvalidInput("Webhook URLs must use https://.")


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    """Return an endpoint's signing secret, derived from the server key so it is never stored."""
    return derive_secret(get_settings().signing_key, f"webhook:{endpoint.id}:{endpoint.secret_nonce}")


def create_endpoint(
    session: Session, *, workspace_id: int, url: str, description: str = "", event_types: list[str] | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; return it with its signing secret (to be shown once)."""
    unknown = sorted(set(event_types or []) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"Unknown event types {unknown}.")
    endpoint = WebhookEndpoint(workspace_id=workspace_id, url=check_url(url), description=description,
                               event_types=sorted(set(event_types or [])), secret_nonce=secrets.token_hex(16))
    session.add(endpoint)
    session.flush()
    return endpoint, endpoint_secret(endpoint)


def list_endpoints(session: Session, *, workspace_id: int) -> list[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id)
    return list(session.scalars(stmt.order_by(WebhookEndpoint.id)))


def get_endpoint_or_raise(session: Session, *, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.scalar(select(WebhookEndpoint).where(
        WebhookEndpoint.workspace_id == workspace_id, WebhookEndpoint.id == endpoint_id))
    if endpoint is None:
        raise NotFound(f"No webhook {endpoint_id} in this workspace.")
    return endpoint


def delete_endpoint(session: Session, *, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    """Delete an endpoint with its delivery history; pending deliveries are dropped."""
    endpoint = get_endpoint_or_raise(session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    session.delete(endpoint)
    session.flush()
    return endpoint


def list_deliveries(
    session: Session, *, workspace_id: int, endpoint_id: int, cursor: str | None = None, limit: int = 50,
) -> tuple[list[WebhookDelivery], str | None]:
    """Return one page of an endpoint's deliveries, newest first."""
    get_endpoint_or_raise(session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.workspace_id == workspace_id,
                                         WebhookDelivery.endpoint_id == endpoint_id)
    return keyset_page(session, stmt, WebhookDelivery.id, cursor=cursor, limit=limit)
