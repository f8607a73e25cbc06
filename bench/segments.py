"""Benchmark: Kempen's compiled segment counts against hand-written expert SQL, on the `kempen demo` dataset.

Standalone (not part of the test suite). For each rule it runs Kempen's `compiler.count_query` and an
expert's count query for the same question (`segments_sql.py`) on the same connection, each warmed once,
then alternately `--repeat` times (the order flips every round, so a noisy neighbour hits both alike),
and keeps the medians. Counts must agree: a difference prints MISMATCH and the script exits 1.

Datasets (`kempen demo --seed 7 --as-of 2026-11-23`, generated once and kept):
  PostgreSQL: the 1m database is `--postgres`; other sizes use the same name + `_<size>` (`…_100k`).
  SQLite: `<--sqlite>/sqlite-<size>/kempen.db` (default bench/results, git-ignored).
A missing database or an empty workspace is generated with the CLI first (1M on SQLite: ~5 minutes).
Before timing: migrations, contact metrics (when empty, or with --recompute-metrics), the segment
"high-value" the in_segment rule refers to, and ANALYZE.

    .venv/bin/python bench/segments.py                                   # both backends, 100k and 1m
    .venv/bin/python bench/segments.py --backends postgresql --sizes 1m --repeat 3 --explain

The last line reads `ratio=1.08 kempen=812ms baseline=760ms`: the geometric mean of kempen/hand-written
time over the rules on PostgreSQL 1m, then the combined behavioural rule's two times there.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, make_url, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
import segments_sql as hand  # noqa: E402

from kempen.accounts import service as accounts  # noqa: E402
from kempen.contacts.custom_fields import list_definitions  # noqa: E402
from kempen.db import make_engine  # noqa: E402
from kempen.migrate import upgrade_database  # noqa: E402
from kempen.models import Segment, Workspace  # noqa: E402
from kempen.segments import rules  # noqa: E402
from kempen.segments.fields import catalogue_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/kempen_demo_bench"
SEED, AS_OF = 7, "2026-11-23"
NOW = datetime(2026, 11, 23, tzinfo=UTC)  # midnight of the as-of day: every demo timestamp lies before it
SIZES = {"100k": 100_000, "1m": 1_000_000}
HIGH_VALUE = "orders.sum(amount, last 365d) > 1000"
COMBINED_KEY = "combined"
METRIC_RULES = frozenset({"lapsed", "rfm"})  # read contact_metrics: meaningless while it is empty

# (key, rule text, hand-written query); the combined behavioural rule is timed but kept out of the mean.
RULES: list[tuple[str, str, hand.HandQuery]] = [
    ("country", 'country = "MY"', hand.COUNTRY),
    ("country_stage", 'country in ("MY", "ET", "KE") and lifecycle_stage = "customer"', hand.COUNTRY_STAGE),
    ("email_or_phone", 'email ends_with "@example.com" or phone is set', hand.EMAIL_OR_PHONE),
    ("vip_not_paused", 'tag "vip" and not in_list "newsletter-paused"', hand.VIP_NOT_PAUSED),
    ("recent", "created_at > 30d ago", hand.RECENT),
    ("orders_90d", "orders.count(last 90d) >= 2", hand.ORDERS_90D),
    ("spent_365d", "orders.sum(amount, last 365d) > 500", hand.SPENT_365D),
    ("shoes_180d", 'orders.count(where category = "shoes", last 180d) >= 1', hand.SHOES_180D),
    ("lapsed", "days_since(last_order) > 60", hand.LAPSED),
    ("pricing_views", 'events.count("page_view", where url contains "/pricing", last 7d) >= 3', hand.PRICING_VIEWS),
    ("signup_no_app", 'never("app_open") and ever("signup")', hand.SIGNUP_NO_APP),
    ("clicked", 'clicked(campaign "spring-sale", last 30d)', hand.CLICKED),
    ("rfm", 'rfm in ("champions", "loyal")', hand.RFM),
    ("high_value_consent", 'in_segment "high-value" and consent.email', hand.HIGH_VALUE_CONSENT),
    (COMBINED_KEY, 'country in ("MY", "KE") and orders.count(last 90d) >= 1 and events.count("page_view", '
                   'where url contains "/pricing", last 30d) >= 1 and not never("app_open")', hand.COMBINED),
]


@dataclass
class Result:
    backend: str
    size: str
    key: str
    kempen_count: int | None = None
    hand_count: int | None = None
    kempen: list[float] = field(default_factory=list)  # seconds per round
    hand: list[float] = field(default_factory=list)
    no_data: bool = False  # a metrics rule on a database without metrics: shown, left out of the mean

    @property
    def kempen_s(self) -> float | None:
        return statistics.median(self.kempen) if self.kempen else None

    @property
    def hand_s(self) -> float | None:
        return statistics.median(self.hand) if self.hand else None

    @property
    def ratio(self) -> float | None:
        return self.kempen_s / self.hand_s if self.kempen_s and self.hand_s else None

    @property
    def mismatch(self) -> bool:
        return self.kempen_count is not None and self.kempen_count != self.hand_count


class Kempen:
    """The parser, compiler and metrics modules, when they exist (other engineers are writing them)."""

    def __init__(self) -> None:
        self.missing: str | None = None
        self.recompute_metrics: Callable[..., int] | None = None
        try:
            from kempen.segments import metrics

            self.recompute_metrics = metrics.recompute_metrics
        except ImportError as exc:
            self.missing = f"metrics: {exc}"
        try:
            from kempen.segments import compiler, parser
        except ImportError as exc:
            self.missing = f"compiler/parser: {exc}"
            return
        self.parse: Callable[..., rules.Rule] = parser.parse_rule
        self.count_query: Callable[..., Any] = compiler.count_query


# The segment the in_segment rule refers to, as the parser reads HIGH_VALUE (saved even without the parser).
HIGH_VALUE_RULE = rules.Aggregate(source="orders", function="sum", measure="amount",
                                  window=rules.Duration(amount=365, unit=rules.TimeUnit.DAY), op=rules.Op.GT,
                                  value=1000)


# --- datasets ---------------------------------------------------------------------------------------


def database_url(backend: str, size: str, args: argparse.Namespace) -> str:
    if backend == "sqlite":
        return f"sqlite:///{(Path(args.sqlite) / f'sqlite-{size}' / 'kempen.db').resolve()}"
    url = make_url(args.postgres)
    return url.set(database=url.database if size == "1m" else f"{url.database}_{size}").render_as_string(False)


def kempen_cli(url: str, *command: str) -> None:
    env = {**os.environ, "KEMPEN_DATABASE_URL": url}
    if url.startswith("sqlite"):
        env.pop("KEMPEN_DATABASE_URL")
        env["KEMPEN_DATA_DIR"] = str(Path(make_url(url).database or "").parent)
    subprocess.run([str(ROOT / ".venv" / "bin" / "kempen"), *command], env=env, check=True)


def ensure_dataset(url: str, contacts: int) -> None:
    """Create the database and generate the demo dataset unless a previous run left it there."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = make_engine(parsed.set(database="postgres").render_as_string(False), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}):
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    else:
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    upgrade_database(engine)  # `kempen db upgrade`
    with Session(engine) as session:
        workspace = session.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        if workspace is None:  # what `kempen init --demo-contacts 0` makes, without the owner account
            workspace = accounts.create_workspace(session, name="Demo shop", slug="demo").id
            session.commit()
        found = session.scalar(text("SELECT count(*) FROM contacts WHERE workspace_id = :ws"), {"ws": workspace})
    engine.dispose()
    if not found:
        print(f"generating {contacts:,} demo contacts into {parsed.render_as_string()} …", flush=True)
        kempen_cli(url, "demo", "--contacts", str(contacts), "--seed", str(SEED), "--as-of", AS_OF, "-w", "demo")
    elif found != contacts:
        print(f"note: {parsed.render_as_string()} holds {found:,} contacts, not {contacts:,}", flush=True)


