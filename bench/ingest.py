"""Benchmark: events per second through `POST /api/v1/events/batch` against a raw bulk insert of the same rows.

Standalone (not part of the test suite). It makes its own databases (a temporary SQLite file and a
fresh PostgreSQL database, dropped afterwards), serves Kempen with uvicorn on a free loopback port
and posts pre-serialised batches over real HTTP from several client threads. The baselines insert
the very same rows, already resolved to contact ids, straight into `events`: COPY (binary, one stream
and as many streams as API clients) and executemany on PostgreSQL, executemany on SQLite. The events
table is emptied before each measurement; methods run in interleaved rounds and keep their best.

    .venv/bin/python bench/ingest.py                 # 200,000 events on both databases
    .venv/bin/python bench/ingest.py --events 20000  # a quick run

The last line reads `ratio=0.XX kempen=12.3k/s baseline=15.0k/s` (PostgreSQL, API / the faster COPY,
medians of the rounds).
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Engine, insert, make_url, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_imports import measure_imports  # noqa: E402

from kempen.accounts import service as accounts  # noqa: E402
from kempen.db import make_engine  # noqa: E402
from kempen.migrate import upgrade_database  # noqa: E402
from kempen.models import Contact, Role  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
COPY_TYPES = ["int8", "int8", "text", "timestamptz", "jsonb", "text", "text", "timestamptz"]
COLUMNS = "workspace_id, contact_id, name, occurred_at, properties, source, idempotency_key, received_at"
NAMES = ("page_view", "app_open", "add_to_cart", "checkout_started", "purchase", "email_click")


@dataclass
class Seed:
    workspace_id: int
    api_key: str
    contact_ids: list[int]


@dataclass
class Figure:
    backend: str
    method: str
    events: int
    seconds: float  # the median round
    best: float | None = None  # the fastest round

    @property
    def rate(self) -> float:
        return self.events / self.seconds


# --- databases --------------------------------------------------------------------------------------


@contextmanager
def sqlite_database(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp / 'bench.db'}"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    name = f"kempen_bench_{secrets.token_hex(4)}"
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(engine: Engine, contacts: int) -> Seed:
    """Create a workspace, a marketer API key and `contacts` contacts (one bulk insert)."""
    with Session(engine) as session:
        workspace = accounts.create_workspace(session, name="Bench", slug=f"bench-{secrets.token_hex(3)}")
        _, key = accounts.create_api_key(session, workspace_id=workspace.id, name="bench", role=Role.MARKETER)
        now = datetime.now(UTC)
        rows = [{"workspace_id": workspace.id, "external_id": f"cust-{i}", "email": f"c{i}@example.com",
                 "email_normalized": f"c{i}@example.com", "custom_fields": {}, "created_at": now,
                 "updated_at": now} for i in range(contacts)]
        ids = list(session.scalars(insert(Contact).returning(Contact.id), rows))
        session.commit()
        return Seed(workspace.id, key, ids)


def reset_events(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE events"))
        else:
            conn.execute(text("DELETE FROM events"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE events"))


# --- the workload -----------------------------------------------------------------------------------


def make_events(s: Seed, n: int) -> list[dict[str, Any]]:
    """Events as a client sends them: half name their contact by external id, half by id."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    events = []
    for i in range(n):
        c = i % len(s.contact_ids)
        event: dict[str, Any] = {"name": NAMES[i % len(NAMES)], "occurred_at": (start + timedelta(seconds=i)).isoformat(),
                                 "properties": {"path": f"/products/{i % 977}", "utm_source": "newsletter",
                                                "value": round(i % 500 * 1.25, 2)},
                                 "source": "web", "idempotency_key": f"evt-{i}"}
        if i % 2:
            event["contact_id"] = s.contact_ids[c]
        else:
            event["contact_external_id"] = f"cust-{c}"
        events.append(event)
    return events


