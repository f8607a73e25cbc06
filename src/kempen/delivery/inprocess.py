"""The in-process worker: sending threads fed by a local queue, plus the engine loop, with no broker.

`kempen serve` runs it when KEMPEN_BROKER_URL is not set, and `kempen worker` does in the foreground.
The queue only carries batch ids: the database says what to send, and claims are conditional, so
several processes (web workers, hosts) may each run one against the same database.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from kempen.config import get_settings
from kempen.db import get_session_factory
from kempen.delivery.compose import AdapterCache
from kempen.delivery.dispatch import unqueue
from kempen.delivery.loop import EngineLoop
from kempen.delivery.owner import new_owner, retire_owner
from kempen.delivery.worker import process_batch

logger = logging.getLogger("kempen.delivery.inprocess")
_POLL_SECONDS = 0.5
_STOP_TIMEOUT_SECONDS = 60.0


class InProcessWorker:
    def __init__(self, *, threads: int, factory: sessionmaker[Session] | None, tick_seconds: float) -> None:
        self.threads = max(1, threads)
        self.factory = factory
        self.queue: queue.Queue[int] = queue.Queue()
        self.stop_event = threading.Event()
        self.loop = EngineLoop(enqueue=self._enqueue, room=self._room, factory=factory, tick_seconds=tick_seconds)
        self._threads: list[threading.Thread] = []

    def _enqueue(self, batch_ids: Sequence[int]) -> None:
        for batch_id in batch_ids:
            self.queue.put(batch_id)

    def _room(self) -> int:
        # Two batches per thread in hand: a thread finishing one finds the next at once.
        return 2 * self.threads - self.queue.qsize()

    def _work(self) -> None:
        owner = new_owner()
        cache = AdapterCache()
        try:
            while not self.stop_event.is_set():
                try:
                    batch_id = self.queue.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    continue
                try:
                    process_batch(batch_id, owner=owner, adapter_cache=cache,
                                  factory=self.factory or get_session_factory(), should_stop=self.stop_event.is_set)
                except Exception:  # one batch's failure is logged and settled; the thread carries on
                    logger.exception("batch %s failed", batch_id)
                self.loop.wake()
        finally:
            cache.close()
            retire_owner(owner)

    def start(self) -> None:
        for number in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"kempen-sender-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        loop = threading.Thread(target=self.loop.run, args=(self.stop_event,), name="kempen-engine", daemon=True)
        loop.start()
        self._threads.append(loop)

    def stop(self) -> None:
        """Stop after the sub-chunks in flight; batches still queued here go back to pending at once."""
        self.stop_event.set()
        self.loop.wake()
        for thread in self._threads:
            thread.join(timeout=_STOP_TIMEOUT_SECONDS)
            if thread.is_alive():
                logger.warning("%s did not stop within %.0f s", thread.name, _STOP_TIMEOUT_SECONDS)
        left = []
        while True:
            try:
                left.append(self.queue.get_nowait())
            except queue.Empty:
                break
        try:
            unqueue(self.factory or get_session_factory(), left)
        except Exception:  # the sweeper re-queues them later anyway
            logger.warning("could not put %d queued batches back", len(left), exc_info=True)


def start_inprocess_worker(*, threads: int | None = None, factory: sessionmaker[Session] | None = None,
                           tick_seconds: float = 1.0) -> Callable[[], None]:
    """Start sending threads and the engine loop in this process; return a function that stops them."""
    worker = InProcessWorker(threads=threads or get_settings().inprocess_workers, factory=factory,
                             tick_seconds=tick_seconds)
    worker.start()
    return worker.stop
