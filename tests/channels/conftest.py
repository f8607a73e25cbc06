"""Real SMTP servers (aiosmtpd on 127.0.0.1, a free port each) for the email adapter's tests."""

from __future__ import annotations

import base64
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps every message and answers chosen recipients with chosen replies."""

    pipelining: bool = False
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_replies: dict[str, str] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)
    sent_with_mail: list[bytes] = field(default_factory=list)
    sent_with_data: list[bytes] = field(default_factory=list)
    sessions: list[Any] = field(default_factory=list)
    # The last recipient of the connection's previous transaction, for each RSET received.
    resets: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called (in the server's thread) when a message's data has arrived, before it is stored.
    on_data: Any = None

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        # What the client had already sent behind MAIL FROM: with pipelining, its RCPT and DATA.
        self.sent_with_mail.append(bytes(server._reader._buffer))
        self.sessions.append(server)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:
        self.resets.append(getattr(session, "last_rcpt", ""))
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        session.last_rcpt = address
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sent_with_data.append(bytes(server._reader._buffer))
        if self.on_data is not None:
            self.on_data(envelope)
        reply = self.data_replies.get(envelope.rcpt_tos[0]) if envelope.rcpt_tos else None
        if reply:
            return reply
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content,
                                          list(envelope.mail_options)))
            return f"250 2.0.0 Ok: queued as {len(self.messages)}"


class FreePortController(Controller):
    """aiosmtpd's threaded controller, listening on a port the OS picks (port=0)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpTestServer:
    handler: Recorder
    controller: FreePortController

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=off"


def start_server(handler: Recorder, **kwargs: Any) -> SmtpTestServer:
    controller = FreePortController(handler, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    return SmtpTestServer(handler, controller)


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    server = start_server(Recorder())
    yield server
    server.controller.stop()


@pytest.fixture
def pipelining_server() -> Iterator[SmtpTestServer]:
    server = start_server(Recorder(pipelining=True))
    yield server
    server.controller.stop()


def openssl(*args: str, cwd: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test key")
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass
class DkimKey:
    private_key: Path
    dns_record: bytes

    def dnsfunc(self, name: bytes, timeout: int = 5) -> bytes:
        """Answer the TXT lookup of selector._domainkey.domain without a network."""
        return self.dns_record if name.startswith(b"k1._domainkey.") else b""


@pytest.fixture(scope="session")
def dkim_key(tmp_path_factory: pytest.TempPathFactory) -> DkimKey:
    folder = tmp_path_factory.mktemp("dkim")
    openssl("genrsa", "-out", "private.pem", "2048", cwd=folder)
    openssl("rsa", "-in", "private.pem", "-pubout", "-outform", "DER", "-out", "public.der", cwd=folder)
    public = base64.b64encode((folder / "public.der").read_bytes())
    return DkimKey(folder / "private.pem", b"v=DKIM1; k=rsa; p=" + public)


@dataclass
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 (its own CA, so the client can verify it)."""
    folder = tmp_path_factory.mktemp("tls")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "key.pem", "-out", "cert.pem", cwd=folder)
    return TlsFiles(folder / "cert.pem", folder / "key.pem")
