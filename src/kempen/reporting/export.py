"""Report tables as CSV and XLSX: a header row, numbers as numbers, rates as percentages, "—" never written."""

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
    kind: str  # "text", "int", "number", "money", "rate"


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


def _csv_cell(column: Column, value: Any) -> Any:
    if value is None:
        return ""
    if column.kind == "rate":
        return f"{value * 100:.2f}"
    if column.kind == "text" and str(value)[:1] in ("=", "+", "-", "@"):
        return "'" + str(value)  # a spreadsheet would run it as a formula
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
    if column.kind == "rate" and column.field != "roi":
        return f"{column.header} (%)"
    if column.field == "roi":
        return "ROI (%)"
    return f"{column.header} ({currency})" if column.kind == "money" else column.header


_FORMATS = {"int": "#,##0", "number": "#,##0.00", "money": "#,##0.00", "rate": "0.00%"}


def to_xlsx(sheets: Sequence[tuple[str, Sequence[Figures]]], currency: str) -> bytes:
    """A workbook with one sheet per table: bold header, numeric cells with number formats."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([c.header + (f" ({currency})" if c.kind == "money" else "") for c in COLUMNS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_value(c, getattr(row, c.field)) for c in COLUMNS])
        for index, column in enumerate(COLUMNS, start=1):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if column.kind in _FORMATS:
                    cell.number_format = _FORMATS[column.kind]
                elif isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a campaign named "=..." stays text, never a formula
        sheet.column_dimensions["A"].width = 32
        sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


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
