"""Journal acknowledgement (PostgreSQL): a tracking event is answered once it is in a local journal file.

The visitor's redirect (or pixel) leaves as soon as the event's row is in a journal segment, a file of
this process mapped into its memory (`Segment`); the event loop's own writer tasks COPY the segment's rows
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
import mmap
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import Engine

from kempen.tracking.copy_text import COPY_COMMAND, Row, copy_line, row_from_copy_line

if TYPE_CHECKING:
    from kempen.tracking.recorder import Recorder

logger = logging.getLogger("kempen.tracking")
SUFFIX = ".copy"
# While one group waits for its commit, the next one is being written.
WRITER_TASKS = 2
_sequence = itertools.count()
# Room for ~4,000 typical events; a group that outgrows it goes on in another segment.
SEGMENT_BYTES = 1 << 20


class Segment:
    """One journal file, mapped into memory: COPY lines, locked (flock) while this process may still write it.

    An event is written by copying its line into the mapping: no system call per event (a `write(2)` cost
    ~1 µs more, and updated the file's size and times each time). The mapping is the page cache itself,
    so what was copied survives the process; the file's space is reserved up front (`posix_fallocate`),
    so a full disk is an OSError here, when the segment is made, never a SIGBUS on a later copy. Replay
    reads up to the first NUL: the unused rest of a dead process's segment.
    """

    __slots__ = ("fd", "path", "map", "used")

    def __init__(self, directory: Path, size: int = SEGMENT_BYTES) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        name = f"journal-{os.getpid()}-{time.time_ns()}-{next(_sequence)}"
        part = directory / f"{name}.part"
        self.fd = os.open(part, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)  # before replayers can see it under its final name
            os.posix_fallocate(self.fd, 0, size)
            self.map = mmap.mmap(self.fd, size)
            self.path = directory / f"{name}{SUFFIX}"
            os.rename(part, self.path)
        except BaseException:
            os.close(self.fd)
            with contextlib.suppress(OSError):
                os.unlink(part)
            raise
        self.used = 0

    def append(self, data: bytes) -> bool:
        """Add a line; False when it does not fit (the writer starts another segment)."""
        end = self.used + len(data)
        if end > len(self.map):
            return False
        self.map[self.used:end] = data
        self.used = end
        return True

    def keep(self) -> None:
        """Make the segment durable and leave it for replay (the database could not take it)."""
        try:
            self.map.close()
            os.ftruncate(self.fd, self.used)  # just its lines: the reserved rest goes
            os.fsync(self.fd)
        finally:
            os.close(self.fd)

    def discard(self) -> None:
        """The rows are committed: the segment is no longer needed."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.map.close()
        os.close(self.fd)


def complete_lines(data: str) -> str:
    """A segment's text without the unused space of a mapped segment or a last line a crash cut short."""
    data = data.split("\x00", 1)[0]
    return data[:data.rfind("\n") + 1]


class JournalWriter:
    """One per event loop and database: takes events from the loop, journals them, COPYs them in groups."""

    def __init__(self, recorder: Recorder, engine: Engine, loop: asyncio.AbstractEventLoop) -> None:
        self.recorder = recorder
        self.engine = engine
        self.directory = recorder.spool_dir
        # The group being gathered: its COPY lines and their deliveries, side by side. Plain lists of bytes and
        # ints, no container per event: events wait here ~100 ms under load, long enough for the cyclic
        # collector to move per-event dicts into older generations and walk them again and again
        # (measured ~8 us of CPU per click, bench/README.md).
        self.lines: list[bytes] = []
        self.deliveries: list[int | None] = []
        self.segments: list[Segment] = []  # the group's; the last one is being written
        self.wake = asyncio.Event()
        self.in_flight = 0  # groups taken and not yet committed or kept
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.tasks = [loop.create_task(self._run(), name="kempen-tracking-journal") for _ in range(WRITER_TASKS)]

    def add(self, delivery_id: int | None, line: bytes) -> bool:
        """Journal an event's COPY line; False if the journal cannot be written (the caller waits for a commit)."""
        segments = self.segments
        try:
            if not segments or not segments[-1].append(line):
                segments.append(Segment(self.directory, max(SEGMENT_BYTES, len(line))))
                segments[-1].append(line)
        except OSError:
            logger.warning("tracking: the journal cannot be written; answering after the commit", exc_info=True)
            return False
        self.lines.append(line)
        self.deliveries.append(delivery_id)
        self.wake.set()
        return True

    async def drain(self) -> None:
        """Write what is pending now (shutdown, tests)."""
        while self.lines or self.segments or self.in_flight:
            await asyncio.sleep(0.005)

    def _take(self) -> tuple[_Group, list[Segment]]:
        group, segments = _Group(self.lines, self.deliveries), self.segments
        self.lines, self.deliveries, self.segments = [], [], []
        self.wake.clear()
        return group, segments

    async def _run(self) -> None:
        conn: psycopg.AsyncConnection[Any] | None = None
        try:
            while True:
                await self.wake.wait()
                group, segments = self._take()
                if segments:
                    conn = await self._write_group(conn, group, segments)
        finally:
            # The loop is closing: what was not written stays in its segment, for the next recorder to replay.
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
            for segment in self._take()[1]:
                _keep(segment)

    async def _write_group(self, conn: psycopg.AsyncConnection[Any] | None, group: _Group,
                           segments: list[Segment]) -> psycopg.AsyncConnection[Any] | None:
        """Commit a group and delete its segments, or keep them; the connection to use next."""
        self.in_flight += 1
        try:
            conn = await self._write(conn, group)
        except Exception:
            logger.warning("tracking: database unavailable, %d journalled events kept for replay", len(group.lines),
                           exc_info=True)
            self.recorder.available = False
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
            for segment in segments:
                _keep(segment)
            return None
        else:
            self.recorder.available = True
            for segment in segments:
                segment.discard()
            return conn
        finally:
            self.in_flight -= 1

    async def _write(self, conn: psycopg.AsyncConnection[Any] | None, group: _Group) -> psycopg.AsyncConnection[Any]:
        recorder = self.recorder
        version = recorder.flag_version
        data = group.copy_data(recorder)
        if conn is None or conn.closed:
            conn = await psycopg.AsyncConnection.connect(self.conninfo)
        try:
            async with conn.cursor() as cursor, cursor.copy(COPY_COMMAND) as copy:
                await copy.write(data)
            await conn.commit()
        except psycopg.IntegrityError:
            # A contact or campaign deleted since the send: the thread stores the others one by one.
            await conn.rollback()
            await asyncio.to_thread(recorder.store_one_by_one, group.rows())
        if recorder.flag_version != version:
            recorder.apply_late_reflags(set(group.deliveries))
        return conn


class _Group:
    """The events one write takes: their COPY lines as journalled, and their deliveries."""

    __slots__ = ("lines", "deliveries")

    def __init__(self, lines: list[bytes], deliveries: list[int | None]) -> None:
        self.lines, self.deliveries = lines, deliveries

    def copy_data(self, recorder: Recorder) -> bytes:
        """The COPY data, with the rows of deliveries flagged since they were journalled (a burst or honeypot)."""
        flagged = recorder.flagged_deliveries(self.deliveries)
        if not flagged:
            return b"".join(self.lines)
        lines = list(self.lines)
        for n, delivery_id in enumerate(self.deliveries):
            if delivery_id in flagged:
                row = row_from_copy_line(lines[n].decode())
                if row is not None and recorder.flag_row(row):
                    lines[n] = copy_line(row).encode()
        return b"".join(lines)

    def rows(self) -> list[Row]:
        """The events as rows again (the rare write one by one)."""
        return [row for row in map(row_from_copy_line, (line.decode() for line in self.lines)) if row is not None]


def _keep(segment: Segment) -> None:
    try:
        segment.keep()
    except OSError:  # the rows are still in the file, if not on disk: the replay takes what is there
        logger.exception("tracking: a journal segment could not be fsync'd")

