"""Refusals, lost connections and the journal contract, against real aiosmtpd servers."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import pytest

from kempen.channels.base import FailureKind, PermanentCause
from kempen.channels.email import adapter as adapter_module
from kempen.channels.email.adapter import EmailAdapter
from kempen.channels.email.protocol import UNCONFIRMED, Reply, classify
from kempen.channels.email.smtp import SmtpServer
from tests.channels.conftest import Recorder, SmtpTestServer, start_server
from tests.channels.factories import Journal, adapter_for, outgoing, send

T, P = FailureKind.TEMPORARY, FailureKind.PERMANENT
ADDRESS, MESSAGE = PermanentCause.ADDRESS, PermanentCause.MESSAGE


@pytest.mark.parametrize(("stage", "reply", "expected"), [
    ("RCPT", "451 4.3.0 try later", (T, None)),
    ("RCPT", "550 5.1.1 no such user", (P, ADDRESS)),
    ("RCPT", "553 mailbox name not allowed", (P, ADDRESS)),
    ("RCPT", "554 5.7.1 blocked by policy", (P, MESSAGE)),
    ("RCPT", "552 too many recipients", (T, None)),
    ("RCPT", "550 5.2.2 mailbox full", (T, None)),
    ("MAIL", "530 5.7.0 authentication required", (T, None)),
    ("MAIL", "553 5.1.8 sender domain does not exist", (P, MESSAGE)),
    ("end of data", "554 5.7.1 spam", (P, MESSAGE)),
    ("end of data", "552 5.3.4 message too big", (P, MESSAGE)),
    ("end of data", "550 5.1.1 user unknown", (P, ADDRESS)),
    ("end of data", "421 shutting down", (T, None)),
])
def test_classify(stage: str, reply: str, expected: tuple[FailureKind, PermanentCause | None]) -> None:
    code, _, text = reply.partition(" ")
    assert classify(stage, Reply(int(code), text)) == expected


@pytest.mark.parametrize("pipelining", [False, True])
def test_refusals_are_classified_and_the_batch_goes_on(pipelining: bool) -> None:
    handler = Recorder(pipelining=pipelining, rcpt_replies={
        "contact2@example.com": "451 4.7.1 greylisted, try again",
        "contact3@example.com": "550 5.1.1 user unknown",
        "contact4@example.com": "554 5.7.1 client host blocked",
    }, data_replies={"contact5@example.com": "554 5.7.1 message refused as spam"})
    server = start_server(handler)
    adapter = adapter_for(server, connections=1, envelope_behind_data=True)
    journal = Journal()
    try:
        results = send(adapter, outgoing(6), journal)
    finally:
        adapter.close()
        server.controller.stop()
    outcome = {i: (r.ok, r.failure, r.cause) for i, r in results.items()}
    assert outcome == {1: (True, None, None), 2: (False, T, None), 3: (False, P, ADDRESS),
                       4: (False, P, MESSAGE), 5: (False, P, MESSAGE), 6: (True, None, None)}
    assert results[3].detail == "RCPT: 550 5.1.1 user unknown"
    assert results[5].detail == "end of data: 554 5.7.1 message refused as spam"
    # Refused before the data: never journaled. Refused after it: the data went out, so journaled.
    assert sorted(journal.committed) == [1, 5, 6]
    assert sorted(m.rcpt_tos[0] for m in handler.messages) == ["contact1@example.com", "contact6@example.com"]
    assert adapter.stats.extra == {"temporary": 1, "bounced": 1, "rejected": 2, "unconfirmed": 0}
    # RSET after each failed transaction, and only then; when pipelining, the envelope after 5 had
    # already gone out behind its data (a transaction ends with its final reply, so none is needed).
    expected = (2, 3, 4) if pipelining else (2, 3, 4, 5)
    assert handler.resets == [f"contact{i}@example.com" for i in expected]


def test_journal_is_written_before_the_server_has_the_message() -> None:
    received: list[int] = []
    lock = threading.Lock()

    def on_data(envelope: Any) -> None:
        delivery = int(envelope.content.split(b"X-Kempen-Delivery: ")[1].split(b"\r\n")[0])
        with lock:
            received.append(delivery)

    class SnapshotJournal(Journal):
        seen_at_commit: dict[int, set[int]] = {}

        def committing(self, delivery_id: int) -> None:
            with lock:
                self.seen_at_commit[delivery_id] = set(received)
            super().committing(delivery_id)

    handler = Recorder(pipelining=True, rcpt_replies={"contact4@example.com": "550 no"}, on_data=on_data)
    server = start_server(handler)
    adapter = adapter_for(server, connections=3)
    journal = SnapshotJournal()
    try:
        results = send(adapter, outgoing(30), journal)
    finally:
        adapter.close()
        server.controller.stop()
    assert sorted(received) == sorted(journal.committed) == [i for i in range(1, 31) if i != 4]
    for delivery_id, seen in journal.seen_at_commit.items():
        assert delivery_id not in seen, f"the server had delivery {delivery_id} before it was journaled"
    assert [i for i, r in results.items() if not r.ok] == [4]


class Dropper(Recorder):
    """Cuts the connection at RCPT (before the data) or right after the data (before the reply)."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address == "contact3@example.com":
            server.transport.abort()
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if envelope.rcpt_tos == ["contact5@example.com"]:
            server.transport.abort()
        return reply


