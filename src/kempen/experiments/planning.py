"""Planning an A/B test before launch: who the campaign's audience gives each variant, and whether that is enough.

The audience is the segment's contacts now who are reachable on the tested message's channel, less the
campaign's holdout share and, with an automatic winner, only its test share. It is an estimate: send-time
rules (frequency cap, suppressions added later) and the universal holdout take a few more out at launch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from kempen.campaigns import service as campaigns
from kempen.campaigns.schemas import Message
from kempen.experiments.analysis import campaign_metric
from kempen.experiments.schemas import Metric
from kempen.kit.errors import KempenError
from kempen.segments import preview as segment_preview
from kempen.stats import SampleSize, StatsInputError
from kempen.stats.detectable import detectable_rate


@dataclass(frozen=True)
class TestAudience:
    """What the campaign would give its A/B test if it launched now."""

    __test__ = False  # not a pytest class

    metric: Metric
    message_name: str | None  # the message with the most variants; None without messages
    channel: str
    variant_names: tuple[str, ...]
    splits: tuple[int, ...]  # planned percent per variant (50/50 when the message has one variant)
    has_test: bool  # some message has two or more variants
    segment_name: str | None
    contacts: int | None  # the segment's members now; None without a segment
    reachable: int | None  # of them, reachable on the channel
    holdout_percent: Decimal
    test_percent: int | None  # the automatic winner's test share; None without one
    problem: str | None = None  # why the segment could not be counted

    @property
    def recipients(self) -> int | None:
        """Who the variants go to: reachable, less the holdout, times the test share."""
        if self.reachable is None:
            return None
        share = (1 - self.holdout_percent / 100) * Decimal(self.test_percent or 100) / 100
        return int(self.reachable * share)


def _tested_message(messages: list[Message]) -> Message | None:
    """The message whose variants the test is about: the one with most variants (the first on a tie)."""
    return max(messages, key=lambda m: len(m.variants), default=None)


def test_audience(session: Session, *, workspace_id: int, campaign_id: int) -> TestAudience:
    """The campaign's planned test: its variants and splits, and who its segment gives them now."""
    campaign = campaigns.get_campaign_or_raise(session, workspace_id=workspace_id, campaign_id=campaign_id)
    detail = campaigns.campaign_detail(session, workspace_id=workspace_id, campaign_id=campaign_id)
    message = _tested_message(detail.messages)
    variants = message.variants if message else []
    has_test = len(variants) >= 2
    channel = message.channel.value if message else "email"
    contacts = reachable = None
    problem = None
    if campaign.segment_id is not None:
        try:
            found = segment_preview.preview_segment(session, workspace_id, campaign.segment_id, sample_size=0)
            contacts, reachable = found.count, getattr(found.reachable, channel, found.count)
        except KempenError as exc:
            problem = exc.detail
    return TestAudience(
        metric=campaign_metric(campaign), message_name=message.name if message else None, channel=channel,
        variant_names=tuple(v.name for v in variants) if has_test else ("A", "B"),
        splits=tuple(v.split_percent for v in variants) if has_test else (50, 50), has_test=has_test,
        segment_name=detail.segment_name, contacts=contacts, reachable=reachable,
        holdout_percent=Decimal(campaign.holdout_percent or 0),
        test_percent=campaign.winner_test_percent if campaign.winner_metric else None, problem=problem)


@dataclass(frozen=True)
class TestPlan:
    """The sample size asked for against what the audience gives each variant."""

    __test__ = False

    size: SampleSize
    available: tuple[int, ...] | None  # recipients per variant the audience gives
    enough: bool | None  # every variant gets what it needs; None without an audience
    detectable: float | None  # with the audience: the rate the weakest comparison can tell from the baseline


def split_recipients(recipients: int, splits: tuple[int, ...]) -> tuple[int, ...]:
    """Recipients per variant by the planned percentages (floors, as a launch gives within one contact)."""
    total = sum(splits)
    return tuple(recipients * share // total for share in splits)


def plan_test(size: SampleSize, *, baseline: float | None, recipients: int | None,
              splits: tuple[int, ...]) -> TestPlan:
    """Compare the sample size with the audience, and say what the audience could detect."""
    if recipients is None or len(splits) != len(size.per_variant):
        return TestPlan(size, None, None, None)
    available = split_recipients(recipients, splits)
    enough = all(have >= need for have, need in zip(available, size.per_variant, strict=True))
    detectable = None
    if baseline is not None and 0 < baseline < 1 and min(available) >= 1:
        try:
            detectable = max(detectable_rate(baseline, available[0], other, alpha=size.alpha, power=size.power)
                             for other in available[1:])
        except StatsInputError:
            detectable = None
    return TestPlan(size, available, enough, detectable)
