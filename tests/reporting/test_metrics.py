"""Every figure of the hand-built campaign (tests/reporting/conftest.py), checked exactly on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit
from kempen.reporting.report import ReportFilters, campaign_report, workspace_rows
from kempen.reporting.schemas import Figures
from kempen.tracking.settings import get_tracking_settings
from tests.reporting.conftest import LAUNCH, Built, add_segment

NOW = datetime(2026, 3, 20, tzinfo=UTC)


def by_key(rows: list[Figures]) -> dict[str, Figures]:
    return {row.key: row for row in rows}


def test_campaign_totals_count_deliveries_not_events(session: Session, built: Built,
                                                       credits: list[AttributedCredit]) -> None:
    t = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id, now=NOW).totals
    assert (t.audience, t.holdout, t.deliveries, t.skipped, t.failed, t.sent) == (12, 1, 11, 1, 1, 9)
    # Bounced messages were sent but not delivered; the synchronous refusal (c9) was never sent.
    assert (t.bounced, t.hard_bounced, t.soft_bounced, t.delivered) == (2, 1, 1, 7)
    # Machine events excluded by default: c2's proxy open and c6's scanner click are counted apart.
    assert (t.opens, t.clicks, t.machine_opens, t.machine_clicks) == (4, 2, 1, 1)
    assert (t.unsubscribes, t.complaints) == (1, 1)
    assert t.open_rate == pytest.approx(4 / 7) and t.click_rate == pytest.approx(2 / 7)
    assert t.click_to_open_rate == pytest.approx(0.5) and t.bounce_rate == pytest.approx(2 / 9)
    assert t.unsubscribe_rate == pytest.approx(1 / 7)


def test_money_roi_roas_and_cost_per_acquisition(session: Session, built: Built,
                                                  credits: list[AttributedCredit]) -> None:
    t = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id, now=NOW).totals
    # 7 emails sent x 0.01 + spend 10 (email) + 20 (paid search); SMS cost nothing per message.
    assert (t.message_cost, t.spend, t.cost) == (Decimal("0.07"), Decimal("30.00"), Decimal("30.07"))
    assert (t.conversions, t.revenue) == (2.0, Decimal("150.00"))
    assert t.roi == pytest.approx((150 - 30.07) / 30.07) and t.roas == pytest.approx(150 / 30.07)
    assert t.cost_per_acquisition == Decimal("15.04")  # 30.07 / 2 = 15.035, rounded half up
    assert t.budget == Decimal("40.00")


def test_per_channel_includes_paid_channels_and_zero_cost_roi_is_undefined(
        session: Session, built: Built, credits: list[AttributedCredit]) -> None:
    report = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id, now=NOW)
    rows = by_key(report.channels)
    assert set(rows) == {"email", "sms", "paid_search"}
    email, sms, paid = rows["email"], rows["sms"], rows["paid_search"]
    assert (email.sent, email.delivered, email.opens, email.clicks, email.cost) == (7, 5, 3, 1, Decimal("10.07"))
    assert (email.conversions, email.revenue, email.budget) == (1.5, Decimal("125.00"), Decimal("15.00"))
    # SMS: a click counts as an open; nothing was spent, so ROI and ROAS have no value (never a division by 0).
    assert (sms.sent, sms.opens, sms.clicks, sms.cost, sms.revenue) == (2, 1, 1, Decimal("0.00"), Decimal("25.00"))
    assert sms.roi is None and sms.roas is None and sms.cost_per_acquisition == Decimal("0.00")
    assert (paid.sent, paid.cost, paid.revenue, paid.roi, paid.audience) == (0, Decimal("20.00"), 0, -1.0, 0)
    budget = {line.channel: line for line in report.budget}
    assert budget["email"].variance == Decimal("-4.93") and budget["paid_search"].variance == Decimal("-5.00")


def test_per_variant(session: Session, built: Built, credits: list[AttributedCredit]) -> None:
    report = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id, now=NOW)
    rows = {row.label: row for row in report.variants}
    assert set(rows) == {"Newsletter · A", "Newsletter · B", "Text · S"}
    a, b = rows["Newsletter · A"], rows["Newsletter · B"]
    assert (a.deliveries, a.skipped, a.sent, a.delivered, a.opens, a.clicks, a.machine_opens) == (5, 1, 4, 3, 2, 1, 1)
    assert (a.unsubscribes, a.revenue, a.conversions, a.cost) == (1, Decimal("125.00"), 1.5, Decimal("0.04"))
    assert (b.deliveries, b.failed, b.sent, b.delivered, b.opens, b.clicks, b.machine_clicks) == (4, 1, 3, 2, 1, 0, 1)
    assert (b.complaints, b.soft_bounced, b.click_to_open_rate, b.revenue, b.roi) == (1, 1, 0.0, 0, -1.0)


def test_machine_events_count_when_the_workspace_says_so(session: Session, built: Built,
                                                          credits: list[AttributedCredit]) -> None:
    get_tracking_settings(session, workspace_id=built.workspace_id).exclude_machine_events = False
    session.commit()
    report = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id, now=NOW)
    assert not report.machine_excluded
    assert (report.totals.opens, report.totals.clicks) == (5, 3)


def test_time_series_hourly_then_daily(session: Session, built: Built, credits: list[AttributedCredit]) -> None:
    series = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id,
                             now=NOW).series
    points = {p.start.strftime("%m-%d %H:%M"): p for p in series}
    assert points["03-01 10:00"].sent == 9 and points["03-01 10:00"].bucket == "hour"
    assert (points["03-01 11:00"].opens, points["03-01 12:00"].clicks) == (1, 1)  # c1's first open; c1's SMS click
    assert points["03-01 12:00"].opens == 1 and points["03-01 13:00"].clicks == 1
    assert points["03-01 12:00"].bounces == 1 and points["03-01 15:00"].unsubscribes == 1
    assert points["03-01 14:00"].conversions == 1.0 and points["03-01 14:00"].revenue == Decimal("100.00")
    # +100 h is after the hourly part (until the first midnight 72 h after launch: 5 March): a daily bucket.
    assert points["03-05 00:00"].bucket == "day"
    assert "03-05 14:00" not in points
    assert points["03-06 00:00"].conversions == 1.0 and points["03-06 00:00"].revenue == Decimal("50.00")
    assert sum(p.opens for p in series) == 4 and sum(p.sent for p in series) == 9


def test_segment_breakdown_of_a_campaign(session: Session, built: Built, credits: list[AttributedCredit]) -> None:
    segment = add_segment(session, built.workspace_id)  # c1..c4 live in NL
    report = campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id,
                             segment_id=segment.id, now=NOW)
    rows = by_key(report.segment_breakdown)
    inside, outside = rows["in"], rows["out"]
    assert (inside.deliveries, inside.sent, inside.opens, inside.clicks, inside.holdout) == (6, 6, 3, 2, 0)
    assert (outside.deliveries, outside.sent, outside.opens, outside.holdout) == (5, 3, 1, 1)
    assert (inside.revenue, outside.revenue) == (Decimal("150.00"), 0)


def test_workspace_tables_per_channel_campaign_and_segment(session: Session, built: Built,
                                                           credits: list[AttributedCredit]) -> None:
    filters = ReportFilters(since=datetime(2026, 1, 1, tzinfo=UTC), until=NOW)
    rows, _, _ = workspace_rows(session, workspace_id=built.workspace_id, group="channel", filters=filters)
    assert by_key(rows)["email"].opens == 3 and by_key(rows)["paid_search"].cost == Decimal("20.00")
    campaigns, _, _ = workspace_rows(session, workspace_id=built.workspace_id, group="campaign", filters=filters)
    assert [(r.label, r.audience, r.revenue) for r in campaigns] == [("Spring", 12, Decimal("150.00"))]
    segments, _, _ = workspace_rows(session, workspace_id=built.workspace_id, group="segment", filters=filters)
    assert [(r.label, r.sent) for r in segments] == [("No segment", 9)]
    only_sms = ReportFilters(since=filters.since, until=NOW, channel="sms")
    rows, _, _ = workspace_rows(session, workspace_id=built.workspace_id, group="channel", filters=only_sms)
    assert [(r.key, r.sent, r.revenue) for r in rows] == [("sms", 2, Decimal("25.00"))]
    later = ReportFilters(since=LAUNCH.replace(month=4), until=NOW.replace(month=5))
    assert workspace_rows(session, workspace_id=built.workspace_id, group="channel", filters=later)[0] == []


def test_another_workspace_sees_nothing(session: Session, built: Built, other_tenant: object,
                                        credits: list[AttributedCredit]) -> None:
    from kempen.kit.errors import NotFound

    other_id = other_tenant.id  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        campaign_report(session, workspace_id=other_id, campaign_id=built.campaign_id, now=NOW)
    filters = ReportFilters(since=datetime(2026, 1, 1, tzinfo=UTC), until=NOW)
    assert workspace_rows(session, workspace_id=other_id, group="channel", filters=filters)[0] == []
