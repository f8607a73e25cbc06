"""Which variant of each message the rest of the audience gets, and why, in words (no database here).

Per message: a message with one variant sends it; a variant picked by a person wins; otherwise the
significant leader of the analysis wins unless its split failed the sample-ratio-mismatch check;
in every other case (no analysis, no significant difference, SRM) the campaign's fallback decides:
the first variant, the variant ahead anyway, or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kempen.experiments.schemas import ExperimentOut, Metric, WinnerFallback
from kempen.models import CampaignMessage, MessageVariant

METRIC_WORDS = {Metric.OPEN_RATE: "open rate", Metric.CLICK_RATE: "click rate",
                Metric.CONVERSION_RATE: "conversion rate", Metric.REVENUE_PER_RECIPIENT: "revenue per recipient"}


class Reason:
    """Why a message's winner is what it is (stored in the decision; the UI words them)."""

    SIGNIFICANT = "significant"
    NOT_SIGNIFICANT = "not_significant"
    SAMPLE_RATIO_MISMATCH = "sample_ratio_mismatch"
    NO_DATA = "no_data"
    PICKED = "picked"
    ONLY_VARIANT = "only_variant"


@dataclass(frozen=True)
class Choice:
    """One message's outcome: the variant for the rest (None: nothing more is sent) and why."""

    message: CampaignMessage
    variant: MessageVariant | None
    reason: str
    fallback: WinnerFallback | None  # the fallback that chose, when one did (the first variant if no leader)
    analysis: ExperimentOut | None

    @property
    def p_value(self) -> float | None:
        return winner_p_value(self.analysis, self.variant.id if self.variant else None)


