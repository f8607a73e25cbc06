"""The bounce mailbox: an SMTP listener (aiosmtpd) that applies every DSN or ARF report it receives.

Point the Return-Path / bounce domain's MX (or a forwarding rule of the real mailbox) at it. Each
message is applied in its own transaction before the listener answers 250, so an accepted report
is never lost; a database failure answers 451 and the sending MTA retries later. Messages that are
not reports are accepted and dropped (an MTA must not keep retrying them).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

from aiosmtpd.controller import Controller

from kempen.db import unit_of_work
from kempen.tracking.bounces import process_report
from kempen.tracking.dsn import MAX_REPORT_BYTES

logger = logging.getLogger("kempen.bounces")


class BounceHandler:
    """aiosmtpd handler: accept any recipient, apply each message as a report."""

    def __init__(self) -> None:
        self.received = 0
        self.unmatched = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        try:
            outcome = await asyncio.to_thread(_apply, bytes(raw))
        except Exception:  # the MTA keeps the report and retries; log why
            logger.exception("could not apply a report")
            return "451 4.3.0 Could not store the report, try again later"
        self.received += 1
        self.unmatched += outcome
        return "250 2.0.0 Report received"


def _apply(raw: bytes) -> int:
    with unit_of_work() as session:
        outcome = process_report(session, raw)
    logger.info("bounce mailbox: %s %s, %d recipient(s), %d unmatched", outcome.kind, outcome.report_id,
                len(outcome.recipients), outcome.unmatched)
    return outcome.unmatched


class BounceMailbox:
    """A running listener; `stop()` ends it."""

    def __init__(self, controller: Controller, handler: BounceHandler) -> None:
        self.controller = controller
        self.handler = handler

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def stop(self) -> None:
        self.controller.stop()


def start_bounce_mailbox(*, host: str, port: int) -> BounceMailbox:
    """Start listening in a background thread; OSError at once when the port is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        if not port:
            port = probe.getsockname()[1]
    handler = BounceHandler()
    controller = Controller(handler, hostname=host, port=port, loop=asyncio.new_event_loop(),
                            data_size_limit=MAX_REPORT_BYTES, ident="Kempen bounce mailbox")
    controller.start()
    return BounceMailbox(controller, handler)
