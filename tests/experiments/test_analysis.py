"""The analysis of a campaign's variants: figures equal kempen.stats on the same counts; leader, SRM, caption."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from statsmodels.stats.proportion import proportion_confint

from kempen.campaigns.schemas import Message, Variant
from kempen.experiments.analysis import analyse_at, analyse_campaign, compare_variants
from kempen.experiments.schemas import ExperimentOut, Metric
from kempen.experiments.variant_stats import VariantStats
from kempen.kit.errors import NotFound
from kempen.models import Campaign, Channel, DeliveryStatus
from kempen.stats import MeanArm, analyse_means, analyse_proportions, mean_interval
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import Tenant
from tests.experiments.conftest import DAY, HOUR, LAUNCH, Trial, add_delivery, make_campaign

NOW = LAUNCH + 30 * DAY


def _analyse(session: Session, trial: Trial, **kwargs: object) -> ExperimentOut:
    found = analyse_campaign(session, workspace_id=trial.workspace_id, campaign_id=trial.campaign_id,
                             **{"until": NOW, **kwargs})  # type: ignore[arg-type]
    assert [e.message_name for e in found] == ["Mail"]  # "Text" has one variant: nothing to compare
    return found[0]


def test_click_rate_equals_the_statistics_on_the_same_counts(session: Session, trial: Trial) -> None:
    found = _analyse(session, trial)
    expected = analyse_proportions([4, 4], [1, 1], split=[50, 50])
    assert found.metric is Metric.CLICK_RATE and found.since == LAUNCH and found.until == LAUNCH + 7 * DAY
    assert [(a.name, a.recipients, a.successes, a.planned_percent) for a in found.arms] == [
        ("A", 4, 1, 50.0), ("B", 4, 1, 50.0)]
    low, high = proportion_confint(1, 4, method="wilson")
    assert (found.arms[0].value.estimate, found.arms[0].value.low, found.arms[0].value.high) == pytest.approx(
        (0.25, low, high), abs=1e-9)
    assert [a.probability_best for a in found.arms] == pytest.approx(
        [v.probability_best for v in expected.variants], abs=1e-12)
    (comparison,) = found.comparisons
    assert comparison.name == "B" and comparison.p_value == expected.comparisons[0].test.p_value
    assert comparison.test == expected.comparisons[0].test.method
    assert found.srm_p_value == pytest.approx(expected.srm.p_value) and not found.srm_detected
    assert found.leader_variant_id == trial.variants["A"]  # a tie: the earlier variant leads
    assert not found.significant
    assert found.caption == "No variant is clearly better yet: A and B have the same click rate (25.0%)."


@pytest.mark.parametrize(("metric", "users", "successes"), [
    (Metric.OPEN_RATE, [4, 4], [2, 2]), (Metric.CONVERSION_RATE, [4, 4], [1, 2])])
def test_other_rates(session: Session, trial: Trial, metric: Metric, users: list[int], successes: list[int]) -> None:
    found = _analyse(session, trial, metric=metric)
    expected = analyse_proportions(users, successes)
    assert [a.successes for a in found.arms] == successes
    assert found.comparisons[0].absolute.estimate == pytest.approx(expected.comparisons[0].absolute.estimate)
    assert found.comparisons[0].absolute.low == pytest.approx(expected.comparisons[0].absolute.low)


def test_revenue_per_recipient_equals_the_statistics(session: Session, trial: Trial) -> None:
    found = _analyse(session, trial, metric=Metric.REVENUE_PER_RECIPIENT)
    expected = analyse_means([4, 4], [120.0, 100.0], [14_400.0, 10_000.0])
    assert found.currency == "EUR"
    assert [(a.total, a.total_squares, a.successes) for a in found.arms] == [(120.0, 14_400.0, None),
                                                                            (100.0, 10_000.0, None)]
    interval = mean_interval(MeanArm(4, 120.0, 14_400.0))
    assert (found.arms[0].value.low, found.arms[0].value.high) == pytest.approx((interval.low, interval.high))
    assert found.comparisons[0].p_value == pytest.approx(expected.comparisons[0].test.p_value)
    assert "Welch" in found.comparisons[0].test
    assert found.leader_variant_id == trial.variants["A"]
    assert found.caption.startswith("No variant is clearly better yet: Variant A's revenue per recipient is "
                                    "5.00 EUR (20%) higher than B's (95% interval ")


def test_the_campaign_metric_is_the_default(session: Session, trial: Trial) -> None:
    session.get_one(Campaign, trial.campaign_id).winner_metric = "conversion_rate"
    session.commit()
    assert _analyse(session, trial).metric is Metric.CONVERSION_RATE


def test_until_is_inclusive_and_capped_by_the_click_window(session: Session, trial: Trial) -> None:
    # At exactly +1 h, a1's open and b1's click have happened; a1's click (+2 h) has not.
    found = _analyse(session, trial, metric=Metric.OPEN_RATE, until=LAUNCH + HOUR)
    assert [a.successes for a in found.arms] == [1, 1] and found.until == LAUNCH + HOUR
    assert _analyse(session, trial, until=LAUNCH + HOUR).arms[0].successes == 0
    get_tracking_settings(session, workspace_id=trial.workspace_id).click_window_days = 1
    session.commit()
    found = _analyse(session, trial, metric=Metric.CONVERSION_RATE)
    assert found.until == LAUNCH + DAY and [a.successes for a in found.arms] == [1, 2]


def test_the_winner_sees_the_same_as_the_report_at_its_moment(session: Session, trial: Trial) -> None:
    seen = analyse_at(session, workspace_id=trial.workspace_id, campaign_id=trial.campaign_id,
                      metric=Metric.CLICK_RATE, now=LAUNCH + 2 * HOUR)
    assert list(seen) == [trial.messages["Mail"]]
    assert [a.successes for a in seen[trial.messages["Mail"]].arms] == [1, 1]


def test_after_an_automatic_winner_only_the_test_share_counts(session: Session, trial: Trial) -> None:
    for n in range(3):
        add_delivery(session, trial, f"rest{n}", "B", sent_at=LAUNCH + 5 * HOUR)
    session.get_one(Campaign, trial.campaign_id).winner_decided_at = LAUNCH + 4 * HOUR
    session.commit()
    assert [a.recipients for a in _analyse(session, trial).arms] == [4, 4]


def test_sample_ratio_mismatch_is_detected(session: Session, tenant: Tenant) -> None:
    trial = make_campaign(session, tenant.id)
    for n in range(130):
        add_delivery(session, trial, f"c{n}", "A" if n < 40 else "B")
    session.commit()
    found = _analyse(session, trial)
    assert found.srm_p_value == pytest.approx(analyse_proportions([40, 90], [0, 0]).srm.p_value)
    assert found.srm_p_value is not None and found.srm_p_value < 0.001 and found.srm_detected
    assert found.caption.startswith("Warning: the recipients are not split as planned (A 40 and B 90 for a "
                                    "planned 50/50 split; sample ratio mismatch, p < 0.001)")


def test_planned_split_is_the_reference_of_the_check(session: Session, tenant: Tenant) -> None:
    trial = make_campaign(session, tenant.id, splits={"A": 25, "B": 75})
    for n in range(120):
        add_delivery(session, trial, f"c{n}", "A" if n < 30 else "B")
    session.commit()
    found = _analyse(session, trial)
    assert found.srm_p_value == pytest.approx(1.0) and not found.srm_detected


def test_nothing_to_analyse(session: Session, tenant: Tenant, trial: Trial) -> None:
    unsent = make_campaign(session, tenant.id)
    add_delivery(session, unsent, "p", "A", status=DeliveryStatus.PENDING)
    session.commit()
    assert analyse_campaign(session, workspace_id=tenant.id, campaign_id=unsent.campaign_id) == []
    session.get_one(Campaign, unsent.campaign_id).launched_at = None
    session.commit()
    assert analyse_campaign(session, workspace_id=tenant.id, campaign_id=unsent.campaign_id) == []


def test_another_workspace_cannot_read_it(session: Session, other_tenant: Tenant, trial: Trial) -> None:
    with pytest.raises(NotFound):
        analyse_campaign(session, workspace_id=other_tenant.id, campaign_id=trial.campaign_id)


# The same analysis on given counts, without a database.

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _message(*splits: int) -> Message:
    variants = [Variant(id=10 + i, message_id=1, name=chr(65 + i), split_percent=split, subject="", preheader="",
                        html="", text=None, body="", content={}, created_at=T0, updated_at=T0)
                for i, split in enumerate(splits)]
    return Message(id=1, campaign_id=1, channel=Channel.EMAIL, name="Mail", from_name=None, from_email=None,
                   reply_to=None, variants=variants, created_at=T0, updated_at=T0)


def _compare(counts: list[tuple[int, int]], metric: Metric = Metric.CLICK_RATE,
             splits: tuple[int, ...] | None = None) -> ExperimentOut:
    experiment = ExperimentOut(campaign_id=1, message_id=1, message_name="Mail", channel="email", metric=metric,
                               confidence=0.95, since=T0, until=T0 + timedelta(days=7), arms=[], comparisons=[],
                               caption="")
    stats = [VariantStats(recipients=n, openers=x, clickers=x, converters=x) for n, x in counts]
    return compare_variants(experiment, _message(*(splits or tuple(100 // len(counts) for _ in counts))), stats)


def test_significant_winner_caption() -> None:
    found = _compare([(10_000, 1_000), (10_000, 1_100)])
    assert found.significant and found.leader_variant_id == 11
    assert found.caption == ("Variant B's click rate is 1.0 points (10%) higher than A's (95% interval 0.2 to "
                             "1.8); 98.9% probability B is best.")


def test_the_control_can_win() -> None:
    found = _compare([(10_000, 1_100), (10_000, 1_000)])
    assert found.significant and found.leader_variant_id == 10
    assert found.caption == ("Variant A's click rate is 1.0 points (10%) higher than B's (95% interval 0.2 to "
                             "1.8); 98.9% probability A is best.")


def test_no_clear_winner_caption() -> None:
    found = _compare([(1_000, 100), (1_000, 110)])
    assert not found.significant
    assert found.caption.startswith("No variant is clearly better yet: Variant B's click rate is 1.0 points (10%) "
                                    "higher than A's (95% interval \u22121.7 to 3.7, p = 0.47); ")


def test_a_leader_must_beat_every_variant_not_only_the_control() -> None:
    # C beats A clearly but not B.
    found = _compare([(10_000, 1_000), (10_000, 1_120), (10_000, 1_130)], splits=(34, 33, 33))
    assert found.leader_variant_id == 12
    assert found.comparisons[1].p_value is not None and found.comparisons[1].p_value < 0.01
    assert not found.significant
    found = _compare([(10_000, 1_000), (10_000, 1_000), (10_000, 1_150)], splits=(34, 33, 33))
    assert found.significant


def test_a_variant_without_recipients() -> None:
    found = _compare([(500, 20), (0, 0)])
    assert found.comparisons[0].absolute.estimate is None and not found.significant
    assert found.arms[1].value.estimate is None and found.srm_detected  # 500 against 0 of a 50/50 plan
    found.srm_detected = False
    from kempen.experiments.captions import caption
    assert caption(found, 0) == "No variant is clearly better yet: B has no recipients yet."
