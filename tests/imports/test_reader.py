"""Reading CSV files: encodings, delimiters, line numbers and rows the CSV layer refuses."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from kempen.imports.reader import CsvRow, open_csv
from kempen.kit.errors import InvalidInput


def read_all(path: Path) -> tuple[list[str], list[CsvRow], list[str]]:
    source = open_csv(path)
    try:
        return source.headers, list(source.rows()), source.warnings
    finally:
        source.close()


def test_utf8_with_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + "Email,Name\r\nzoë@example.com,Zoë\r\n".encode())
    headers, rows, warnings = read_all(path)
    assert headers == ["Email", "Name"] and warnings == []
    assert rows == [CsvRow(2, ["zoë@example.com", "Zoë"])]


def test_windows_1252_falls_back_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Email;Name;Note\nm@example.com;Müller;5 €\n".encode("cp1252"))
    headers, rows, warnings = read_all(path)
    assert headers == ["Email", "Name", "Note"]
    assert rows[0].cells == ["m@example.com", "Müller", "5 €"]
    assert warnings == ["the file is not UTF-8; read it as Windows-1252 (cp1252)"]


def test_latin1_when_not_even_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"Email,Name\na@example.com,Caf\xe9\x81\n")  # 0x81 is undefined in cp1252
    _, rows, warnings = read_all(path)
    assert rows[0].cells == ["a@example.com", "Caf\xe9\x81"]
    assert "Latin-1" in warnings[0]


def test_a_damaged_row_in_a_utf8_file_is_refused_alone(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes("Email,Name\na@example.com,Zoë\n".encode() + b"b@example.com,Bj\xf6rn\nc@example.com,C\n")
    _, rows, warnings = read_all(path)
    assert [r.error for r in rows] == [None, "the row contains bytes that are not valid UTF-8", None]
    assert rows[1].line == 3 and rows[1].cells == ["b@example.com", "Bj\ufffdrn"]
    assert "not valid UTF-8" in warnings[0]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), (",", "comma")])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str, name: str) -> None:
    path = tmp_path / f"{name}.csv"
    name_cell = '"Ann, Jr"' if delimiter == "," else "Ann, Jr"  # commas inside cells do not fool it
    path.write_text(delimiter.join(["Email", "Name", "City"]) + "\n"
                    + delimiter.join(["a@example.com", name_cell, "Ipoh"]) + "\n", encoding="utf-8")
    headers, rows, _ = read_all(path)
    assert headers == ["Email", "Name", "City"]
    assert rows == [CsvRow(2, ["a@example.com", "Ann, Jr", "Ipoh"])]


def test_line_numbers_count_physical_lines_with_quoted_newlines_and_blanks(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text('Email,Note\na@example.com,"two\nlines"\n\nb@example.com,x\nc@example.com\n'
                    "d@example.com,x,,\n", encoding="utf-8")
    _, rows, _ = read_all(path)
    assert [(r.line, r.error) for r in rows] == [
        (2, None), (5, None), (6, "expected 2 columns, found 1"), (7, None)]
    assert rows[3].cells == ["d@example.com", "x"]  # trailing empty cells are spreadsheet padding


def test_extra_non_empty_cells_are_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("Email,Name\na@example.com,Ann,oops\n", encoding="utf-8")
    _, rows, _ = read_all(path)
    assert rows[0].error == "expected 2 columns, found 3 (extra: 'oops')"
    assert rows[0].cells == ["a@example.com", "Ann"]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "is empty"),
    (b"  \n\n", "is empty"),
    (b"Email,Name\n", "no data rows"),
    ("Email\na@example.com\n".encode("utf-16"), "UTF-16"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file"),
])
def test_unusable_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        open_csv(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="No such file"):
        open_csv(tmp_path / "nope.csv")


def test_rows_are_streamed_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("Email\n")
        for i in range(50_000):
            f.write(f"u{i}@example.com\n")
    source = open_csv(path)
    rows = source.rows()
    next(rows)
    assert source.bytes_read < source.size / 2  # only a buffer's worth has been read
    assert sum(1 for _ in rows) == 49_999
    source.close()
