"""Own-data summaries per channel and per campaign, several models side by side."""

from __future__ import annotations

from decimal import Decimal

from kempen.attribution.summary import summarise_own
from kempen.attribution.types import AttributionModel
from kempen.models import Channel
from kempen.models.tracking import TouchKind
from tests.attribution.conftest import T0, Shop, ago


def test_summary_adds_up_per_channel_and_campaign(shop: Shop) -> None:
    email, sms = shop.campaign("Spring email"), shop.campaign("Spring SMS", Channel.SMS)
    a, b, c = shop.contact(), shop.contact(), shop.contact()
    shop.touch(email, a, ago(days=2))
    shop.touch(sms, a, ago(hours=2))
    shop.order(a, T0, "100.00")
    shop.touch(email, b, ago(hours=3), TouchKind.OPEN)
    shop.order(b, T0, "50.00")
    shop.touch(sms, c, ago(hours=1))
    shop.order(c, T0, "30.00", currency="USD")
    shop.order(shop.contact(), T0, "10.00")  # nothing touched it
    shop.session.commit()
    summary = summarise_own(shop.session, workspace_id=shop.workspace_id, since=ago(days=10), until=T0 + (T0 - ago(hours=1)),
                            models=[AttributionModel.LAST_TOUCH, AttributionModel.FIRST_TOUCH, AttributionModel.MARKOV])
    assert (summary.conversions, summary.attributed, summary.other_currency) == (4, 3, 1)
    assert summary.value == Decimal("160.00") and summary.currency == "EUR"
    last = {r.label: (r.conversions, r.revenue) for r in summary.by_campaign[AttributionModel.LAST_TOUCH]}
    assert last == {"Spring SMS": (2.0, Decimal("100.00")), "Spring email": (1.0, Decimal("50.00"))}
    first = {r.key: (r.conversions, r.revenue) for r in summary.by_channel[AttributionModel.FIRST_TOUCH]}
    assert first == {"email": (2.0, Decimal("150.00")), "sms": (1.0, Decimal("0.00"))}
    markov = summary.by_channel[AttributionModel.MARKOV]
    assert sum(r.conversions for r in markov) == 3.0
