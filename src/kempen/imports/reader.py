"""Read a CSV file as a stream of rows: encoding and delimiter detection, and CSV-level rejects.

The file is never loaded whole: one pass in binary checks the encoding (UTF-8, with or without a
BOM; otherwise Windows-1252, otherwise Latin-1, with a warning), then rows are parsed lazily.
A row the CSV layer cannot use (wrong column count, bytes that are not UTF-8 in an otherwise
UTF-8 file, a malformed field) is yielded with an error, so it becomes a reject, not a crash.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kempen.kit.errors import InvalidInput

DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 20
_BAD_BYTES = re.compile("[\udc80-\udcff]")  # what surrogateescape turns undecodable bytes into
_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
csv.field_size_limit(1 << 20)  # one field of a megabyte is already not a contact


@dataclass
class CsvRow:
    """One data row: its 1-based line in the file (header = line 1), its cells, and why it is unusable."""

    line: int
    cells: list[str]
    error: str | None = None


@dataclass
class Encoding:
    name: str
    errors: str = "strict"
    warning: str | None = None


@dataclass
class CsvSource:
    """An open CSV file with its detected format; iterate `rows()` once."""

    path: Path
    encoding: Encoding
    delimiter: str
    headers: list[str]
    size: int
    _binary: BinaryIO
    _reader: Iterator[list[str]]
    _line_num: list[int] = field(default_factory=lambda: [1])
    _first: CsvRow | None = None

    @property
    def warnings(self) -> list[str]:
        return [self.encoding.warning] if self.encoding.warning else []

    @property
    def bytes_read(self) -> int:
        return self._binary.tell()

    def rows(self) -> Iterator[CsvRow]:
        """Yield every non-blank data row, with CSV-level problems as errors."""
        if self._first is not None:
            yield self._first
        while (row := _next_row(self._reader, self._line_num)) is not None:
            yield self._check(row)

    def close(self) -> None:
        self._binary.close()

    def _check(self, row: CsvRow) -> CsvRow:
        if row.error:
            return row
        width = len(self.headers)
        cells = row.cells
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            cells = cells[:width]  # spreadsheets pad rows with empty trailing cells
        if len(cells) != width:
            extra = f" (extra: {', '.join(repr(c) for c in cells[width:])})" if len(cells) > width else ""
            return CsvRow(row.line, _fit(cells, width), f"expected {width} columns, found {len(cells)}{extra}")
        if self.encoding.errors == "surrogateescape" and any(_BAD_BYTES.search(c) for c in cells):
            clean = [_BAD_BYTES.sub("\ufffd", c) for c in cells]
            return CsvRow(row.line, clean, "the row contains bytes that are not valid UTF-8")
        return CsvRow(row.line, cells)


def _fit(cells: list[str], width: int) -> list[str]:
    return (cells + [""] * width)[:width]


def _next_row(reader: Iterator[list[str]], line_num: list[int]) -> CsvRow | None:
    """Read the next non-blank row; `line_num[0]` tracks the last physical line consumed."""
    while True:
        line = line_num[0] + 1
        try:
            cells = next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            line_num[0] = getattr(reader, "line_num", line)
            return CsvRow(line, [], f"unreadable CSV: {exc}")
        line_num[0] = getattr(reader, "line_num", line)
        if any(c.strip() for c in cells):
            return CsvRow(line, cells)


def open_csv(path: Path) -> CsvSource:
    """Open a CSV file for streaming; raise InvalidInput if it is missing, empty or not text."""
    if not path.is_file():
        raise InvalidInput(f"No such file: {path}")
    encoding = detect_encoding(path)
    binary = path.open("rb")
    try:
        return _open_text(path, binary, encoding)
    except BaseException:
        binary.close()
        raise


def _open_text(path: Path, binary: BinaryIO, encoding: Encoding) -> CsvSource:
    delimiter = sniff_delimiter(path, encoding)
    text = io.TextIOWrapper(binary, encoding=encoding.name, errors=encoding.errors, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    line_num = [0]
    header = _next_row(reader, line_num)
    if header is None:
        raise InvalidInput(f"{path.name} is empty: it has no header row and no data.")
    if header.error:
        raise InvalidInput(f"{path.name}: the header row cannot be read ({header.error}).")
    headers = [_BAD_BYTES.sub("\ufffd", h).strip() for h in header.cells]
    source = CsvSource(path=path, encoding=encoding, delimiter=delimiter, headers=headers,
                       size=path.stat().st_size, _binary=binary, _reader=reader, _line_num=line_num)
    first = _next_row(reader, line_num)
    if first is None:
        raise InvalidInput(f"{path.name} has a header row but no data rows.")
    source._first = source._check(first)
    return source


def detect_encoding(path: Path) -> Encoding:
    """Decide how to decode the file, in one streaming pass over its bytes."""
    with path.open("rb") as f:
        head = f.read(_CHUNK)
        if not head.strip():
            raise InvalidInput(f"{path.name} is empty.")
        if head.startswith(_UTF16_BOMS):
            raise InvalidInput(f"{path.name} is UTF-16/UTF-32 encoded; save it as CSV UTF-8 and try again.")
        if b"\x00" in head:
            raise InvalidInput(f"{path.name} is not a CSV text file (it contains binary data).")
        decoder = codecs.getincrementaldecoder("utf-8")()
        seen_utf8 = False
        chunk = head
        while chunk:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return _fallback(path, seen_utf8 or not chunk[:exc.start].isascii())
            seen_utf8 = seen_utf8 or not chunk.isascii()
            chunk = f.read(_CHUNK)
    return Encoding("utf-8-sig")


def _fallback(path: Path, utf8_elsewhere: bool) -> Encoding:
    if utf8_elsewhere:
        # Mostly UTF-8 with a few damaged rows: keep UTF-8 and refuse only those rows.
        return Encoding("utf-8-sig", "surrogateescape",
                        "some rows contain bytes that are not valid UTF-8; they are rejected")
    if _decodes(path, "cp1252"):
        return Encoding("cp1252", warning="the file is not UTF-8; read it as Windows-1252 (cp1252)")
    return Encoding("latin-1", warning="the file is not UTF-8; read it as Latin-1 (ISO-8859-1)")


def _decodes(path: Path, name: str) -> bool:
    decoder = codecs.getincrementaldecoder(name)()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    return True


def sniff_delimiter(path: Path, encoding: Encoding) -> str:
    """Pick the delimiter (comma, semicolon or tab) that splits the header into the most columns."""
    with path.open("r", encoding=encoding.name, errors="replace", newline="") as f:
        sample = f.read(64 * 1024)
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    best, best_count = ",", 1
    for delimiter in DELIMITERS:
        try:
            count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        except csv.Error:
            continue
        if count > best_count:
            best, best_count = delimiter, count
    return best
