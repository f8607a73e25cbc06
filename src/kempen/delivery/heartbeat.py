"""Keeping a batch lease alive while the worker makes progress, so that a slow send never loses it.

The worker renews its lease before each sub-chunk, but one sub-chunk may take longer than the lease
(a slow or rate-limited SMTP server). A lease that ran out while the worker was still sending would
let the sweeper settle rows the worker is about to record; this thread renews it every third of the
lease, as long as the worker reports progress (a result, a sub-chunk) within `stall_seconds`. A
worker stuck for longer stops being renewed and its batch is recovered like a dead worker's.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from kempen.config import get_settings
from kempen.delivery.batches import Claim, renew_lease
from kempen.kit.clock import utcnow

logger = logging.getLogger("kempen.delivery.heartbeat")


class LeaseKeeper:
    def __init__(self, factory: sessionmaker[Session], claim: Claim, *, lease_seconds: float,
                 stall_seconds: float | None = None) -> None:
        self.factory = factory
        self.claim = claim
        self.lease_seconds = lease_seconds
        settings = get_settings()
        self.stall_seconds = stall_seconds or (lease_seconds + 3 * settings.smtp_timeout_seconds)
        self._last_progress = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"kempen-lease-{claim.batch_id}", daemon=True)
        self.lost = False

    def progress(self) -> None:
        self._last_progress = time.monotonic()

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        interval = max(0.05, self.lease_seconds / 3)
        while not self._stop.wait(interval):
            if time.monotonic() - self._last_progress > self.stall_seconds:
                logger.warning("batch %s made no progress for %.0f s; no longer renewing its lease",
                               self.claim.batch_id, self.stall_seconds)
                return
            try:
                with self.factory() as session, session.begin():
                    if not renew_lease(session, self.claim, now=utcnow(), lease_seconds=self.lease_seconds):
                        self.lost = True
                        return
            except Exception:  # the database may be briefly away; the next beat tries again
                logger.warning("renewing the lease of batch %s failed", self.claim.batch_id, exc_info=True)
