"""Per-server limits shared by every adapter of a process: a send rate (token bucket) and a connection budget."""

from __future__ import annotations

import threading
import time


class TokenBucket:
    """`rate` sends per second with bursts of up to one second's worth; thread-safe; rate 0 = no limit."""

    def __init__(self, rate: float) -> None:
        self.rate = max(0.0, rate)
        self.capacity = max(1.0, self.rate)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take one token; return how many seconds the caller must wait before using it."""
        if self.rate == 0:
            return 0.0
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            # Going below zero reserves a future token, so waiting callers are served in order.
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


    def try_take(self) -> bool:
        """Take one token if one is there now (for sends that must not wait)."""
        if self.rate == 0:
            return True
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


_buckets: dict[tuple[str, float], TokenBucket] = {}
_buckets_lock = threading.Lock()


def shared_bucket(key: str, rate: float) -> TokenBucket:
    """The process-wide bucket for a server (so several sending threads share one limit)."""
    with _buckets_lock:
        return _buckets.setdefault((key, rate), TokenBucket(rate))


class ConnectionBudget:
    """How many connections to a server a process may hold; every sending thread may hold one regardless.

    The engine gives each sending thread its own adapter; without a shared budget, eight threads with
    four connections each would open 32 connections per process instead of the configured four.
    """

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.used = 0
        self._lock = threading.Lock()

    def acquire(self, *, first: bool) -> bool:
        """Take a connection permit; a thread's first connection always gets one."""
        with self._lock:
            if not first and self.used >= self.limit:
                return False
            self.used += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.used = max(0, self.used - 1)


_budgets: dict[tuple[str, int], ConnectionBudget] = {}


def shared_budget(key: str, limit: int) -> ConnectionBudget:
    """The process-wide connection budget for a server."""
    with _buckets_lock:
        return _budgets.setdefault((key, limit), ConnectionBudget(limit))
