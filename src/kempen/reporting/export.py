"""Report tables as CSV and XLSX: a header row, numbers as numbers, rates as percentages, "—" never written.

Two shapes: the older Figures sections (`to_csv`, `to_xlsx`, `download`: every table of a report in one
file, used by the API and the CLI) and `Table`, any table of a report page as it is shown, one file per
table (`table_csv`, `tables_xlsx`). Text cells that a spreadsheet would run as a formula are written as
text (CSV: a leading apostrophe; XLSX: a string cell), so a campaign named "=HYPERLINK(…)" stays a name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from kempen.reporting.schemas import CampaignReport, Figures


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    kind: str  # "text", "int", "number", "money", "rate" (a fraction), "points" (a fraction of rate points),
    #            "p" (a p-value), "date" (a datetime, UTC)


COLUMNS: tuple[Column, ...] = (
    Column("label", "Name", "text"), Column("audience", "Audience", "int"), Column("holdout", "Holdout", "int"),
    Column("sent", "Sent", "int"), Column("delivered", "Delivered", "int"), Column("bounced", "Bounced", "int"),
    Column("hard_bounced", "Hard bounces", "int"), Column("soft_bounced", "Soft bounces", "int"),
    Column("opens", "Unique opens", "int"), Column("open_rate", "Open rate", "rate"),
    Column("clicks", "Unique clicks", "int"), Column("click_rate", "Click rate", "rate"),
    Column("click_to_open_rate", "Click-to-open rate", "rate"),
    Column("machine_opens", "Machine opens", "int"), Column("machine_clicks", "Machine clicks", "int"),
    Column("unsubscribes", "Unsubscribes", "int"), Column("complaints", "Complaints", "int"),
    Column("conversions", "Conversions", "number"), Column("revenue", "Revenue", "money"),
    Column("cost", "Cost", "money"), Column("budget", "Budget", "money"), Column("roi", "ROI", "rate"),
    Column("roas", "ROAS", "number"), Column("cost_per_acquisition", "Cost per acquisition", "money"),
)
SORTABLE = frozenset(c.field for c in COLUMNS)


def sort_rows(rows: list[Figures], field: str, descending: bool) -> list[Figures]:
    """Rows ordered by one column; rows without a value (—) always last."""
    if field not in SORTABLE:
        return rows
    present = [r for r in rows if getattr(r, field) is not None]
    missing = [r for r in rows if getattr(r, field) is None]
    key = (lambda r: str(getattr(r, field)).lower()) if field == "label" else (lambda r: getattr(r, field))
    return sorted(present, key=key, reverse=descending) + missing


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if column.kind in ("rate", "points"):
        return f"{value * 100:.2f}"
    if column.kind == "date":
        return value.strftime("%Y-%m-%d %H:%M")
    if column.kind == "p":
        return f"{value:.6g}"
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value  # a spreadsheet would run it as a formula
    return value


def to_csv(sections: Sequence[tuple[str, Sequence[Figures]]], currency: str) -> str:
    """CSV with a header and a first "Table" column naming each row's table; rates in percent (57.14 = 57.14 %)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Table", *(_header(c, currency) for c in COLUMNS)])
    for title, rows in sections:
        for row in rows:
            writer.writerow([title, *(_csv_cell(c, getattr(row, c.field)) for c in COLUMNS)])
    return out.getvalue()


def _header(column: Column, currency: str) -> str:
    if column.kind == "rate":
        return f"{column.header} (%)"
    if column.kind == "points":
        return f"{column.header} (points)"
    return f"{column.header} ({currency})" if column.kind == "money" else column.header


_FORMATS = {"int": "#,##0", "number": "#,##0.00", "money": "#,##0.00", "rate": "0.00%", "points": "0.00",
            "p": "0.0000", "date": "yyyy-mm-dd hh:mm"}


def to_xlsx(sheets: Sequence[tuple[str, Sequence[Figures]]], currency: str) -> bytes:
    """A workbook with one sheet per table: bold header, numeric cells with number formats."""
    return tables_xlsx([figures_table(title, title, rows) for title, rows in sheets], currency)


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "points":
        return float(value) * 100
    if column.kind == "date":
        return value.replace(tzinfo=None)  # Excel has no time zones; every time in Kempen is UTC
    if isinstance(value, Decimal):
        return float(value)
    return value


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@dataclass(frozen=True)
class Table:
    """One table of a report page as exported: `key` as in `?table=`, a title, columns and rows of raw values."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: list[list[Any]]


def figures_table(key: str, title: str, rows: Sequence[Figures], *, first: str = "Name",
                  extra: Sequence[tuple[Column, Sequence[Any]]] = ()) -> Table:
    """A table of Figures rows with the standard columns; `extra` adds columns (with one value per row) after the name."""
    columns = (Column("label", first, "text"), *(c for c, _ in extra), *COLUMNS[1:])
    values = [[row.label, *(v[i] for _, v in extra), *(getattr(row, c.field) for c in COLUMNS[1:])]
              for i, row in enumerate(rows)]
    return Table(key, title, columns, values)


def table_csv(table: Table, currency: str) -> str:
    """One table as CSV: a header row (units in brackets), rates and points × 100, dates as "YYYY-MM-DD HH:MM" UTC."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_header(c, currency) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(c, v) for c, v in zip(table.columns, row, strict=True)])
    return out.getvalue()


def _xlsx_header(column: Column, currency: str) -> str:
    if column.kind == "money":
        return f"{column.header} ({currency})"
    return f"{column.header} (points)" if column.kind == "points" else column.header


def tables_xlsx(tables: Sequence[Table], currency: str) -> bytes:
    """A workbook with one sheet per table: bold header, numbers with number formats, formulas never."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(title=_sheet_title(table.title, used))
        sheet.append([_xlsx_header(c, currency) for c in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_xlsx_value(c, v) for c, v in zip(table.columns, row, strict=True)])
        for line in sheet.iter_rows(min_row=2):
            for column, cell in zip(table.columns, line, strict=True):
                if column.kind in _FORMATS:
                    cell.number_format = _FORMATS[column.kind]
                if cell.data_type == "f":
                    cell.data_type = "s"  # text starting with "=" is a name, never a formula
        sheet.column_dimensions["A"].width = 32
        sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "Table"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def download_table(tables: Sequence[Table], currency: str, fmt: str) -> bytes:
    """One table as CSV, or one or more as an XLSX workbook's bytes."""
    return table_csv(tables[0], currency).encode() if fmt == "csv" else tables_xlsx(tables, currency)


def download(sections: Sequence[tuple[str, Sequence[Figures]]], currency: str, fmt: str) -> bytes:
    """The tables as a CSV or XLSX file's bytes."""
    return to_csv(sections, currency).encode() if fmt == "csv" else to_xlsx(sections, currency)


def campaign_sections(report: CampaignReport) -> list[tuple[str, Sequence[Figures]]]:
    """The tables of a campaign report, in the order the page shows them."""
    sections: list[tuple[str, Sequence[Figures]]] = [
        ("Total", [report.totals]), ("Channels", report.channels), ("Variants", report.variants)]
    if report.segment_breakdown:
        sections.append(("Segment", report.segment_breakdown))
    return sections
