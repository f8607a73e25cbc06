"""The send journal: which deliveries a worker handed to a channel, kept outside the database.

One file per batch claim, `<journal dir>/<lease owner>~<batch id>.journal`, opened with O_APPEND when
the batch is claimed. The channel adapter calls `committing(delivery_id)` immediately before the step
that makes a message irreversible (SMTP: the final dot of DATA); that appends one line with an
unbuffered `os.write`, so the line is in the kernel's page cache before the message goes out and
survives a kill -9 of the worker. It does not survive a power loss of the host (no fsync per
message: that would cost milliseconds per email); the database side is covered by its own durability.

A line is `<delivery id> <attempt>`: the attempt number tells a journaled earlier try (that the server
then refused with a 4xx, say) apart from the try in flight when the worker died. When the batch's
results are committed, the file is deleted; a file left behind belongs to a worker that died, and the
sweeper reads it (`read_journal`) to settle the batch without sending anything twice.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

SUFFIX = ".journal"
_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")


def journal_file(directory: Path, owner: str, batch_id: int) -> Path:
    """Where the journal of one batch claim lives (the owner string is made file-name safe)."""
    return directory / f"{_UNSAFE.sub('_', owner)}~{batch_id}{SUFFIX}"


class BatchJournal:
    """An append-only journal of one batch claim; `committing` is what the adapter calls."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_TRUNC: a file of the same name is from an earlier claim of this very process, settled since.
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
        self._attempts: Mapping[int, int] = {}

    def arm(self, attempts: Mapping[int, int]) -> None:
        """Set the attempt number of each delivery about to be handed to the adapter."""
        self._attempts = attempts

    def committing(self, delivery_id: int) -> None:
        """Append one line before the message becomes irreversible (unbuffered: survives a process kill)."""
        assert self._fd is not None, "journal closed"
        line = f"{delivery_id} {self._attempts.get(delivery_id, 0)}\n".encode()
        os.write(self._fd, line)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Close and delete the file: every result it covers is in the database now."""
        self.close()
        self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> dict[int, int] | None:
    """Return {delivery id: attempt} of a journal file, or None when the file is not there.

    A torn last line (the process died inside `os.write`, which practically never splits a line this
    short) is ignored: its message had not been handed over yet.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    entries: dict[int, int] = {}
    for line in data.split(b"\n"):
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            entries[int(parts[0])] = max(int(parts[1]), entries.get(int(parts[0]), 0))
    return entries
