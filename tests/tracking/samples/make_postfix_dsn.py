"""Make real Postfix DSNs: a private Postfix instance relays to a fake remote MX that refuses.

Run as root on a machine with Postfix installed (`python tests/tracking/samples/make_postfix_dsn.py`).
It never touches the system Postfix: the instance lives in a temporary folder with its own queue and
no listening socket (mail goes in through `sendmail -C`). The fake MX (aiosmtpd on loopback) answers
550 5.1.1 for `gone@`, 452 4.2.2 for `full@`, and accepts everything else; Postfix's bounce and
delay notices to the envelope sender come back through the same relay and are saved here as
postfix-hard.eml and postfix-delayed.eml.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

HERE = Path(__file__).parent
PORT = 2590
SENDER = "bounces@shop.example.com"


class RemoteMx:
    """Refuse two recipients, keep what is sent to the bounce address."""

    def __init__(self) -> None:
        self.notices: list[bytes] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("gone@"):
            return "550 5.1.1 <gone@mail.example.net>: Recipient address rejected: User unknown in local recipient table"
        if address.startswith("full@"):
            return "452 4.2.2 <full@mail.example.net>: Mailbox full, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if SENDER in envelope.rcpt_tos:
            self.notices.append(envelope.original_content or envelope.content)
        return "250 OK"


def message(recipient: str, delivery_id: int) -> bytes:
    return (f"From: Shop <news@shop.example.com>\r\nTo: {recipient}\r\nSubject: Spring sale\r\n"
            f"Message-ID: <{delivery_id}.0123456789abcdef@shop.example.com>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello!\r\n").encode()


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="kempen-pf-"))
    etc, queue, data = root / "etc", root / "queue", root / "data"
    root.chmod(0o755)  # the postfix user must reach its data and queue folders
    etc.mkdir()
    queue.mkdir()
    data.mkdir()
    shutil.chown(data, "postfix")
    shutil.copy("/etc/postfix/master.cf", etc / "master.cf")
    # No smtpd: comment out the inet listener so this instance opens no port.
    master = (etc / "master.cf").read_text().replace("\nsmtp      inet", "\n#smtp      inet")
    (etc / "master.cf").write_text(master)
    settings = {
        "queue_directory": str(queue), "data_directory": str(data), "mail_owner": "postfix",
        "setgid_group": "postdrop", "myhostname": "mta.shop.example.com", "mydomain": "shop.example.com",
        "myorigin": "shop.example.com", "mydestination": "", "inet_interfaces": "loopback-only",
        "inet_protocols": "ipv4", "relayhost": f"[127.0.0.1]:{PORT}", "default_transport": "smtp",
        "relay_transport": "smtp", "smtp_tls_security_level": "none", "compatibility_level": "3.6",
        "delay_warning_time": "1s", "queue_run_delay": "1s", "minimal_backoff_time": "1s",
        "maximal_backoff_time": "2s", "alias_maps": "", "alias_database": "",
        "smtp_host_lookup": "native", "disable_dns_lookups": "yes",
    }
    (etc / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
    handler = RemoteMx()
    controller = Controller(handler, hostname="127.0.0.1", port=PORT, loop=asyncio.new_event_loop())
    controller.start()
    try:
        # A fresh instance's first start creates the queue folders and may stop there; the second runs.
        if subprocess.run(["postfix", "-c", str(etc), "start"], check=False).returncode != 0:
            subprocess.run(["postfix", "-c", str(etc), "start"], check=True)
        for recipient, delivery_id in (("gone@mail.example.net", 4711), ("full@mail.example.net", 4712)):
            subprocess.run(["sendmail", "-C", str(etc), "-f", SENDER, "-N", "failure,delay", recipient],
                           input=message(recipient, delivery_id), check=True)
        deadline = time.monotonic() + 60
        while len(handler.notices) < 2 and time.monotonic() < deadline:
            subprocess.run(["postqueue", "-c", str(etc), "-f"], check=False)
            time.sleep(1)
    finally:
        subprocess.run(["postfix", "-c", str(etc), "stop"], check=False)
        controller.stop()
    for notice in handler.notices:
        name = "postfix-delayed.eml" if b"Action: delayed" in notice else "postfix-hard.eml"
        (HERE / name).write_bytes(notice)
        print("wrote", HERE / name)
    if len(handler.notices) < 2:
        sys.exit(f"only {len(handler.notices)} notices arrived; run postqueue -c {etc} -p")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
