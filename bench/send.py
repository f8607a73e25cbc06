"""Benchmark: personalised campaign emails per second against a plain smtplib loop, to the same SMTP sink.

Standalone (not part of the test suite). It makes a fresh PostgreSQL database (dropped afterwards)
with N contacts who consented to email (a fifth with an order), a segment over them and a campaign
with one personalised email (a ~9 KB responsive newsletter: first name with a default, city, the
last order's items in a loop, a CTA button; CSS inlined at launch). Then, against the same SMTP
server on loopback:

- **baseline**: one `smtplib.SMTP` connection sending N pre-rendered identical messages in a loop;
- **kempen**: `launch_campaign` (snapshot, holdout/variant choice, N deliveries materialised) and
  `kempen worker` processes sending them (render, journal, SMTP client, results recorded in bulk),
  timed from the launch call until the database says every delivery is sent.

The SMTP server is an aiosmtpd sink in its own process (counting messages and recipients; it also
proves every contact got exactly one), or Postfix (`--server postfix`, 127.0.0.1:25, configured to
accept and discard: see bench/README.md). CPU per email is the CPU time (user + system) of the
worker processes plus the launch, divided by the emails sent.

    .venv/bin/python bench/send.py                          # 100,000 emails, 2 workers, aiosmtpd sink
    .venv/bin/python bench/send.py --emails 20000 --server postfix

The last line reads `ratio=0.XX kempen=…/s baseline=…/s cpu_per_email=…ms`.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import secrets
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import Engine, func, make_url, select, text
from sqlalchemy.orm import Session

from kempen.db import make_engine
from kempen.migrate import upgrade_database
from kempen.models import (
    Campaign,
    CampaignMessage,
    Channel,
    Delivery,
    DeliveryStatus,
    MessageVariant,
    WorkspaceSendSettings,
)

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_HTML = (Path(__file__).resolve().parent / "send_template.html")


@dataclass
class Figure:
    label: str
    emails: int
    seconds: float
    cpu_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.emails / self.seconds


# --- the SMTP sink ----------------------------------------------------------------------------------


def _sink_main(port: int, ready: mp.Event, messages: mp.Value, duplicates: mp.Value, stop: mp.Event) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    seen: set[str] = set()

    class Counting:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's hook
            for rcpt in envelope.rcpt_tos:
                if rcpt in seen:
                    duplicates.value += 1
                seen.add(rcpt)
            messages.value += 1
            return "250 OK"

        async def handle_RSET(self, server, session, envelope) -> str:  # noqa: ANN001
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port, data_size_limit=10 * 1024 * 1024)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    del asyncio


class Sink:
    """An aiosmtpd server in a child process that counts messages and repeated recipients."""

    def __init__(self) -> None:
        self.port = _free_port()
        ctx = mp.get_context("spawn")
        self.messages = ctx.Value("q", 0)
        self.duplicates = ctx.Value("q", 0)
        self._ready, self._stop = ctx.Event(), ctx.Event()
        self._process = ctx.Process(target=_sink_main, args=(self.port, self._ready, self.messages,
                                                            self.duplicates, self._stop), daemon=True)

    def __enter__(self) -> Sink:
        self._process.start()
        if not self._ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the database ----------------------------------------------------------------------------------


@contextmanager
def bench_database(server_url: str) -> Iterator[str]:
    name = f"kempen_bench_send_{secrets.token_hex(4)}"
    admin = make_url(server_url).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(engine: Engine, emails: int) -> int:
    """Create a workspace with `emails` consenting contacts (a fifth with an order); return its id."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        workspace_id = conn.execute(text(
            "INSERT INTO workspaces (slug, name, created_at) VALUES ('bench', 'Bench', :now) RETURNING id"),
            {"now": now}).scalar_one()
        raw = conn.connection.driver_connection
        cities = ["Utrecht", "Gent", "Lyon", "Porto", "Kraków", "Aarhus", "Leeds", "Bilbao"]
        names = ["Anna", "Bram", "Chloé", "Daan", "Eva", "Finn", "Greta", "Hugo", "Iris", "Jonas", "", "Zoë"]
        with raw.cursor() as cur, cur.copy(
                "COPY contacts (workspace_id, email, email_normalized, first_name, city, country, lifecycle_stage,"
                " custom_fields, created_at, updated_at) FROM STDIN") as copy:
            for i in range(emails):
                address = f"contact{i}@bench.example"
                copy.write_row((workspace_id, address, address, names[i % len(names)] or None,
                                cities[i % len(cities)], "NL", "customer", "{}", now, now))
        conn.execute(text(
            "INSERT INTO consents (workspace_id, contact_id, channel, status, source, recorded_at)"
            " SELECT :w, id, 'email', 'granted', 'bench', :now FROM contacts WHERE workspace_id = :w"),
            {"w": workspace_id, "now": now})
        conn.execute(text(
            "INSERT INTO orders (workspace_id, external_id, contact_id, placed_at, amount, currency, status,"
            " created_at) SELECT :w, 'O' || id, id, :placed, 49.90, 'EUR', 'paid', :now FROM contacts"
            " WHERE workspace_id = :w AND id % 5 = 0"), {"w": workspace_id, "now": now,
                                                        "placed": now - timedelta(days=12)})
        conn.execute(text(
            "INSERT INTO order_items (workspace_id, order_id, sku, name, category, quantity, price)"
            " SELECT workspace_id, id, 'TEA-01', 'Green tea', 'tea', 2, 24.95 FROM orders WHERE workspace_id = :w"),
            {"w": workspace_id})
        conn.execute(text("ANALYZE"))
    return int(workspace_id)


