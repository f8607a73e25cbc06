"""The one plain-language sentence that says what an A/B test shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kempen.stats.ab import AbResult
    from kempen.stats.types import Comparison


def format_p(p: float | None) -> str:
    """p-values as people read them: two significant digits, "< 0.001" below that."""
    if p is None:
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}"


def format_probability(p: float) -> str:
    if p > 0.999:
        return "more than 99.9%"
    if p < 0.001:
        return "less than 0.1%"
    return f"{p * 100:.1f}%"


def _percent(relative: float | None) -> str:
    if relative is None:
        return ""
    size = abs(relative) * 100
    if size < 0.1:
        return f" ({size:.2g}%)"
    size = round(size, 1)
    return f" ({size:.0f}%)" if size >= 10 else f" ({size:.1f}%)"


def _amount(value: float) -> str:
    size = abs(value)
    return f"{size:.2f}" if size >= 0.01 or size == 0 else f"{size:.3g}"


def _challenger(result: AbResult) -> Comparison:
    """The variant to talk about: the likeliest to be best, else the largest estimated difference."""
    probabilities = result.best.probabilities
    if probabilities is not None:
        return max(result.comparisons, key=lambda c: probabilities[c.variant])
    return max(result.comparisons, key=lambda c: c.absolute.estimate if c.absolute.estimate is not None else -1e300)


def _difference(result: AbResult, comparison: Comparison) -> str:
    diff = comparison.absolute.estimate
    control, variant = result.variants[comparison.control].label, result.variants[comparison.variant].label
    assert diff is not None
    if result.metric == "proportion":
        points = abs(diff) * 100
        amount = f"{points:.1f}" if points >= 0.1 or points == 0 else f"{points:.2g}"
        if diff == 0:
            return f"Variant {variant} converts at the same rate as {control}"
        word = "better" if diff > 0 else "worse"
        return f"Variant {variant} converts {amount} points{_percent(comparison.relative.estimate)} {word} than {control}"
    if diff == 0:
        return f"Variant {variant} brings the same per user as {control}"
    word = "more" if diff > 0 else "less"
    return (f"Variant {variant} brings {_amount(diff)} {word} per user{_percent(comparison.relative.estimate)} "
            f"than {control}")


def summarise(result: AbResult) -> str:
    """E.g. "Variant B converts 1.0 points (10%) better than A; p = 0.021; 98.9% probability it is best."."""
    comparison = _challenger(result)
    name = result.variants[comparison.variant].label
    if comparison.absolute.estimate is None:
        sentence = f"Variant {name} cannot be compared yet: {comparison.absolute.reason}"
    else:
        parts = [_difference(result, comparison), format_p(comparison.test.p_value)]
        probability = result.variants[comparison.variant].probability_best
        if probability is not None:
            parts.append(f"{format_probability(probability)} probability it is best")
        sentence = "; ".join(parts) + "."
    if result.srm.mismatch:
        sentence = (f"Sample ratio mismatch ({format_p(result.srm.p_value)}): the users are not split as planned, "
                    f"so do not trust this result. {sentence}")
    return sentence
