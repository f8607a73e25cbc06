"""The SMTP sink on a real port: what it stores, for which workspace, how fast, and its pruning."""

from __future__ import annotations

import smtplib
import socket
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from kempen.channels.base import Outgoing, SendResult
from kempen.channels.email.adapter import EmailAdapter
from kempen.channels.email.smtp import SmtpServer
from kempen.mailsink import server as sink_server
from kempen.mailsink.server import MailSink, start_mail_sink
from kempen.models import SinkMessage
from tests.channels.factories import Journal, payload
from tests.conftest import Tenant


@pytest.fixture
def sink(db: Engine) -> Iterator[MailSink]:
    running = start_mail_sink(host="127.0.0.1", port=0)
    yield running
    running.stop()


def deliver(sink: MailSink, messages: list[Outgoing], connections: int = 2) -> list[SendResult]:
    adapter = EmailAdapter(SmtpServer(host="127.0.0.1", port=sink.port, tls="off"), connections=connections)
    results: list[SendResult] = []
    try:
        adapter.send_batch(messages, journal=Journal(), on_result=results.append)
    finally:
        adapter.close()
    assert all(r.ok for r in results), results[:3]
    return results


def stored(session: Session, **where: object) -> list[SinkMessage]:
    session.expire_all()
    stmt = select(SinkMessage).filter_by(**where).order_by(SinkMessage.id)
    return list(session.scalars(stmt))


def wait_for(session: Session, count: int, **where: object) -> list[SinkMessage]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = stored(session, **where)
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    raise AssertionError(f"the sink stored {len(stored(session, **where))} of {count} messages")


def test_messages_are_stored_with_their_workspace(sink: MailSink, session: Session, tenant: Tenant) -> None:
    own = payload(subject="Grüße aus Köln", message_id="<1.sink@acme.example>",
                  headers=(("X-Kempen-Workspace", str(tenant.id)),))
    stranger = payload(message_id="<2.sink@acme.example>", headers=(("X-Kempen-Workspace", "987654321"),))
    deliver(sink, [Outgoing(1, 1, "jane@example.com", own), Outgoing(2, 2, "joe@example.com", stranger)])
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        client.sendmail("app@example.com", ["ops@example.com"], b"Subject: plain\r\nMessage-ID: <3.sink@x>\r\n\r\nhi\r\n")
    [mine] = wait_for(session, 1, workspace_id=tenant.id)
    assert (mine.subject, mine.message_id_header, mine.mail_from, mine.recipients) == \
        ("Grüße aus Köln", "<1.sink@acme.example>", "news@acme.example", ["jane@example.com"])
    assert mine.raw.startswith(b"Date: ") and b"X-Kempen-Workspace: " in mine.raw and mine.size == len(mine.raw)
    # Unknown or missing workspace: kept, but in no workspace's inbox.
    deadline = time.monotonic() + 5
    while len(stored(session, workspace_id=None)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    orphans = {row.message_id_header: row for row in stored(session, workspace_id=None)}
    assert {"<2.sink@acme.example>", "<3.sink@x>"} <= set(orphans)
    assert orphans["<3.sink@x>"].subject == "plain"


def test_keeps_up_and_stop_stores_what_is_queued(db: Engine, session: Session, tenant: Tenant) -> None:
    running = start_mail_sink(host="127.0.0.1", port=0)
    messages = [Outgoing(i, i, f"c{i}@example.com",
                         payload(message_id=f"<{i}.bulk@acme.example>", headers=(("X-Kempen-Workspace", str(tenant.id)),)))
                for i in range(1, 401)]
    started = time.monotonic()
    try:
        deliver(running, messages, connections=4)
    finally:
        running.stop()
    elapsed = time.monotonic() - started
    # Everything is stored by the time stop() returns.
    assert len(stored(session, workspace_id=tenant.id)) == 400
    assert elapsed < 10, f"400 messages took {elapsed:.1f} s"


def test_prunes_to_the_newest_messages(sink: MailSink, session: Session, tenant: Tenant,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink_server, "MAX_MESSAGES", 5)
    monkeypatch.setattr(sink_server, "_PRUNE_EVERY", 1)
    messages = [Outgoing(i, i, f"p{i}@example.com",
                         payload(message_id=f"<{i}.prune@acme.example>",
                                 headers=(("X-Kempen-Workspace", str(tenant.id)),))) for i in range(1, 9)]
    for message in messages:  # one at a time, so each lands in its own flush
        deliver(sink, [message], connections=1)
        wait_for(session, 1, message_id_header=message.payload.message_id)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SinkMessage)) == 5
    kept = [row.message_id_header for row in stored(session)]
    assert kept == [f"<{i}.prune@acme.example>" for i in range(4, 9)]


def test_a_taken_port_is_an_os_error(sink: MailSink) -> None:
    with pytest.raises(OSError):
        start_mail_sink(host="127.0.0.1", port=sink.port)
    with socket.create_connection(("127.0.0.1", sink.port)) as probe:  # the first sink still answers
        assert probe.recv(100).startswith(b"220 kempen-sink")


def test_data_is_read_exactly(sink: MailSink, session: Session, tenant: Tenant) -> None:
    header = f"X-Kempen-Workspace: {tenant.id}\r\n".encode()
    bodies = {
        "<dots@x>": b"Subject: dots\r\n\r\n.\r\n..\r\n.x\r\nlast line\r\n",
        "<empty@x>": b"Subject: empty\r\n\r\n",
        "<long@x>": b"Subject: long\r\n\r\n" + b"y" * 150_000 + b"\r\n.\r\n" + b"z" * 70_000 + b"\r\n",
    }
    with smtplib.SMTP("127.0.0.1", sink.port) as client:  # smtplib dot-stuffs; one session, three messages
        for message_id, body in bodies.items():
            client.sendmail("app@example.com", ["ops@example.com"], f"Message-ID: {message_id}\r\n".encode()
                            + header + body)
        assert client.noop()[0] == 250  # the session is still in step after the data
    for message_id, body in bodies.items():
        [row] = wait_for(session, 1, message_id_header=message_id)
        assert row.raw == f"Message-ID: {message_id}\r\n".encode() + header + body


def test_oversized_mail_is_refused(sink: MailSink) -> None:
    with smtplib.SMTP("127.0.0.1", sink.port) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == str(sink_server.MAX_MESSAGE_BYTES)
        assert "pipelining" in client.esmtp_features
        # Without a SIZE parameter the limit is only found while reading the data.
        assert client.mail("app@example.com")[0] == 250 and client.rcpt("ops@example.com")[0] == 250
        code, _ = client.data(b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 10_600)
        assert code == 552
        assert client.noop()[0] == 250
