"""Import actual spend from a CSV report (one row per day and channel), all rows or none.

Columns (any order, case-insensitive): `date` (YYYY-MM-DD), `channel`, `amount`, optionally `currency`
(must be the workspace's) and `campaign` (id or exact name; otherwise the campaign given). Several rows
for the same campaign, channel and day are added up (an ad platform lists one per ad group). Importing
the same days again replaces them: rows are unique per (campaign, channel, day, source "import").
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.campaigns.service import get_campaign_or_raise
from kempen.kit.errors import InvalidInput
from kempen.kit.sql import chunked
from kempen.models import Campaign, CampaignSpend
from kempen.reporting import costs, schemas
from kempen.tracking.settings import get_tracking_settings

MAX_ROWS = 100_000
MAX_ERRORS = 50
ALIASES = {"date": "date", "day": "date", "spend_date": "date", "channel": "channel", "amount": "amount",
           "cost": "amount", "spend": "amount", "currency": "currency", "campaign": "campaign",
           "campaign_id": "campaign"}
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")
Key = tuple[int, str, date]


@dataclass
class _Parsed:
    totals: dict[Key, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    errors: list[dict[str, Any]] = field(default_factory=list)
    rows: int = 0

    def error(self, line: int, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": line, "message": message})


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        canonical = ALIASES.get(name.strip().lower().lstrip("\ufeff"))
        if canonical and canonical not in found:
            found[canonical] = index
    missing = [name for name in ("date", "channel", "amount") if name not in found]
    if missing:
        raise InvalidInput(f"The file has no {', '.join(missing)} column; the header must name date, channel "
                           "and amount (and optionally currency and campaign).",
                           errors=[{"row": 1, "message": f"missing column {m}"} for m in missing])
    return found


def _amount(text: str) -> Decimal:
    cleaned = text.strip().replace(" ", "")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")  # thousands separators, as spreadsheets export them
    value = Decimal(cleaned)
    if not value.is_finite() or value < 0 or value >= Decimal("1e12"):
        raise InvalidOperation
    return value.quantize(Decimal("0.01"))


class _Campaigns:
    """Resolves a row's campaign column (id or exact name) within the workspace, once per value."""

    def __init__(self, session: Session, workspace_id: int) -> None:
        self.session, self.workspace_id = session, workspace_id
        self.cache: dict[str, int | None] = {}

    def resolve(self, value: str) -> int | None:
        if value not in self.cache:
            stmt = select(Campaign.id).where(Campaign.workspace_id == self.workspace_id)
            by_id = value.isdigit() and len(value) < 19
            stmt = stmt.where(Campaign.id == int(value)) if by_id else stmt.where(Campaign.name == value)
            self.cache[value] = self.session.scalar(stmt)
        return self.cache[value]


def _parse_row(cells: list[str], cols: dict[str, int], line: int, parsed: _Parsed, default_campaign: int | None,
               campaigns: _Campaigns, currency: str) -> None:
    def cell(name: str) -> str:
        index = cols.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    try:
        day = date.fromisoformat(cell("date"))
    except ValueError:
        return parsed.error(line, f"date {cell('date')!r} is not a date in the form YYYY-MM-DD")
    channel = cell("channel").lower().replace(" ", "_")
    if not _CHANNEL.match(channel):
        return parsed.error(line, f"channel {cell('channel')!r} must be letters, digits, _ or - (up to 40)")
    try:
        amount = _amount(cell("amount"))
    except (InvalidOperation, ValueError):
        return parsed.error(line, f"amount {cell('amount')!r} is not a non-negative number such as 12.50")
    if cell("currency") and cell("currency").upper() != currency:
        return parsed.error(line, f"currency {cell('currency')!r} is not the workspace currency {currency}; "
                                  "convert the amounts first")
    campaign_id = default_campaign
    if cell("campaign"):
        campaign_id = campaigns.resolve(cell("campaign"))
        if campaign_id is None:
            return parsed.error(line, f"campaign {cell('campaign')!r} is not a campaign of this workspace")
    if campaign_id is None:
        return parsed.error(line, "no campaign: add a campaign column or choose the campaign to import into")
    parsed.totals[(campaign_id, channel, day)] += amount


def parse_spend_csv(session: Session, *, workspace_id: int, text: str, campaign_id: int | None) -> _Parsed:
    """Read and check every row; errors carry the file's row number (the header is row 1)."""
    currency = get_tracking_settings(session, workspace_id=workspace_id).currency
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise InvalidInput("The file is empty.", errors=[{"row": 1, "message": "empty file"}])
    cols, parsed, campaigns = _columns(header), _Parsed(), _Campaigns(session, workspace_id)
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        parsed.rows += 1
        if parsed.rows > MAX_ROWS:
            raise InvalidInput(f"The file has more than {MAX_ROWS:,} rows; split it.")
        _parse_row(cells, cols, line, parsed, campaign_id, campaigns, currency)
    return parsed


def import_spend_csv(session: Session, *, workspace_id: int, actor: str, text: str,
                     campaign_id: int | None = None, filename: str = "") -> schemas.SpendImportResult:
    """Import a spend report; a file with any bad row is refused whole (422 listing rows), nothing written."""
    if campaign_id is not None:
        get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    parsed = parse_spend_csv(session, workspace_id=workspace_id, text=text, campaign_id=campaign_id)
    if parsed.errors:
        first = parsed.errors[0]
        more = f" (and {len(parsed.errors) - 1} more)" if len(parsed.errors) > 1 else ""
        raise InvalidInput(f"Row {first['row']}: {first['message']}{more}. Nothing was imported.",
                           errors=parsed.errors)
    if not parsed.totals:
        raise InvalidInput("The file has no rows after the header.")
    currency = get_tracking_settings(session, workspace_id=workspace_id).currency
    replaced = _replace(session, workspace_id, actor, parsed.totals, currency)
    total = sum(parsed.totals.values(), Decimal("0"))
    for cid in sorted({key[0] for key in parsed.totals}):
        audit.record(session, workspace_id=workspace_id, actor=actor, action="campaign_spend.imported",
                     entity_type="campaign", entity_id=cid,
                     details={"filename": filename, "days": sum(1 for k in parsed.totals if k[0] == cid)})
    costs.spend_changed(session, workspace_id=workspace_id, actor=actor)
    return schemas.SpendImportResult(rows=parsed.rows, days=len(parsed.totals), replaced=replaced,
                                     total=total, currency=currency)


def _replace(session: Session, workspace_id: int, actor: str, totals: dict[Key, Decimal], currency: str) -> int:
    keys = list(totals)
    replaced = 0
    for part in chunked(keys, 1000):
        result = session.execute(delete(CampaignSpend).where(
            CampaignSpend.workspace_id == workspace_id, CampaignSpend.source == "import",
            tuple_(CampaignSpend.campaign_id, CampaignSpend.channel, CampaignSpend.spend_date).in_(list(part))))
        replaced += int(result.rowcount)  # type: ignore[attr-defined]
    session.add_all([CampaignSpend(workspace_id=workspace_id, campaign_id=cid, channel=channel, spend_date=day,
                                   amount=amount, currency=currency, source="import", created_by=actor)
                     for (cid, channel, day), amount in totals.items()])
    session.flush()
    return replaced
