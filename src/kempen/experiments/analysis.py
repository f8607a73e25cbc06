"""A campaign's variants compared: sufficient statistics in SQL, statistics from `kempen.stats`.

For each message with two or more variants that has sent something: every variant's value with its
interval, every variant against the first (the control), the probability that each is best, the
sample-ratio-mismatch check against the planned split, the leader, whether it is significantly ahead
of every other variant, and one plain sentence. docs/experiments.md explains every figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from kempen.campaigns import service as campaigns
from kempen.campaigns.schemas import Message
from kempen.experiments.captions import caption
from kempen.experiments.schemas import ArmOut, ComparisonOut, ExperimentOut, Metric, estimate_out
from kempen.experiments.variant_stats import VariantStats, Window, variant_stats
from kempen.kit.clock import utcnow
from kempen.models import Campaign
from kempen.stats import (
    AbResult,
    MeanArm,
    ProportionArm,
    analyse_means,
    analyse_proportions,
    compare_means,
    compare_proportions,
    mean_interval,
    proportion_interval,
    sample_ratio_mismatch,
)
from kempen.stats.srm import SrmResult
from kempen.tracking.settings import get_tracking_settings

Arm = ProportionArm | MeanArm
DEFAULT_METRIC = Metric.CLICK_RATE
RATE_COUNTS = {Metric.OPEN_RATE: "openers", Metric.CLICK_RATE: "clickers", Metric.CONVERSION_RATE: "converters"}
# Timestamps have microsecond resolution on both databases: "before until + 1 µs" is "at or before until".
_TICK = timedelta(microseconds=1)


def campaign_metric(campaign: Campaign) -> Metric:
    """The campaign's chosen metric (its automatic winner's), else the click rate."""
    try:
        return Metric(campaign.winner_metric) if campaign.winner_metric else DEFAULT_METRIC
    except ValueError:
        return DEFAULT_METRIC


def observation_end(launched_at: datetime, *, until: datetime, window_days: int) -> datetime:
    """Outcomes count up to `until`, and at most for the workspace's click window after launch."""
    return max(min(until, launched_at + timedelta(days=window_days)), launched_at)


def analyse_campaign(session: Session, *, workspace_id: int, campaign_id: int, metric: Metric | None = None,
                     until: datetime | None = None, confidence: float = 0.95) -> list[ExperimentOut]:
    """One analysis per message of the campaign that has two or more variants and has sent something.

    `until` is the moment the analysis looks from (default: now): only opens, clicks, orders and
    conversions at or before it count, and at most the workspace's click window after launch. Once an
    automatic winner was decided, only the test share (sent before the decision) is compared: the rest
    all got the winner, so they are no longer a random split.
    """
    campaign = campaigns.get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if campaign.launched_at is None:
        return []
    settings = get_tracking_settings(session, workspace_id=workspace_id)
    end = observation_end(campaign.launched_at, until=until or utcnow(), window_days=settings.click_window_days)
    window = Window(since=campaign.launched_at, until=end + _TICK, sent_before=campaign.winner_decided_at)
    found = variant_stats(session, workspace_id=workspace_id, campaign_id=campaign_id, window=window,
                          currency=settings.currency, exclude_machine=settings.exclude_machine_events)
    detail = campaigns.campaign_detail(session, workspace_id=workspace_id, campaign_id=campaign_id)
    chosen = metric or campaign_metric(campaign)
    results = []
    for message in detail.messages:
        stats = [found.get((message.id, v.id), VariantStats()) for v in message.variants]
        if len(stats) < 2 or not sum(s.recipients for s in stats):
            continue
        experiment = ExperimentOut(
            campaign_id=campaign_id, message_id=message.id, message_name=message.name, channel=message.channel,
            metric=chosen, confidence=confidence, since=campaign.launched_at, until=end, arms=[], comparisons=[],
            currency=settings.currency if chosen is Metric.REVENUE_PER_RECIPIENT else None, caption="")
        results.append(compare_variants(experiment, message, stats))
    return results


def analyse_at(session: Session, *, workspace_id: int, campaign_id: int, metric: Metric, now: datetime,
               confidence: float = 0.95) -> dict[int, ExperimentOut]:
    """What the automatic winner sees at `now`: per message id, its variants compared on `metric`."""
    found = analyse_campaign(session, workspace_id=workspace_id, campaign_id=campaign_id, metric=metric,
                             until=now, confidence=confidence)
    return {experiment.message_id: experiment for experiment in found}


