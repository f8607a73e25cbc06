"""In-process background work for the embedded setup (no broker needed)."""

from __future__ import annotations

from collections.abc import Callable


def start_background_workers() -> Callable[[], None]:
    """Start in-process background loops; return a function that stops them."""
    return lambda: None
