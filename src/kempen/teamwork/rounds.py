"""The notification round that `kempen serve` runs in the background: due reminders, then pending emails."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from kempen.db import get_session_factory
from kempen.teamwork.emails import send_pending_emails
from kempen.teamwork.tasks import remind_due_tasks

logger = logging.getLogger("kempen.teamwork")
ROUND_SECONDS = 30.0


def run_round(session_factory: Callable[[], Session]) -> tuple[int, int]:
    """Notify assignees of tasks due soon or overdue, then email pending notifications; return both counts."""
    with session_factory() as session:
        reminded = remind_due_tasks(session)
        session.commit()
    return reminded, send_pending_emails(session_factory)


def notification_loop(stop: threading.Event, *, interval: float = ROUND_SECONDS) -> None:
    """Run a round every `interval` seconds until `stop` is set; a failed round is logged and retried."""
    while not stop.wait(interval):
        try:
            run_round(get_session_factory())
        except Exception:  # the database or mail server may be away; the next round tries again
            logger.exception("notification round failed")
