"""The email adapter against real aiosmtpd servers: what arrives, pipelining, 8BITMIME, DKIM, TLS and AUTH."""

from __future__ import annotations

import email
import time
from email import policy
from typing import Any

import dkim
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from kempen.channels.base import FailureKind, SendResult
from kempen.channels.email.adapter import EmailAdapter
from kempen.channels.email.dkim import DkimSigner
from kempen.channels.email.message import EmailPayload
from kempen.channels.email.smtp import SmtpServer
from kempen.channels.ratelimit import TokenBucket
from tests.channels.conftest import DkimKey, Recorder, SmtpTestServer, TlsFiles, start_server
from tests.channels.factories import Journal, adapter_for, outgoing, send


def test_a_batch_arrives_personalised_with_its_headers(smtp_server: SmtpTestServer) -> None:
    adapter = adapter_for(smtp_server, connections=3)
    journal = Journal()
    try:
        results = send(adapter, outgoing(12), journal)
    finally:
        adapter.close()
    assert all(r.ok and r.provider_id == f"<{i}.t@acme.example>" for i, r in results.items())
    assert sorted(journal.committed) == list(range(1, 13))
    assert adapter.stats.sent == 12 and adapter.stats.connections_opened == 3
    received = {m.rcpt_tos[0]: m for m in smtp_server.handler.messages}
    assert len(received) == 12
    for i in range(1, 13):
        item = received[f"contact{i}@example.com"]
        assert item.mail_from == "news@acme.example"
        message = email.message_from_bytes(item.data, policy=policy.default)
        assert message["Message-ID"] == f"<{i}.t@acme.example>"
        assert message["X-Kempen-Delivery"] == str(i)
        assert message["List-Unsubscribe"].startswith("<https://kempen.example/u/abc.def>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_body(("plain",)).get_content().strip() == f"Hello contact {i}"  # type: ignore[union-attr]
        assert any(o.startswith("SIZE=") for o in item.mail_options)
    # Without PIPELINING, commands go one by one: nothing waits behind MAIL FROM.
    assert smtp_server.handler.sent_with_mail and not any(smtp_server.handler.sent_with_mail)


def test_connections_are_reused_across_batches(smtp_server: SmtpTestServer) -> None:
    adapter = adapter_for(smtp_server, connections=2)
    try:
        for start in (1, 11, 21):
            assert all(r.ok for r in send(adapter, outgoing(10, start=start)).values())
    finally:
        adapter.close()
    assert adapter.stats.connections_opened == 2 and len(smtp_server.handler.messages) == 30


@pytest.mark.parametrize("behind_data", [False, True])
def test_pipelining_sends_the_envelope_in_one_write(pipelining_server: SmtpTestServer, behind_data: bool) -> None:
    adapter = adapter_for(pipelining_server, connections=1, envelope_behind_data=behind_data)
    try:
        assert all(r.ok for r in send(adapter, outgoing(5)).values())
    finally:
        adapter.close()
    handler = pipelining_server.handler
    assert len(handler.messages) == 5
    for behind in handler.sent_with_mail:
        assert behind.startswith(b"RCPT TO:<contact") and behind.endswith(b"\r\nDATA\r\n")
    if not behind_data:  # the default: the next envelope waits for the final reply
        assert handler.sent_with_data == [b""] * 5
        return
    # Asked for: the next message's envelope travels behind each message's final dot.
    assert [behind[:35] for behind in handler.sent_with_data] == [b"MAIL FROM:<news@acme.example> SIZE="] * 4 + [b""]
    assert all(behind.endswith(b"\r\nDATA\r\n") for behind in handler.sent_with_data[:4])


def test_eight_bit_text_uses_8bitmime_unless_signed(smtp_server: SmtpTestServer, dkim_key: DkimKey) -> None:
    messages = outgoing(1, text="Grüße aus Köln\n", html="<p>Grüße aus Köln</p>\n")
    plain = adapter_for(smtp_server)
    signer = DkimSigner(domain="acme.example", selector="k1", private_key=dkim_key.private_key.read_bytes())
    signed = adapter_for(smtp_server, dkim=signer)
    try:
        assert send(plain, messages)[1].ok and send(signed, messages)[1].ok
    finally:
        plain.close()
        signed.close()
    first, second = smtp_server.handler.messages
    assert "BODY=8BITMIME" in first.mail_options and b"Content-Transfer-Encoding: 8bit" in first.data
    assert "BODY=8BITMIME" not in second.mail_options and second.data.isascii()
    for item in (first, second):
        text = email.message_from_bytes(item.data, policy=policy.default).get_body(("plain",))
        assert text is not None and text.get_content().strip() == "Grüße aus Köln"  # type: ignore[attr-defined]
    # The signature survives the trip: verified on the bytes the server received.
    assert dkim.verify(second.data, dnsfunc=dkim_key.dnsfunc)


def test_starttls_and_auth(tls_files: TlsFiles) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret pass")

    server = start_server(Recorder(), tls_context=tls_files.server_context(), require_starttls=True,
                          authenticator=authenticator)
    base = f"127.0.0.1:{server.port}?starttls=required&cafile={tls_files.cert}"
    good = EmailAdapter(SmtpServer.from_url(f"smtp://mailer:s3cret%20pass@{base}"), timeout=5)
    # aiosmtplib tries the next mechanism after a 535 and aiosmtpd waits for it: keep that wait short.
    bad = EmailAdapter(SmtpServer.from_url(f"smtp://mailer:wrong@{base}"), timeout=1)
    unverified = EmailAdapter(SmtpServer.from_url(f"smtp://mailer:s3cret%20pass@127.0.0.1:{server.port}"
                                                  "?starttls=required"), timeout=5)
    try:
        assert send(good, outgoing(2))[1].ok
        for refused in (send(bad, outgoing(1))[1], send(unverified, outgoing(1))[1]):
            assert not refused.ok and refused.failure == FailureKind.TEMPORARY
            assert "cannot open an SMTP session" in refused.detail
    finally:
        for adapter in (good, bad, unverified):
            adapter.close()
        server.controller.stop()
    assert (b"mailer", b"s3cret pass") in logins
    assert len(server.handler.messages) == 2


def test_required_starttls_refuses_a_server_without_it(smtp_server: SmtpTestServer) -> None:
    adapter = EmailAdapter(SmtpServer.from_url(f"smtp://127.0.0.1:{smtp_server.port}?starttls=required"))
    try:
        result = send(adapter, outgoing(1))[1]
    finally:
        adapter.close()
    assert result.failure == FailureKind.TEMPORARY and "STARTTLS" in result.detail
    assert smtp_server.handler.messages == []


def test_token_bucket() -> None:
    bucket = TokenBucket(10)
    waits = [bucket.reserve() for _ in range(15)]
    assert waits[:10] == [0.0] * 10 and 0.05 < waits[10] <= 0.1 and 0.45 < waits[14] <= 0.5
    assert not bucket.try_take()  # the reserved tokens are spoken for
    assert TokenBucket(0).try_take() and TokenBucket(0).reserve() == 0.0


@pytest.mark.parametrize("pipelining", [False, True])
def test_rate_limit_paces_the_batch(pipelining: bool) -> None:
    server = start_server(Recorder(pipelining=pipelining))
    adapter = adapter_for(server, connections=2, rate_per_second=10.0)
    started = time.monotonic()
    try:
        assert all(r.ok for r in send(adapter, outgoing(14)).values())
    finally:
        adapter.close()
        server.controller.stop()
    assert time.monotonic() - started >= 0.35


def test_parse_smtp_urls() -> None:
    server = SmtpServer.from_url("smtp://user%40x:p%3Ass@mail.example:587?starttls=required&helo=k.example")
    assert (server.host, server.port, server.tls, server.username, server.password, server.helo) == \
        ("mail.example", 587, "required", "user@x", "p:ss", "k.example")
    assert SmtpServer.from_url("smtps://mail.example").port == 465
    assert SmtpServer.from_url("smtps://mail.example").tls == "implicit"
    assert SmtpServer.from_url("smtp://mail.example?verify=off").verify is False
    assert SmtpServer.from_url("smtp://mail.example").label == "mail.example:25"
    for bad in ("http://mail.example", "smtp://", "smtp://mail.example?starttls=maybe"):
        with pytest.raises(ValueError):
            SmtpServer.from_url(bad)


def test_payload_is_the_documented_type() -> None:
    assert EmailPayload.__slots__ == ("subject", "html", "text", "from_name", "from_email", "reply_to",
                                      "unsubscribe_url", "unsubscribe_mailto", "message_id", "headers")


def test_adapters_of_a_process_share_the_connection_budget(smtp_server: SmtpTestServer) -> None:
    first, second = adapter_for(smtp_server, connections=2), adapter_for(smtp_server, connections=2)
    try:
        assert all(r.ok for r in send(first, outgoing(6)).values())
        # The budget (2) is spent by the first adapter: the second sends over its one own connection.
        assert all(r.ok for r in send(second, outgoing(6, start=7)).values())
        assert (first.stats.connections_opened, second.stats.connections_opened) == (2, 1)
    finally:
        first.close()
        second.close()
    third = adapter_for(smtp_server, connections=2)
    try:  # closing gave the permits back
        assert all(r.ok for r in send(third, outgoing(6, start=13)).values())
        assert third.stats.connections_opened == 2
    finally:
        third.close()


def test_a_failing_callback_surfaces_and_the_adapter_recovers(pipelining_server: SmtpTestServer) -> None:
    adapter = adapter_for(pipelining_server, connections=2)
    seen: list[SendResult] = []

    def explode(result: SendResult) -> None:
        seen.append(result)
        if len(seen) == 2:
            raise RuntimeError("engine bug")

    try:
        with pytest.raises(RuntimeError, match="engine bug"):
            adapter.send_batch(outgoing(6), journal=Journal(), on_result=explode)
        # Transactions cut short leave no stale replies behind: the next batch is clean.
        assert all(r.ok for r in send(adapter, outgoing(4, start=7)).values())
    finally:
        adapter.close()


def test_implicit_tls(tls_files: TlsFiles) -> None:
    server = start_server(Recorder(), ssl_context=tls_files.server_context())
    adapter = EmailAdapter(SmtpServer.from_url(f"smtps://127.0.0.1:{server.port}?cafile={tls_files.cert}"),
                           timeout=5)
    try:
        assert all(r.ok for r in send(adapter, outgoing(2)).values())
    finally:
        adapter.close()
        server.controller.stop()
    assert len(server.handler.messages) == 2
