"""The event recorder: opens and clicks written in groups, recorded before the visitor is answered.

Two ways to be recorded (`KEMPEN_TRACKING_ACK`, docs/tracking.md): by default on PostgreSQL an event is
written to this process's journal and the request returns at once; the loop's journal writer commits
it moments later (tracking/journal.py). Otherwise (`commit`, and always on SQLite) request handlers
`record` an event and wait for it (an asyncio future, no thread per request): one writer thread takes
whatever has queued up since its last write and stores it with one INSERT in one transaction (group
commit: under load a write carries hundreds of events, idle it carries one, and nobody waits for a
timer). If the database cannot be reached, the group is appended to a spool file under
`tracking_spool_path` and fsync'd instead, and the handlers are answered all the same. Spooled events
and journal segments left by a dead process are replayed when a write succeeds again, every few seconds
while files remain, and when a recorder starts. A file is claimed by renaming it and removed after its
rows are committed: an event is stored once, unless the process dies between that commit and the
removal (then it is stored twice).

Writers lock their open spool file (flock), so another process never replays a file still growing.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import json
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import psycopg
from sqlalchemy import Connection, Engine, Table, insert, update
from sqlalchemy import exc as sa_exc

from kempen.config import get_settings
from kempen.db import get_engine
from kempen.models import TouchKind, TrackingEvent
from kempen.models.contacts import Channel
from kempen.tracking.copy_text import COPY_COMMAND, Row, copy_line, row_from_copy_line
from kempen.tracking.journal import SUFFIX as JOURNAL_SUFFIX
from kempen.tracking.journal import JournalWriter, complete_lines

logger = logging.getLogger("kempen.tracking")
_TABLE: Table = TrackingEvent.__table__  # type: ignore[assignment]
_MAX_GROUP = 1000
# Writer threads: while one group waits for its commit (fsync), the next ones are written.
WRITERS = 2
_REPLAY_EVERY = 5.0
_FLAG_SECONDS = 60.0
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, psycopg.OperationalError,
                psycopg.InterfaceError, OSError)
_sequence = itertools.count()

_Done = Future[None] | asyncio.Future[None] | None


class _Reflag:
    """Mark a delivery's clicks since a moment as made by a machine (a burst or honeypot found later)."""

    __slots__ = ("delivery_id", "since", "reason")

    def __init__(self, delivery_id: int, since: datetime, reason: str) -> None:
        self.delivery_id, self.since, self.reason = delivery_id, since, reason


