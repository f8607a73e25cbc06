"""The built-in SMTP sink: catches what the embedded setup sends, so nothing leaves the machine.

aiosmtpd answers SMTP in its own thread; each message goes on a queue, and a writer thread
stores what has arrived every 100 ms in one multi-row insert (the sink keeps up with the
adapter's thousands of messages per second), then prunes the sink to its newest 20,000 messages.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.header import decode_header, make_header
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, syntax
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from kempen.db import get_session_factory
from kempen.kit.clock import utcnow
from kempen.models import SinkMessage, Workspace

logger = logging.getLogger("kempen.mailsink")
MAX_MESSAGES = 20_000
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
FLUSH_SECONDS = 0.1
# Messages waiting to be stored; beyond this the sink answers 451 and the sender retries later.
QUEUE_LIMIT = 20_000
_BATCH = 2_000
_TOO_BIG = b"<too big>"
_PRUNE_EVERY = 500


@dataclass(frozen=True, slots=True)
class _Caught:
    mail_from: str
    recipients: list[str]
    raw: bytes
    received_at: datetime


def _headers(raw: bytes) -> dict[str, str]:
    # Only the three headers the sink indexes, read without building an email.message object.
    head = raw.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    found: dict[str, str] = {}
    for line in head.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        key = name.strip().lower()
        if sep and key in (b"subject", b"message-id", b"x-kempen-workspace") and key.decode() not in found:
            found[key.decode()] = value.strip().decode("utf-8", "replace")
    return found


def decode_subject(value: str) -> str:
    """A Subject header as people read it (RFC 2047 encoded-words decoded)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, ValueError, UnicodeError):
        return value


def _row(item: _Caught, workspaces: set[int]) -> dict[str, Any]:
    headers = _headers(item.raw)
    workspace = headers.get("x-kempen-workspace", "")
    workspace_id = int(workspace) if workspace.isdigit() and int(workspace) in workspaces else None
    return {"workspace_id": workspace_id, "mail_from": item.mail_from[:320], "recipients": item.recipients,
            "subject": decode_subject(headers.get("subject", "")), "size": len(item.raw), "raw": item.raw,
            "message_id_header": headers.get("message-id", "")[:255] or None, "received_at": item.received_at}


def _existing_workspaces(session: Session, items: Iterable[_Caught]) -> set[int]:
    named = {_headers(item.raw).get("x-kempen-workspace", "") for item in items}
    ids = {int(value) for value in named if value.isdigit() and len(value) < 19}
    if not ids:
        return set()
    return set(session.scalars(select(Workspace.id).where(Workspace.id.in_(ids))))


def store(items: list[_Caught], *, prune: bool = True) -> None:
    """Insert caught messages in one statement and keep only the newest MAX_MESSAGES."""
    with get_session_factory()() as session:
        workspaces = _existing_workspaces(session, items)
        rows = [_row(item, workspaces) for item in items]
        if rows:
            session.execute(insert(SinkMessage), rows)
        if prune:
            cutoff = session.scalar(select(SinkMessage.id).order_by(SinkMessage.id.desc())
                                    .offset(MAX_MESSAGES).limit(1))
            if cutoff is not None:
                session.execute(delete(SinkMessage).where(SinkMessage.id <= cutoff))
        session.commit()


class _Handler:
    def __init__(self, inbox: queue.Queue[_Caught | None]) -> None:
        self.inbox = inbox

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        # aiosmtpd reads commands from a buffered stream, one after another, so it serves pipelined
        # commands correctly; saying so halves the round trips (and the syscalls) per message.
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        try:
            self.inbox.put_nowait(_Caught(str(envelope.mail_from or ""), [str(r) for r in envelope.rcpt_tos],
                                          raw, utcnow()))
        except queue.Full:
            return "451 4.3.1 The Kempen mail sink is busy; try again shortly"
        return "250 2.0.0 Caught by the Kempen mail sink"


