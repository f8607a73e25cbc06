"""The universal holdout's report on hand-built rows, on both databases.

20 contacts created before the period; a seed is chosen so that exactly 4 of them (h1..h4) are held out
at 20 %; the other 16 (e1..e16) could receive marketing. The period runs 30 days from T0.

| contact | what happened                                                     | counts (report after the end) |
|---------|-------------------------------------------------------------------|-------------------------------|
| h1      | paid order 10 (+1 d)                                              | yes, 10                       |
| h2      | conversion row 20, no order (+2 d)                                | yes, 20                       |
| e1      | paid order 100 (+1 d), fulfilled order 50 (+20 d)                 | yes, 150                      |
| e2      | pending order 80 (+1 d)                                           | no                            |
| e3      | paid order 40 USD (+3 d)                                          | yes, 0 (not EUR)              |
| e4      | paid order 70 (+4 d) and a conversion row linked to it           | yes, 70 once                  |
| e5      | paid order 30 the day before the start                            | no                            |
| e6      | paid order 60 the day after the end                               | no                            |
| late    | created after the end, with a back-dated paid order 90 (+1 d)     | not a contact of the period   |
| other   | another workspace's contact with a paid order                     | ignored                       |

Held out: 4 contacts, 2 converted, revenue 30 (values 10, 20, 0, 0).
Exposed: 16 contacts, 3 converted, revenue 220 (values 150, 0, 70 and thirteen 0).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sqlalchemy.orm import Session

from kempen.experiments import universal_lift as ul
from kempen.experiments.universal_holdout import (
    HoldoutState,
    UniversalHoldoutSet,
    enable_universal_holdout,
    end_universal_holdout,
    in_holdout,
)
from kempen.models import Contact, Conversion, Order, OrderStatus
from tests.conftest import unique
from tests.delivery.conftest import new_workspace

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
END = T0 + 30 * DAY
HELD_VALUES = [10.0, 20.0, 0.0, 0.0]
EXPOSED_VALUES = [150.0, 0.0, 70.0] + [0.0] * 13


def _contact(session: Session, workspace_id: int, created_at: datetime) -> int:
    email = f"{unique('u')}@example.com"
    contact = Contact(workspace_id=workspace_id, email=email, email_normalized=email, created_at=created_at)
    session.add(contact)
    session.flush()
    return contact.id


def _order(session: Session, workspace_id: int, contact_id: int, amount: str, at: datetime,
           status: OrderStatus = OrderStatus.PAID, currency: str = "EUR") -> Order:
    order = Order(workspace_id=workspace_id, external_id=unique("o-"), contact_id=contact_id, placed_at=at,
                  amount=Decimal(amount), currency=currency, status=status)
    session.add(order)
    session.flush()
    return order


def _seed_holding_out(ids: list[int], count: int) -> int:
    """The first seed that holds out exactly `count` of `ids` at 20 %."""
    array = np.array(ids, dtype=np.int64)
    return next(seed for seed in range(1, 10_000) if in_holdout(seed, Decimal("20"), array).sum() == count)


@pytest.fixture
def arranged(session: Session) -> int:
    """The workspace of the module docstring, its holdout enabled at T0 for 30 days; returns its id."""
    ws = new_workspace(session)
    ids = [_contact(session, ws, T0 - 10 * DAY) for _ in range(20)]
    seed = _seed_holding_out(ids, 4)
    held = in_holdout(seed, Decimal("20"), np.array(ids, dtype=np.int64))
    h = [i for i, out in zip(ids, held, strict=True) if out]
    e = [i for i, out in zip(ids, held, strict=True) if not out]
    enable_universal_holdout(session, workspace_id=ws, actor="test",
                             data=UniversalHoldoutSet(percent=Decimal("20"), seed=seed, ends_at=END), now=T0)
    _order(session, ws, h[0], "10", T0 + DAY)
    session.add(Conversion(workspace_id=ws, contact_id=h[1], occurred_at=T0 + 2 * DAY, value=Decimal("20"),
                           currency="EUR"))
    _order(session, ws, e[0], "100", T0 + DAY)
    _order(session, ws, e[0], "50", T0 + 20 * DAY, status=OrderStatus.FULFILLED)
    _order(session, ws, e[1], "80", T0 + DAY, status=OrderStatus.PENDING)
    _order(session, ws, e[2], "40", T0 + 3 * DAY, currency="USD")
    linked = _order(session, ws, e[3], "70", T0 + 4 * DAY)
    session.add(Conversion(workspace_id=ws, contact_id=e[3], occurred_at=T0 + 4 * DAY, value=Decimal("70"),
                           currency="EUR", order_id=linked.id))
    _order(session, ws, e[4], "30", T0 - DAY)
    _order(session, ws, e[5], "60", END + DAY)
    _order(session, ws, _contact(session, ws, END + 10 * DAY), "90", T0 + DAY)
    other = new_workspace(session)
    _order(session, other, _contact(session, other, T0 - 10 * DAY), "500", T0 + DAY)
    session.commit()
    return ws


def test_report_after_the_end_matches_the_hand_checked_figures(session: Session, arranged: int) -> None:
    r = ul.universal_lift(session, workspace_id=arranged, now=END + 15 * DAY)
    assert (r.state, r.since, r.until, r.currency, r.held_out_now) == (HoldoutState.ENDED, T0, END, "EUR", 0)
    assert r.held_out is not None and r.exposed is not None and r.conversion is not None and r.revenue is not None
    assert (r.held_out.contacts, r.held_out.converted, r.held_out.revenue) == (4, 2, 30.0)
    assert (r.exposed.contacts, r.exposed.converted, r.exposed.revenue) == (16, 3, 220.0)
    assert (r.held_out.conversion_rate, r.exposed.conversion_rate) == (0.5, 0.1875)
    assert (r.held_out.revenue_per_contact, r.exposed.revenue_per_contact) == (7.5, 13.75)
    # Conversion rate: unpooled Wald interval and pooled z-test, worked out here from their formulas.
    z = scipy_stats.norm.isf(0.025)
    se = math.sqrt(0.5 * 0.5 / 4 + 0.1875 * 0.8125 / 16)
    assert r.conversion.difference.estimate == pytest.approx(-0.3125)
    assert (r.conversion.difference.low, r.conversion.difference.high) == pytest.approx(
        (-0.3125 - z * se, -0.3125 + z * se))
    pooled = math.sqrt(0.25 * 0.75 * (1 / 4 + 1 / 16))
    assert r.conversion.p_value == pytest.approx(2 * scipy_stats.norm.sf(0.3125 / pooled))
    assert r.conversion.relative.estimate == pytest.approx(0.1875 / 0.5 - 1)
    assert r.conversion.incremental.estimate == pytest.approx(-0.3125 * 16)
    # Revenue per contact: Welch's test and interval on the very values, per scipy.
    welch = scipy_stats.ttest_ind(EXPOSED_VALUES, HELD_VALUES, equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert r.revenue.difference.estimate == pytest.approx(6.25)
    assert (r.revenue.difference.low, r.revenue.difference.high) == pytest.approx((low, high))
    assert r.revenue.p_value == pytest.approx(welch.pvalue)
    # What marketing added: the per-contact difference over the 16 exposed contacts, interval scaled alike.
    assert r.revenue.incremental.estimate == pytest.approx(100.0)
    assert (r.revenue.incremental.low, r.revenue.incremental.high) == pytest.approx((16 * low, 16 * high))
    assert not r.enough_data and not r.significant and r.caption.startswith("Not enough data yet: 4 held-out")


def test_report_while_running_counts_up_to_now(session: Session, arranged: int) -> None:
    r = ul.universal_lift(session, workspace_id=arranged, now=T0 + 5 * DAY)
    assert (r.state, r.since, r.until, r.held_out_now) == (HoldoutState.RUNNING, T0, T0 + 5 * DAY, 4)
    assert r.held_out is not None and r.exposed is not None
    assert (r.held_out.converted, r.held_out.revenue) == (2, 30.0)
    assert (r.exposed.contacts, r.exposed.converted, r.exposed.revenue) == (16, 3, 170.0)  # e1's second order later


def test_report_ended_early_stops_at_the_end(session: Session, arranged: int) -> None:
    end_universal_holdout(session, workspace_id=arranged, actor="test", now=T0 + 10 * DAY)
    r = ul.universal_lift(session, workspace_id=arranged, now=END + DAY)
    assert r.until == T0 + 10 * DAY and r.exposed is not None and r.exposed.revenue == 170.0


def test_no_figures_while_off_or_scheduled(session: Session) -> None:
    ws = new_workspace(session)
    off = ul.universal_lift(session, workspace_id=ws, now=T0)
    assert off.state is HoldoutState.OFF and off.held_out is None and "is off" in off.caption
    enable_universal_holdout(session, workspace_id=ws, actor="t", data=UniversalHoldoutSet(starts_at=T0 + 3 * DAY),
                             now=T0)
    scheduled = ul.universal_lift(session, workspace_id=ws, now=T0)
    assert scheduled.state is HoldoutState.SCHEDULED and scheduled.conversion is None
    assert scheduled.caption.startswith("The universal holdout starts on 05 Mar 2026")


def _report(held: ul.GroupStats, exposed: ul.GroupStats) -> ul.UniversalLiftOut:
    conversion, revenue = ul.compare_groups(held, exposed, confidence=0.95)
    report = ul.UniversalLiftOut(
        state=HoldoutState.RUNNING, percent=Decimal("5"), starts_at=T0, ends_at=None, since=T0, until=END,
        confidence=0.95, currency="EUR", held_out_now=held.contacts, held_out=ul._group_out(held),
        exposed=ul._group_out(exposed), conversion=conversion, revenue=revenue,
        enough_data=ul.has_enough_data(held, exposed),
        significant=conversion.p_value is not None and conversion.p_value < 0.05, caption="")
    return report


def test_captions_say_what_the_figures_mean() -> None:
    # 5,000 held out converting at 4 %, 95,000 exposed at 5 %, revenue 2 and 2.6 per contact.
    held = ul.GroupStats(5_000, 200, 10_000.0, 10_000.0 * 100)
    exposed = ul.GroupStats(95_000, 4_750, 247_000.0, 247_000.0 * 60)
    text = ul.caption(_report(held, exposed))
    assert text.startswith("Contacts who could receive marketing converted 1.0 points more often than the "
                           "held-out group (+25%, p = 0.0015); marketing added about EUR 57,000 of revenue (95% "
                           "interval "), text
    close = ul.caption(_report(ul.GroupStats(100, 5, 0.0, 0.0), ul.GroupStats(1_900, 100, 0.0, 0.0)))
    assert close.startswith("No clear difference yet: contacts who could receive marketing converted 0.3 points "
                            "more often"), close


def test_split_groups_ignores_converters_outside_the_population() -> None:
    ids = np.array([2, 4, 6, 8], dtype=np.int64)
    held = np.array([True, False, False, True])
    held_stats, exposed_stats = ul.split_groups(ids, held, np.array([1, 4, 8, 9], dtype=np.int64),
                                                np.array([5.0, 3.0, 2.0, 7.0]))
    assert held_stats == ul.GroupStats(2, 1, 2.0, 4.0)
    assert exposed_stats == ul.GroupStats(2, 1, 3.0, 9.0)
    empty = ul.split_groups(ids[:0], held[:0], np.array([1], dtype=np.int64), np.array([1.0]))
    assert empty == (ul.GroupStats(), ul.GroupStats())
