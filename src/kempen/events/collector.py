"""A bounded pause of Python's cyclic garbage collector around the CPU-heavy part of event ingestion.

Parsing and validating a 10,000-event batch allocates ~100,000 short-lived dicts and lists. They
hold no reference cycles and are freed by reference counting, yet their allocation triggers full
collections that cost several times the validation itself (measured with bench/ingest.py: 0.03 s of
validation CPU became up to 0.15 s). So ingestion pauses the collector while it builds a batch.

The pause is shared by concurrent request threads (reference-counted) and bounded: once the
collector has been off for MAX_PAUSE_SECONDS, new batches stop joining the pause, so the running
ones finish, the collector comes back on and collects before the next pause starts.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_PAUSE_SECONDS = 1.0

_lock = threading.Lock()
_holders = 0
_paused_at = 0.0
_was_enabled = True


def _join() -> bool:
    global _holders, _paused_at, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            _paused_at = time.monotonic()
            gc.disable()
        elif time.monotonic() - _paused_at > MAX_PAUSE_SECONDS:
            return False
        _holders += 1
        return True


def _leave() -> None:
    global _holders
    with _lock:
        _holders -= 1
        if _holders == 0 and _was_enabled:
            gc.enable()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Keep the cyclic collector off inside the block (unless the shared pause is already too long)."""
    joined = _join()
    try:
        yield
    finally:
        if joined:
            _leave()
