"""Click redirect throughput and latency: Kempen against a bare Starlette app returning the same 302.

    .venv/bin/python bench/tracking.py                     # PostgreSQL on 127.0.0.1, 1 worker each, 4 rounds of 8 s
    .venv/bin/python bench/tracking.py --workers 2 --seconds 20 --connections 64
    .venv/bin/python bench/tracking.py --compose           # only the per-email cost of tracking (no server)

Creates a fresh PostgreSQL database (dropped afterwards), migrates it, makes a workspace, contacts and
a campaign whose variant has one tracked link, and signs a click URL per delivery. Serves Kempen
(`kempen.app:create_server_app`, as `kempen serve` runs it) and a bare Starlette app (same headers and Location, no
token check, no recording) with uvicorn, the same number of workers each, on loopback. Then:

1. max requests/s of each with `wrk` (one thread, `--connections` keep-alive connections; a Lua
   script walks the click URLs so every request is a different delivery), alternating, `--rounds`;
   the ratio is the median of the rounds' ratios (each round: the baseline, then Kempen);
2. Kempen's latency at a steady 500 requests/s (an open-loop asyncio client: each request is timed
   from when it was due, so a stall counts against every request it delays);
3. rows in `tracking_events` against the redirects answered: every click must be recorded.

Last line: `ratio=0.NN kempen=N/s baseline=N/s p99_500rps=N.Nms recorded=N/N`.
`--compose` times composing 2,000 emails of bench/send_template.html with tracking on and off.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("KEMPEN_SECRET_KEY", secrets.token_hex(16))

# Kempen as `kempen serve` runs it (`create_server_app`: the tracking fast path in front; see bench/README.md).
KEMPEN_APP = '''
from kempen.app import create_server_app


def create_app():
    return create_server_app()
'''

BASELINE_APP = '''
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

LOCATION = {location!r}
HEADERS = {headers!r}


async def click(request):
    return Response(status_code=302, headers={{**HEADERS, "Location": LOCATION}})


def create_app():
    return Starlette(routes=[Route("/c/{{token}}", click)])
'''

WRK_SCRIPT = '''
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = math.random(#paths)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) bench"})
end
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    from sqlalchemy import make_url, text

    from kempen.db import make_engine

    name = f"kempen_bench_tracking_{secrets.token_hex(4)}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, deliveries: int) -> tuple[int, list[str]]:
    """A workspace, a contact per 10 deliveries, a campaign with one link; return (workspace, click paths)."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from kempen.accounts import service as accounts
    from kempen.config import get_settings
    from kempen.db import make_engine
    from kempen.migrate import upgrade_database
    from kempen.models import Campaign, CampaignMessage, CampaignStatus, Channel, Contact, MessageVariant
    from kempen.tracking.links import EmailTracker

    engine = make_engine(url)
    upgrade_database(engine)
    with Session(engine) as session:
        workspace = accounts.create_workspace(session, name="Bench", slug=f"bench-{secrets.token_hex(3)}")
        contacts = list(session.scalars(insert(Contact).returning(Contact.id), [
            {"workspace_id": workspace.id, "email": f"c{i}@example.com", "email_normalized": f"c{i}@example.com"}
            for i in range(max(1, deliveries // 10))]))
        campaign = Campaign(workspace_id=workspace.id, name="Autumn picks", status=CampaignStatus.COMPLETED)
        session.add(campaign)
        session.flush()
        message = CampaignMessage(workspace_id=workspace.id, campaign_id=campaign.id, channel=Channel.EMAIL,
                                  name="email")
        session.add(message)
        session.flush()
        variant = MessageVariant(workspace_id=workspace.id, campaign_id=campaign.id, message_id=message.id,
                                 name="A", subject="Hi", html='<a href="https://shop.example/autumn?x=1">Go</a>')
        session.add(variant)
        session.commit()
        ids = (workspace.id, campaign.id, message.id, variant.id)
    engine.dispose()
    issued = int(time.time()) - 3600  # clicks an hour after the send: not flagged as too soon
    paths = []
    for d in range(deliveries):
        tracker = EmailTracker(get_settings().base_url, workspace_id=ids[0], delivery_id=d + 1,
                               contact_id=contacts[d % len(contacts)], campaign_id=ids[1], message_id=ids[2],
                               variant_id=ids[3], issued_at=issued, opens=False)
        paths.append(str(tracker.click(0)).split("/", 3)[3])
    return ids[0], ["/" + p for p in paths]


@contextmanager
def serve(app: str, env: dict[str, str], workers: int, app_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--no-access-log", "--log-level", "warning", "--app-dir", str(app_dir)]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{app} did not start")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        time.sleep(1.0)  # every worker up
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(base: str, script: Path, seconds: int, connections: int) -> tuple[float, int, int]:
    """(requests/s, requests answered, non-2xx/3xx answers) of one wrk run."""
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return rate, total, (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0)


async def steady(base: str, paths: list[str], rate: int, seconds: float, connections: int = 32) -> list[float]:
    """Open-loop load at `rate` requests/s; each latency measured from when the request was due (ms)."""
    host, port = base.removeprefix("http://").split(":")
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        free.put_nowait(await asyncio.open_connection(host, int(port)))
    latencies: list[float] = []
    statuses: list[int] = []

    async def one(path: str, due: float) -> None:
        reader, writer = await free.get()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0 (X11) bench\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        length = re.search(rb"(?i)content-length:\s*(\d+)", head)
        if length:
            await reader.readexactly(int(length.group(1)))
        latencies.append((time.perf_counter() - due) * 1000)
        statuses.append(int(head.split(b" ", 2)[1]))
        free.put_nowait((reader, writer))

    start = time.perf_counter() + 0.1
    tasks = []
    for i in range(int(rate * seconds)):
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(paths[i % len(paths)], due)))
    await asyncio.gather(*tasks)
    while not free.empty():
        free.get_nowait()[1].close()
    assert all(s == 302 for s in statuses), f"unexpected answers: {set(statuses)}"
    return latencies


def count_rows(url: str, workspace_id: int) -> int:
    from sqlalchemy import func, select

    from kempen.db import make_engine
    from kempen.models import TrackingEvent

    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(TrackingEvent)
                            .where(TrackingEvent.workspace_id == workspace_id))
    engine.dispose()
    return int(found or 0)


def run(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    tmp = Path(tempfile.mkdtemp(prefix="kempen-bench-tracking-"))
    with postgres_database(args.postgres) as url:
        workspace_id, paths = seed(url, args.deliveries)
        (tmp / "paths.txt").write_text("\n".join(paths) + "\n")
        (tmp / "clicks.lua").write_text(WRK_SCRIPT % (tmp / "paths.txt"))
        env = {**os.environ, "KEMPEN_DATABASE_URL": url, "KEMPEN_DATA_DIR": str(tmp / "data")}
        (tmp / "kempen_app.py").write_text(KEMPEN_APP)
        with serve("kempen_app:create_app", env, args.workers, tmp) as kempen:
            probe = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", kempen + paths[0]],
                                   capture_output=True, text=True).stdout
            location = re.search(r"(?im)^location: (\S+)", probe).group(1)  # type: ignore[union-attr]
            headers = {k: v for k, v in re.findall(r"(?m)^([\w-]+): (.+?)\r?$", probe)
                       if k.lower() in ("cache-control", "pragma", "expires", "x-robots-tag", "referrer-policy")}
            (tmp / "baseline_app.py").write_text(BASELINE_APP.format(location=location, headers=headers))
            answered, runs = 1, 0
            with serve("baseline_app:create_app", env, args.workers, tmp) as baseline:
                rates: dict[str, list[float]] = {"kempen": [], "baseline": []}
                for _ in range(args.rounds):
                    for name, base in (("baseline", baseline), ("kempen", kempen)):
                        rate, total, bad = wrk(base, tmp / "clicks.lua", args.seconds, args.connections)
                        if bad:
                            sys.exit(f"{name}: {bad} failed requests")
                        rates[name].append(rate)
                        answered += total if name == "kempen" else 0
                        runs += name == "kempen"
                        print(f"  {name:8} {rate:8.0f} requests/s ({total} in {args.seconds} s)", flush=True)
            latencies = asyncio.run(steady(kempen, paths, 500, args.seconds))
            answered += len(latencies)
        recorded = count_rows(url, workspace_id)
    shutil.rmtree(tmp, ignore_errors=True)
    kempen_rate, baseline_rate = statistics.median(rates["kempen"]), statistics.median(rates["baseline"])
    # Each round runs the baseline and then Kempen back to back: the machine's speed drifts by tens of per
    # cent over a run here, so the ratio is the median of the rounds' own ratios, not a ratio of medians.
    round_ratios = [k / b for k, b in zip(rates["kempen"], rates["baseline"], strict=True)]
    ratio = statistics.median(round_ratios)
    p50, p99 = statistics.median(latencies), statistics.quantiles(latencies, n=100)[98]
    print(f"Kempen at 500 requests/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms")
    # wrk stops with up to --connections requests in flight per run: Kempen answers and records them,
    # wrk does not count them. So rows may exceed the answers by that much, never fall short.
    in_flight = recorded - answered
    print(f"clicks recorded: {recorded}, redirects counted by the clients: {answered} "
          f"({in_flight} left in flight when wrk stopped; at most {runs * args.connections})")
    if not 0 <= in_flight <= runs * args.connections:
        print("MISMATCH: clicks were lost or recorded twice")
    print("rounds' ratios: " + ", ".join(f"{r:.2f}" for r in round_ratios))
    print(f"ratio={ratio:.2f} kempen={kempen_rate:.0f}/s baseline={baseline_rate:.0f}/s "
          f"p99_500rps={p99:.1f}ms recorded={recorded}/{answered}")


def compose(emails: int = 2000, rounds: int = 7) -> None:
    """Per-email cost of tracking when rendering bench/send_template.html (tracking on against off)."""
    from kempen.models import Channel
    from kempen.templates.compiled import compile_email
    from kempen.templates.context import sample_context
    from kempen.templates.links import OPEN_VARIABLE, TRACKER_VARIABLE, TRAP_VARIABLE, Tracking
    from kempen.templates.message import EmailTemplate
    from kempen.tracking.links import EmailTracker, tracking_prefix
    from kempen.tracking.unsubscribe import unsubscribe_url

    template = EmailTemplate(subject="Hi {{ first_name }}", preheader="",
                             html=(ROOT / "bench" / "send_template.html").read_text())
    variants = {True: compile_email(template, tracking=Tracking()), False: compile_email(template)}
    base, prefix = sample_context(), tracking_prefix()

    def once(track: bool) -> float:
        compiled = variants[track]
        started = time.perf_counter()
        for i in range(emails):  # what compose_email does per recipient, minus the payload
            context = dict(base, id=i)
            url = unsubscribe_url(workspace_id=1, contact_id=i + 1, channel=Channel.EMAIL, campaign_id=3,
                                  delivery_id=i + 1)
            context["unsubscribe_url"] = url
            context["preferences_url"] = url
            if track:
                tracker = EmailTracker(prefix, workspace_id=1, delivery_id=i + 1, contact_id=i + 1, campaign_id=3,
                                       message_id=4, variant_id=5, issued_at=1_700_000_000, opens=True)
                context[TRACKER_VARIABLE] = tracker
                context[OPEN_VARIABLE] = tracker.open_url
                context[TRAP_VARIABLE] = tracker.trap_url
            compiled.render(context)
        return (time.perf_counter() - started) / emails * 1e6

    for track in (True, False):
        once(track)
    off, on = [], []
    for _ in range(rounds):  # interleaved, so a noisy neighbour hits both alike
        off.append(once(False))
        on.append(once(True))
    print(f"{emails} emails x {rounds} rounds, best: off {min(off):.1f} us, on {min(on):.1f} us, "
          f"added {min(on) - min(off):.1f} us per email (medians {statistics.median(off):.1f} / "
          f"{statistics.median(on):.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, for Kempen and the baseline")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--deliveries", type=int, default=20_000)
    parser.add_argument("--compose", action="store_true", help="only the per-email cost of tracking")
    args = parser.parse_args()
    if args.compose:
        compose()
    else:
        run(args)


if __name__ == "__main__":
    main()
