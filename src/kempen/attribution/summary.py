"""Own-data attribution added up per channel and per campaign, for one or several models side by side."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.attribution.journeys import load_journeys, load_window
from kempen.attribution.service import check_period, credit_journeys, own_removal_effects, resolve_model
from kempen.attribution.types import AttributedCredit, AttributionModel
from kempen.kit.sql import chunked
from kempen.models import Campaign


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """Credited conversions and revenue of one channel or campaign under one model."""

    key: str
    label: str
    conversions: float
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class OwnSummary:
    """What the period's conversions were and how each model credits them."""

    since: datetime
    until: datetime
    currency: str
    models: list[AttributionModel]
    conversions: int                 # every conversion in the period (touched or not)
    attributed: int                  # those with at least one touch in the window
    value: Decimal                   # their total value in the workspace currency
    other_currency: int              # conversions in another currency: credited, revenue left out
    by_channel: dict[AttributionModel, list[SummaryRow]] = field(default_factory=dict)
    by_campaign: dict[AttributionModel, list[SummaryRow]] = field(default_factory=dict)


def summarise_own(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                  models: Sequence[AttributionModel | str] | None = None) -> OwnSummary:
    """Attribute the period's conversions under each model and add them up per channel and campaign."""
    check_period(since, until)
    window = load_window(session, workspace_id=workspace_id)
    chosen = [resolve_model(m, window.default_model) for m in models] if models else \
        [resolve_model(None, window.default_model)]
    journeys = load_journeys(session, workspace_id=workspace_id, since=since, until=until, window=window)
    same = [j for j in journeys if j.currency.upper() == window.currency.upper()]
    summary = OwnSummary(since=since, until=until, currency=window.currency, models=chosen,
                         conversions=len(journeys), attributed=sum(1 for j in journeys if j.touches),
                         value=sum((j.value for j in same), Decimal(0)), other_currency=len(journeys) - len(same))
    effects = None
    if AttributionModel.MARKOV in chosen:
        effects = own_removal_effects(session, workspace_id=workspace_id, since=since, until=until,
                                      window=window, journeys=journeys)
    names = _campaign_names(session, workspace_id, {t.campaign_id for j in journeys for t in j.touches})
    for model in chosen:
        credits = credit_journeys(journeys, model=model, currency=window.currency, effects=effects)
        summary.by_channel[model] = _add_up(credits, lambda c: (c.channel, c.channel))
        summary.by_campaign[model] = _add_up(
            credits, lambda c: (str(c.campaign_id), names.get(c.campaign_id, f"Campaign {c.campaign_id}")))
    return summary


def _add_up(credits: Sequence[AttributedCredit], key_of: Callable[[AttributedCredit], tuple[str, str]]) -> list[SummaryRow]:
    conversions: dict[tuple[str, str], float] = defaultdict(float)
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for credit in credits:
        key = key_of(credit)
        conversions[key] += credit.credit
        revenue[key] += credit.revenue
    rows = [SummaryRow(k, label, conversions[(k, label)], revenue[(k, label)].quantize(Decimal("0.01")))
            for k, label in conversions]
    return sorted(rows, key=lambda r: (-r.conversions, r.label))


def _campaign_names(session: Session, workspace_id: int, ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in chunked(sorted(ids)):
        rows = session.execute(select(Campaign.id, Campaign.name).where(
            Campaign.workspace_id == workspace_id, Campaign.id.in_(chunk)))
        names.update((row.id, row.name) for row in rows)
    return names
