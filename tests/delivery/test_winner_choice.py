"""Which variant the rest gets, and the sentence that says why: every rule, on hand-made analyses."""

from __future__ import annotations

from datetime import UTC, datetime

from kempen.delivery.winner_choice import Reason, choose, decision_entry, explain, format_p, format_value
from kempen.experiments.schemas import (
    ArmOut,
    ComparisonOut,
    EstimateOut,
    ExperimentOut,
    Metric,
    WinnerFallback,
)
from kempen.models import CampaignMessage, Channel, MessageVariant

MESSAGE = CampaignMessage(id=7, name="Email", channel=Channel.EMAIL)
A = MessageVariant(id=1, name="A", split_percent=50)
B = MessageVariant(id=2, name="B", split_percent=50)
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def analysis(values: tuple[float, float], p_value: float, *, significant: bool, srm: bool = False,
             recipients: int = 1000) -> ExperimentOut:
    leader = 1 if values[1] > values[0] else 0
    return ExperimentOut(
        campaign_id=1, message_id=7, message_name="Email", channel="email", metric=Metric.CLICK_RATE,
        confidence=0.95, since=NOW, until=NOW, caption="B's click rate is higher.",
        arms=[ArmOut(variant_id=v.id, name=v.name, planned_percent=50, recipients=recipients,
                     value=EstimateOut(estimate=x, method="Wilson")) for v, x in zip((A, B), values, strict=True)],
        comparisons=[ComparisonOut(variant_id=2, name="B", absolute=EstimateOut(method="Newcombe"),
                                   relative=EstimateOut(method="delta"), p_value=p_value, test="z-test")],
        srm_detected=srm, srm_p_value=0.0001 if srm else 0.6, leader_variant_id=(A, B)[leader].id,
        significant=significant)


def test_the_significant_leader_wins_with_its_figures() -> None:
    choice = choose(MESSAGE, [A, B], analysis((0.030, 0.041), 0.003, significant=True), WinnerFallback.NONE)
    assert (choice.variant, choice.reason, choice.fallback) == (B, Reason.SIGNIFICANT, None)
    assert explain(choice, Metric.CLICK_RATE, 8000) == (
        "Winner: B (click rate 4.1 % vs 3.0 %, p = 0.003) sent to the remaining 8,000.")


def test_a_winning_control_reports_the_p_value_against_the_best_challenger() -> None:
    choice = choose(MESSAGE, [A, B], analysis((0.05, 0.02), 0.0004, significant=True), WinnerFallback.NONE)
    assert choice.variant is A and choice.p_value == 0.0004
    assert explain(choice, Metric.CLICK_RATE, 10) == (
        "Winner: A (click rate 5.0 % vs 2.0 %, p < 0.001) sent to the remaining 10.")


def test_no_significant_difference_takes_the_fallback() -> None:
    seen = analysis((0.030, 0.032), 0.41, significant=False)
    first = choose(MESSAGE, [A, B], seen, WinnerFallback.FIRST)
    leader = choose(MESSAGE, [A, B], seen, WinnerFallback.LEADER)
    nothing = choose(MESSAGE, [A, B], seen, WinnerFallback.NONE)
    assert (first.variant, leader.variant, nothing.variant) == (A, B, None)
    assert {first.reason, leader.reason, nothing.reason} == {Reason.NOT_SIGNIFICANT}
    assert explain(leader, Metric.CLICK_RATE, 5) == (
        "No significant winner: no variant's click rate is significantly better (p = 0.410); the variant ahead, "
        "B, sent to the remaining 5.")
    assert explain(nothing, Metric.CLICK_RATE, 5).endswith("the remaining 5 get nothing (fallback: none).")


def test_a_sample_ratio_mismatch_distrusts_even_a_significant_leader() -> None:
    choice = choose(MESSAGE, [A, B], analysis((0.03, 0.09), 0.0001, significant=True, srm=True),
                    WinnerFallback.FIRST)
    assert (choice.variant, choice.reason, choice.fallback) == (A, Reason.SAMPLE_RATIO_MISMATCH, WinnerFallback.FIRST)
    assert "sample ratio mismatch, p < 0.001" in explain(choice, Metric.CLICK_RATE, 1)


def test_no_data_a_person_s_pick_and_a_lone_variant() -> None:
    empty = choose(MESSAGE, [A, B], None, WinnerFallback.LEADER)
    assert (empty.variant, empty.reason, empty.fallback) == (A, Reason.NO_DATA, WinnerFallback.FIRST)
    nobody = choose(MESSAGE, [A, B], analysis((0.0, 0.0), 1.0, significant=False, recipients=0), WinnerFallback.NONE)
    assert nobody.reason == Reason.NO_DATA and nobody.variant is None
    picked = choose(MESSAGE, [A, B], analysis((0.05, 0.02), 0.001, significant=True), WinnerFallback.FIRST,
                    picked_variant_id=B.id)
    assert (picked.variant, picked.reason) == (B, Reason.PICKED)
    assert explain(picked, Metric.CLICK_RATE, 3) == (
        "Winner: B, picked by hand (click rate 2.0 % vs 5.0 %, p = 0.001), sent to the remaining 3.")
    alone = choose(MESSAGE, [A], None, WinnerFallback.NONE)
    assert (alone.variant, alone.reason) == (A, Reason.ONLY_VARIANT)


def test_the_stored_entry_carries_the_figures_and_the_sentence() -> None:
    choice = choose(MESSAGE, [A, B], analysis((0.030, 0.041), 0.003, significant=True), WinnerFallback.FIRST)
    entry = decision_entry(choice, Metric.CLICK_RATE, 8000)
    assert entry["variant_id"] == 2 and entry["reason"] == "significant" and entry["p_value"] == 0.003
    assert [a["value"] for a in entry["arms"]] == [0.030, 0.041] and entry["caption"] == "B's click rate is higher."
    assert entry["summary"].startswith("Winner: B") and entry["rest"] == 8000


def test_formats() -> None:
    assert format_value(Metric.REVENUE_PER_RECIPIENT, 1234.5) == "1,234.50"
    assert format_value(Metric.OPEN_RATE, None) == "—"
    assert [format_p(p) for p in (None, 0.0009, 0.05)] == ["p not available", "p < 0.001", "p = 0.050"]