def create_campaign(engine: Engine, workspace_id: int) -> int:
    """A campaign over every consenting contact, one email, one variant, no holdout or quiet hours."""
    from kempen.segments.schemas import SegmentCreate
    from kempen.segments.service import create_segment

    with Session(engine) as session, session.begin():
        segment = create_segment(session, workspace_id=workspace_id, actor="bench",
                                 data=SegmentCreate(name="Everyone with email consent", text="consent.email"))
        session.add(WorkspaceSendSettings(
            workspace_id=workspace_id, from_name="Kempen Bench", from_email="news@bench.example",
            postal_address="Oudegracht 1, 3511 AA Utrecht", frequency_cap_count=0,
            quiet_hours_start=0, quiet_hours_end=0))
        campaign = Campaign(workspace_id=workspace_id, name="Bench newsletter", segment_id=segment.id,
                            respect_quiet_hours=False, respect_frequency_cap=False, created_by="bench")
        session.add(campaign)
        session.flush()
        message = CampaignMessage(workspace_id=workspace_id, campaign_id=campaign.id, channel=Channel.EMAIL,
                                  name="Newsletter")
        session.add(message)
        session.flush()
        session.add(MessageVariant(
            workspace_id=workspace_id, campaign_id=campaign.id, message_id=message.id, name="A",
            split_percent=100, subject="{{ first_name|default('Hello') }}, your November picks from {{ city }}",
            preheader="New teas, and 10% off your next order", html=TEMPLATE_HTML.read_text()))
        return int(campaign.id)


# --- the two senders --------------------------------------------------------------------------------