class _SinkSMTP(SMTP):
    """aiosmtpd's SMTP session with a DATA reader that finds the end of a message in large reads.

    aiosmtpd reads message data one line at a time (a coroutine step and a copy per line); the sink
    catches thousands of 200-line emails a second, so it reads 64 KB at a time and searches each
    read for the final "CRLF . CRLF" at C speed.
    """

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        content = await self._read_data()
        if content is None:
            return  # the connection closed mid-message
        if content is _TOO_BIG:
            await self.push("552 Error: Too much mail data")
        else:
            self.envelope.content = self.envelope.original_content = content
            status = await self._call_handler_hook("DATA")
            await self.push("250 OK" if status is MISSING else status)
        self._set_post_data_state()

    async def _read_data(self) -> bytes | None:
        # Starting with CRLF lets one search find the terminator (and one replace undo the dot-stuffing)
        # on the first line too.
        buffer, start, too_big = bytearray(b"\r\n"), 0, False
        limit = (self.data_size_limit or MAX_MESSAGE_BYTES) + 2
        while (end := buffer.find(b"\r\n.\r\n", start)) < 0:
            if len(buffer) > limit:  # read on to the end, but keep only what the search needs
                too_big = True
                del buffer[:-4]
            start = max(0, len(buffer) - 4)
            chunk = await self._reader.read(65536)
            if not chunk:
                return None
            buffer += chunk
        # Commands a client pipelined behind the data go back to the reader for the command loop
        # (StreamReader has no public way to push data back).
        self._reader._buffer[0:0] = buffer[end + 5:]  # type: ignore[attr-defined]
        if too_big:
            return _TOO_BIG
        return bytes(buffer[:end + 2]).replace(b"\r\n..", b"\r\n.")[2:]


class _Controller(Controller):
    """aiosmtpd's threaded controller with the sink's session; with port 0 it reports the OS's port."""

    def factory(self) -> SMTP:
        return _SinkSMTP(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailSink:
    """A running sink: `port` is where it listens, `stop()` stores what is queued and shuts it down."""

    def __init__(self, *, host: str, port: int) -> None:
        self._inbox: queue.Queue[_Caught | None] = queue.Queue(maxsize=QUEUE_LIMIT)
        self._controller = _Controller(_Handler(self._inbox), hostname=host, port=port,
                                       data_size_limit=MAX_MESSAGE_BYTES, server_hostname="kempen-sink")
        self._writer = threading.Thread(target=self._write_loop, name="kempen-mail-sink-writer", daemon=True)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> None:
        self._controller.start()
        self._writer.start()

    def stop(self) -> None:
        """Stop listening, then store every message already caught."""
        self._controller.stop()
        self._inbox.put(None)
        self._writer.join()

    def _take(self) -> tuple[list[_Caught], bool]:
        # Wait for one message, then take whatever else arrives in the next 100 ms.
        first = self._inbox.get()
        if first is None:
            return [], True
        items = [first]
        deadline = time.monotonic() + FLUSH_SECONDS
        while len(items) < _BATCH and (remaining := deadline - time.monotonic()) > 0:
            try:
                item = self._inbox.get(timeout=remaining)
            except queue.Empty:
                break
            if item is None:
                return items, True
            items.append(item)
        return items, False

    def _write_loop(self) -> None:
        since_prune = _PRUNE_EVERY  # prune once at start, then every few hundred messages
        done = False
        while not done:
            items, done = self._take()
            since_prune += len(items)
            try:
                store(items, prune=since_prune >= _PRUNE_EVERY)
            except Exception:  # the sink must outlive a database hiccup; the messages are dropped
                logger.exception("mail sink: could not store %d messages", len(items))
                continue
            if since_prune >= _PRUNE_EVERY:
                since_prune = 0


def start_mail_sink(*, host: str, port: int) -> MailSink:
    """Start the sink in background threads; OSError when the port is taken."""
    if port:
        # aiosmtpd reports a failed bind only after its 5 s start timeout; find out at once instead.
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    sink = MailSink(host=host, port=port)
    sink.start()
    return sink