class Recorder:
    """One per process (`get_recorder`); tests make their own with another engine or spool folder."""

    def __init__(self, *, engine: Engine | None = None, spool_dir: Path | None = None, writers: int = WRITERS,
                 ack: str | None = None) -> None:
        self.engine = engine
        self.spool_dir = spool_dir or get_settings().tracking_spool_path
        # "journal": answer once the event is in this process's journal (PostgreSQL; tracking/journal.py);
        # "commit": once it is committed (or spooled). SQLite always commits first.
        self.ack = ack or get_settings().tracking_ack
        self._journals: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, JournalWriter] = (
            weakref.WeakKeyDictionary())
        # Items go in as lists: the events an event loop produced in one turn travel together.
        self._queue: queue.SimpleQueue[list[tuple[Row | _Reflag, _Done]] | None] = queue.SimpleQueue()
        self._pending: dict[asyncio.AbstractEventLoop, list[tuple[Row | _Reflag, _Done]]] = {}
        # Reflags of the last minute by delivery: (registered, since, until, reason). Writers flag matching
        # rows before they write them and check again after (see `_write_group`), so a reflag is never
        # lost to a group another writer thread is committing at that moment.
        self._flags: dict[int, tuple[float, datetime, datetime, str]] = {}
        self._flag_versions = itertools.count(1)
        self._flag_version = 0
        self._spool: IO[str] | None = None
        self._spool_lock = threading.Lock()
        self._local = threading.local()
        self._replaying = threading.Lock()
        self._last_replay = 0.0
        self.available = True
        self._threads = [threading.Thread(target=self._run, name=f"kempen-tracking-recorder-{n}", daemon=True)
                         for n in range(writers)]
        for thread in self._threads:
            thread.start()

    # -- producers ------------------------------------------------------------------------------
    def submit(self, row: Row) -> Future[None]:
        """Queue an event; the future is done once it is committed or spooled (thread-safe)."""
        done: Future[None] = Future()
        self._queue.put([(row, done)])
        return done

    def journal(self, row: Row) -> bool:
        """Journal an event from the running event loop: True if it is, and the caller may answer at once.

        Synchronous, so the hot path awaits nothing (`record` when this says False).
        """
        if self.ack != "journal":
            return False
        journal = self._journal(asyncio.get_running_loop())
        return journal is not None and journal.add(row.get("delivery_id"), copy_line(row).encode())

    async def record(self, row: Row) -> None:
        """Store an event and return once it is durable: journalled, or in the database or the spool."""
        if self.journal(row):
            return
        loop = asyncio.get_running_loop()
        # A future per event, not one per group: a visitor who goes away cancels their own wait only.
        done = loop.create_future()
        self._add_pending(loop, (row, done))
        await done

    def _add_pending(self, loop: asyncio.AbstractEventLoop, item: tuple[Row | _Reflag, _Done]) -> None:
        pending = self._pending.get(loop)
        if pending is None:
            # One hand-over per turn of the loop, not per event: each put may wake a writer thread,
            # and the thread switches cost more than the events under load.
            loop.call_soon(self._hand_over, loop)
            pending = self._pending[loop] = []
        pending.append(item)

    def _journal(self, loop: asyncio.AbstractEventLoop) -> JournalWriter | None:
        """The loop's journal writer; None on SQLite, where events are committed before the answer."""
        engine = self._engine()
        journal = self._journals.get(loop)
        if journal is None or journal.engine is not engine:
            if engine.dialect.name != "postgresql":
                return None
            journal = self._journals[loop] = JournalWriter(self, engine, loop)
        return journal

    async def drain(self) -> None:
        """Wait until the journalled events of this event loop are committed (or kept for replay)."""
        journal = self._journals.get(asyncio.get_running_loop())
        if journal is not None:
            await journal.drain()

    def _hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        items = self._pending.pop(loop, None)
        if items:
            self._queue.put(items)

    def reflag(self, *, delivery_id: int, since: datetime, reason: str) -> None:
        """Flag a delivery's clicks from `since` until now as machine clicks, stored or still on their way."""
        now = time.monotonic()
        if len(self._flags) > 1000:
            self._flags = {d: f for d, f in self._flags.items() if now - f[0] < _FLAG_SECONDS}
        self._flags[delivery_id] = (now, since, datetime.now(since.tzinfo), reason)
        self._flag_version = next(self._flag_versions)
        item: tuple[Row | _Reflag, _Done] = (_Reflag(delivery_id, since, reason), None)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._queue.put([item])
            return
        # With the event that found the burst or honeypot (recorded in the same turn of the loop): one group,
        # one transaction, so once that event is committed, so is the flag on the earlier clicks.
        self._add_pending(loop, item)

    @property
    def flag_version(self) -> int:
        return self._flag_version

    def flagged_deliveries(self, deliveries: list[int | None]) -> set[int]:
        """Those of `deliveries` a registered reflag covers (their rows need `flag_row` before they are written)."""
        flags = self._flags
        return set(flags).intersection(deliveries) if flags else set()

    def flag_row(self, row: Row) -> bool:
        """Mark the row if a registered reflag covers it; whether it did."""
        found = self._flags.get(row.get("delivery_id"))  # type: ignore[arg-type]
        if (found is not None and row["kind"] == TouchKind.CLICK and not row["machine"]
                and found[1] <= row["occurred_at"] <= found[2]):
            row["machine"], row["machine_reason"] = True, found[3]
            return True
        return False

    def apply_late_reflags(self, deliveries: set[int | None]) -> None:
        """Queue the reflags registered while these deliveries' rows were written (a writer thread applies them)."""
        late = self._late_reflags(deliveries)
        if late:
            self._queue.put([(flag, None) for flag in late])

    def store_one_by_one(self, rows: list[Row]) -> None:
        self._store_one_by_one(rows)

    def _flag_rows(self, rows: list[Row]) -> None:
        """Mark the rows a registered reflag covers (their group is about to be written)."""
        if self._flags:
            for row in rows:
                self.flag_row(row)

    def _late_reflags(self, deliveries: set[int | None]) -> list[_Reflag]:
        """Reflags registered while these deliveries' rows were being written (to apply now)."""
        return [_Reflag(d, since, reason) for d, (_, since, _, reason) in list(self._flags.items())
                if d in deliveries]

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and stop the writer threads."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._close_spool()

    # -- the writer thread ----------------------------------------------------------------------
    def _engine(self) -> Engine:
        return self.engine or get_engine()

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Connection]:
        """This writer's own connection (no pool checkout or ping per group); dropped after an error."""
        engine = self._engine()
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is not None and (conn.closed or conn.engine is not engine):
            conn.close()
            conn = None
        if conn is None:
            conn = self._local.conn = engine.connect()
        try:
            yield conn
        except BaseException:
            self._local.conn = None
            with contextlib.suppress(Exception):
                conn.invalidate()
                conn.close()
            raise

    def _run(self) -> None:
        if threading.current_thread() is self._threads[0]:
            self._maybe_replay()  # what an earlier process left behind
        while True:
            try:
                first = self._queue.get(timeout=1.0)
            except queue.Empty:
                self._maybe_replay()
                continue
            items, stop = list(first) if first is not None else [], first is None
            while not stop and len(items) < _MAX_GROUP:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                stop = more is None
                if more is not None:
                    items += more
            if items:
                self._write_group(items)
            if stop:
                conn = getattr(self._local, "conn", None)
                if conn is not None:
                    conn.close()
                return
            self._maybe_replay()

    def _write_group(self, items: list[tuple[Row | _Reflag, _Done]]) -> None:
        rows = [item for item, _ in items if not isinstance(item, _Reflag)]
        reflags = [item for item, _ in items if isinstance(item, _Reflag)]
        error: BaseException | None = None
        version = self._flag_version
        self._flag_rows(rows)
        try:
            self._store(rows, reflags)
            if self._flag_version != version:
                # A reflag came in meanwhile; its UPDATE may have run before these rows were committed.
                self._store([], self._late_reflags({row.get("delivery_id") for row in rows}))
            self.available = True
        except _UNAVAILABLE:
            logger.warning("tracking: database unavailable, %d events spooled", len(rows), exc_info=True)
            self.available = False
            try:
                self._append_to_spool(rows, reflags)
            except OSError as exc:  # nowhere to keep them: the handlers log it, the visitor still goes on
                error = exc
        except Exception as exc:  # a bug: do not hang the handlers
            logger.exception("tracking: writing %d events failed", len(rows))
            error = exc
        waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for _, done in items:
            if isinstance(done, Future):
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)
            elif done is not None:
                waiting.setdefault(done.get_loop(), []).append(done)
        for loop, futures in waiting.items():
            with contextlib.suppress(RuntimeError):  # a loop closed meanwhile: nobody waits any more
                loop.call_soon_threadsafe(_resolve, futures, error)

    def _store(self, rows: list[Row], reflags: list[_Reflag]) -> None:
        try:
            with self._connection() as conn, conn.begin():
                if rows and conn.dialect.name == "postgresql":
                    _copy(conn, rows)
                elif rows:
                    conn.execute(insert(_TABLE), rows)
                for flag in reflags:
                    conn.execute(update(_TABLE).where(
                        _TABLE.c.delivery_id == flag.delivery_id, _TABLE.c.kind == TouchKind.CLICK,
                        _TABLE.c.occurred_at >= flag.since, _TABLE.c.machine.is_(False),
                    ).values(machine=True, machine_reason=flag.reason))
        except (sa_exc.IntegrityError, psycopg.IntegrityError):
            # A contact or campaign deleted since the send: store the others one by one.
            self._store_one_by_one(rows)

    def _store_copy_text(self, data: str) -> None:
        """Store a journal segment's rows: COPY on PostgreSQL, rows read back elsewhere or when one fails."""
        lines = [line for line in complete_lines(data).split("\n") if line]
        rows = [row for row in map(row_from_copy_line, lines) if row is not None]
        if self._engine().dialect.name != "postgresql":
            self._store(rows, [])
            return
        try:
            with self._connection() as conn, conn.begin():
                driver: Any = conn.connection.driver_connection
                with driver.cursor() as cursor, cursor.copy(COPY_COMMAND) as copy:
                    copy.write("".join(copy_line(row) for row in rows))
        except (sa_exc.IntegrityError, psycopg.IntegrityError):
            self._store_one_by_one(rows)

    def _store_one_by_one(self, rows: list[Row]) -> None:
        with self._connection() as conn:
            for row in rows:
                try:
                    with conn.begin():
                        conn.execute(insert(_TABLE), [row])
                except sa_exc.IntegrityError:
                    logger.info("tracking: event of deleted delivery %s dropped", row.get("delivery_id"))

    # -- the spool ------------------------------------------------------------------------------
    def _append_to_spool(self, rows: list[Row], reflags: list[_Reflag]) -> None:
        with self._spool_lock:
            self._append_locked(rows, reflags)

    def _append_locked(self, rows: list[Row], reflags: list[_Reflag]) -> None:
        if self._spool is None:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
            name = f"events-{os.getpid()}-{time.time_ns()}-{next(_sequence)}"
            part = self.spool_dir / f"{name}.part"
            spool = part.open("a", encoding="utf-8")
            fcntl.flock(spool.fileno(), fcntl.LOCK_EX)  # before it is visible to replayers
            part.rename(self.spool_dir / f"{name}.jsonl")
            self._spool = spool
        lines = [json.dumps(_to_json(row)) for row in rows]
        lines += [json.dumps({"_reflag": [f.delivery_id, f.since.isoformat(), f.reason]}) for f in reflags]
        self._spool.write("".join(line + "\n" for line in lines))
        self._spool.flush()
        os.fsync(self._spool.fileno())

    def _close_spool(self) -> None:
        with self._spool_lock:
            if self._spool is not None:
                self._spool.close()  # releases the lock: the file may now be replayed
                self._spool = None

    def _maybe_replay(self) -> None:
        if time.monotonic() - self._last_replay >= _REPLAY_EVERY and self._replaying.acquire(blocking=False):
            try:
                self._replay()
            finally:
                self._replaying.release()

    def _replay(self) -> None:
        """Store the events of every spool file no process is writing to; stop at the first failure."""
        self._last_replay = time.monotonic()
        if not self.spool_dir.is_dir():
            return
        if self.available:
            self._close_spool()
        for path in sorted([*self.spool_dir.glob("*.jsonl"), *self.spool_dir.glob(f"*{JOURNAL_SUFFIX}")]):
            if not self._replay_file(path):
                return

    def _replay_file(self, path: Path) -> bool:
        try:
            handle = path.open("r", encoding="utf-8")
        except FileNotFoundError:  # another process claimed it
            return True
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # still being written
                return True
            claimed = path.with_suffix(f".replaying-{os.getpid()}")
            try:
                path.rename(claimed)
            except FileNotFoundError:
                return True
            try:
                if path.suffix == JOURNAL_SUFFIX:  # rows as COPY lines (tracking/journal.py)
                    self._store_copy_text(handle.read())
                else:
                    rows, reflags = _read_spool(handle)
                    self._store(rows, reflags)
            except _UNAVAILABLE:
                claimed.rename(path)  # try again later
                self.available = False
                return False
            claimed.unlink()
            logger.info("tracking: spooled events replayed from %s", path.name)
            return True