def raw_rows(s: Seed, events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The same events as database rows, contact already resolved (the baselines get this for free)."""
    now = datetime.now(UTC)
    by_external = {f"cust-{i}": cid for i, cid in enumerate(s.contact_ids)}
    return [(s.workspace_id, e.get("contact_id") or by_external[e["contact_external_id"]], e["name"],
             datetime.fromisoformat(e["occurred_at"]), orjson.dumps(e["properties"]).decode(), e["source"],
             e["idempotency_key"], now) for e in events]


def batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- Kempen over HTTP -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(database_url: str, data_dir: Path, workers: int) -> Iterator[str]:
    """Run Kempen under uvicorn as in production and yield its base URL."""
    port = free_port()
    env = {**os.environ, "KEMPEN_DATABASE_URL": database_url, "KEMPEN_DATA_DIR": str(data_dir),
           "KEMPEN_SECRET_KEY": secrets.token_hex(16)}
    command = [sys.executable, "-m", "uvicorn", "kempen.app:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("uvicorn exited during start-up")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("uvicorn did not become ready within 60 s")


def post_events(base: str, key: str, bodies: list[bytes], clients: int) -> tuple[float, int]:
    """Post every body with `clients` concurrent connections; return (seconds, events accepted)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    url = f"{base}/api/v1/events/batch"

    def send(chunk: list[bytes]) -> int:
        accepted = 0
        with httpx.Client(timeout=300) as client:
            for body in chunk:
                response = client.post(url, content=body, headers=headers)
                response.raise_for_status()
                accepted += response.json()["accepted"]
        return accepted

    shares = [bodies[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        accepted = sum(pool.map(send, shares))
    return time.perf_counter() - started, accepted


def api_measurement(base: str, s: Seed, events: list[dict[str, Any]], args: argparse.Namespace) -> Any:
    """Return a function that posts all events once and returns the seconds it took."""
    bodies = [orjson.dumps({"events": b}) for b in batches(events, args.batch)]
    warm = [{**e, "idempotency_key": f"warm-{i}"} for i, e in enumerate(events[:200])]
    post_events(base, s.api_key, [orjson.dumps({"events": warm})] * args.workers * 2, args.workers)

    def measure(*_: Any) -> float:
        seconds, accepted = post_events(base, s.api_key, bodies, args.clients)
        if accepted != len(events):
            raise RuntimeError(f"the API accepted {accepted} of {len(events)} events")
        return seconds

    return measure


# --- baselines --------------------------------------------------------------------------------------


def psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def copy_baseline(url: str, rows: list[tuple[Any, ...]], size: int, streams: int = 1) -> float:
    """COPY (binary) the rows straight into events, one COPY and commit per batch, over `streams` connections."""
    def load(chunks: list[list[tuple[Any, ...]]]) -> None:
        with psycopg.connect(psycopg_url(url)) as conn:
            for chunk in chunks:
                with conn.cursor() as cur, cur.copy(f"COPY events ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(COPY_TYPES)
                    for row in chunk:
                        copy.write_row((*row[:4], Jsonb(row[4], dumps=_as_is), *row[5:]))
                conn.commit()

    chunks = batches(rows, size)
    started = time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        list(pool.map(load, [chunks[i::streams] for i in range(streams)]))
    return time.perf_counter() - started


def _as_is(value: Any) -> Any:
    return value


def executemany_postgres(url: str, rows: list[tuple[Any, ...]], size: int) -> float:
    """executemany (psycopg pipelines it) straight into events, one commit per batch."""
    sql = ("INSERT INTO events (workspace_id, contact_id, name, occurred_at, properties, source, idempotency_key, "
           "received_at) VALUES (%s, %s, %s, %s, %s::jsonb, %s, %s, %s)")
    with psycopg.connect(psycopg_url(url)) as conn:
        started = time.perf_counter()
        for chunk in batches(rows, size):
            with conn.cursor() as cur:
                cur.executemany(sql, chunk)
            conn.commit()
        return time.perf_counter() - started


def executemany_sqlite(url: str, rows: list[tuple[Any, ...]], size: int) -> float:
    """sqlite3 executemany with the same pragmas Kempen uses, one commit per batch."""
    def stamp(value: datetime) -> str:  # the storage format SQLAlchemy uses for SQLite
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    prepared = [(*r[:3], stamp(r[3]), *r[4:7], stamp(r[7])) for r in rows]
    conn = sqlite3.connect(make_url(url).database or "")
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    sql = ("INSERT INTO events (workspace_id, contact_id, name, occurred_at, properties, source, idempotency_key, "
           "received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    started = time.perf_counter()
    for chunk in batches(prepared, size):
        conn.executemany(sql, chunk)
        conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


# --- the run ----------------------------------------------------------------------------------------


def run_backend(backend: str, url: str, tmp: Path, args: argparse.Namespace) -> list[Figure]:
    engine = make_engine(url)
    upgrade_database(engine)
    s = seed(engine, args.contacts)
    events = make_events(s, args.events)
    rows = raw_rows(s, events)
    methods: list[tuple[str, Any]] = [("baseline executemany", executemany_sqlite)]
    if backend == "postgresql":
        methods = [("baseline COPY (1 stream)", copy_baseline),
                   (f"baseline COPY ({args.clients} streams)", lambda u, r, b: copy_baseline(u, r, b, args.clients)),
                   ("baseline executemany", executemany_postgres)]
    rounds: dict[str, list[float]] = {}
    with serve(url, tmp / f"data-{backend}", args.workers) as base:
        methods.append((f"API ({args.clients} clients, {args.workers} workers)", api_measurement(base, s, events, args)))
        # Rounds interleave the methods, so a noisy neighbour slows them alike; figures are medians.
        for round_number in range(1, args.repeat + 1):
            rates = []
            for method, measure in methods:
                reset_events(engine)
                seconds = measure(url, rows, args.batch)
                rounds.setdefault(method, []).append(seconds)
                rates.append(f"{method.split(' (')[0].removeprefix('baseline ')} {len(rows) / seconds / 1000:.1f}k/s")
            print(f"{backend} round {round_number}: " + ", ".join(rates), flush=True)
    figures = [Figure(backend, method, len(events), statistics.median(times), min(times))
               for method, times in rounds.items()]
    if not args.skip_imports:
        figures += [Figure(backend, method, count, seconds)
                    for method, count, seconds in measure_imports(engine, s.workspace_id, tmp, args.import_rows)]
    engine.dispose()
    return figures


def print_table(figures: list[Figure]) -> None:
    print(f"\n{'backend':<11} {'method':<34} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'best rows/s':>12}")
    for f in figures:
        best = f"{f.events / f.best:>12,.0f}" if f.best else f"{'':>12}"
        print(f"{f.backend:<11} {f.method:<34} {f.events:>9,} {f.seconds:>8.2f} {f.rate:>10,.0f} {best}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each method keeps its best")
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--postgres", default=os.environ.get("KEMPEN_BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--skip-imports", action="store_true")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="kempen-bench-") as tmp:
        for backend in args.backends.split(","):
            database = sqlite_database(Path(tmp)) if backend == "sqlite" else postgres_database(args.postgres)
            with database as url:
                figures += run_backend(backend, url, Path(tmp), args)
    print_table(figures)
    # Medians of interleaved rounds; the ratio is taken against the faster of the two COPY figures, so the
    # baseline is never the weak one.
    pg = [f for f in figures if f.backend == "postgresql"]
    api = [f.rate for f in pg if f.method.startswith("API")]
    copy = [f.rate for f in pg if f.method.startswith("baseline COPY")]
    if api and copy:
        print(f"ratio={api[0] / max(copy):.2f} kempen={api[0] / 1000:.1f}k/s baseline={max(copy) / 1000:.1f}k/s")


if __name__ == "__main__":
    main()
