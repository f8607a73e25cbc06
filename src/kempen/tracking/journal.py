"""Journal acknowledgement (PostgreSQL): a tracking event is answered once it is in a local journal file.

The visitor's redirect (or pixel) leaves as soon as the event's row is written to a journal segment,
a file of this process, with one `write(2)`; the event loop's own writer tasks COPY the segment's rows
into `tracking_events` moments later and then delete the segment. What that guarantees:

- a burst of traffic never drops an event: every answered event is in a segment first;
- a Kempen process that dies (a crash, `kill -9`, a deploy) loses nothing: its segments stay on disk,
  unlocked once it is gone, and the recorder of the next process to start replays them (an event
  whose group was committed just before the death, but not yet deleted, is then stored twice);
- the database being away loses nothing: the segment is fsync'd and kept until it can be replayed;
- only the machine itself failing (kernel panic, power) in the milliseconds between the answer and the
  commit can lose the events of those milliseconds, as they were in the page cache, not yet on disk.

`KEMPEN_TRACKING_ACK=commit` answers only after the commit instead (15–25 % fewer redirects
per second, bench/README.md). Without a journal folder that can be written, events take that path.

Why a writer in the event loop and not a thread: no hand-over between threads per group, and no waiting
for the GIL (a thread waking from I/O waits for the loop to drop it) between a commit and the next group.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import Engine

if TYPE_CHECKING:
    from kempen.tracking.recorder import Recorder, Row

logger = logging.getLogger("kempen.tracking")
SUFFIX = ".copy"
# While one group waits for its commit, the next one is being written.
WRITER_TASKS = 2
_sequence = itertools.count()


class Segment:
    """One journal file: the COPY lines of one group, locked (flock) while this process may still write it."""

    __slots__ = ("fd", "path")

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"journal-{os.getpid()}-{time.time_ns()}-{next(_sequence)}"
        part = directory / f"{name}.part"
        self.fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # before replayers can see it under its final name
        self.path = directory / f"{name}{SUFFIX}"
        os.rename(part, self.path)

    def append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def keep(self) -> None:
        """Make the segment durable and leave it for replay (the database could not take it)."""
        try:
            os.fsync(self.fd)
        finally:
            os.close(self.fd)

    def discard(self) -> None:
        """The rows are committed: the segment is no longer needed."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self.fd)


class JournalWriter:
    """One per event loop and database: takes events from the loop, journals them, COPYs them in groups."""

    def __init__(self, recorder: Recorder, engine: Engine, loop: asyncio.AbstractEventLoop) -> None:
        self.recorder = recorder
        self.engine = engine
        self.directory = recorder.spool_dir
        self.pending: list[tuple[Row, str]] = []
        self.segment: Segment | None = None
        self.wake = asyncio.Event()
        self.in_flight = 0  # groups taken and not yet committed or kept
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.tasks = [loop.create_task(self._run(), name="kempen-tracking-journal") for _ in range(WRITER_TASKS)]

    def add(self, row: Row, line: str) -> bool:
        """Journal an event's COPY line; False if the journal cannot be written (the caller waits for a commit)."""
        try:
            if self.segment is None:
                self.segment = Segment(self.directory)
            self.segment.append(line.encode())
        except OSError:
            logger.warning("tracking: the journal cannot be written; answering after the commit", exc_info=True)
            return False
        self.pending.append((row, line))
        self.wake.set()
        return True

    async def drain(self) -> None:
        """Write what is pending now (shutdown, tests)."""
        while self.pending or self.segment is not None or self.in_flight:
            await asyncio.sleep(0.005)

    def _take(self) -> tuple[list[tuple[Row, str]], Segment | None]:
        items, segment = self.pending, self.segment
        self.pending, self.segment = [], None
        self.wake.clear()
        return items, segment

    async def _run(self) -> None:
        conn: psycopg.AsyncConnection[Any] | None = None
        try:
            while True:
                await self.wake.wait()
                items, segment = self._take()
                if segment is not None:
                    conn = await self._write_group(conn, items, segment)
        finally:
            # The loop is closing: what was not written stays in its segment, for the next recorder to replay.
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
            items, segment = self._take()
            if segment is not None:
                _keep(segment)

    async def _write_group(self, conn: psycopg.AsyncConnection[Any] | None, items: list[tuple[Row, str]],
                           segment: Segment) -> psycopg.AsyncConnection[Any] | None:
        """Commit a group and delete its segment, or keep the segment; the connection to use next."""
        self.in_flight += 1
        try:
            conn = await self._write(conn, items)
        except Exception:
            logger.warning("tracking: database unavailable, %d journalled events kept for replay", len(items),
                           exc_info=True)
            self.recorder.available = False
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
            _keep(segment)
            return None
        else:
            self.recorder.available = True
            segment.discard()
            return conn
        finally:
            self.in_flight -= 1

    async def _write(self, conn: psycopg.AsyncConnection[Any] | None,
                     items: list[tuple[Row, str]]) -> psycopg.AsyncConnection[Any]:
        from kempen.tracking.recorder import COPY_COMMAND, copy_line

        recorder = self.recorder
        rows = [row for row, _ in items]
        version = recorder.flag_version
        flagged = recorder.flag_rows(rows)  # a burst or honeypot found since these events were journalled
        data = "".join([copy_line(row) if row.get("delivery_id") in flagged else line for row, line in items])
        if conn is None or conn.closed:
            conn = await psycopg.AsyncConnection.connect(self.conninfo)
        try:
            async with conn.cursor() as cursor, cursor.copy(COPY_COMMAND) as copy:
                await copy.write(data)
            await conn.commit()
        except psycopg.IntegrityError:
            # A contact or campaign deleted since the send: the thread stores the others one by one.
            await conn.rollback()
            await asyncio.to_thread(recorder.store_one_by_one, rows)
        if recorder.flag_version != version:
            recorder.apply_late_reflags(rows)
        return conn


def _keep(segment: Segment) -> None:
    try:
        segment.keep()
    except OSError:  # the rows are still in the file, if not on disk: the replay takes what is there
        logger.exception("tracking: a journal segment could not be fsync'd")

