"""The event recorder: opens and clicks written in groups, durable before the visitor is answered.

Request handlers `record` an event and wait for it (an asyncio future, no thread per request): one
writer thread takes whatever has queued up since its last write and stores it with one INSERT in one
transaction (group commit: under load a write carries hundreds of events, idle it carries one, and
nobody waits for a timer). If the database cannot be reached, the group is appended to a spool file
under `tracking_spool_path` and fsync'd instead, and the handlers are answered all the same. Spooled
events are replayed when a write succeeds again, every few seconds while files remain, and when a
recorder starts. A file is claimed by renaming it and removed after its rows are committed: an event
is stored once, unless the process dies between that commit and the removal (then it is stored twice).

Writers lock their open spool file (flock), so another process never replays a file still growing.
"""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import json
import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, Table, insert, update
from sqlalchemy import exc as sa_exc

from kempen.config import get_settings
from kempen.db import get_engine
from kempen.models import TouchKind, TrackingEvent
from kempen.models.contacts import Channel

logger = logging.getLogger("kempen.tracking")
_TABLE: Table = TrackingEvent.__table__  # type: ignore[assignment]
_MAX_GROUP = 1000
_REPLAY_EVERY = 5.0
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, OSError)
_sequence = itertools.count()

Row = dict[str, Any]


class _Reflag:
    """Mark a delivery's clicks since a moment as made by a machine (a burst or honeypot found later)."""

    __slots__ = ("delivery_id", "since", "reason")

    def __init__(self, delivery_id: int, since: datetime, reason: str) -> None:
        self.delivery_id, self.since, self.reason = delivery_id, since, reason


class Recorder:
    """One per process (`get_recorder`); tests make their own with another engine or spool folder."""

    def __init__(self, *, engine: Engine | None = None, spool_dir: Path | None = None) -> None:
        self.engine = engine
        self.spool_dir = spool_dir or get_settings().tracking_spool_path
        self._queue: queue.SimpleQueue[tuple[Row | _Reflag, Future[None] | None] | None] = queue.SimpleQueue()
        self._spool: IO[str] | None = None
        self._last_replay = 0.0
        self.available = True
        self._thread = threading.Thread(target=self._run, name="kempen-tracking-recorder", daemon=True)
        self._thread.start()

    # -- producers ------------------------------------------------------------------------------
    def submit(self, row: Row) -> Future[None]:
        """Queue an event; the future is done once it is committed or spooled (thread-safe)."""
        done: Future[None] = Future()
        self._queue.put((row, done))
        return done

    async def record(self, row: Row) -> None:
        """Store an event and return once it is durable (in the database or the spool)."""
        await asyncio.wrap_future(self.submit(row))

    def reflag(self, *, delivery_id: int, since: datetime, reason: str) -> None:
        """Flag a delivery's clicks from `since` on as machine clicks (after the events queued before)."""
        self._queue.put((_Reflag(delivery_id, since, reason), None))

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued and stop the writer thread."""
        self._queue.put(None)
        self._thread.join(timeout)

    # -- the writer thread ----------------------------------------------------------------------
    def _engine(self) -> Engine:
        return self.engine or get_engine()

    def _run(self) -> None:
        self._replay()
        while True:
            try:
                first = self._queue.get(timeout=1.0)
            except queue.Empty:
                self._maybe_replay()
                continue
            items, stop = [first] if first is not None else [], first is None
            while not stop and len(items) < _MAX_GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                stop = item is None
                if item is not None:
                    items.append(item)
            if items:
                self._write_group(items)
            if stop:
                self._close_spool()
                return
            self._maybe_replay()

    def _write_group(self, items: list[tuple[Row | _Reflag, Future[None] | None]]) -> None:
        rows = [item for item, _ in items if not isinstance(item, _Reflag)]
        reflags = [item for item, _ in items if isinstance(item, _Reflag)]
        error: BaseException | None = None
        try:
            self._store(rows, reflags)
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
        for _, done in items:
            if done is not None:
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)

    def _store(self, rows: list[Row], reflags: list[_Reflag]) -> None:
        try:
            with self._engine().begin() as conn:
                if rows:
                    conn.execute(insert(_TABLE), rows)
                for flag in reflags:
                    conn.execute(update(_TABLE).where(
                        _TABLE.c.delivery_id == flag.delivery_id, _TABLE.c.kind == TouchKind.CLICK,
                        _TABLE.c.occurred_at >= flag.since, _TABLE.c.machine.is_(False),
                    ).values(machine=True, machine_reason=flag.reason))
        except sa_exc.IntegrityError:
            # A contact or campaign deleted since the send: store the others one by one.
            self._store_one_by_one(rows)

    def _store_one_by_one(self, rows: list[Row]) -> None:
        with self._engine().connect() as conn:
            for row in rows:
                try:
                    with conn.begin():
                        conn.execute(insert(_TABLE), [row])
                except sa_exc.IntegrityError:
                    logger.info("tracking: event of deleted delivery %s dropped", row.get("delivery_id"))

    # -- the spool ------------------------------------------------------------------------------
    def _append_to_spool(self, rows: list[Row], reflags: list[_Reflag]) -> None:
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
        if self._spool is not None:
            self._spool.close()  # releases the lock: the file may now be replayed
            self._spool = None

    def _maybe_replay(self) -> None:
        if time.monotonic() - self._last_replay >= _REPLAY_EVERY:
            self._replay()

    def _replay(self) -> None:
        """Store the events of every spool file no process is writing to; stop at the first failure."""
        self._last_replay = time.monotonic()
        if not self.spool_dir.is_dir():
            return
        if self.available:
            self._close_spool()
        for path in sorted(self.spool_dir.glob("*.jsonl")):
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
            rows, reflags = _read_spool(handle)
            try:
                self._store(rows, reflags)
            except _UNAVAILABLE:
                claimed.rename(path)  # try again later
                self.available = False
                return False
            claimed.unlink()
            logger.info("tracking: %d spooled events replayed from %s", len(rows), path.name)
            return True


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


def get_recorder() -> Recorder:
    """The process's recorder, started on first use (it replays the spool when it starts)."""
    global _recorder
    with _lock:
        if _recorder is None:
            _recorder = Recorder()
        return _recorder
