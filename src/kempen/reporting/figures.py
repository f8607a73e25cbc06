"""Turn counts, attributed revenue and costs into a report row: rates, ROI, ROAS and cost per acquisition.

Every ratio is None (shown as "—") when its denominator is zero: nothing is ever divided by zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from kempen.attribution.types import AttributedCredit
from kempen.reporting.metrics import Counts
from kempen.reporting.schemas import Figures

CENT = Decimal("0.01")


@dataclass
class Money:
    """What a group earned (attributed) and cost."""

    conversions: float = 0.0
    revenue: Decimal = field(default_factory=Decimal)
    spend: Decimal = field(default_factory=Decimal)
    message_cost: Decimal = field(default_factory=Decimal)
    budget: Decimal | None = None


def ratio(part: float | Decimal, whole: float | Decimal) -> float | None:
    """part / whole, or None when whole is zero."""
    return None if not whole else float(part) / float(whole)


def credited(credits: Iterable[AttributedCredit],
             key: Callable[[AttributedCredit], Hashable | None]) -> dict[Hashable, tuple[float, Decimal]]:
    """Sum conversions (credit shares) and revenue per key; credits whose key is None are left out."""
    sums: dict[Hashable, list[float | Decimal]] = defaultdict(lambda: [0.0, Decimal("0")])
    for credit in credits:
        k = key(credit)
        if k is None:
            continue
        sums[k][0] = float(sums[k][0]) + credit.credit
        sums[k][1] = Decimal(sums[k][1]) + credit.revenue
    return {k: (float(v[0]), Decimal(v[1])) for k, v in sums.items()}


def make_figures(key: str, label: str, counts: Counts, money: Money, holdout: int = 0) -> Figures:
    """Build one report row with its derived figures."""
    delivered = counts.sent - counts.bounced
    cost = (money.spend + money.message_cost).quantize(CENT, ROUND_HALF_UP)
    revenue = money.revenue.quantize(CENT, ROUND_HALF_UP)
    conversions = round(money.conversions, 4)
    return Figures(
        key=key, label=label, audience=counts.deliveries + holdout, holdout=holdout,
        deliveries=counts.deliveries, skipped=counts.skipped, failed=counts.failed, sent=counts.sent, delivered=delivered,
        bounced=counts.bounced, hard_bounced=counts.hard_bounced, soft_bounced=counts.bounced - counts.hard_bounced,
        opens=counts.opens, clicks=counts.clicks, machine_opens=counts.machine_opens,
        machine_clicks=counts.machine_clicks, unsubscribes=counts.unsubscribes, complaints=counts.complaints,
        conversions=conversions, revenue=revenue, spend=money.spend.quantize(CENT, ROUND_HALF_UP),
        message_cost=money.message_cost.quantize(CENT, ROUND_HALF_UP), cost=cost, budget=money.budget,
        open_rate=ratio(counts.opens, delivered), click_rate=ratio(counts.clicks, delivered),
        click_to_open_rate=ratio(counts.clicks, counts.opens), bounce_rate=ratio(counts.bounced, counts.sent),
        unsubscribe_rate=ratio(counts.unsubscribes, delivered),
        roi=ratio(revenue - cost, cost), roas=ratio(revenue, cost),
        cost_per_acquisition=(None if not conversions else (cost / Decimal(str(conversions))).quantize(
            CENT, ROUND_HALF_UP)),
    )