def format_value(metric: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    if metric == Metric.REVENUE_PER_RECIPIENT:
        return f"{value:,.2f}"
    return f"{100 * value:.1f} %"


def format_p(p_value: float | None) -> str:
    if p_value is None:
        return "p not available"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def winner_p_value(analysis: ExperimentOut | None, variant_id: int | None) -> float | None:
    """The p-value of the winner against the control; for the control itself, against the best challenger."""
    if analysis is None or variant_id is None or not analysis.arms:
        return None
    by_variant = {c.variant_id: c.p_value for c in analysis.comparisons}
    if variant_id in by_variant:
        return by_variant[variant_id]
    challenger = _runner_up(analysis, variant_id)
    return by_variant.get(challenger.variant_id) if challenger else None


def _runner_up(analysis: ExperimentOut, variant_id: int) -> Any:
    others = [a for a in analysis.arms if a.variant_id != variant_id and a.value.estimate is not None]
    return max(others, key=lambda a: a.value.estimate or 0.0, default=None)


def _value_of(analysis: ExperimentOut, variant_id: int) -> float | None:
    return next((a.value.estimate for a in analysis.arms if a.variant_id == variant_id), None)


def _fallback(message: CampaignMessage, variants: Sequence[MessageVariant], analysis: ExperimentOut | None,
              fallback: WinnerFallback, reason: str) -> Choice:
    if fallback == WinnerFallback.NONE:
        return Choice(message, None, reason, fallback, analysis)
    leader = None
    if fallback == WinnerFallback.LEADER and analysis is not None:
        leader = next((v for v in variants if v.id == analysis.leader_variant_id), None)
    if leader is not None:
        return Choice(message, leader, reason, WinnerFallback.LEADER, analysis)
    return Choice(message, variants[0], reason, WinnerFallback.FIRST, analysis)


def choose(message: CampaignMessage, variants: Sequence[MessageVariant], analysis: ExperimentOut | None,
           fallback: WinnerFallback, *, picked_variant_id: int | None = None) -> Choice:
    """The variant the rest of this message's audience gets."""
    if len(variants) == 1:
        return Choice(message, variants[0], Reason.ONLY_VARIANT, None, analysis)
    picked = next((v for v in variants if v.id == picked_variant_id), None)
    if picked is not None:
        return Choice(message, picked, Reason.PICKED, None, analysis)
    if analysis is None or not any(a.recipients for a in analysis.arms):
        return _fallback(message, variants, analysis, fallback, Reason.NO_DATA)
    if analysis.srm_detected:
        return _fallback(message, variants, analysis, fallback, Reason.SAMPLE_RATIO_MISMATCH)
    leader = next((v for v in variants if v.id == analysis.leader_variant_id), None)
    if analysis.significant and leader is not None:
        return Choice(message, leader, Reason.SIGNIFICANT, None, analysis)
    return _fallback(message, variants, analysis, fallback, Reason.NOT_SIGNIFICANT)


def _figures(choice: Choice, metric: Metric) -> str:
    """"click rate 4.1 % vs 3.0 %, p = 0.003" for the winner against the best other variant."""
    analysis, variant = choice.analysis, choice.variant
    if analysis is None or variant is None:
        return ""
    other = _runner_up(analysis, variant.id)
    ours = format_value(metric, _value_of(analysis, variant.id))
    versus = f" vs {format_value(metric, other.value.estimate)}" if other is not None else ""
    return f"{METRIC_WORDS[metric]} {ours}{versus}, {format_p(choice.p_value)}"


def _why_fallback(choice: Choice, metric: Metric) -> str:
    analysis = choice.analysis
    if choice.reason == Reason.SAMPLE_RATIO_MISMATCH and analysis is not None:
        srm = format_p(analysis.srm_p_value) if analysis.srm_p_value is not None else "p < 0.001"
        return f"the test's split is not what was planned (sample ratio mismatch, {srm}), so its figures are not trusted"
    if choice.reason == Reason.NO_DATA:
        return "the test share has no results to compare"
    leader_p = format_p(winner_p_value(analysis, analysis.leader_variant_id)) if analysis else ""
    return f"no variant's {METRIC_WORDS[metric]} is significantly better ({leader_p})"


def explain(choice: Choice, metric: Metric, rest: int) -> str:
    """One sentence: "Winner: B (click rate 4.1 % vs 3.0 %, p = 0.003) sent to the remaining 8,000"."""
    remaining = f"the remaining {rest:,}"
    if choice.variant is None:
        return f"No winner: {_why_fallback(choice, metric)}; {remaining} get nothing (fallback: none)."
    name = choice.variant.name
    if choice.reason == Reason.ONLY_VARIANT:
        return f"{name} (the only variant) sent to {remaining}."
    if choice.reason == Reason.PICKED:
        figures = _figures(choice, metric)
        return f"Winner: {name}, picked by hand{f' ({figures})' if figures else ''}, sent to {remaining}."
    if choice.reason == Reason.SIGNIFICANT:
        return f"Winner: {name} ({_figures(choice, metric)}) sent to {remaining}."
    which = "the first variant" if choice.fallback == WinnerFallback.FIRST else "the variant ahead"
    return f"No significant winner: {_why_fallback(choice, metric)}; {which}, {name}, sent to {remaining}."


def decision_entry(choice: Choice, metric: Metric, rest: int) -> dict[str, Any]:
    """What the decision stored for one message (JSON): the choice, the figures it saw, and the sentence."""
    analysis = choice.analysis
    return {
        "message_id": choice.message.id, "message_name": choice.message.name,
        "variant_id": choice.variant.id if choice.variant else None,
        "variant_name": choice.variant.name if choice.variant else None,
        "reason": choice.reason, "fallback": choice.fallback.value if choice.fallback else None,
        "p_value": choice.p_value,
        "significant": analysis.significant if analysis else False,
        "srm_detected": analysis.srm_detected if analysis else False,
        "srm_p_value": analysis.srm_p_value if analysis else None,
        "arms": [{"variant_id": a.variant_id, "name": a.name, "recipients": a.recipients, "value": a.value.estimate,
                  "probability_best": a.probability_best} for a in (analysis.arms if analysis else [])],
        "caption": analysis.caption if analysis else None,
        "rest": rest, "summary": explain(choice, metric, rest),
    }
