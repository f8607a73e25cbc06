"""Own-data attribution on hand-built fixtures: exact credits per model, windows, machine events, tenancy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from kempen.attribution.service import attribute_conversions
from kempen.attribution.types import AttributedCredit, AttributionModel
from kempen.kit.errors import InvalidInput
from kempen.models import OrderStatus
from kempen.models.tracking import TouchKind
from tests.attribution.conftest import T0, Shop, ago
from tests.conftest import Tenant, make_tenant

SINCE, UNTIL = ago(days=30), T0 + (T0 - ago(days=1))


def run(shop: Shop, model: AttributionModel | None = None, campaign_id: int | None = None) -> list[AttributedCredit]:
    shop.session.commit()
    return attribute_conversions(shop.session, workspace_id=shop.workspace_id, since=SINCE, until=UNTIL,
                                 model=model, campaign_id=campaign_id)


def by_campaign(credits: list[AttributedCredit]) -> dict[int, float]:
    out: dict[int, float] = {}
    for c in credits:
        out[c.campaign_id] = out.get(c.campaign_id, 0.0) + c.credit
    return out


@pytest.fixture
def three_touches(shop: Shop) -> tuple[Shop, list[int], str]:
    """A click 3 days before, an open 12 hours before and a click 1 hour before a 100 EUR order."""
    c1, c2, c3 = shop.campaign("c1"), shop.campaign("c2"), shop.campaign("c3")
    contact = shop.contact()
    shop.touch(c1, contact, ago(days=3))
    shop.touch(c2, contact, ago(hours=12), TouchKind.OPEN)
    shop.touch(c3, contact, ago(hours=1))
    key = shop.order(contact, T0, "100.00")
    return shop, [c1.campaign_id, c2.campaign_id, c3.campaign_id], key


@pytest.mark.parametrize(("model", "expected"), [
    (AttributionModel.LAST_TOUCH, (0.0, 0.0, 1.0)),
    (AttributionModel.FIRST_TOUCH, (1.0, 0.0, 0.0)),
    (AttributionModel.LINEAR, (1 / 3, 1 / 3, 1 / 3)),
    (AttributionModel.POSITION_BASED, (0.4, 0.2, 0.4)),
    # 2^(-age/7) for ages 3, 0.5 and 1/24 days: 0.742997, 0.951695, 0.995883, normalised by their sum 2.690575.
    (AttributionModel.TIME_DECAY, (0.276148, 0.353714, 0.370137)),
])
def test_rule_models_credit_the_touches_exactly(three_touches: tuple[Shop, list[int], str],
                                                model: AttributionModel, expected: tuple[float, ...]) -> None:
    shop, campaigns, key = three_touches
    credits = run(shop, model)
    got = by_campaign(credits)
    for campaign, share in zip(campaigns, expected, strict=True):
        assert got.get(campaign, 0.0) == pytest.approx(share, abs=1e-6)
    assert {c.conversion_key for c in credits} == {key}
    assert sum(c.revenue for c in credits) == pytest.approx(Decimal("100.00"), abs=Decimal("0.00001"))
    assert all(c.credit > 0 for c in credits)


def test_the_workspace_default_model_is_used_when_none_is_given(three_touches: tuple[Shop, list[int], str]) -> None:
    shop, campaigns, _ = three_touches
    assert by_campaign(run(shop)) == {campaigns[2]: 1.0}
    shop.settings(attribution_model="first_touch")
    assert by_campaign(run(shop)) == {campaigns[0]: 1.0}


def test_windows_exclude_an_old_click_and_an_old_open(shop: Shop) -> None:
    old_click, old_open, recent_click, recent_open = (shop.campaign(n) for n in ("oc", "oo", "rc", "ro"))
    contact = shop.contact()
    shop.touch(old_click, contact, ago(days=8))
    shop.touch(old_open, contact, ago(hours=25), TouchKind.OPEN)
    shop.touch(recent_click, contact, ago(days=6, hours=23))
    shop.touch(recent_open, contact, ago(hours=23), TouchKind.OPEN)
    shop.order(contact, T0)
    got = by_campaign(run(shop, AttributionModel.LINEAR))
    assert got == {recent_click.campaign_id: 0.5, recent_open.campaign_id: 0.5}


def test_windows_follow_the_workspace_settings(shop: Shop) -> None:
    sent = shop.campaign("c")
    contact = shop.contact()
    shop.touch(sent, contact, ago(days=8))
    shop.order(contact, T0)
    assert run(shop) == []
    shop.settings(click_window_days=10)
    assert by_campaign(run(shop)) == {sent.campaign_id: 1.0}


def test_touches_after_the_conversion_do_not_count(shop: Shop) -> None:
    before, after = shop.campaign("before"), shop.campaign("after")
    contact = shop.contact()
    shop.touch(before, contact, ago(hours=2))
    shop.touch(after, contact, T0 + (T0 - ago(minutes=5)))
    shop.order(contact, T0)
    assert by_campaign(run(shop, AttributionModel.LAST_TOUCH)) == {before.campaign_id: 1.0}


def test_machine_events_are_excluded_unless_the_setting_is_off(shop: Shop) -> None:
    human, machine = shop.campaign("human"), shop.campaign("machine")
    contact = shop.contact()
    shop.touch(human, contact, ago(hours=5))
    shop.touch(machine, contact, ago(hours=1), TouchKind.OPEN, machine=True)
    shop.order(contact, T0)
    assert by_campaign(run(shop)) == {human.campaign_id: 1.0}
    shop.settings(exclude_machine_events=False)
    assert by_campaign(run(shop)) == {machine.campaign_id: 1.0}


def test_only_paid_and_fulfilled_orders_in_the_period_count(shop: Shop) -> None:
    sent = shop.campaign("c")
    contact = shop.contact()
    shop.touch(sent, contact, ago(days=40))
    shop.touch(sent, contact, ago(hours=3))
    counted = {shop.order(contact, T0, status=OrderStatus.PAID), shop.order(contact, T0, status=OrderStatus.FULFILLED)}
    for status in (OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        shop.order(contact, T0, status=status)
    shop.order(contact, ago(days=35))  # before the period
    shop.order(contact, UNTIL)  # `until` is excluded
    assert {c.conversion_key for c in run(shop)} == counted


def test_other_workspaces_are_ignored(shop: Shop, session: Session, tenant: Tenant) -> None:
    sent = shop.campaign("mine")
    contact = shop.contact()
    shop.touch(sent, contact, ago(hours=2))
    mine = shop.order(contact, T0)
    other = Shop(session, make_tenant(session, tenant.client).id)
    theirs = other.campaign("theirs")
    their_contact = other.contact()
    other.touch(theirs, their_contact, ago(hours=1))
    other.order(their_contact, T0)
    # A stray event filed under the other workspace about my contact must not touch my order.
    other.touch(theirs, contact, ago(hours=1))
    credits = run(shop)
    assert [(c.conversion_key, c.campaign_id) for c in credits] == [(mine, sent.campaign_id)]


def test_a_conversion_through_a_tracked_link_counts_as_a_click(shop: Shop) -> None:
    opened, linked = shop.campaign("opened"), shop.campaign("linked")
    contact = shop.contact()
    shop.touch(opened, contact, ago(hours=3), TouchKind.OPEN)
    delivery = shop.delivery(linked, contact)
    key = shop.conversion(contact, T0, "40.00", delivery_id=delivery)
    credits = run(shop, AttributionModel.LINEAR)
    assert by_campaign(credits) == {opened.campaign_id: 0.5, linked.campaign_id: 0.5}
    assert {c.conversion_key for c in credits} == {key}
    assert sum(c.revenue for c in credits) == Decimal("40")


def test_a_link_click_already_recorded_is_not_counted_twice(shop: Shop) -> None:
    sent = shop.campaign("c")
    contact = shop.contact()
    shop.touch(sent, contact, ago(minutes=10))
    shop.conversion(contact, T0, delivery_id=shop.delivery(sent, contact))
    credits = run(shop, AttributionModel.LINEAR)
    assert len(credits) == 1 and credits[0].credit == 1.0


def test_a_conversion_row_of_an_order_is_not_a_second_conversion(shop: Shop) -> None:
    opened, linked = shop.campaign("opened"), shop.campaign("linked")
    contact = shop.contact()
    shop.touch(opened, contact, ago(hours=3), TouchKind.OPEN)
    order = shop.order(contact, T0, "80.00")
    shop.conversion(contact, T0, "80.00", delivery_id=shop.delivery(linked, contact), order_key=order)
    credits = run(shop, AttributionModel.LINEAR)
    assert {c.conversion_key for c in credits} == {order}
    assert by_campaign(credits) == {opened.campaign_id: 0.5, linked.campaign_id: 0.5}


def test_conversions_without_contact_or_touch_get_no_credit(shop: Shop) -> None:
    shop.campaign("c")
    shop.conversion(None, T0)
    shop.order(shop.contact(), T0)
    assert run(shop) == []


def test_money_in_another_currency_is_credited_without_revenue(shop: Shop) -> None:
    sent = shop.campaign("c")
    contact = shop.contact()
    shop.touch(sent, contact, ago(hours=1))
    shop.order(contact, T0, "50.00", currency="USD")
    [credit] = run(shop)
    assert credit.credit == 1.0 and credit.revenue == 0


def test_campaign_filter_keeps_the_split_over_every_campaign(three_touches: tuple[Shop, list[int], str]) -> None:
    shop, campaigns, _ = three_touches
    credits = run(shop, AttributionModel.LINEAR, campaign_id=campaigns[1])
    assert [c.campaign_id for c in credits] == [campaigns[1]]
    assert credits[0].credit == pytest.approx(1 / 3)


def test_markov_on_own_data_matches_the_worked_example(shop: Shop) -> None:
    """Paths c1 > c2 > conv, c1 > null, c2 > c3 > conv: removal effects c1 1/2, c2 1, c3 1/2.

    The first order splits 1/2 : 1 over c1, c2 (1/3, 2/3); the second 1 : 1/2 over c2, c3 (2/3, 1/3).
    """
    c1, c2, c3 = shop.campaign("c1"), shop.campaign("c2"), shop.campaign("c3")
    first, lost, second = shop.contact(), shop.contact(), shop.contact()
    shop.touch(c1, first, ago(days=2))
    shop.touch(c2, first, ago(days=1))
    one = shop.order(first, T0)
    shop.touch(c1, lost, ago(days=2))
    shop.touch(c2, second, ago(days=2))
    shop.touch(c3, second, ago(hours=5), TouchKind.OPEN)
    two = shop.order(second, T0, "60.00")
    credits = {(c.conversion_key, c.campaign_id): c for c in run(shop, AttributionModel.MARKOV)}
    assert credits[(one, c1.campaign_id)].credit == pytest.approx(1 / 3)
    assert credits[(one, c2.campaign_id)].credit == pytest.approx(2 / 3)
    assert credits[(two, c2.campaign_id)].credit == pytest.approx(2 / 3)
    assert credits[(two, c3.campaign_id)].revenue == Decimal("20.000000")
    assert len(credits) == 4


def test_an_empty_period_is_refused(shop: Shop) -> None:
    with pytest.raises(InvalidInput):
        attribute_conversions(shop.session, workspace_id=shop.workspace_id, since=T0, until=T0)
