"""What each objective metric means, how it reads from a report row, and how its values are written.

Pure: no database. The figures come from the reports (reporting/schemas.Figures); named conversions are
counted by planning/objectives.py from the attributed credits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kempen.models import ObjectiveMetric
from kempen.planning.pace import Pace, Verdict

M = ObjectiveMetric


@dataclass(frozen=True)
class Measure:
    label: str            # "conversions", "click rate"
    cumulative: bool      # grows with time (projected linearly) or a ratio (projected flat)
    fraction: bool        # stored as a fraction, shown as a percentage


MEASURES: dict[ObjectiveMetric, Measure] = {
    M.CONVERSIONS: Measure("conversions", cumulative=True, fraction=False),
    M.REVENUE: Measure("revenue", cumulative=True, fraction=False),
    M.NAMED_CONVERSION: Measure("conversions", cumulative=True, fraction=False),
    M.CLICKS: Measure("clicks", cumulative=True, fraction=False),
    M.CLICK_RATE: Measure("click rate", cumulative=False, fraction=True),
    M.OPEN_RATE: Measure("open rate", cumulative=False, fraction=True),
    M.ROI: Measure("ROI", cumulative=False, fraction=True),
}


def metric_label(metric: ObjectiveMetric, conversion_name: str | None = None) -> str:
    """The metric in words: "conversions", "sign_up conversions", "click rate"."""
    if metric == M.NAMED_CONVERSION and conversion_name:
        return f"“{conversion_name}” conversions"
    return MEASURES[metric].label


def format_value(metric: ObjectiveMetric, value: float, currency: str = "") -> str:
    """A value as people read it: 1,140 · EUR 1,140.00 · 3.4 %."""
    if MEASURES[metric].fraction:
        return f"{value * 100:,.1f} %"
    if metric == M.REVENUE:
        return f"{currency} {value:,.2f}".strip()
    # Credit shares make counts fractional; a tenth matters for small counts only.
    whole = abs(value) >= 100 or abs(value - round(value)) < 0.05
    return f"{value:,.0f}" if whole else f"{value:,.1f}"


def _with_unit(metric: ObjectiveMetric, value: float, currency: str, conversion_name: str | None) -> str:
    text = format_value(metric, value, currency)
    if metric == M.REVENUE:
        return f"{text} revenue"
    if MEASURES[metric].fraction:
        return f"a{'n' if metric == M.ROI else ''} {metric_label(metric)} of {text}"
    return f"{text} {metric_label(metric, conversion_name)}"


def pace_sentence(metric: ObjectiveMetric, *, pace: Pace, target: float, current: float | None, deadline: date,
                  currency: str = "", conversion_name: str | None = None) -> str:
    """One plain sentence: "At this rate: 1,140 conversions by 31 May, target 1,000 — on pace"."""
    goal = format_value(metric, target, currency)
    when = f"{deadline.day} {deadline:%B %Y}"
    if pace.verdict == Verdict.NOT_STARTED or current is None:
        return f"Not started: the target is {_with_unit(metric, target, currency, conversion_name)} by {when}."
    now = _with_unit(metric, current, currency, conversion_name)
    if pace.verdict == Verdict.DONE:
        return f"Done: {now} so far, target {goal}."
    if pace.verdict == Verdict.MISSED:
        return f"Missed: {now} by the deadline ({when}), target {goal}."
    assert pace.projected is not None
    projected = _with_unit(metric, pace.projected, currency, conversion_name)
    return f"At this rate: {projected} by {when}, target {goal} — {pace.verdict.label}."
