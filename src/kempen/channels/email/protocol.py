"""SMTP on the wire for the send loop: replies, how a refusal is classified, dot-stuffing.

`ReplyReader` is the protocol a connection's transport is handed to once aiosmtplib has done the
handshake: it keeps every reply that arrives, several per packet when commands were pipelined
(aiosmtplib's own protocol parses one reply per read and leaves the rest unread, so it cannot
pipeline), and costs little per message.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

from kempen.channels.base import FailureKind, PermanentCause, SendResult

_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})\b")
# Enhanced status codes that name the recipient as the problem, even at end of data (RFC 3463).
_ADDRESS_CODES = frozenset({"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1"})
_MAX_REPLY = 64 * 1024
# The detail of a message whose data went out but whose final reply never came (SmtpConnection.send).
UNCONFIRMED = "accepted, reply lost"


class Reply(NamedTuple):
    code: int
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


class SmtpLost(Exception):
    """The connection broke, timed out or spoke gibberish; it cannot be used any more."""


class ConnectFailed(Exception):
    """Opening a connection (TCP, TLS, greeting, EHLO or AUTH) failed."""


@dataclass(frozen=True)
class Envelope:
    """One message ready for the wire."""

    delivery_id: int
    sender: bytes        # MAIL FROM address (ASCII)
    recipient: bytes     # RCPT TO address (ASCII)
    wire: bytes          # dot-stuffed message data ending in "\r\n.\r\n"
    message_id: str
    eight_bit: bool


def dot_stuff(message: bytes) -> bytes:
    """The DATA payload of a CRLF-terminated message (RFC 5321 §4.5.2), final dot included."""
    if b"\n." in message:
        message = message.replace(b"\r\n.", b"\r\n..")
    if message.startswith(b"."):
        message = b"." + message
    return message + b".\r\n"


def classify(stage: str, reply: Reply) -> tuple[FailureKind, PermanentCause | None]:
    """Decide what a refusal means: try again later, a bad address, or a refused message.

    4xx is temporary. 5xx on RCPT is a bad address, except 552 (RFC 5321 §4.5.3.1.10: treat as
    temporary; mailbox full, 5.2.2, is also temporary) and policy blocks (5.7.x: the server
    refuses us, not the address). 5xx on MAIL, DATA or after the data refuses the message, except
    when an enhanced code names the recipient (servers that check it only after the data) and
    530 on MAIL (authentication required: a configuration problem, retried once it is fixed).
    """
    code = reply.code
    if not 500 <= code < 600:
        return FailureKind.TEMPORARY, None
    match = _ENHANCED.match(reply.text)
    enhanced = ".".join(match.groups()) if match else ""
    if code == 552 and stage == "RCPT" or enhanced == "5.2.2":
        return FailureKind.TEMPORARY, None
    if stage == "MAIL" and code == 530:
        return FailureKind.TEMPORARY, None
    if stage == "RCPT":
        if enhanced.startswith("5.7."):
            return FailureKind.PERMANENT, PermanentCause.MESSAGE
        return FailureKind.PERMANENT, PermanentCause.ADDRESS
    if enhanced in _ADDRESS_CODES:
        return FailureKind.PERMANENT, PermanentCause.ADDRESS
    return FailureKind.PERMANENT, PermanentCause.MESSAGE


def refused(delivery_id: int, stage: str, reply: Reply) -> SendResult:
    kind, cause = classify(stage, reply)
    return SendResult(delivery_id=delivery_id, ok=False, failure=kind, cause=cause, detail=f"{stage}: {reply}")


class ReplyReader(asyncio.Protocol):
    """Collects SMTP replies (multi-line ones joined) in arrival order."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.replies: deque[Reply] = deque()
        self.lost: str | None = None
        self._buffer = bytearray()
        self._lines: list[bytes] = []
        self._waiter: asyncio.Future[None] | None = None
        self._needed = 1

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        start = 0
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start:end]).rstrip(b"\r")
            start = end + 1
            self._lines.append(line)
            if line[3:4] != b"-":
                self._finish_reply()
        del buffer[:start]
        if len(buffer) > _MAX_REPLY:
            self._fail("the server sent an over-long reply")
        self._wake()

    def _finish_reply(self) -> None:
        lines, self._lines = self._lines, []
        head = lines[0][:3]
        if not head.isdigit():
            self._fail(f"the server sent a malformed reply: {lines[0][:80]!r}")
            return
        text = "\n".join(line[4:].decode("utf-8", "replace") for line in lines)
        self.replies.append(Reply(int(head), text))

    def _fail(self, reason: str) -> None:
        self.lost = self.lost or reason
        self.transport.abort()

    def eof_received(self) -> bool:
        self.lost = self.lost or "the server closed the connection"
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = self.lost or (f"connection lost: {exc}" if exc else "the server closed the connection")
        self._wake()

    def _wake(self) -> None:
        # Only once all the replies `read` waits for are in (a server may send pipelined replies one
        # packet each): resuming the reader for part of them would cost a loop turn for nothing.
        waiter = self._waiter
        if waiter is not None and not waiter.done() and (len(self.replies) >= self._needed or self.lost):
            waiter.set_result(None)

    async def read(self, timeout: float, count: int = 1) -> list[Reply]:
        """The next `count` replies (one wait for all of them: pipelined replies come together).

        SmtpLost when the connection fails or the server stays silent for `timeout` seconds.
        """
        replies = self.replies
        self._needed = count
        while len(replies) < count:
            if self.lost is not None:
                raise SmtpLost(self.lost)
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _expire, waiter)
            try:
                await waiter
            except TimeoutError:
                self._fail(f"no reply from the server within {timeout:g} s")
                raise SmtpLost(self.lost or "timed out") from None
            finally:
                timer.cancel()
                self._waiter = None
        return [replies.popleft() for _ in range(count)]


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
