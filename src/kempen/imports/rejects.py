"""The refused rows of an import: a full rejects file on disk and a capped copy for the database."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

# The copy kept in ImportRun.rejects_csv stops here, so one bad file cannot bloat the database;
# the rejects file written next to the input (CLI) always lists every refused row.
STORED_REJECTS_CAP = 10_000


@dataclass(frozen=True)
class Reject:
    line: int
    cells: list[str]
    reason: str


@dataclass
class RejectLog:
    """Collect rejects batch by batch: every one goes to the file, the first `cap` to the database."""

    headers: list[str]
    path: Path | None = None
    cap: int = STORED_REJECTS_CAP
    count: int = 0
    stored: int = 0
    _file: TextIO | None = field(default=None, repr=False)
    _writer: Any = field(default=None, repr=False)

    @property
    def truncated(self) -> bool:
        return self.count > self.stored

    def header_line(self) -> list[str]:
        return [*self.headers, "line", "reason"]

    def stored_chunk(self, rejects: list[Reject]) -> str:
        """Return the CSV text of the rejects that still fit in the stored copy (with the header first)."""
        room = max(self.cap - self.stored, 0)
        taken = rejects[:room]
        if not taken:
            return ""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if self.stored == 0:
            writer.writerow(self.header_line())
        writer.writerows(self._row(r) for r in taken)
        self.stored += len(taken)
        return buffer.getvalue()

    def write(self, rejects: list[Reject]) -> None:
        """Append rejects to the rejects file (created on the first reject)."""
        self.count += len(rejects)
        if self.path is None or not rejects:
            return
        if self._file is None:
            self._file = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.header_line())
        self._writer.writerows(self._row(r) for r in rejects)
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _row(self, reject: Reject) -> list[str]:
        width = len(self.headers)
        return [*(reject.cells + [""] * width)[:width], str(reject.line), reject.reason]


def default_rejects_path(path: Path) -> Path:
    """FILE.csv → FILE.rejects.csv, next to the input."""
    return path.with_name(f"{path.stem}.rejects.csv")
