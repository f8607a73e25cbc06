"""The engine loop every worker host runs: scheduled launches, dispatch, completion and the sweeper.

About once a second: launch due scheduled campaigns, decide due automatic winners (which writes the
rest of their audience), queue due batches (up to what the workers can take), complete campaigns left
without open batches; every few seconds (and once at start, which
recovers what a crash of this host left) run the sweeper. Every step is conditional in the
database, so any number of hosts may run this loop at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.dispatch import Enqueue, complete_finished, queue_due_batches
from kempen.delivery.scheduler import launch_due_campaigns
from kempen.delivery.sweeper import sweep
from kempen.delivery.winner import decide_due_winners

logger = logging.getLogger("kempen.delivery.loop")
TICK_SECONDS = 1.0


@dataclass
class EngineLoop:
    """One host's dispatcher; `room()` says how many more batches its workers can take now."""

    enqueue: Enqueue
    room: Callable[[], int]
    factory: sessionmaker[Session] | None = None
    tick_seconds: float = TICK_SECONDS
    sweep_seconds: float | None = None

    def __post_init__(self) -> None:
        self._wake = threading.Event()
        if self.sweep_seconds is None:
            # Often enough that a dead worker's batch is back within about a lease.
            self.sweep_seconds = max(1.0, min(10.0, get_settings().lease_seconds / 4))

    def _factory(self) -> sessionmaker[Session]:
        return self.factory or get_session_factory()

    def _step(self, name: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception:  # a failed round (database away, a bug) must not stop the loop: log, go on
            logger.exception("engine loop: %s failed", name)

    def tick(self, *, sweep_now: bool = False, now: datetime | None = None) -> None:
        """One round of the loop (tests call it directly, with a simulated `now` if they like)."""
        factory = self._factory()
        if sweep_now:
            self._step("sweeper", lambda: sweep(factory))
        self._step("scheduler", lambda: launch_due_campaigns(factory, now=now))
        self._step("winner", lambda: decide_due_winners(factory, now=now))
        self._step("dispatch", lambda: queue_due_batches(factory, enqueue=self.enqueue, limit=self.room(), now=now))
        self._step("completion", lambda: complete_finished(factory, now=now))

    def wake(self) -> None:
        """Run the next round now (a worker became free), not at the next tick."""
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Loop until `stop` is set (then call `wake` to end the wait), sweeping at once on start."""
        assert self.sweep_seconds is not None
        last_sweep = 0.0
        while not stop.is_set():
            due = time.monotonic() - last_sweep >= self.sweep_seconds
            if due:
                last_sweep = time.monotonic()
            self.tick(sweep_now=due)
            self._wake.wait(self.tick_seconds)
            self._wake.clear()