@pytest.mark.parametrize("pipelining", [False, True])
def test_connection_lost_mid_batch(pipelining: bool) -> None:
    server = start_server(Dropper(pipelining=pipelining))
    adapter = adapter_for(server, connections=1)
    journal = Journal()
    try:
        results = send(adapter, outgoing(7), journal)
    finally:
        adapter.close()
        server.controller.stop()
    # 3: lost before its data: not journaled, retried later. 5: data sent, reply lost: journaled, counted sent.
    assert not results[3].ok and results[3].failure == T and "connection lost" in results[3].detail
    assert results[5].ok and results[5].detail == UNCONFIRMED
    assert all(results[i].ok and results[i].detail.startswith("250") for i in (1, 2, 4, 6, 7))
    assert sorted(journal.committed) == [1, 2, 4, 5, 6, 7]
    assert sorted(m.rcpt_tos[0] for m in server.handler.messages) == \
        [f"contact{i}@example.com" for i in (1, 2, 4, 5, 6, 7)]
    assert adapter.stats.connections_opened == 3
    assert adapter.stats.extra["unconfirmed"] == 1


def test_idle_connections_closed_by_the_server_are_reopened(smtp_server: SmtpTestServer) -> None:
    adapter = adapter_for(smtp_server, connections=2)
    try:
        assert all(r.ok for r in send(adapter, outgoing(4)).values())
        # A connection carries several messages, so it is in `sessions` once per message; take each
        # transport once, before any close runs (a closed session's transport becomes None).
        transports = {id(session.transport): session.transport for session in smtp_server.handler.sessions}
        assert len(transports) == 2
        for transport in transports.values():
            smtp_server.controller.loop.call_soon_threadsafe(transport.close)
        time.sleep(0.2)
        assert all(r.ok for r in send(adapter, outgoing(4, start=5)).values())
    finally:
        adapter.close()
    assert adapter.stats.connections_opened == 4
    assert len(smtp_server.handler.messages) == 8


def test_server_down_makes_every_message_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = EmailAdapter(SmtpServer.from_url(f"smtp://127.0.0.1:{port}?starttls=off"), connections=2, timeout=3)
    journal = Journal()
    try:
        results = send(adapter, outgoing(5), journal)
    finally:
        adapter.close()
    assert all(r.failure == T and "cannot open an SMTP session" in r.detail for r in results.values())
    assert journal.committed == []


def test_bad_addresses_fail_without_a_connection_attempt(smtp_server: SmtpTestServer) -> None:
    messages = outgoing(2)
    messages[0] = messages[0].__class__(delivery_id=1, contact_id=1, address="jürgen@example.com",
                                        payload=messages[0].payload)
    adapter = adapter_for(smtp_server)
    try:
        results = send(adapter, messages)
    finally:
        adapter.close()
    assert (results[1].failure, results[1].cause) == (P, ADDRESS) and "SMTPUTF8" in results[1].detail
    assert results[2].ok


class NoEsmtp(Recorder):
    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        return ["502 5.5.1 EHLO not implemented"]


def test_a_server_without_esmtp_gets_helo() -> None:
    server = start_server(NoEsmtp())
    adapter = adapter_for(server)
    try:
        results = send(adapter, outgoing(3))
    finally:
        adapter.close()
        server.controller.stop()
    assert all(r.ok for r in results.values())
    assert all(m.mail_options == [] for m in server.handler.messages)  # no SIZE without ESMTP


def test_idle_connections_are_probed_before_reuse(smtp_server: SmtpTestServer,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapter_module, "IDLE_PROBE_SECONDS", 0.0)
    adapter = adapter_for(smtp_server, connections=2)
    try:
        assert all(r.ok for r in send(adapter, outgoing(4)).values())
        # Servers time idle sessions out with an unsolicited 421, and the reply waits in the socket.
        for session in smtp_server.handler.sessions:
            asyncio.run_coroutine_threadsafe(session.push("421 4.4.2 idle timeout"),
                                             smtp_server.controller.loop).result(2)
        journal = Journal()
        results = send(adapter, outgoing(4, start=5), journal)
    finally:
        adapter.close()
    assert all(r.ok and r.detail.startswith("250") for r in results.values())
    assert sorted(journal.committed) == [5, 6, 7, 8]
    assert adapter.stats.connections_opened == 4
