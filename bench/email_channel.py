"""Benchmark: the email channel on its own (message building, unsubscribe URLs, DKIM, SMTP client, sink).

Standalone (not part of the test suite). The SMTP servers run in a child process so that the
client's CPU time (user and system, from getrusage) is its own:
  - `aiosmtpd`: aiosmtpd answering 250 to everything (the embedded sink's server, without storage);
  - `sink`: Kempen's mail sink (aiosmtpd with PIPELINING and a fast DATA reader) storing into SQLite;
  - `fast`: a minimal blocking SMTP responder with PIPELINING (a stand-in for Postfix, whose replies
    cost the client nothing extra; aiosmtpd is slow enough to change the client's wake-up pattern);
and the last figure is Kempen's sink in the client's own process (as `kempen serve` runs it).

    .venv/bin/python bench/email_channel.py                # 2,000 messages per round
    .venv/bin/python bench/email_channel.py --messages 1000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import timeit
from pathlib import Path
from typing import Any

os.environ.setdefault("KEMPEN_SECRET_KEY", "bench-secret-key-bench-secret-key")
os.environ.setdefault("KEMPEN_DATA_DIR", tempfile.mkdtemp(prefix="kempen-bench-"))

from kempen.channels.base import Outgoing  # noqa: E402
from kempen.channels.email.adapter import EmailAdapter  # noqa: E402
from kempen.channels.email.message import EmailPayload, build_message  # noqa: E402
from kempen.channels.email.smtp import SmtpServer  # noqa: E402
from kempen.models import Channel  # noqa: E402
from kempen.tracking.unsubscribe import unsubscribe_url  # noqa: E402

PARAGRAPH = ('<p style="color:#333;font-family:Arial,sans-serif;line-height:1.5">Hello Jane, this is a paragraph '
             'of marketing text with a <a href="https://shop.example/spring?utm_source=kempen">link</a>.</p>\n')
HTML = (PARAGRAPH * 80)[:10240]
TEXT = "Hello Jane, this is a paragraph of marketing text.\n" * 60


def payload(i: int, *, latin: bool = False) -> EmailPayload:
    html, text = (HTML.replace("Hello", "Grüße"), TEXT.replace("Hello", "Grüße")) if latin else (HTML, TEXT)
    return EmailPayload(subject="Spring sale: 20% off for Jane", html=html, text=text, from_name="Acme Shop",
                        from_email="news@acme.example", reply_to=None,
                        unsubscribe_url=f"https://kempen.example/u/token{i}", unsubscribe_mailto=None,
                        message_id=f"<{i}.bench@acme.example>",
                        headers=(("X-Kempen-Workspace", "1"), ("X-Kempen-Campaign", "2"),
                                 ("X-Kempen-Delivery", str(i))))


def micro(name: str, func: Any, number: int = 5000) -> None:
    best = min(timeit.repeat(func, number=number, repeat=5)) / number
    print(f"  {name:<44} {best * 1e6:8.1f} µs")


def micro_benchmarks() -> None:
    print("per message (best of 5):")
    ascii_payload, latin_payload = payload(1), payload(1, latin=True)
    micro("build_message, 10 KB ASCII HTML + text", lambda: build_message(ascii_payload, "jane@example.com"))
    micro("build_message, 10 KB Latin-1 text, 8bit", lambda: build_message(latin_payload, "j@example.com",
                                                                           eight_bit=True))
    micro("build_message, 10 KB Latin-1 text, QP", lambda: build_message(latin_payload, "j@example.com"))
    micro("unsubscribe_url", lambda: unsubscribe_url(workspace_id=1, contact_id=123456, channel=Channel.EMAIL,
                                                     campaign_id=7, delivery_id=9876543), number=20000)
    if shutil.which("openssl"):
        from kempen.channels.email.dkim import DkimSigner

        folder = Path(tempfile.mkdtemp())
        subprocess.run(["openssl", "genrsa", "-out", "k.pem", "2048"], cwd=folder, check=True, capture_output=True)
        signer = DkimSigner(domain="acme.example", selector="k1", private_key=(folder / "k.pem").read_bytes())
        message = build_message(ascii_payload, "jane@example.com")
        micro("DKIM signature (RSA 2048, dkimpy)", lambda: signer.sign(message), number=20)


class _Null:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def _serve_aiosmtpd(ready: Any) -> None:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    Controller(_Null(), hostname="127.0.0.1", port=port).start()
    ready.put(port)
    time.sleep(3600)


def _fast_client(conn: socket.socket) -> None:
    conn.sendall(b"220 fast ESMTP\r\n")
    buffer, in_data = b"", False
    while data := conn.recv(262144):
        buffer += data
        out = []
        while True:
            if in_data:
                end = buffer.find(b"\r\n.\r\n")
                if end < 0:
                    break
                buffer, in_data = buffer[end + 5:], False
                out.append(b"250 2.0.0 Ok: queued\r\n")
                continue
            end = buffer.find(b"\r\n")
            if end < 0:
                break
            line, buffer = buffer[:end], buffer[end + 2:]
            verb = line[:4].upper()
            if verb == b"EHLO":
                out.append(b"250-fast\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
            elif verb == b"DATA":
                out.append(b"354 go ahead\r\n")
                in_data, buffer = True, b"\r\n" + buffer
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                out.append(b"250 ok\r\n")
        if out:
            conn.sendall(b"".join(out))


def _serve_fast(ready: Any) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    ready.put(listener.getsockname()[1])
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_fast_client, args=(conn,), daemon=True).start()


def _serve_sink(ready: Any) -> None:
    from kempen import db
    from kempen.mailsink.server import start_mail_sink
    from kempen.migrate import upgrade_database

    engine = db.make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'sink.db'}")
    upgrade_database(engine)
    db.set_engine(engine)
    ready.put(start_mail_sink(host="127.0.0.1", port=0).port)
    time.sleep(3600)


class _NoJournal:
    def committing(self, delivery_id: int) -> None:
        pass


def send_run(port: int, connections: int, count: int, rounds: int = 5) -> tuple[float, float, float]:
    """Best of `rounds`: messages/s and client CPU µs per message (user, system), batches of 500.

    The best round is the one least disturbed by other work on the machine.
    """
    adapter = EmailAdapter(SmtpServer(host="127.0.0.1", port=port, tls="off"), connections=connections)
    messages = [Outgoing(i, i, f"c{i}@example.com", payload(i)) for i in range(count)]
    failed: list[Any] = []

    def on_result(result: Any) -> None:
        if not result.ok:
            failed.append(result)

    adapter.send_batch(messages[:50], journal=_NoJournal(), on_result=on_result)  # connect and warm up
    best = (0.0, float("inf"), float("inf"))
    for _ in range(rounds):
        before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for start in range(0, count, 500):
            adapter.send_batch(messages[start:start + 500], journal=_NoJournal(), on_result=on_result)
        elapsed, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        if user + system < (best[1] + best[2]) * count / 1e6:
            best = (count / elapsed, user / count * 1e6, system / count * 1e6)
    adapter.close()
    assert not failed, failed[:3]
    return best


def smtp_benchmarks(count: int) -> None:
    print(f"\nSMTP client, {count} messages of 13 KB in batches of 500 (best of 5 rounds):")
    for name, target in (("aiosmtpd", _serve_aiosmtpd), ("sink", _serve_sink), ("fast", _serve_fast)):
        ready: Any = mp.Queue()
        server = mp.Process(target=target, args=(ready,), daemon=True)
        server.start()
        port = ready.get(timeout=30)
        for connections in (1, 4):
            rate, user, system = send_run(port, connections, count)
            print(f"  {name:<9} {connections} connection(s): {rate:7.0f} msg/s, client CPU {user:6.1f} µs user "
                  f"+ {system:5.1f} µs system per message")
        server.kill()


def sink_benchmark(count: int) -> None:
    from kempen import db
    from kempen.mailsink.server import start_mail_sink
    from kempen.migrate import upgrade_database

    engine = db.make_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'sink.db'}")
    upgrade_database(engine)
    db.set_engine(engine)
    sink = start_mail_sink(host="127.0.0.1", port=0)
    started = time.perf_counter()
    rate, _, _ = send_run(sink.port, 4, count, rounds=1)
    sink.stop()  # returns once everything caught is stored
    stored_rate = (count + 50) / (time.perf_counter() - started)
    print(f"\nKempen's sink (aiosmtpd + SQLite, same process): {rate:.0f} msg/s accepted, "
          f"{stored_rate:.0f} msg/s stored end to end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    micro_benchmarks()
    smtp_benchmarks(args.messages)
    sink_benchmark(args.messages)


if __name__ == "__main__":
    main()
