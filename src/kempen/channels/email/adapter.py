"""The email channel adapter: batches of rendered emails out over SMTP, results back to the engine.

The adapter owns an asyncio event loop and a pool of `smtp_connections` SMTP connections that
outlive a batch, so a worker thread calls the synchronous `send_batch` again and again while the
connections (TLS and AUTH done once) are reused. A batch's messages are spread over the pool:
each connection takes the next waiting message when it is free.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from kempen.channels.base import (
    AdapterStats,
    FailureKind,
    Outgoing,
    PermanentCause,
    ResultCallback,
    SendJournal,
    SendResult,
)
from kempen.channels.email import mime
from kempen.channels.email.dkim import DkimSigner
from kempen.channels.email.message import EmailPayload, build_message
from kempen.channels.email.protocol import UNCONFIRMED, ConnectFailed, Envelope, SmtpLost, dot_stuff
from kempen.channels.email.smtp import SmtpConnection, SmtpServer
from kempen.channels.ratelimit import shared_bucket, shared_budget
from kempen.config import Settings
from kempen.models import Channel


def _failed(delivery_id: int, kind: FailureKind, cause: PermanentCause | None, detail: str) -> SendResult:
    return SendResult(delivery_id=delivery_id, ok=False, failure=kind, cause=cause, detail=detail)


# A pooled connection unused for this long is checked with NOOP before it carries a message.
IDLE_PROBE_SECONDS = 5.0
# A message with its envelope, ready for a connection.
_Next = tuple[Outgoing, Envelope]


async def _close_all(connections: list[SmtpConnection]) -> None:
    await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)


@dataclass
class _Batch:
    queue: deque[Outgoing]
    journal: SendJournal
    on_result: ResultCallback
    errors: list[str] = field(default_factory=list)
    retried: set[int] = field(default_factory=set)


class EmailAdapter:
    """Sends `EmailPayload`s through one SMTP server (kempen.channels.base.ChannelAdapter)."""

    channel = Channel.EMAIL

    def __init__(self, server: SmtpServer, *, connections: int = 4, rate_per_second: float = 0.0,
                 timeout: float = 30.0, dkim: DkimSigner | None = None, envelope_behind_data: bool = False) -> None:
        self.server = server
        # Off by default: Postfix 3.7 took 424 messages/s with the next envelope written behind each
        # message's final dot and 696/s without (bench/send.py, 10,000 emails); its replies to such
        # groups come late. MAIL, RCPT and DATA still go in one write with PIPELINING.
        self._envelope_behind_data = envelope_behind_data
        self._timeout = timeout
        self._dkim = dkim
        self._bucket = shared_bucket(server.label, rate_per_second)
        # `connections` is per process: adapters of one process share it (each keeps at least one).
        self._budget = shared_budget(server.label, connections)
        self._pool: list[SmtpConnection | None] = [None] * max(1, connections)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stats = AdapterStats(extra={"temporary": 0, "bounced": 0, "rejected": 0, "unconfirmed": 0})

    @classmethod
    def from_settings(cls, settings: Settings) -> EmailAdapter:
        """The adapter the settings describe: their SMTP URL, or the built-in sink when there is none.

        The server's rate limit is shared evenly by the worker processes (KEMPEN_WORKER_PROCESSES,
        default 1); the threads of one process share their process's part.
        """
        if settings.smtp_url:
            server = SmtpServer.from_url(settings.smtp_url)
        else:
            server = SmtpServer(host=settings.mail_sink_host, port=settings.mail_sink_port, tls="off")
        processes = max(1, int(os.environ.get("KEMPEN_WORKER_PROCESSES") or 1))
        return cls(server, connections=settings.smtp_connections,
                   rate_per_second=settings.smtp_rate_per_second / processes,
                   timeout=settings.smtp_timeout_seconds, dkim=DkimSigner.from_settings(settings))

    @property
    def stats(self) -> AdapterStats:
        return self._stats

    def open(self) -> None:
        """Make the event loop; connections open on first use."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()

    def send_batch(self, messages: Sequence[Outgoing], *, journal: SendJournal,
                   on_result: ResultCallback) -> None:
        """Send every message, reporting one result each through `on_result` before returning."""
        if not messages:
            return
        self.open()
        assert self._loop is not None
        self._loop.run_until_complete(self._send_all(_Batch(deque(messages), journal, on_result)))

    def close(self) -> None:
        """QUIT and close every connection, then the loop."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        connections = [c for c in self._pool if c is not None]
        self._pool = [None] * len(self._pool)
        for _ in connections:
            self._budget.release()
        try:
            loop.run_until_complete(_close_all(connections))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _send_all(self, batch: _Batch) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                for slot in range(min(len(self._pool), len(batch.queue))):
                    group.create_task(self._drain(slot, batch))
        except BaseExceptionGroup as errors:
            # A bug (say in on_result) cancelled transactions midway: their connections cannot be trusted.
            for connection in self._pool:
                if connection is not None:
                    connection.abort()
            raise errors.exceptions[0] from None
        reason = batch.errors[-1] if batch.errors else "no SMTP connection could be opened"
        while batch.queue:
            self._report(batch, _failed(batch.queue.popleft().delivery_id, FailureKind.TEMPORARY, None, reason))

    async def _connection(self, slot: int, batch: _Batch) -> SmtpConnection | None:
        connection = self._pool[slot]
        if connection is not None and connection.alive and (
                time.monotonic() - connection.last_used < IDLE_PROBE_SECONDS or await connection.probe()):
            return connection
        if connection is not None:
            connection.abort()  # a broken connection is replaced under the same permit
        elif not self._budget.acquire(first=slot == 0):
            return None  # the process holds all the connections it may; the other slots send
        connection = self._pool[slot] = SmtpConnection(self.server, timeout=self._timeout)
        try:
            await connection.open()
        except ConnectFailed as exc:
            batch.errors.append(str(exc))
            self._pool[slot] = None
            self._budget.release()
            return None
        self._stats.connections_opened += 1
        return connection

    async def _drain(self, slot: int, batch: _Batch) -> None:
        # A pooled connection from an earlier batch may have been closed by the server while idle.
        idle = self._pool[slot] is not None
        # The next message, when its envelope went out behind the previous message's data.
        follow: _Next | None = None
        while follow is not None or batch.queue:
            connection = await self._connection(slot, batch)
            if connection is None:
                return  # the others carry on; what is left at the end is reported temporary
            current = follow or await self._next_message(connection, batch)
            if current is None:
                return  # the other connections took the rest
            follow = await self._transaction(connection, batch, current, retry=idle)
            idle = False

    async def _next_message(self, connection: SmtpConnection, batch: _Batch) -> _Next | None:
        while batch.queue:
            message = batch.queue.popleft()
            built = self._envelope(message, connection)
            if isinstance(built, SendResult):
                self._report(batch, built)
                continue
            delay = self._bucket.reserve()
            if delay > 0:
                await asyncio.sleep(delay)
            return message, built
        return None

    async def _transaction(self, connection: SmtpConnection, batch: _Batch, current: _Next, *,
                           retry: bool) -> _Next | None:
        """Send one message; return the next one when its envelope went out behind this one's data."""
        message, envelope = current
        follow: _Next | None = None
        try:
            refusal = await connection.begin(envelope)
            if refusal is not None:
                self._report(batch, refusal)
                return None
            follow = self._follow(connection, batch)
            self._report(batch, await connection.finish(envelope, batch.journal, follow[1] if follow else None))
        except SmtpLost as exc:
            connection.abort()
            if retry and message.delivery_id not in batch.retried:
                # Nothing was handed over on a connection the server had dropped while idle: retry at once.
                batch.retried.add(message.delivery_id)
                batch.queue.appendleft(message)
            else:
                self._report(batch, _failed(message.delivery_id, FailureKind.TEMPORARY, None,
                                            f"connection lost: {exc}"))
        if follow is not None and not connection.alive:
            # The connection broke with the next envelope in flight; nothing of that message was handed
            # over, so it goes back to the queue for a fresh connection.
            batch.queue.appendleft(follow[0])
            return None
        return follow

    def _follow(self, connection: SmtpConnection, batch: _Batch) -> _Next | None:
        # The next message to pipeline behind this one's data: only with PIPELINING, and only when the
        # rate limit lets it go now (a server waiting for data must not wait for the rate limit).
        while self._envelope_behind_data and connection.pipelining and batch.queue and self._bucket.try_take():
            message = batch.queue.popleft()
            built = self._envelope(message, connection)
            if isinstance(built, SendResult):
                self._report(batch, built)
                continue
            return message, built
        return None

    def _envelope(self, message: Outgoing, connection: SmtpConnection) -> Envelope | SendResult:
        payload: EmailPayload = message.payload
        try:
            recipient = mime.addr_spec(message.address)
        except ValueError as exc:
            return _failed(message.delivery_id, FailureKind.PERMANENT, PermanentCause.ADDRESS, str(exc))
        try:
            sender = mime.addr_spec(payload.from_email)
            # 8bit only when the server takes it and no DKIM signature depends on relays keeping it.
            raw = build_message(payload, recipient, eight_bit=connection.eight_bit and self._dkim is None)
            if self._dkim is not None:
                raw = self._dkim.sign(raw)
        except ValueError as exc:
            return _failed(message.delivery_id, FailureKind.PERMANENT, PermanentCause.MESSAGE, str(exc))
        return Envelope(delivery_id=message.delivery_id, sender=sender.encode("ascii"),
                        recipient=recipient.encode("ascii"), wire=dot_stuff(raw),
                        message_id=payload.message_id, eight_bit=not raw.isascii())

    def _report(self, batch: _Batch, result: SendResult) -> None:
        stats = self._stats
        if result.ok:
            stats.sent += 1
            if result.detail == UNCONFIRMED:
                stats.extra["unconfirmed"] += 1
        else:
            stats.failed += 1
            key = ("temporary" if result.failure == FailureKind.TEMPORARY
                   else "bounced" if result.cause == PermanentCause.ADDRESS else "rejected")
            stats.extra[key] += 1
        batch.on_result(result)
