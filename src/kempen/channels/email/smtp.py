"""SMTP connections: aiosmtplib opens them (TCP, TLS, EHLO, STARTTLS, AUTH), Kempen runs the mail.

A connection lives across batches. Each message is one transaction: `begin` sends MAIL, RCPT and
DATA (in one write when the server advertises PIPELINING, RFC 2920) and reads their replies;
`finish` journals the delivery and then writes the dot-stuffed message with its final dot in one
write, with the next message's envelope behind it when pipelining, and reads the final reply.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from kempen.channels.base import FailureKind, PermanentCause, SendJournal, SendResult
from kempen.channels.email.protocol import (
    UNCONFIRMED,
    ConnectFailed,
    Envelope,
    Reply,
    ReplyReader,
    SmtpLost,
    refused,
)

TlsMode = Literal["implicit", "required", "opportunistic", "off"]
_START_TLS: dict[str, bool | None] = {"required": True, "opportunistic": None, "off": False, "implicit": False}
_OFF = {"0", "false", "off", "no"}


@lru_cache(maxsize=1)
def _local_hostname() -> str:
    # Looked up once per process (it may query DNS); relays check that HELO names a host.
    return socket.getfqdn() or "localhost"


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to connect, from `smtp://user:password@host:port?starttls=…` or `smtps://host`."""

    host: str
    port: int
    tls: TlsMode = "opportunistic"
    username: str | None = None
    password: str | None = None
    verify: bool = True
    cafile: str | None = None
    helo: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Parse an SMTP URL (ValueError when it is not one)."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"KEMPEN_SMTP_URL is not an SMTP URL (smtp://host:port or smtps://host:port): "
                             f"{parts.scheme}://…")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        starttls = query.get("starttls", "opportunistic").lower()
        if starttls not in _TLS_MODES:
            raise ValueError("KEMPEN_SMTP_URL: starttls must be required, opportunistic or off")
        tls: TlsMode = "implicit" if parts.scheme == "smtps" else cast(TlsMode, starttls)
        return cls(host=parts.hostname, port=parts.port or (465 if parts.scheme == "smtps" else 25), tls=tls,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   verify=query.get("verify", "on").lower() not in _OFF, cafile=query.get("cafile"),
                   helo=query.get("helo"))

    @property
    def label(self) -> str:
        """host:port, for logs and the per-server rate limit (never the password)."""
        return f"{self.host}:{self.port}"


_TLS_MODES = frozenset({"required", "opportunistic", "off"})