def prepare(engine: Engine, kempen: Kempen, args: argparse.Namespace) -> tuple[int, bool]:
    """Metrics, the "high-value" segment and planner statistics; return the workspace id and whether metrics exist."""
    with Session(engine) as session:
        ws = session.scalar(select(Workspace.id).where(Workspace.slug == "demo"))
        assert ws is not None, "no workspace 'demo'"
        changed = False
        has_metrics = session.scalar(text("SELECT count(*) FROM contact_metrics WHERE workspace_id = :ws"), {"ws": ws})
        wanted = args.recompute_metrics or not (has_metrics or args.no_metrics)
        if kempen.recompute_metrics is not None and wanted:
            started = time.perf_counter()
            rows = kempen.recompute_metrics(session, workspace_id=ws, now=NOW)
            session.commit()
            print(f"  recompute_metrics: {rows:,} contacts in {time.perf_counter() - started:.1f} s", flush=True)
            changed = has_metrics = True
        if session.scalar(select(Segment.id).where(Segment.workspace_id == ws, Segment.name == "high-value")) is None:
            rule = HIGH_VALUE_RULE if kempen.missing else kempen.parse(HIGH_VALUE)
            session.add(Segment(workspace_id=ws, name="high-value", rule=rules.rule_to_json(rule), rule_text=HIGH_VALUE,
                                description="Spent over 1,000 in the last year (bench/segments.py)"))
            session.commit()
    analyze(engine, force=changed)
    return ws, bool(has_metrics)


