"""In-process background work for the embedded setup (no broker needed)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kempen.db import get_session_factory
from kempen.webhooks.dispatch import deliver_due

logger = logging.getLogger("kempen.background")
WEBHOOK_INTERVAL_SECONDS = 2.0
_STOP_TIMEOUT_SECONDS = 30.0


def webhook_loop(stop: threading.Event, *, interval: float = WEBHOOK_INTERVAL_SECONDS, limit: int = 100) -> None:
    """Send due webhooks until `stop` is set; go again at once while there is a backlog."""
    while not stop.is_set():
        try:
            attempted = deliver_due(get_session_factory(), limit=limit)
        except Exception:  # a bad round (database away, bug) must not kill the loop; log and wait
            logger.exception("webhook dispatch failed")
            attempted = 0
        if attempted < limit:
            stop.wait(interval)


def start_background_workers() -> Callable[[], None]:
    """Start in-process background loops; return a function that stops them."""
    stop = threading.Event()
    thread = threading.Thread(target=webhook_loop, args=(stop,), name="kempen-webhooks", daemon=True)
    thread.start()

    def stop_workers() -> None:
        stop.set()
        # A send in flight finishes (bounded by the HTTP timeout); the daemon flag covers a hung one.
        thread.join(timeout=_STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            logger.warning("webhook dispatcher did not stop within %.0f s", _STOP_TIMEOUT_SECONDS)

    return stop_workers
