"""THE KILL TEST: `kempen worker` killed with SIGKILL mid-campaign, three times, loses nothing and sends nothing twice.

The worker runs as a real subprocess against the test database (an SQLite file, PostgreSQL) and sends
to an SMTP server run here, which counts the messages each recipient gets. It is killed at three
different points: right after the server received a message's data but before its reply (journaled:
must not be sent again), while a message's recipient is being given (not journaled: must be sent
again), and as a new transaction starts. Each time it is restarted; its start-up sweep recovers the
dead worker's batches from the journal at once.

One sending thread over one SMTP connection, so that each kill lands where the test says: with
several connections a kill could also land, on another connection, in the microseconds between a
message's journal line and its first byte on the socket — the one window the journal cannot cover
(docs/delivery.md: such a message counts as sent; never twice, at most once).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kempen.delivery.control import launch_campaign
from kempen.models import Campaign, CampaignStatus, Contact, Delivery, DeliveryStatus
from tests.delivery.conftest import (
    ACTOR,
    Sink,
    SinkHandler,
    add_contacts,
    free_port,
    make_campaign,
    new_workspace,
)

pytestmark = pytest.mark.usefixtures("parked")
CONTACTS = 2000
KEMPEN = str(Path(sys.executable).with_name("kempen"))


class KillingHandler(SinkHandler):
    """The test's SMTP server; kills the current worker at chosen moments of the conversation."""

    def __init__(self) -> None:
        super().__init__()
        self.worker_pid = 0
        self.kill_at_data = 400     # after the 400th message's data arrived, before answering it
        self.kill_at_rcpt = 1100    # while the recipient of the message after the 1100th is given
        self.kill_at_mail = 1600    # as the transaction after the 1600th message starts
        self.kills: list[str] = []

    def _kill(self, where: str) -> None:
        os.kill(self.worker_pid, signal.SIGKILL)
        self.kills.append(where)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            if len(self.messages) >= self.kill_at_mail and "mail" not in self.kills:
                self._kill("mail")
                return "421 4.3.0 going away"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            if len(self.messages) >= self.kill_at_rcpt and "rcpt" not in self.kills:
                self._kill("rcpt")
                return "451 4.3.0 going away"
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        with self.lock:
            if len(self.messages) >= self.kill_at_data and "data" not in self.kills:
                self._kill("data")
        return reply


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([KEMPEN, "worker", "--threads", "1"], env=env, stdout=out,  # noqa: S603
                                stderr=subprocess.STDOUT)


def _status(session: Session, campaign_id: int) -> CampaignStatus:
    session.expire_all()
    return session.scalars(select(Campaign.status).where(Campaign.id == campaign_id)).one()


def test_kill_9_loses_nothing_and_sends_nothing_twice(session: Session, db: Engine, tmp_path: Path) -> None:
    handler = KillingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    sink = Sink(handler, port)
    try:
        _run(session, db, tmp_path, sink, handler)
    finally:
        controller.stop()


def _run(session: Session, db: Engine, tmp_path: Path, sink: Sink, handler: KillingHandler) -> None:
    ws = new_workspace(session)
    ids = add_contacts(session, ws, CONTACTS)
    built = make_campaign(session, ws, splits=(50, 50))
    launch_campaign(session, workspace_id=ws, campaign_id=built.campaign_id, actor=ACTOR)
    session.commit()
    env = {**os.environ, "KEMPEN_DATABASE_URL": db.url.render_as_string(hide_password=False),
           "KEMPEN_SMTP_URL": f"smtp://127.0.0.1:{sink.port}?starttls=off",
           "KEMPEN_JOURNAL_DIR": str(tmp_path / "journal"), "KEMPEN_LEASE_SECONDS": "3",
           "KEMPEN_BATCH_SIZE": "200", "KEMPEN_SMTP_CONNECTIONS": "1"}
    env.pop("KEMPEN_BROKER_URL", None)
    log = tmp_path / "worker.log"
    worker = _start_worker(env, log)
    handler.worker_pid = worker.pid
    starts = 1
    deadline = time.monotonic() + 120
    try:
        while _status(session, built.campaign_id) != CampaignStatus.COMPLETED:
            assert time.monotonic() < deadline, f"campaign not completed; kills {handler.kills}\n{log.read_text()}"
            if worker.poll() is not None:
                worker.wait()
                worker = _start_worker(env, log)
                handler.worker_pid = worker.pid
                starts += 1
            time.sleep(0.02)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    assert handler.kills == ["data", "rcpt", "mail"] and starts == 4, (handler.kills, starts)
    emails = {e.lower() for e in session.scalars(select(Contact.email).where(Contact.id.in_(ids)))}
    per_recipient = Counter(handler.per_recipient)
    assert set(per_recipient) == emails, "someone got nothing"
    assert [addr for addr, n in per_recipient.items() if n != 1] == [], "someone got the message twice"
    rows = session.execute(select(Delivery.status, Delivery.detail).where(
        Delivery.campaign_id == built.campaign_id)).all()
    assert Counter(status for status, _ in rows) == Counter({DeliveryStatus.SENT: CONTACTS})
    # The message in flight at the first kill was settled from the journal, not sent again.
    assert any(detail == "recovered from journal" for _, detail in rows)
    assert list((tmp_path / "journal").glob("*.journal")) == []
