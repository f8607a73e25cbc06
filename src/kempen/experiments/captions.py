"""The one plain sentence under an experiment: who is ahead, by how much, how sure, or why not to trust it."""

from __future__ import annotations

from kempen.experiments.schemas import ComparisonOut, EstimateOut, ExperimentOut, Metric
from kempen.stats.summary import format_p, format_probability

NOUNS = {Metric.OPEN_RATE: "open rate", Metric.CLICK_RATE: "click rate", Metric.CONVERSION_RATE: "conversion rate",
         Metric.REVENUE_PER_RECIPIENT: "revenue per recipient"}
MINUS = "\u2212"


def _signed(text: str, value: float) -> str:
    return f"{MINUS}{text}" if value < 0 else text


def _points(value: float) -> str:
    """A rate difference in percentage points: 1.2, 0.35, 0.0012."""
    size = abs(value) * 100
    text = f"{size:.1f}" if size >= 0.1 or size == 0 else f"{size:.2g}"
    return _signed(text, value)


def _money(value: float) -> str:
    size = abs(value)
    text = f"{size:,.2f}" if size >= 0.01 or size == 0 else f"{size:.2g}"
    return _signed(text, value)


def format_value(experiment: ExperimentOut, value: float | None) -> str:
    """A variant's value as people read it: a rate as a percentage, revenue with the currency."""
    if value is None:
        return "–"
    if experiment.metric is Metric.REVENUE_PER_RECIPIENT:
        return f"{_money(value)} {experiment.currency or ''}".rstrip()
    return f"{_points(value)}%"


def format_difference(experiment: ExperimentOut, value: float) -> str:
    """A difference: "1.2 points" for rates, "0.85 EUR" for revenue (unsigned; the sentence says which way)."""
    if experiment.metric is Metric.REVENUE_PER_RECIPIENT:
        return f"{_money(abs(value))} {experiment.currency or ''}".rstrip()
    return f"{_points(abs(value))} points"


def format_change(experiment: ExperimentOut, value: float) -> str:
    """A signed difference: "+1.0 points" for rates, "−0.85 EUR" for revenue."""
    if experiment.metric is Metric.REVENUE_PER_RECIPIENT:
        text = f"{_money(value)} {experiment.currency or ''}".rstrip()
    else:
        text = f"{_points(value)} points"
    return text if value < 0 else f"+{text}"


def format_interval(experiment: ExperimentOut, estimate: EstimateOut) -> str | None:
    """"0.4 to 2.0" (points, or money), or None when there is no interval."""
    if estimate.low is None or estimate.high is None:
        return None
    fmt = _money if experiment.metric is Metric.REVENUE_PER_RECIPIENT else _points
    return f"{fmt(estimate.low)} to {fmt(estimate.high)}"


def _relative(relative: float | None) -> str:
    if relative is None:
        return ""
    size = abs(relative) * 100
    return f" ({size:.2g}%)" if size < 10 else f" ({size:.0f}%)"


def _reversed(comparison: ComparisonOut) -> tuple[EstimateOut, float | None]:
    """The control against a variant: the difference turned round, and control / variant − 1."""
    a = comparison.absolute
    flipped = EstimateOut(estimate=None if a.estimate is None else -a.estimate,
                          low=None if a.high is None else -a.high, high=None if a.low is None else -a.low,
                          method=a.method, reason=a.reason)
    r = comparison.relative.estimate
    return flipped, (None if r is None or r <= -1 else 1 / (1 + r) - 1)


def _runner_up(experiment: ExperimentOut, leader: int) -> int:
    others = [(arm.value.estimate if arm.value.estimate is not None else float("-inf"), -index)
              for index, arm in enumerate(experiment.arms) if index != leader]
    return -max(others)[1]


def _pair(experiment: ExperimentOut, leader: int) -> tuple[int, int, EstimateOut, float | None, float | None]:
    """Who to talk about: the leader against the control, or (the control leading) against the runner-up."""
    if leader:
        comparison = experiment.comparisons[leader - 1]
        return leader, 0, comparison.absolute, comparison.relative.estimate, comparison.p_value
    runner = _runner_up(experiment, leader)
    comparison = experiment.comparisons[runner - 1]
    absolute, relative = _reversed(comparison)
    return 0, runner, absolute, relative, comparison.p_value


def _srm_warning(experiment: ExperimentOut) -> str:
    got = " and ".join(f"{arm.name} {arm.recipients:,}" for arm in experiment.arms)
    planned = "/".join(f"{arm.planned_percent:g}" for arm in experiment.arms)
    return (f"Warning: the recipients are not split as planned ({got} for a planned {planned} split; sample "
            f"ratio mismatch, {format_p(experiment.srm_p_value)}), so this comparison cannot be trusted.")


def caption(experiment: ExperimentOut, leader: int | None) -> str:
    """E.g. "Variant B's click rate is 1.2 points (10%) higher than A's (95% interval 0.4 to 2.0); ...".

    On a sample ratio mismatch the sentence is only the warning: any difference is then as likely
    to come from the broken split as from the variants.
    """
    if experiment.srm_detected:
        return _srm_warning(experiment)
    empty = [arm.name for arm in experiment.arms if not arm.recipients]
    if empty or leader is None:
        verb = "has" if len(empty) < 2 else "have"
        return f"No variant is clearly better yet: {' and '.join(empty) or 'no variant'} {verb} no recipients yet."
    subject, reference, absolute, relative, p_value = _pair(experiment, leader)
    name, other = experiment.arms[subject].name, experiment.arms[reference].name
    noun = NOUNS[experiment.metric]
    if absolute.estimate is None:
        return f"No variant is clearly better yet: {absolute.reason}"
    if absolute.estimate == 0:
        value = format_value(experiment, experiment.arms[subject].value.estimate)
        return f"No variant is clearly better yet: {name} and {other} have the same {noun} ({value})."
    interval = format_interval(experiment, absolute)
    level = f"{experiment.confidence * 100:g}%"
    details = [f"{level} interval {interval}"] if interval else []
    if not experiment.significant:
        details.append(format_p(p_value))
    words = (f"Variant {name}'s {noun} is {format_difference(experiment, absolute.estimate)}"
             f"{_relative(relative)} higher than {other}'s")
    if details:
        words += f" ({', '.join(details)})"
    probability = experiment.arms[subject].probability_best
    if probability is not None:
        words += f"; {format_probability(probability)} probability {name} is best"
    return words + "." if experiment.significant else f"No variant is clearly better yet: {words}."
