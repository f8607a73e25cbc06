"""The total lift of all campaigns: the universal holdout against every other contact, over its period.

Groups: the workspace's contacts that existed during the period (created before its end), split by the
same pure function that held them out (universal_holdout.in_holdout), so both groups are random draws
from the same population. "Exposed" means could receive marketing (intent to treat): contacts without
consent or never in a segment stay in, as their like stay in the held-out group.

Outcomes are `experiments.outcomes.contact_outcomes`, the definition the campaign holdout and the A/B
analysis use: a paid or fulfilled order or a `conversions` row with a contact and no order, in
[start, end or now), revenue in the workspace currency only. One SQL query sums revenue per converting
contact; one fetches the contact ids; numpy does the rest, so no query runs per contact.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.experiments.outcomes import GroupStats, contact_outcomes
from kempen.experiments.schemas import EstimateOut, estimate_out
from kempen.experiments.universal_holdout import (
    HoldoutState,
    IdArray,
    get_universal_holdout,
    holdout_state,
    in_holdout,
    workspace_contact_ids,
)
from kempen.kit.clock import utcnow
from kempen.stats import Comparison, MeanArm, ProportionArm, compare_means, compare_proportions
from kempen.stats.summary import format_p
from kempen.tracking.settings import get_tracking_settings

# Below these the figures are still shown, but the caption says it is too early for a reading.
MIN_CONTACTS_PER_GROUP = 30
MIN_CONVERSIONS = 10


class GroupOut(BaseModel):
    """What one group did over the period."""

    contacts: int
    converted: int
    revenue: float
    conversion_rate: float | None
    revenue_per_contact: float | None


class LiftOut(BaseModel):
    """Exposed against held out on one metric, and what the difference adds up to over the exposed."""

    difference: EstimateOut  # exposed − held out: rate points as a fraction, or money per contact
    relative: EstimateOut  # exposed / held out − 1
    p_value: float | None
    test: str
    test_reason: str | None = None
    incremental: EstimateOut  # difference × exposed contacts: conversions or revenue marketing added


class UniversalLiftOut(BaseModel):
    """The universal holdout's report: who was compared, over which period, and the lift with intervals."""

    state: HoldoutState
    percent: Decimal
    starts_at: datetime | None
    ends_at: datetime | None
    since: datetime | None  # the period measured: the start …
    until: datetime | None  # … to the end, or now while it runs
    confidence: float
    currency: str
    held_out_now: int  # contacts held out at this moment
    held_out: GroupOut | None = None
    exposed: GroupOut | None = None
    conversion: LiftOut | None = None  # conversion rate
    revenue: LiftOut | None = None  # revenue per contact
    enough_data: bool = False
    significant: bool = False  # the conversion rate differs at `confidence`
    caption: str


def revenue_per_contact(session: Session, *, workspace_id: int, since: datetime, until: datetime,
                        currency: str) -> tuple[IdArray, npt.NDArray[np.float64]]:
    """Contacts that converted in [since, until), sorted, and each one's revenue in `currency`, in one query."""
    outcomes = contact_outcomes(workspace_id=workspace_id, since=since, until=until, currency=currency)
    rows = session.execute(select(outcomes.c.contact_id, outcomes.c.revenue).order_by(outcomes.c.contact_id)).all()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    values = np.fromiter((float(row[1] or 0) for row in rows), dtype=np.float64, count=len(rows))
    return ids, values


def _group(contacts: int, revenue: npt.NDArray[np.float64]) -> GroupStats:
    """A group of `contacts` whose converters brought `revenue` (one value per converting contact)."""
    return GroupStats(contacts=contacts, converted=len(revenue), revenue=float(revenue.sum()),
                      revenue_squares=float((revenue * revenue).sum()))


def split_groups(contact_ids: IdArray, held: npt.NDArray[np.bool_], converter_ids: IdArray,
                 revenue: npt.NDArray[np.float64]) -> tuple[GroupStats, GroupStats]:
    """(held out, exposed) sufficient statistics; converters that are not among `contact_ids` are left out."""
    if len(contact_ids) == 0:
        return GroupStats(), GroupStats()
    at = np.minimum(np.searchsorted(contact_ids, converter_ids), len(contact_ids) - 1)
    known = contact_ids[at] == converter_ids
    converter_held = held[at[known]]
    known_revenue = revenue[known]
    held_count = int(held.sum())
    return (_group(held_count, known_revenue[converter_held]),
            _group(len(contact_ids) - held_count, known_revenue[~converter_held]))


def _lift(comparison: Comparison, exposed_contacts: int) -> LiftOut:
    return LiftOut(difference=estimate_out(comparison.absolute), relative=estimate_out(comparison.relative),
                   p_value=comparison.test.p_value, test=comparison.test.method, test_reason=comparison.test.reason,
                   incremental=estimate_out(comparison.absolute, exposed_contacts))


def _group_out(stats: GroupStats) -> GroupOut:
    n = stats.contacts
    return GroupOut(contacts=n, converted=stats.converted, revenue=stats.revenue,
                    conversion_rate=stats.converted / n if n else None,
                    revenue_per_contact=stats.revenue / n if n else None)


