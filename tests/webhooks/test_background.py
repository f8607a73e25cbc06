"""The in-process dispatcher thread started with the app."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from kempen.background import start_background_workers
from kempen.webhooks.signing import verify_signature
from tests.conftest import Tenant
from tests.webhooks.conftest import Receiver


def test_background_loop_delivers_and_stops(db: Engine, tenant: Tenant, receiver: Receiver) -> None:
    endpoint = tenant.client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=tenant.headers()).json()
    stop = start_background_workers()
    try:
        tenant.client.post("/api/v1/contacts", json={"email": "bg@example.com"}, headers=tenant.headers())
        assert receiver.wait_for(1, timeout=15), "the background dispatcher delivered nothing"
    finally:
        started = time.monotonic()
        stop()
        stopped_in = time.monotonic() - started
    request = receiver.requests[0]
    assert verify_signature(endpoint["secret"], request.headers["Kempen-Signature"], request.body, 300)
    assert stopped_in < 10
    assert not any(t.name == "kempen-webhooks" and t.is_alive() for t in threading.enumerate())
