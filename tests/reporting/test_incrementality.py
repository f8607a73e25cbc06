"""Holdout incrementality on hand-built rows, on both databases: the groups' sums and the statistics over them.

On top of tests/reporting/conftest.py's campaign (treated c1..c9, c5 skipped and c9 failed kept in; c10 in
the holdout), holdout members h1..h3 and a contact x whose only delivery was cancelled. Window 7 days.

| contact | what happened                                                                 | counts        |
|---------|-------------------------------------------------------------------------------|---------------|
| c1      | paid order 100 (+1 d), fulfilled order 50 (+2 d)                              | yes, 150      |
| c2      | pending order 80; conversion row 20 (+3 d)                                    | yes, 20       |
| c3      | paid order 30 an hour before launch, paid order 40 an hour after the window  | no            |
| c4      | paid order 60 USD (+1 d)                                                      | yes, 0 (USD)  |
| c6      | paid order 70 and a conversion row linked to it                               | yes, 70 once  |
| x       | cancelled delivery; paid order 90                                            | not treated   |
| c10     | paid order 25 (+1 d)                                                          | yes, 25       |
| h1      | conversion row 10 (+6 d)                                                      | yes, 10       |
| other   | another workspace's contact with an order                                    | ignored       |
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.models import (
    CampaignHoldoutMember,
    Contact,
    Conversion,
    Delivery,
    DeliveryStatus,
    Order,
    OrderStatus,
)
from kempen.reporting import incrementality, report
from kempen.reporting.incrementality import GroupStats
from kempen.stats import MeanArm, ProportionArm, compare_means, compare_proportions
from kempen.tracking.settings import get_tracking_settings
from tests.conftest import Tenant, unique
from tests.reporting.conftest import LAUNCH, Built, build_campaign
from tests.web.conftest import LoggedIn, logged_in  # noqa: F401  (fixture)

NOW = LAUNCH + timedelta(days=30)
WINDOW = timedelta(days=7)


def _contact(session: Session, workspace_id: int) -> int:
    email = f"{unique('h')}@example.com"
    contact = Contact(workspace_id=workspace_id, email=email, email_normalized=email)
    session.add(contact)
    session.flush()
    return contact.id


def _order(session: Session, workspace_id: int, contact_id: int, amount: str, at: timedelta,
           status: OrderStatus = OrderStatus.PAID, currency: str = "EUR") -> Order:
    order = Order(workspace_id=workspace_id, external_id=unique("o-"), contact_id=contact_id,
                  placed_at=LAUNCH + at, amount=Decimal(amount), currency=currency, status=status)
    session.add(order)
    session.flush()
    return order


def _conversion(session: Session, workspace_id: int, contact_id: int, value: str, at: timedelta,
                order_id: int | None = None) -> None:
    session.add(Conversion(workspace_id=workspace_id, contact_id=contact_id, occurred_at=LAUNCH + at,
                           value=Decimal(value), currency="EUR", order_id=order_id))


def add_outcomes(session: Session, b: Built, other: Tenant) -> None:
    """The orders, conversions and extra holdout members of the module docstring."""
    ws, c = b.workspace_id, b.contacts
    get_tracking_settings(session, workspace_id=ws).click_window_days = 7
    for _ in range(3):
        session.add(CampaignHoldoutMember(workspace_id=ws, campaign_id=b.campaign_id,
                                          contact_id=_contact(session, ws)))
    x = _contact(session, ws)
    session.add(Delivery(workspace_id=ws, campaign_id=b.campaign_id, message_id=b.messages["Newsletter"],
                         variant_id=b.variants["A"], contact_id=x, channel="email",
                         status=DeliveryStatus.CANCELLED))
    day = timedelta(days=1)
    _order(session, ws, c["c1"], "100.00", day)
    _order(session, ws, c["c1"], "50.00", 2 * day, OrderStatus.FULFILLED)
    _order(session, ws, c["c2"], "80.00", day, OrderStatus.PENDING)
    _conversion(session, ws, c["c2"], "20.00", 3 * day)
    _order(session, ws, c["c3"], "30.00", -timedelta(hours=1))
    _order(session, ws, c["c3"], "40.00", WINDOW + timedelta(hours=1))
    _order(session, ws, c["c4"], "60.00", day, currency="USD")
    linked = _order(session, ws, c["c6"], "70.00", day)
    _conversion(session, ws, c["c6"], "70.00", day, order_id=linked.id)
    _order(session, ws, x, "90.00", day)
    _order(session, ws, c["c10"], "25.00", day)
    h1 = next(cid for (cid,) in session.query(CampaignHoldoutMember.contact_id).filter_by(campaign_id=b.campaign_id)
              if cid != c["c10"])
    _conversion(session, ws, h1, "10.00", 6 * day)
    stranger = _contact(session, other.id)
    _order(session, other.id, stranger, "500.00", day)
    session.commit()


@pytest.fixture
def outcomes(session: Session, tenant: Tenant, other_tenant: Tenant) -> Built:
    b = build_campaign(session, tenant.id)
    add_outcomes(session, b, other_tenant)
    return b


def test_group_sums_are_exact(session: Session, outcomes: Built) -> None:
    found = incrementality.group_stats(session, workspace_id=outcomes.workspace_id, campaign_id=outcomes.campaign_id,
                                       since=LAUNCH, until=LAUNCH + WINDOW, currency="EUR")
    assert found["treated"] == GroupStats(contacts=9, converted=4, revenue=240.0,
                                          revenue_squares=150.0**2 + 20.0**2 + 70.0**2)
    assert found["holdout"] == GroupStats(contacts=4, converted=2, revenue=35.0, revenue_squares=25.0**2 + 10.0**2)


def test_report_block_matches_the_statistics(session: Session, outcomes: Built) -> None:
    found = report.campaign_report(session, workspace_id=outcomes.workspace_id, campaign_id=outcomes.campaign_id,
                                   now=NOW)
    inc = found.incrementality
    assert inc is not None and inc.since == LAUNCH and inc.until == LAUNCH + WINDOW
    expected = compare_proportions([ProportionArm(4, 2), ProportionArm(9, 4)])[0]
    assert inc.rate_difference.estimate == pytest.approx(4 / 9 - 2 / 4)
    assert (inc.rate_difference.low, inc.rate_difference.high) == (expected.absolute.low, expected.absolute.high)
    assert (inc.rate_lift.estimate, inc.rate_lift.low) == (expected.relative.estimate, expected.relative.low)
    assert inc.rate_p_value == expected.test.p_value
    means = compare_means([MeanArm(4, 35.0, 725.0), MeanArm(9, 240.0, 27800.0)])[0]
    assert inc.revenue_difference.estimate == pytest.approx(240 / 9 - 35 / 4)
    assert inc.revenue_p_value == pytest.approx(means.test.p_value)
    assert inc.incremental_conversions.estimate == pytest.approx((4 / 9 - 2 / 4) * 9)
    assert inc.incremental_conversions.high == pytest.approx(expected.absolute.high * 9)  # type: ignore[operator]
    assert inc.incremental_revenue.estimate == pytest.approx(240 - 35 / 4 * 9)
    assert inc.cost == found.totals.cost == 0  # no costs in this workspace: ROI undefined, with the reason
    assert inc.incremental_roi.estimate is None and inc.incremental_roi.reason


def test_roi_uses_the_campaign_cost(session: Session, outcomes: Built) -> None:
    get_tracking_settings(session, workspace_id=outcomes.workspace_id).email_cost_per_message = Decimal("2")
    session.commit()
    found = report.campaign_report(session, workspace_id=outcomes.workspace_id, campaign_id=outcomes.campaign_id,
                                   now=NOW)
    inc = found.incrementality
    assert inc is not None and inc.cost == found.totals.cost == Decimal("14")  # 7 emails sent × 2
    revenue = 240 - 35 / 4 * 9
    assert inc.incremental_roi.estimate == pytest.approx((revenue - 14) / 14)
    assert inc.incremental_roi.low == pytest.approx((inc.incremental_revenue.low - 14) / 14)  # type: ignore[operator]


def test_window_stops_at_now(session: Session, outcomes: Built) -> None:
    found = report.campaign_report(session, workspace_id=outcomes.workspace_id, campaign_id=outcomes.campaign_id,
                                   now=LAUNCH + timedelta(days=2))
    inc = found.incrementality
    assert inc is not None and inc.until == LAUNCH + timedelta(days=2)
    assert (inc.treated.converted, inc.treated.revenue) == (3, 170.0)  # c1 100 (its +2 d order is at the end: out), c4 USD, c6 70
    assert (inc.holdout.converted, inc.holdout.revenue) == (1, 25.0)


def test_none_without_a_holdout(session: Session, tenant: Tenant) -> None:
    b = build_campaign(session, tenant.id)
    session.query(CampaignHoldoutMember).filter_by(campaign_id=b.campaign_id).delete()
    session.commit()
    found = report.campaign_report(session, workspace_id=b.workspace_id, campaign_id=b.campaign_id, now=NOW)
    assert found.incrementality is None
    assert "incrementality" in found.model_dump() and found.model_dump()["incrementality"] is None


def test_undefined_figures_carry_a_reason() -> None:
    nobody = GroupStats(contacts=5)
    result = incrementality.analyse(nobody, GroupStats(contacts=1), cost=Decimal("1"), since=LAUNCH, until=NOW)
    assert result.rate_difference.estimate == 0 and result.rate_difference.reason
    assert result.rate_lift.estimate is None and result.rate_lift.reason
    assert result.revenue_difference.estimate is None and "at least 2" in (result.revenue_difference.reason or "")
    assert result.incremental_roi.estimate is None and result.incremental_roi.reason


def test_performance_page_shows_the_section(logged_in: LoggedIn, outcomes: Built) -> None:  # noqa: F811
    html = logged_in.client.get(f"/campaigns/{outcomes.campaign_id}/performance").text
    assert 'id="incrementality"' in html
    groups = html.split('id="incrementality-groups"', 1)[1].split("</table>", 1)[0]
    treated = groups.split('data-key="treated"', 1)[1].split("</tr>", 1)[0]
    assert 'data-field="contacts">9<' in treated and 'data-field="revenue">240.00<' in treated
    assert 'data-field="conversion_rate">44.4 %<' in treated
    table = html.split('id="incrementality-table"', 1)[1].split("</table>", 1)[0]
    assert "-5.6 points" in table and "+161.25" in table  # rate difference; incremental revenue 240 − 8.75 × 9
    assert "no cost" in table  # ROI undefined: the reason is shown


def test_performance_page_without_holdout_has_no_section(logged_in: LoggedIn, tenant: Tenant,  # noqa: F811
                                                         session: Session) -> None:
    b = build_campaign(session, tenant.id)
    session.query(CampaignHoldoutMember).filter_by(campaign_id=b.campaign_id).delete()
    session.commit()
    html = logged_in.client.get(f"/campaigns/{b.campaign_id}/performance").text
    assert 'id="performance-heading"' in html and 'id="incrementality"' not in html


def test_cli_text_shows_the_section(tenant: Tenant, outcomes: Built) -> None:
    result = CliRunner().invoke(app, ["report", "campaign", str(outcomes.campaign_id), "--workspace",
                                      tenant.workspace.slug], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Incrementality" in result.output and "9 / 4 / 44.4 % / 26.67" in result.output, result.output
    assert "-5.6 (" in result.output and "+161.25 (" in result.output, result.output
    assert "no cost" in result.output  # the reason ROI is undefined