def baseline(host: str, port: int, emails: int) -> Figure:
    """Send `emails` pre-rendered identical messages over one smtplib connection."""
    from kempen.templates.context import sample_context
    from kempen.templates.email import EmailTemplate, render_email

    rendered = render_email(EmailTemplate(subject="Your November picks", preheader="New teas",
                                          html=TEMPLATE_HTML.read_text()), sample_context())
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "news@bench.example", "x@bench.example", rendered.subject
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    data = message.as_bytes(policy=SMTP)  # CRLF line ends, as on the wire
    started = time.perf_counter()
    with smtplib.SMTP(host, port) as smtp:
        for i in range(emails):
            smtp.sendmail("news@bench.example", [f"baseline{i}@bench.example"], data)
    return Figure("baseline", emails, time.perf_counter() - started)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children_system_cpu() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def kempen(database_url: str, workspace_id: int, campaign_id: int, smtp_url: str, emails: int,
           workers: int, broker_url: str | None, data_dir: Path) -> Figure:
    """Launch the campaign and let `workers` worker processes send it; time until all are sent."""
    from kempen.db import set_engine
    from kempen.delivery.control import launch_campaign

    env = {**os.environ, "KEMPEN_DATABASE_URL": database_url, "KEMPEN_SMTP_URL": smtp_url,
           "KEMPEN_DATA_DIR": str(data_dir), "KEMPEN_WORKER_PROCESSES": str(workers),
           "KEMPEN_METRICS_REFRESH_MINUTES": "0"}
    env.pop("KEMPEN_BROKER_URL", None)
    if broker_url:
        env["KEMPEN_BROKER_URL"] = broker_url
    engine = make_engine(database_url)
    set_engine(engine)
    children_before, self_before, system_before = _children_cpu(), _self_cpu(), _children_system_cpu()
    command = [str(ROOT / ".venv/bin/kempen"), "worker"]
    if broker_url:
        command += ["--processes", str(workers), "--threads", "1"]
        procs = [subprocess.Popen(command, env=env)]
    else:
        procs = [subprocess.Popen(command, env=env) for _ in range(workers)]
    profilers = []
    # BENCH_PROFILE=1: py-spy samples of the workers (GIL holders) in /tmp/worker-N.txt, to find hot spots;
    # py-spy's own CPU then counts as the workers', so CPU per email reads high in such runs.
    if os.environ.get("BENCH_PROFILE"):
        profilers = [subprocess.Popen([str(ROOT / ".venv/bin/py-spy"), "record", "-p", str(p.pid), "-o",
                                       f"/tmp/worker-{i}.txt", "-f", "raw", "--gil"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for i, p in enumerate(procs)]
    time.sleep(2.0)  # workers up and idle before the clock starts
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        launch_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id, actor="bench")
    launched = time.perf_counter()
    launch_cpu = _self_cpu() - self_before  # the launch runs in this process; the polling below is ours
    print(f"  launch: {launched - started:.2f} s, CPU {launch_cpu:.2f} s", flush=True)
    _wait_sent(engine, campaign_id, emails)
    seconds = time.perf_counter() - started
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(60)
    for profiler in profilers:
        profiler.wait(60)
    worker_cpu = _children_cpu() - children_before
    print(f"  workers: CPU {worker_cpu:.1f} s, of which system {_children_system_cpu() - system_before:.1f} s",
          flush=True)
    engine.dispose()
    return Figure("kempen", emails, seconds, cpu_seconds=worker_cpu + launch_cpu)


def _wait_sent(engine: Engine, campaign_id: int, emails: int, timeout: float = 1800.0) -> None:
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            counts = dict(conn.execute(select(Delivery.status, func.count()).where(
                Delivery.campaign_id == campaign_id).group_by(Delivery.status)).all())
        sent = counts.get(DeliveryStatus.SENT, 0)
        if sent != last:
            last = sent
        if sent + counts.get(DeliveryStatus.FAILED, 0) + counts.get(DeliveryStatus.SKIPPED, 0) >= emails:
            if sent != emails:
                raise RuntimeError(f"only {sent} of {emails} sent: {counts}")
            _report_retries(engine, campaign_id)
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out with {last} of {emails} sent")


def _report_retries(engine: Engine, campaign_id: int) -> None:
    with engine.connect() as conn:
        retried = conn.execute(select(func.count()).where(Delivery.campaign_id == campaign_id,
                                                          Delivery.attempts > 1)).scalar_one()
    if retried:
        print(f"  {retried:,} deliveries needed more than one attempt (temporary SMTP failures)", flush=True)


def _wait_postfix_idle(timeout: float = 600.0) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        queue = subprocess.run(["postqueue", "-p"], capture_output=True, text=True).stdout
        if "Mail queue is empty" in queue:
            print(f"  postfix queue drained in {time.monotonic() - started:.1f} s", flush=True)
            return
        time.sleep(0.5)
    raise RuntimeError("Postfix's queue did not drain")


# --- main -------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> tuple[Figure, Figure]:
    with bench_database(args.postgres) as url, tempfile.TemporaryDirectory() as data_dir:
        engine = make_engine(url)
        upgrade_database(engine)
        t0 = time.perf_counter()
        workspace_id = seed(engine, args.emails)
        campaign_id = create_campaign(engine, workspace_id)
        engine.dispose()
        print(f"  seeded {args.emails:,} contacts in {time.perf_counter() - t0:.1f} s", flush=True)
        if args.server == "postfix":
            host, port, sink = "127.0.0.1", 25, None
        else:
            sink = Sink().__enter__()
            host, port = "127.0.0.1", sink.port
        try:
            base = baseline(host, port, args.emails)
            print(f"  baseline: {base.rate:,.0f}/s", flush=True)
            if sink is not None:
                sink.duplicates.value = 0
            else:
                _wait_postfix_idle()  # the baseline's messages are still being discarded: not Kempen's load
            ours = kempen(url, workspace_id, campaign_id, f"smtp://{host}:{port}?starttls=off", args.emails,
                          args.workers, args.broker, Path(data_dir))
            if sink is not None and sink.duplicates.value:
                raise RuntimeError(f"{sink.duplicates.value} contacts received a message twice")
        finally:
            if sink is not None:
                sink.__exit__()
        return base, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", choices=("sink", "postfix"), default="sink")
    parser.add_argument("--broker", default=None, help="e.g. redis://127.0.0.1:6379/15 (default: no broker)")
    parser.add_argument("--postgres", default=os.environ.get("KEMPEN_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()
    base, ours = run(args)
    cpu_ms = (ours.cpu_seconds or 0.0) / ours.emails * 1000
    print(f"server={args.server} workers={args.workers} broker={args.broker or 'none'} emails={args.emails}")
    print(f"kempen: {ours.emails:,} in {ours.seconds:.1f} s, CPU {ours.cpu_seconds:.1f} s")
    print(f"ratio={ours.rate / base.rate:.2f} kempen={ours.rate:,.0f}/s baseline={base.rate:,.0f}/s "
          f"cpu_per_email={cpu_ms:.3f}ms")


if __name__ == "__main__":
    main()
