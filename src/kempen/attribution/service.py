"""Attribution over Kempen's own data: orders and conversions credited to the campaign messages before them.

The Markov model on own data works at campaign level: a state is (campaign, channel), so the removal
effect says what each campaign added (at channel level nearly every path would be "email" alone). Its
chain is built from every conversion's path plus one null path per contact touched in the period who
did not convert; each conversion's credit is then split over its own touches in proportion to the
removal effects of their states (equally when they are all 0).

Money is added up only in the workspace currency: a conversion in another currency is still credited
(it counts as a conversion) but its revenue is 0, and summaries report how many there were.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.attribution.journeys import Journey, Window, load_journeys, load_null_paths, load_window
from kempen.attribution.markov import PathCount, collapse, markov_attribution
from kempen.attribution.rules import DEFAULT_HALF_LIFE_DAYS, rule_weights
from kempen.attribution.types import AttributedCredit, AttributionModel
from kempen.kit.errors import InvalidInput

REVENUE_QUANTUM = Decimal("0.000001")
State = tuple[int, str]


def resolve_model(model: AttributionModel | str | None, default: str) -> AttributionModel:
    """The model asked for, or the workspace default (last touch if the stored default is unknown)."""
    if model is None:
        try:
            return AttributionModel(default)
        except ValueError:
            return AttributionModel.LAST_TOUCH
    try:
        return AttributionModel(model)
    except ValueError:
        names = ", ".join(m.value for m in AttributionModel)
        raise InvalidInput(f"Unknown attribution model {model!r}; use one of {names}.") from None


def check_period(since: datetime, until: datetime) -> None:
    """Refuse an empty or reversed period."""
    if until <= since:
        raise InvalidInput("The period is empty: 'until' must be after 'since'.")


def attribute_conversions(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                          model: AttributionModel | None = None,
                          campaign_id: int | None = None) -> list[AttributedCredit]:
    """Credit each conversion in [since, until) to the touches before it, under `model` (the workspace's default).

    With `campaign_id`, only credits to that campaign are returned (the split still considers every
    campaign that touched the contact).
    """
    check_period(since, until)
    window = load_window(session, workspace_id=workspace_id)
    chosen = resolve_model(model, window.default_model)
    journeys = load_journeys(session, workspace_id=workspace_id, since=since, until=until, window=window)
    effects = None
    if chosen == AttributionModel.MARKOV:
        effects = own_removal_effects(session, workspace_id=workspace_id, since=since, until=until,
                                      window=window, journeys=journeys)
    credits = credit_journeys(journeys, model=chosen, currency=window.currency, effects=effects)
    if campaign_id is not None:
        credits = [c for c in credits if c.campaign_id == campaign_id]
    return credits


def own_removal_effects(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                        window: Window, journeys: Sequence[Journey]) -> dict[State, float]:
    """Removal effect of each (campaign, channel) state over converting and non-converting paths."""
    counts: Counter[tuple[State, ...]] = Counter()
    nulls: Counter[tuple[State, ...]] = Counter()
    for journey in journeys:
        if journey.touches:
            counts[collapse((t.campaign_id, t.channel) for t in journey.touches)] += 1
    null_paths = load_null_paths(session, workspace_id=workspace_id, since=since, until=until, window=window)
    for path in null_paths.values():
        nulls[collapse(path)] += 1
    paths = [PathCount(states, conversions=n) for states, n in counts.items()]
    paths += [PathCount(states, null=n) for states, n in nulls.items()]
    result = markov_attribution(paths)
    return {state: effect for state, effect in result.removal_effects.items()}  # type: ignore[misc]


def credit_journeys(journeys: Sequence[Journey], *, model: AttributionModel, currency: str,
                    effects: dict[State, float] | None = None,
                    half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> list[AttributedCredit]:
    """Split each journey's conversion over its touches; touches of the same message variant are merged."""
    credits: list[AttributedCredit] = []
    for journey in journeys:
        if not journey.touches:
            continue
        weights = _weights(journey, model, effects, half_life_days)
        merged: dict[tuple[int, int, int, str], float] = defaultdict(float)
        for touch, weight in zip(journey.touches, weights, strict=True):
            if weight > 0:
                merged[(touch.campaign_id, touch.message_id, touch.variant_id, touch.channel)] += weight
        value = journey.value if journey.currency.upper() == currency.upper() else Decimal(0)
        for (campaign, message, variant, channel), credit in merged.items():
            credits.append(AttributedCredit(
                conversion_key=journey.key, contact_id=journey.contact_id, occurred_at=journey.at,
                campaign_id=campaign, message_id=message, variant_id=variant, channel=channel, credit=credit,
                revenue=(value * Decimal(credit)).quantize(REVENUE_QUANTUM)))
    return credits


def _weights(journey: Journey, model: AttributionModel, effects: dict[State, float] | None,
             half_life_days: float) -> Sequence[float]:
    touches = journey.touches
    if model == AttributionModel.MARKOV:
        raw = [(effects or {}).get((t.campaign_id, t.channel), 0.0) for t in touches]
        total = sum(raw)
        if total <= 0:
            return [1.0 / len(touches)] * len(touches)
        return [w / total for w in raw]
    ages = [(journey.at - t.at).total_seconds() / 86_400 for t in touches]
    return rule_weights(model, ages, half_life_days=half_life_days)
