"""In-process background work for the embedded setup (no broker needed)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.planning import budget_round
from kempen.segments.schedule import refresh_due_metrics
from kempen.teamwork.rounds import notification_loop
from kempen.webhooks.dispatch import deliver_due

logger = logging.getLogger("kempen.background")
WEBHOOK_INTERVAL_SECONDS = 2.0
_STOP_TIMEOUT_SECONDS = 30.0
# Metrics: look for due workspaces once a minute, the first time a minute after start (let serving begin).
METRICS_CHECK_SECONDS = 60.0


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


def metrics_loop(stop: threading.Event, *, minutes: int, check_every: float = METRICS_CHECK_SECONDS,
                 first_wait: float = METRICS_CHECK_SECONDS) -> None:
    """Recompute each workspace's contact metrics every `minutes` until `stop` is set."""
    last: dict[int, datetime] = {}
    stop.wait(first_wait)
    while not stop.is_set():
        try:
            refresh_due_metrics(get_session_factory(), every=timedelta(minutes=minutes), last=last,
                                should_stop=stop.is_set)
        except Exception:  # as for webhooks: log, wait, go again
            logger.exception("metrics refresh round failed")
        stop.wait(check_every)


def _start_delivery() -> Callable[[], None] | None:
    """The in-process campaign sender, unless a broker hands batches to `kempen worker` processes."""
    settings = get_settings()
    if settings.broker_url:
        logger.info("campaigns are sent by `kempen worker` (broker %s)", settings.broker_url.split("@")[-1])
        return None
    from kempen.delivery.inprocess import start_inprocess_worker

    logger.info("sending campaigns in this process (%d thread(s))", settings.inprocess_workers)
    return start_inprocess_worker()


def _start_tracking_recorder() -> None:
    """Start the tracking event recorder now, so events spooled while the database was away are replayed."""
    from kempen.tracking.recorder import get_recorder

    try:
        get_recorder()
    except Exception:  # the database may still be away; the first event starts it again
        logger.exception("the tracking recorder did not start")


def start_background_workers() -> Callable[[], None]:
    """Start in-process background loops; return a function that stops them."""
    stop = threading.Event()
    stop_delivery = _start_delivery()
    _start_tracking_recorder()
    threads = [threading.Thread(target=webhook_loop, args=(stop,), name="kempen-webhooks", daemon=True),
               threading.Thread(target=notification_loop, args=(stop,), name="kempen-notifications", daemon=True),
               # Budget warnings for message costs that grow while campaigns send (planning/budget_round.py).
               threading.Thread(target=budget_round.budget_loop, args=(stop,),
                                kwargs={"interval": budget_round.ROUND_SECONDS}, name="kempen-budgets", daemon=True)]
    minutes = get_settings().metrics_refresh_minutes
    if minutes > 0:
        threads.append(threading.Thread(target=metrics_loop, args=(stop,), kwargs={"minutes": minutes},
                                        name="kempen-metrics", daemon=True))
    for thread in threads:
        thread.start()

    def stop_workers() -> None:
        stop.set()
        if stop_delivery is not None:
            stop_delivery()
        # A send or a workspace's refresh in flight finishes; the daemon flag covers a hung one.
        for thread in threads:
            thread.join(timeout=_STOP_TIMEOUT_SECONDS)
            if thread.is_alive():
                logger.warning("%s did not stop within %.0f s", thread.name, _STOP_TIMEOUT_SECONDS)

    return stop_workers