def _arms(metric: Metric, stats: Sequence[VariantStats]) -> list[Arm]:
    if metric is Metric.REVENUE_PER_RECIPIENT:
        return [MeanArm(s.recipients, s.revenue, s.revenue_squares) for s in stats]
    field = RATE_COUNTS[metric]
    return [ProportionArm(s.recipients, int(getattr(s, field))) for s in stats]


def _read(arms: list[Arm], names: list[str], confidence: float) -> AbResult:
    users = [arm.n for arm in arms]
    if isinstance(arms[0], MeanArm):
        means = [arm for arm in arms if isinstance(arm, MeanArm)]
        return analyse_means(users, [a.total for a in means], [a.total_squares for a in means],
                             confidence=confidence, labels=names)
    rates = [arm for arm in arms if isinstance(arm, ProportionArm)]
    return analyse_proportions(users, [a.conversions for a in rates], confidence=confidence, labels=names)


def _srm(users: list[int], planned: list[float]) -> SrmResult | None:
    """The split check against the planned percentages (None where a planned share is not positive)."""
    if any(share <= 0 for share in planned):
        return None
    return sample_ratio_mismatch(users, planned)


def compare_variants(experiment: ExperimentOut, message: Message, stats: Sequence[VariantStats]) -> ExperimentOut:
    """Fill in an experiment's arms, comparisons, split check, leader, significance and caption."""
    metric, confidence = experiment.metric, experiment.confidence
    arms = _arms(metric, stats)
    names = [v.name for v in message.variants]
    result = _read(arms, names, confidence)
    planned = [float(v.split_percent) for v in message.variants]
    for index, (variant, arm) in enumerate(zip(message.variants, arms, strict=True)):
        value = (mean_interval(arm, confidence=confidence) if isinstance(arm, MeanArm)
                 else proportion_interval(arm, confidence=confidence))
        summary = result.variants[index]
        experiment.arms.append(ArmOut(
            variant_id=variant.id, name=variant.name, planned_percent=planned[index], recipients=arm.n,
            successes=arm.conversions if isinstance(arm, ProportionArm) else None,
            total=arm.total if isinstance(arm, MeanArm) else None,
            total_squares=arm.total_squares if isinstance(arm, MeanArm) else None,
            value=estimate_out(value), probability_best=summary.probability_best))
    for comparison in result.comparisons:
        variant = message.variants[comparison.variant]
        experiment.comparisons.append(ComparisonOut(
            variant_id=variant.id, name=variant.name, absolute=estimate_out(comparison.absolute),
            relative=estimate_out(comparison.relative), p_value=comparison.test.p_value,
            test=comparison.test.method, test_reason=comparison.test.reason))
    srm = _srm([arm.n for arm in arms], planned)
    experiment.srm_p_value = srm.p_value if srm else None
    experiment.srm_detected = bool(srm and srm.mismatch)
    leader = _leader(experiment)
    experiment.leader_variant_id = experiment.arms[leader].variant_id if leader is not None else None
    experiment.significant = leader is not None and _beats_all(experiment, arms, leader)
    experiment.caption = caption(experiment, leader)
    return experiment


def _leader(experiment: ExperimentOut) -> int | None:
    """The index of the best observed value (the earlier variant on a tie); None when nothing has a value."""
    values = [(arm.value.estimate, -index) for index, arm in enumerate(experiment.arms)
              if arm.value.estimate is not None]
    return -max(values)[1] if values else None


def _beats_all(experiment: ExperimentOut, arms: list[Arm], leader: int) -> bool:
    """The leader is ahead of every other variant with a two-sided p below 1 − confidence.

    Each pair is tested with the other variant as the reference; against the control that is exactly the
    reported comparison, so the leader's significance agrees with the table people read.
    """
    alpha = 1 - experiment.confidence
    best = experiment.arms[leader].value.estimate
    for index, arm in enumerate(experiment.arms):
        if index == leader:
            continue
        if arm.value.estimate is not None and best is not None and not arm.value.estimate < best:
            return False
        p_value = _pair_p_value(arms, reference=index, other=leader, confidence=experiment.confidence)
        if p_value is None or not p_value < alpha:
            return False
    return True


def _pair_p_value(arms: list[Arm], *, reference: int, other: int,
                  confidence: float) -> float | None:
    pair_of_means = [a for a in (arms[reference], arms[other]) if isinstance(a, MeanArm)]
    if len(pair_of_means) == 2:
        return compare_means(pair_of_means, confidence=confidence)[0].test.p_value
    pair_of_rates = [a for a in (arms[reference], arms[other]) if isinstance(a, ProportionArm)]
    return compare_proportions(pair_of_rates, confidence=confidence)[0].test.p_value
