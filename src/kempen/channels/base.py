"""The one interface every channel adapter implements (email, SMS, webhooks, social, ads, print).

The delivery engine renders each delivery into an `Outgoing` (the payload type is the channel's own),
hands a batch to the channel's adapter, and records every `SendResult` the adapter reports. The engine
knows nothing about SMTP, HTTP or files; an adapter knows nothing about the database.

Exactly once, even when a worker is killed: immediately before the step that makes a message
irreversible (for SMTP, writing the message data with its final dot; for an HTTP API, sending the
request), the adapter calls `journal.committing(delivery_id)`, with no I/O wait between the two. The
journal is an append-only file that survives the process (kill -9 keeps the kernel's page cache); on
recovery, a journaled delivery counts as handed over and is never sent again, one that is not journaled
was never handed over and is sent again.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from kempen.models.contacts import Channel


class FailureKind(enum.StrEnum):
    TEMPORARY = "temporary"   # try again later (4xx, timeouts, connection refused)
    PERMANENT = "permanent"   # never try again (5xx)


class PermanentCause(enum.StrEnum):
    """For permanent failures: the address is bad (bounce, suppress it) or this message is refused."""

    ADDRESS = "address"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One rendered message for one contact, ready for a channel."""

    delivery_id: int
    contact_id: int
    # Email address, E.164 phone, URL, …: where the channel sends it.
    address: str
    # The channel's own rendered content (for email, `kempen.channels.email.message.EmailPayload`).
    payload: Any


@dataclass(frozen=True, slots=True)
class SendResult:
    delivery_id: int
    ok: bool
    # The channel's id for the message (the email Message-ID), when it has one.
    provider_id: str | None = None
    failure: FailureKind | None = None
    cause: PermanentCause | None = None
    # The server's answer or the error, for people reading the report.
    detail: str = ""


class SendJournal(Protocol):
    def committing(self, delivery_id: int) -> None:
        """Record, durably against a process kill, that this delivery is being handed over now."""


ResultCallback = Callable[[SendResult], None]


@dataclass
class AdapterStats:
    """What an adapter did since it was opened (for logs and benchmarks)."""

    sent: int = 0
    failed: int = 0
    connections_opened: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class ChannelAdapter(Protocol):
    """A long-lived sender for one channel, owned by one worker thread.

    `open` is cheap and lazy (connections are made on first use and reused across batches);
    `send_batch` reports exactly one `SendResult` per message through `on_result`, in any order,
    before it returns, and raises only for programming errors (a failed send is a result, not an
    exception); `close` releases connections.
    """

    channel: Channel

    def open(self) -> None: ...

    def send_batch(self, messages: Sequence[Outgoing], *, journal: SendJournal,
                   on_result: ResultCallback) -> None: ...

    def close(self) -> None: ...

    @property
    def stats(self) -> AdapterStats: ...