def analyze(engine: Engine, force: bool) -> None:
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        # Autovacuum may be off on the bench server: without statistics the planner guesses blindly.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            fresh = conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"))
            if fresh and not force:
                return
            conn.execute(text("ANALYZE"))
    print(f"  ANALYZE: {time.perf_counter() - started:.1f} s", flush=True)


# --- timing -----------------------------------------------------------------------------------------


def sqlite_text(value: Any) -> Any:
    """A datetime in the text form SQLAlchemy stores on SQLite (naive UTC, microseconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(value, datetime) else value


def hand_statement(query: hand.HandQuery, dialect: str, ws: int, prefix: str = "") -> tuple[Any, dict[str, Any]]:
    stmt = text(prefix + query.sql(dialect))
    if query.expanding:
        stmt = stmt.bindparams(*(bindparam(name, expanding=True) for name in query.expanding))
    names = set(stmt.compile().params)
    params = {k: v for k, v in {**hand.common_params(ws, NOW), **query.params}.items() if k in names}
    if dialect == "sqlite":
        params = {k: sqlite_text(v) for k, v in params.items()}
    return stmt, params


def set_timeout(conn: Connection, seconds: float) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET statement_timeout = {int(seconds * 1000)}"))
        return
    raw = conn.connection.driver_connection
    deadline = [0.0]

    def check() -> int:
        return 1 if time.monotonic() > deadline[0] else 0

    raw.set_progress_handler(check, 100_000)  # type: ignore[union-attr]
    conn.info["deadline"] = (deadline, seconds)


def timed(conn: Connection, run: Callable[[], Any]) -> tuple[float, int]:
    if "deadline" in conn.info:
        deadline, seconds = conn.info["deadline"]
        deadline[0] = time.monotonic() + seconds
    started = time.perf_counter()
    count = run()
    return time.perf_counter() - started, int(count)


def measure(conn: Connection, result: Result, kempen_run: Callable[[], Any] | None, hand_run: Callable[[], Any],
            repeat: int) -> None:
    """Warm each side once, then alternate them `repeat` times (order flipped every round)."""
    sides: list[tuple[str, Callable[[], Any]]] = [("hand", hand_run)]
    if kempen_run is not None:
        sides.insert(0, ("kempen", kempen_run))
    for name, run in sides:
        try:
            _, count = timed(conn, run)
        except Exception as exc:  # a timeout or a compiler bug: report it, keep benchmarking the rest
            conn.rollback()
            print(f"  {result.key}: {name} failed: {str(exc).splitlines()[0][:160]}", flush=True)
            return
        setattr(result, f"{name}_count", count)
        conn.rollback()
    for round_number in range(repeat):
        for name, run in sides if round_number % 2 == 0 else sides[::-1]:
            seconds, _ = timed(conn, run)
            getattr(result, name).append(seconds)
            conn.rollback()


def run_size(backend: str, size: str, kempen: Kempen, args: argparse.Namespace) -> list[Result]:
    url = database_url(backend, size, args)
    ensure_dataset(url, SIZES[size])
    engine = make_engine(url)
    ws, has_metrics = prepare(engine, kempen, args)
    with Session(engine) as session:
        catalogue = catalogue_for(list_definitions(session, workspace_id=ws))
        saved = {name: rules.rule_from_json(data) for name, data in
                 session.execute(select(Segment.name, Segment.rule).where(Segment.workspace_id == ws))}
    results = []
    explain: list[str] = []
    with engine.connect() as conn:
        set_timeout(conn, args.timeout)
        conn.commit()  # a SET inside a transaction that rolls back is undone
        for key, rule_text, query in RULES:
            if args.rules and key not in args.rules.split(","):
                continue
            result = Result(backend, size, key, no_data=key in METRIC_RULES and not has_metrics)
            stmt, params = hand_statement(query, engine.dialect.name, ws)
            hand_run = lambda: conn.execute(stmt, params).scalar_one()  # noqa: E731, B023
            kempen_run = None
            if kempen.missing is None:
                rule = kempen.parse(rule_text, catalogue)
                kempen_run = lambda: conn.execute(kempen.count_query(  # noqa: E731
                    rule, workspace_id=ws, catalogue=catalogue, now=NOW,  # noqa: B023
                    resolve_segment=saved.__getitem__)).scalar_one()
            measure(conn, result, kempen_run, hand_run, args.repeat)
            print_row(result, flush=True)
            if args.explain and backend == "postgresql" and kempen.missing is None:
                compiled = kempen.count_query(rule, workspace_id=ws, catalogue=catalogue, now=NOW,
                                              resolve_segment=saved.__getitem__)
                explain += explain_pair(conn, result, compiled, query, ws)
            results.append(result)
    engine.dispose()
    if explain:
        path = Path(args.sqlite) / f"segments-explain-{backend}-{size}.txt"
        path.write_text("\n".join(explain))
        print(f"  plans: {path}")
    return results


def explain_pair(conn: Connection, result: Result, compiled: Any, query: hand.HandQuery, ws: int) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of both queries of a rule, with Kempen's SQL, for the plan findings."""
    sql = compiled.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    lines = [f"=== {result.key}  ratio={result.ratio or 0:.2f}", "--- kempen SQL", str(sql), "--- kempen plan"]
    lines += [row[0] for row in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + str(sql), sql.params)]
    conn.rollback()
    lines += ["--- hand-written plan"]
    stmt, params = hand_statement(query, conn.dialect.name, ws, "EXPLAIN (ANALYZE, BUFFERS) ")
    lines += [row[0] for row in conn.execute(stmt, params)]
    conn.rollback()
    return lines + [""]


