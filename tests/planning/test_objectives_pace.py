"""The pure maths of objectives: progress, the linear projection, the verdict and the sentence (hand-checked)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kempen.models import ObjectiveMetric
from kempen.planning.measures import format_value, metric_label, pace_sentence
from kempen.planning.pace import Pace, Verdict, judge, pace, progress, project_total

START = datetime(2026, 5, 1, tzinfo=UTC)
DEADLINE = datetime(2026, 6, 1, tzinfo=UTC)  # the end of 31 May: 31 days after the start


def test_progress_is_the_share_of_the_way_from_baseline_to_target() -> None:
    assert progress(baseline=200, target=1000, current=600) == 0.5
    assert progress(baseline=0, target=1000, current=1140) == pytest.approx(1.14)
    assert progress(baseline=200, target=1000, current=100) == pytest.approx(-0.125)
    # A target below the baseline: going down is progress.
    assert progress(baseline=0.05, target=0.02, current=0.035) == pytest.approx(0.5)
    assert progress(baseline=5, target=5, current=7) is None


def test_a_total_is_projected_linearly_from_the_start() -> None:
    # 10 days of 31 gave 368 conversions: 368 × 31 / 10 = 1,140.8 by the deadline.
    now = datetime(2026, 5, 11, tzinfo=UTC)
    assert project_total(current=368, start=START, now=now, deadline=DEADLINE) == pytest.approx(1140.8)
    assert project_total(current=368, start=START, now=START, deadline=DEADLINE) is None
    assert project_total(current=900, start=START, now=datetime(2026, 6, 3, tzinfo=UTC), deadline=DEADLINE) == 900


@pytest.mark.parametrize(("current", "projected", "passed", "verdict"), [
    (400, 1140.8, False, Verdict.ON_PACE),      # 1,140.8 ≥ 1,000 but < 1,000 + 0.25 × 1,000
    (500, 1250.0, False, Verdict.AHEAD),        # exactly a quarter beyond the target
    (300, 930.0, False, Verdict.BEHIND),
    (1000, 1200.0, False, Verdict.DONE),        # the target is reached before the deadline
    (900, 900.0, True, Verdict.MISSED),
    (0, None, False, Verdict.NOT_STARTED),
])
def test_the_verdict(current: float, projected: float | None, passed: bool, verdict: Verdict) -> None:
    assert judge(baseline=0, target=1000, current=current, projected=projected, deadline_passed=passed) == verdict


def test_pace_of_a_ratio_is_flat_and_of_a_total_is_linear() -> None:
    now = datetime(2026, 5, 11, tzinfo=UTC)
    rate = pace(baseline=0.02, target=0.03, current=0.031, cumulative=False, start=START, now=now, deadline=DEADLINE)
    assert rate.projected == 0.031 and rate.verdict == Verdict.DONE
    rate = pace(baseline=0.02, target=0.03, current=0.025, cumulative=False, start=START, now=now, deadline=DEADLINE)
    assert rate.projected == 0.025 and rate.verdict == Verdict.BEHIND and rate.progress == pytest.approx(0.5)
    total = pace(baseline=0, target=1000, current=368, cumulative=True, start=START, now=now, deadline=DEADLINE)
    assert total.projected == pytest.approx(1140.8) and total.verdict == Verdict.ON_PACE
    unlaunched = pace(baseline=0, target=1000, current=None, cumulative=True, start=None, now=now,
                      deadline=DEADLINE)
    assert unlaunched == Pace(progress=None, projected=None, verdict=Verdict.NOT_STARTED)


def test_the_sentence_says_where_it_stands() -> None:
    on_pace = Pace(progress=0.368, projected=1140.8, verdict=Verdict.ON_PACE)
    assert pace_sentence(ObjectiveMetric.CONVERSIONS, pace=on_pace, target=1000, current=368,
                         deadline=date(2026, 5, 31)) == (
        "At this rate: 1,141 conversions by 31 May 2026, target 1,000 — on pace.")
    behind = Pace(progress=0.5, projected=0.025, verdict=Verdict.BEHIND)
    assert pace_sentence(ObjectiveMetric.CLICK_RATE, pace=behind, target=0.03, current=0.025,
                         deadline=date(2026, 5, 31)) == (
        "At this rate: a click rate of 2.5 % by 31 May 2026, target 3.0 % — behind.")
    ahead = Pace(progress=2.0, projected=25000, verdict=Verdict.AHEAD)
    assert pace_sentence(ObjectiveMetric.REVENUE, pace=ahead, target=10000, current=8000, deadline=date(2026, 5, 31),
                         currency="EUR") == (
        "At this rate: EUR 25,000.00 revenue by 31 May 2026, target EUR 10,000.00 — ahead.")
    waiting = Pace(progress=None, projected=None, verdict=Verdict.NOT_STARTED)
    assert pace_sentence(ObjectiveMetric.NAMED_CONVERSION, pace=waiting, target=50, current=None,
                         deadline=date(2026, 5, 31), conversion_name="sign_up") == (
        "Not started: the target is 50 “sign_up” conversions by 31 May 2026.")


def test_values_are_written_as_people_read_them() -> None:
    assert format_value(ObjectiveMetric.ROI, 1.205) == "120.5 %"
    assert format_value(ObjectiveMetric.CONVERSIONS, 12.5) == "12.5"
    assert format_value(ObjectiveMetric.CLICKS, 1234) == "1,234"
    assert metric_label(ObjectiveMetric.NAMED_CONVERSION, "lead") == "“lead” conversions"