def compare_groups(held_out: GroupStats, exposed: GroupStats, *, confidence: float) -> tuple[LiftOut, LiftOut]:
    """(conversion rate, revenue per contact) of the exposed against the held out (the control)."""
    rates = compare_proportions([ProportionArm(held_out.contacts, held_out.converted),
                                 ProportionArm(exposed.contacts, exposed.converted)], confidence=confidence)[0]
    means = compare_means([MeanArm(held_out.contacts, held_out.revenue, held_out.revenue_squares),
                           MeanArm(exposed.contacts, exposed.revenue, exposed.revenue_squares)],
                          confidence=confidence)[0]
    return _lift(rates, exposed.contacts), _lift(means, exposed.contacts)


def has_enough_data(held_out: GroupStats, exposed: GroupStats) -> bool:
    """Whether a first reading makes sense: enough contacts in each group and some conversions at all."""
    return (min(held_out.contacts, exposed.contacts) >= MIN_CONTACTS_PER_GROUP
            and held_out.converted + exposed.converted >= MIN_CONVERSIONS)


def caption(report: UniversalLiftOut) -> str:
    """One plain-language sentence that says what the report shows, or why it shows nothing yet."""
    if report.state is HoldoutState.OFF:
        return "The universal holdout is off: turn it on to measure what all your campaigns add together."
    if report.state is HoldoutState.SCHEDULED:
        start = "later" if report.starts_at is None else f"on {report.starts_at:%d %b %Y}"
        return f"The universal holdout starts {start}; figures appear once it has run for a while."
    held, exposed, conversion = report.held_out, report.exposed, report.conversion
    assert held is not None and exposed is not None and conversion is not None
    difference = conversion.difference.estimate
    if not report.enough_data or difference is None:
        return (f"Not enough data yet: {held.contacts:,} held-out and {exposed.contacts:,} other contacts, "
                f"{held.converted + exposed.converted:,} of them converted. A first reading needs at least "
                f"{MIN_CONTACTS_PER_GROUP} contacts in each group and {MIN_CONVERSIONS} conversions.")
    points, p = abs(difference) * 100, format_p(conversion.p_value)
    if not report.significant:
        return (f"No clear difference yet: contacts who could receive marketing converted {points:.1f} points "
                f"{'more' if difference >= 0 else 'less'} often than the held-out group ({p}), which chance "
                "alone could explain. Keep the holdout running.")
    relative = conversion.relative.estimate
    detail = p if relative is None else f"{relative * 100:+.0f}%, {p}"
    sentence = (f"Contacts who could receive marketing converted {points:.1f} points "
                f"{'more' if difference > 0 else 'less'} often than the held-out group ({detail})")
    added = report.revenue.incremental if report.revenue is not None else None
    if added is None or added.estimate is None:
        return sentence + "."
    interval = "" if added.low is None or added.high is None else \
        f" ({report.confidence * 100:.0f}% interval {added.low:,.0f} to {added.high:,.0f})"
    return f"{sentence}; marketing added about {report.currency} {added.estimate:,.0f} of revenue{interval}."


def universal_lift(session: Session, *, workspace_id: int, now: datetime | None = None,
                   confidence: float = 0.95) -> UniversalLiftOut:
    """The report of the current (or last) holdout period; no figures while it is off or scheduled."""
    now = now or utcnow()
    row = get_universal_holdout(session, workspace_id=workspace_id)
    state = holdout_state(row, now)
    currency = get_tracking_settings(session, workspace_id=workspace_id).currency
    head: dict[str, Any] = {"state": state, "percent": row.percent, "starts_at": row.starts_at,
                            "ends_at": row.ends_at, "confidence": confidence, "currency": currency}
    if state in (HoldoutState.OFF, HoldoutState.SCHEDULED) or row.starts_at is None:
        result = UniversalLiftOut(**head, since=None, until=None, held_out_now=0, caption="")
        result.caption = caption(result)
        return result
    since = row.starts_at
    until = now if state is HoldoutState.RUNNING or row.ends_at is None else row.ends_at
    ids = workspace_contact_ids(session, workspace_id=workspace_id, created_before=until)
    held = in_holdout(row.seed, row.percent, ids)
    converters, revenue = revenue_per_contact(session, workspace_id=workspace_id, since=since, until=until,
                                              currency=currency)
    held_stats, exposed_stats = split_groups(ids, held, converters, revenue)
    conversion, money = compare_groups(held_stats, exposed_stats, confidence=confidence)
    enough = has_enough_data(held_stats, exposed_stats)
    significant = conversion.p_value is not None and conversion.p_value < 1 - confidence
    result = UniversalLiftOut(
        **head, since=since, until=until, held_out=_group_out(held_stats), exposed=_group_out(exposed_stats),
        held_out_now=held_stats.contacts if state is HoldoutState.RUNNING else 0, conversion=conversion,
        revenue=money, enough_data=enough, significant=significant, caption="")
    result.caption = caption(result)
    return result