def _copy(conn: Connection, rows: list[Row]) -> None:
    """COPY the rows: a fraction of an executemany's CPU per row, in the process that serves the endpoints."""
    # kit.sql.write_rows composes the statement per call; here it is a constant, written once.
    # The text format is written here in one piece: psycopg's write_row costs several times more per row.
    driver: Any = conn.connection.driver_connection
    data = "".join([copy_line(row) for row in rows])
    with driver.cursor() as cursor, cursor.copy(COPY_COMMAND) as copy:
        copy.write(data)


def _resolve(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)


def _to_json(row: Row) -> Row:
    return {key: value.isoformat() if isinstance(value, datetime) else
            value.value if isinstance(value, TouchKind | Channel) else value for key, value in row.items()}


def _read_spool(handle: IO[str]) -> tuple[list[Row], list[_Reflag]]:
    rows: list[Row] = []
    reflags: list[_Reflag] = []
    for line in handle:
        try:
            data = json.loads(line)
        except ValueError:  # a line cut short by a crash while it was written
            continue
        if "_reflag" in data:
            delivery_id, since, reason = data["_reflag"]
            reflags.append(_Reflag(delivery_id, datetime.fromisoformat(since), reason))
            continue
        data["occurred_at"] = datetime.fromisoformat(data["occurred_at"])
        data["kind"] = TouchKind(data["kind"])
        if data.get("channel") is not None:
            data["channel"] = Channel(data["channel"])
        rows.append(data)
    return rows, reflags


_recorder: Recorder | None = None
_lock = threading.Lock()


async def drain_recorder(timeout: float = 10.0) -> None:
    """At shutdown: let this event loop's journalled events reach the database (else they are replayed later)."""
    if _recorder is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_recorder.drain(), timeout)


def get_recorder() -> Recorder:
    """The process's recorder, started on first use (it replays the spool when it starts)."""
    global _recorder
    if _recorder is not None:  # no lock once started (once per event)
        return _recorder
    with _lock:
        if _recorder is None:
            _recorder = Recorder()
        return _recorder
