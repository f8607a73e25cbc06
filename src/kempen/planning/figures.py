"""The figures objectives and programmes are measured against, taken from the reports (never re-computed).

A campaign's totals are its row of the workspace report grouped by campaign (reporting/report.py), the
same engagement counts, attributed conversions and costs the campaign report shows. Named conversions
("lead", "sign_up") are the attributed credits whose conversion carries that name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit, AttributionModel
from kempen.models import Campaign, Conversion
from kempen.reporting.figures import ratio
from kempen.reporting.report import ReportFilters, workspace_rows
from kempen.reporting.revenue import attributed_credits
from kempen.reporting.schemas import Figures
from kempen.tracking.settings import get_tracking_settings

CONVERSION_KEY = "conversion:"


def campaign_totals(session: Session, *, workspace_id: int, campaigns: Sequence[Campaign],
                    until: datetime) -> dict[int, Figures]:
    """Each launched campaign's totals up to `until`, by campaign id (campaigns not launched are left out)."""
    launched = [c.launched_at for c in campaigns if c.launched_at is not None and c.launched_at < until]
    if not launched:
        return {}
    rows, _, _ = workspace_rows(session, workspace_id=workspace_id, group="campaign",
                                filters=ReportFilters(since=min(launched), until=until))
    wanted = {str(c.id) for c in campaigns}
    return {int(row.key): row for row in rows if row.key in wanted}


def named_conversions(session: Session, *, workspace_id: int, campaigns: Sequence[Campaign], until: datetime,
                      name: str) -> float:
    """Attributed conversions called `name` credited to the campaigns (credit shares, as in the reports)."""
    launched = [c.launched_at for c in campaigns if c.launched_at is not None and c.launched_at < until]
    if not launched:
        return 0.0
    wanted = {c.id for c in campaigns}
    model = AttributionModel(get_tracking_settings(session, workspace_id=workspace_id).attribution_model)
    credits = [c for c in attributed_credits(session, workspace_id=workspace_id, since=min(launched), until=until,
                                             model=model, campaign_id=_only(wanted))
               if c.campaign_id in wanted and c.conversion_key.startswith(CONVERSION_KEY)]
    named = _conversions_named(session, workspace_id, credits, name)
    return sum(c.credit for c in credits if int(c.conversion_key.removeprefix(CONVERSION_KEY)) in named)


def _only(ids: set[int]) -> int | None:
    return next(iter(ids)) if len(ids) == 1 else None


def _conversions_named(session: Session, workspace_id: int, credits: list[AttributedCredit], name: str) -> set[int]:
    ids = sorted({int(c.conversion_key.removeprefix(CONVERSION_KEY)) for c in credits})
    found: set[int] = set()
    for start in range(0, len(ids), 1000):  # bounded IN lists
        found.update(session.scalars(select(Conversion.id).where(
            Conversion.workspace_id == workspace_id, Conversion.name == name,
            Conversion.id.in_(ids[start:start + 1000]))))
    return found


def summed(rows: Sequence[Figures], *, currency: str, key: str = "total", label: str = "Total") -> Figures:
    """Several report rows added up; rates and ROI recomputed from the sums (never averaged)."""
    total = Figures(key=key, label=label)
    for row in rows:
        for name in ("sent", "delivered", "opens", "clicks", "unsubscribes", "bounced"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.conversions += row.conversions
        total.revenue += row.revenue
        total.cost += row.cost
        total.spend += row.spend
    total.conversions = round(total.conversions, 4)
    total.open_rate = ratio(total.opens, total.delivered)
    total.click_rate = ratio(total.clicks, total.delivered)
    total.roi = ratio(total.revenue - total.cost, total.cost)
    return total


def workspace_currency(session: Session, workspace_id: int) -> str:
    return get_tracking_settings(session, workspace_id=workspace_id).currency