class SmtpConnection:
    """One open SMTP session, used by one task at a time."""

    def __init__(self, server: SmtpServer, *, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        self.pipelining = False
        self.eight_bit = False
        self.size_limit = 0
        self.transactions = 0
        self.last_used = time.monotonic()
        self._smtp: aiosmtplib.SMTP | None = None
        self._reader: ReplyReader | None = None
        self._transport: asyncio.Transport | None = None
        # After a failed transaction the next one starts with RSET.
        self._dirty = False
        # The delivery whose envelope `finish` sent behind the previous message, and how many replies it awaits.
        self._presented: int | None = None
        self._presented_count = 0

    @property
    def alive(self) -> bool:
        return (self._reader is not None and self._reader.lost is None and self._transport is not None
                and not self._transport.is_closing())

    async def open(self) -> None:
        """Connect, greet and authenticate; ConnectFailed when any step fails."""
        server = self.server
        smtp = aiosmtplib.SMTP(
            hostname=server.host, port=server.port, use_tls=server.tls == "implicit",
            start_tls=_START_TLS[server.tls], username=server.username, password=server.password,
            local_hostname=server.helo or _local_hostname(), timeout=self.timeout,
            validate_certs=server.verify, cert_bundle=server.cafile)
        try:
            await smtp.connect()
            if smtp.is_ehlo_or_helo_needed:
                try:
                    await smtp.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await smtp.helo()  # a server without ESMTP: no pipelining, SIZE or 8BITMIME
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
            smtp.close()
            raise ConnectFailed(f"cannot open an SMTP session with {server.label}: {exc}") from None
        self.pipelining = smtp.supports_extension("pipelining")
        self.eight_bit = smtp.supports_extension("8bitmime")
        size = smtp.esmtp_extensions.get("size", "")
        self.size_limit = int(size) if size.isdigit() else 0
        transport = cast(asyncio.Transport, smtp.transport)
        self._reader = ReplyReader(transport)
        transport.set_protocol(self._reader)
        self._smtp, self._transport, self._dirty, self.transactions = smtp, transport, False, 0
        self._presented = None

    async def probe(self) -> bool:
        """NOOP on a connection that sat idle: False when the server has dropped it or spoke out of turn.

        Servers close idle sessions (often with an unsolicited 421); finding out here costs one round
        trip per idle connection instead of a message's failure.
        """
        try:
            self._write(b"NOOP\r\n")
            [reply] = await self._read()
        except SmtpLost:
            return False
        self.last_used = time.monotonic()
        return reply.code == 250

    def _write(self, data: bytes) -> None:
        assert self._transport is not None
        if not self.alive:
            raise SmtpLost(self._reader.lost if self._reader and self._reader.lost else "connection closed")
        self._transport.write(data)

    async def _read(self, count: int = 1) -> list[Reply]:
        assert self._reader is not None
        return await self._reader.read(self.timeout, count)

    async def _commands(self, commands: list[bytes]) -> list[Reply]:
        # With PIPELINING, one write and then all the replies; else one at a time, stopping at a refusal.
        if self.pipelining:
            self._write(b"".join(commands))
            return await self._read(len(commands))
        replies = []
        for command in commands:
            self._write(command)
            [reply] = await self._read()
            replies.append(reply)
            if reply.code >= 400:
                break
        return replies

    async def send(self, envelope: Envelope, journal: SendJournal) -> SendResult:
        """Run one transaction; SmtpLost when the connection failed before the data was written."""
        return await self.begin(envelope) or await self.finish(envelope, journal)

    async def begin(self, envelope: Envelope) -> SendResult | None:
        """MAIL, RCPT and DATA: None when the server waits for the data (354), else the refusal.

        When `finish` already sent this envelope behind the previous message, only its replies are
        read. SmtpLost when the connection fails.
        """
        if self.size_limit and len(envelope.wire) > self.size_limit:
            return SendResult(delivery_id=envelope.delivery_id, ok=False, failure=FailureKind.PERMANENT,
                              cause=PermanentCause.MESSAGE,
                              detail=f"the message ({len(envelope.wire)} bytes) is larger than the server "
                                     f"accepts ({self.size_limit} bytes)")
        if self._presented == envelope.delivery_id:
            count, self._presented = self._presented_count, None
            replies = await self._read(count)
        else:
            commands = self._envelope_commands(envelope)
            count = len(commands)
            replies = await self._commands(commands)
        if count == 4:  # RSET went first
            rset, *replies = replies
            if rset.code // 100 != 2:
                raise SmtpLost(f"RSET refused: {rset}")
        for stage, reply in zip(("MAIL", "RCPT", "DATA"), replies, strict=False):
            if reply.code == 421:
                self.abort()
            if reply.code // 100 != (3 if stage == "DATA" else 2):
                await self._end_stray_data(replies)
                return refused(envelope.delivery_id, stage, reply)
        self._dirty = False
        return None

    async def finish(self, envelope: Envelope, journal: SendJournal, follow: Envelope | None = None) -> SendResult:
        """Send the data (after `begin` got 354) and read the reply; never raises SmtpLost.

        With PIPELINING, the next message's envelope (`follow`) goes out in the same write, behind
        the final dot (RFC 2920 §3.1): one round trip per message instead of two.
        """
        if not self.alive:
            raise SmtpLost("connection closed before the message was sent")
        data = envelope.wire
        if follow is not None and self.pipelining:
            commands = self._envelope_commands(follow)
            data += b"".join(commands)
            self._presented, self._presented_count = follow.delivery_id, len(commands)
        # The exactly-once contract (kempen.channels.base): journal, then the one write that hands the
        # message over, with nothing that could yield to another task in between.
        journal.committing(envelope.delivery_id)
        assert self._transport is not None
        self._transport.write(data)
        self.transactions += 1
        self.last_used = time.monotonic()
        try:
            [reply] = await self._read()
        except SmtpLost:
            # The data, final dot included, went out and was journaled. Most likely the server has the
            # message (replies are lost far more often than data), and the engine must never send a
            # journaled delivery twice (recovery after a kill counts it as handed over): report it sent.
            return SendResult(delivery_id=envelope.delivery_id, ok=True, provider_id=envelope.message_id,
                              detail=UNCONFIRMED)
        if reply.code // 100 != 2:
            # The transaction is over (RFC 5321 §4.1.1.4), but RSET before the next one costs little
            # and resets a server that sees it otherwise.
            self._dirty = True
            return refused(envelope.delivery_id, "end of data", reply)
        return SendResult(delivery_id=envelope.delivery_id, ok=True, provider_id=envelope.message_id,
                          detail=str(reply))

    def _envelope_commands(self, envelope: Envelope) -> list[bytes]:
        # RSET first after a transaction that was left open by a refusal.
        params = b""
        if self.size_limit:
            params += b" SIZE=" + str(len(envelope.wire)).encode()
        if envelope.eight_bit:
            params += b" BODY=8BITMIME"
        commands = [b"MAIL FROM:<" + envelope.sender + b">" + params + b"\r\n",
                    b"RCPT TO:<" + envelope.recipient + b">\r\n", b"DATA\r\n"]
        if self._dirty:
            commands.insert(0, b"RSET\r\n")
        self._dirty = True
        return commands

    async def _end_stray_data(self, replies: list[Reply]) -> None:
        # RFC 2920 §3.1: a server may accept a pipelined DATA although the recipient was refused;
        # then an empty message ends the transaction (no recipient, so nothing is delivered).
        if len(replies) == 3 and replies[2].code == 354 and self.alive:
            self._write(b".\r\n")
            await self._read()

    async def close(self) -> None:
        """Say QUIT (briefly) and close."""
        if self.alive:
            try:
                self._write(b"QUIT\r\n")
                assert self._reader is not None
                await self._reader.read(min(self.timeout, 2.0))
            except SmtpLost:
                pass
        self.abort()

    def abort(self) -> None:
        """Close at once (after an error, or when the server said 421)."""
        if self._smtp is not None:
            self._smtp.close()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
        self._smtp = None