# --- output -----------------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    return f"{seconds * 1000:,.1f}" if seconds is not None else "-"


def print_row(r: Result, flush: bool = False) -> None:
    counts = f"{r.hand_count:,}" if r.hand_count is not None else "-"
    if r.mismatch:
        counts = f"MISMATCH kempen={r.kempen_count:,} hand={r.hand_count}"
    ratio = f"{r.ratio:.2f}" if r.ratio else "-"
    if r.no_data:
        ratio += " (no metrics)"
    print(f"{r.backend:<10} {r.size:>4} {r.key:<19} {counts:>10} {ms(r.kempen_s):>10} {ms(r.hand_s):>10} {ratio:>6}",
          flush=flush)


def header() -> None:
    print(f"{'backend':<10} {'size':>4} {'rule':<19} {'count':>10} {'kempen ms':>10} {'hand ms':>10} {'ratio':>6}")


def geomean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def report(results: list[Result]) -> None:
    groups = sorted({(r.backend, r.size) for r in results}, key=lambda g: (g[0], SIZES[g[1]]))
    for backend, size in groups:
        print(f"\n{backend} {size}  (median of the rounds)")
        header()
        for r in results:
            if (r.backend, r.size) == (backend, size):
                print_row(r)
    by_key = {(r.backend, r.size, r.key): r for r in results}
    print("\ngrowth 100k → 1m (time at 1m / time at 100k)")
    print(f"{'backend':<10} {'rule':<19} {'kempen':>7} {'hand':>7}")
    for backend in sorted({r.backend for r in results}):
        for key, _, _ in RULES:
            small, big = by_key.get((backend, "100k", key)), by_key.get((backend, "1m", key))
            if small and big:
                grow = [f"{b / s:>7.1f}" if b and s else f"{'-':>7}" for b, s in
                        ((big.kempen_s, small.kempen_s), (big.hand_s, small.hand_s))]
                print(f"{backend:<10} {key:<19} {grow[0]} {grow[1]}")
    print("\ngeometric mean of kempen / hand-written (rules, without the combined one)")
    for backend, size in groups:
        ratios = [r.ratio for r in results if (r.backend, r.size) == (backend, size) and r.key != COMBINED_KEY
                  and r.ratio and not r.no_data]
        mean = geomean(ratios)
        print(f"{backend:<10} {size:>4} {f'{mean:.2f}' if mean else '-'} over {len(ratios)} rules")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("KEMPEN_BENCH_SEGMENTS_URL", DEFAULT_POSTGRES),
                        help="the 1m database; other sizes add _<size> to its name")
    parser.add_argument("--sqlite", default=str(ROOT / "bench" / "results"),
                        help="directory holding sqlite-<size>/kempen.db (reused across runs)")
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per rule; medians are reported")
    parser.add_argument("--rules", default="", help="comma-separated rule keys (default: all)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a query is abandoned")
    parser.add_argument("--recompute-metrics", action="store_true", help="even when contact_metrics has rows")
    parser.add_argument("--no-metrics", action="store_true",
                        help="leave an empty contact_metrics empty (metrics rules then count 0 on both sides)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) both sides (PostgreSQL)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    kempen = Kempen()
    if kempen.missing:
        print(f"Kempen's compiler is not there yet ({kempen.missing}): timing the hand-written side only.")
    results: list[Result] = []
    header()
    for backend in args.backends.split(","):
        for size in sorted(args.sizes.split(","), key=SIZES.__getitem__):
            results += run_size(backend, size, kempen, args)
    report(results)
    mismatches = [r for r in results if r.mismatch]
    for r in mismatches:
        print(f"MISMATCH {r.backend} {r.size} {r.key}: kempen {r.kempen_count:,} hand-written {r.hand_count:,}")
    pg = [r for r in results if (r.backend, r.size) == ("postgresql", "1m")]
    mean = geomean([r.ratio for r in pg if r.key != COMBINED_KEY and r.ratio and not r.no_data])
    combined = next((r for r in pg if r.key == COMBINED_KEY), None)
    if mean and combined:
        print(f"ratio={mean:.2f} kempen={ms(combined.kempen_s).replace(',', '')}ms "
              f"baseline={ms(combined.hand_s).replace(',', '')}ms")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
