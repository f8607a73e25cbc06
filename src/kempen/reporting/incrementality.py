"""Holdout incrementality: treated vs holdout conversion rate and revenue per contact, the lift and its value.

Groups: the treated are the contacts with a delivery of the campaign in any status but "cancelled" (intent
to treat: the holdout is drawn from the audience before send-time rules, so skipped and failed recipients
stay in, as their like stay in the holdout); the holdout is `campaign_holdout_members`. Conversions and
revenue are `experiments.outcomes.contact_outcomes` (the A/B analysis uses the same definition) in
[launched_at, launched_at + click window).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from kempen.experiments.outcomes import GroupStats, contact_outcomes
from kempen.experiments.schemas import estimate_out
from kempen.models import CampaignHoldoutMember, Delivery, DeliveryStatus
from kempen.reporting.schemas import EstimateOut, GroupOutcome, Incrementality
from kempen.stats import MeanArm, ProportionArm, compare_means, compare_proportions

TREATED, HOLDOUT = "treated", "holdout"


def group_stats(session: Session, *, workspace_id: int, campaign_id: int, since: datetime, until: datetime,
                currency: str) -> dict[str, GroupStats]:
    """Per group, in one query: contacts, how many converted in [since, until), revenue sum and sum of squares."""
    per_contact = contact_outcomes(workspace_id=workspace_id, since=since, until=until, currency=currency)
    treated = select(literal(TREATED).label("grp"), Delivery.contact_id.label("contact_id")).where(
        Delivery.workspace_id == workspace_id, Delivery.campaign_id == campaign_id,
        Delivery.status != DeliveryStatus.CANCELLED).distinct()
    holdout = select(literal(HOLDOUT), CampaignHoldoutMember.contact_id).where(
        CampaignHoldoutMember.workspace_id == workspace_id, CampaignHoldoutMember.campaign_id == campaign_id)
    groups = union_all(treated, holdout).subquery("groups")
    revenue = func.coalesce(per_contact.c.revenue, 0)
    stmt = (select(groups.c.grp, func.count(), func.count(per_contact.c.contact_id), func.sum(revenue),
                   func.sum(revenue * revenue))
            .select_from(groups.outerjoin(per_contact, per_contact.c.contact_id == groups.c.contact_id))
            .group_by(groups.c.grp))
    return {grp: GroupStats(int(n), int(converted), float(total or 0), float(squares or 0))
            for grp, n, converted, total, squares in session.execute(stmt)}


def _roi(revenue: EstimateOut, cost: Decimal) -> EstimateOut:
    """(incremental revenue − cost) / cost; monotonic in revenue, so the interval maps end to end."""
    method = "(incremental revenue − cost) / cost"
    if not cost:
        return EstimateOut(method=method, reason="The campaign has no cost, so a return on it is undefined.")

    def roi(x: float | None) -> float | None:
        return None if x is None else (x - float(cost)) / float(cost)
    return EstimateOut(estimate=roi(revenue.estimate), low=roi(revenue.low), high=roi(revenue.high), method=method,
                       reason=revenue.reason)


def _outcome(stats: GroupStats) -> GroupOutcome:
    n = stats.contacts
    return GroupOutcome(contacts=n, converted=stats.converted, revenue=stats.revenue,
                        conversion_rate=stats.converted / n if n else None,
                        revenue_per_contact=stats.revenue / n if n else None)


def analyse(treated: GroupStats, holdout: GroupStats, *, cost: Decimal, since: datetime, until: datetime,
            confidence: float = 0.95) -> Incrementality:
    """Lift of treated over holdout (the control) and what it is worth, from the groups' sufficient statistics."""
    rates = compare_proportions([ProportionArm(holdout.contacts, holdout.converted),
                                 ProportionArm(treated.contacts, treated.converted)], confidence=confidence)[0]
    means = compare_means([MeanArm(holdout.contacts, holdout.revenue, holdout.revenue_squares),
                           MeanArm(treated.contacts, treated.revenue, treated.revenue_squares)],
                          confidence=confidence)[0]
    incremental_revenue = estimate_out(means.absolute, treated.contacts)
    return Incrementality(
        since=since, until=until, confidence=confidence, treated=_outcome(treated), holdout=_outcome(holdout),
        rate_difference=estimate_out(rates.absolute), rate_lift=estimate_out(rates.relative),
        rate_p_value=rates.test.p_value, rate_test=rates.test.method, rate_test_reason=rates.test.reason,
        revenue_difference=estimate_out(means.absolute), revenue_lift=estimate_out(means.relative),
        revenue_p_value=means.test.p_value, revenue_test=means.test.method, revenue_test_reason=means.test.reason,
        incremental_conversions=estimate_out(rates.absolute, treated.contacts),
        incremental_revenue=incremental_revenue, cost=cost, incremental_roi=_roi(incremental_revenue, cost))


def campaign_incrementality(session: Session, *, workspace_id: int, campaign_id: int, launched_at: datetime | None,
                            window_days: int, currency: str, cost: Decimal, until: datetime) -> Incrementality | None:
    """The campaign's holdout comparison, or None when it has not launched or kept no holdout."""
    if launched_at is None:
        return None
    end = min(launched_at + timedelta(days=window_days), max(until, launched_at))
    found = group_stats(session, workspace_id=workspace_id, campaign_id=campaign_id, since=launched_at, until=end,
                        currency=currency)
    holdout = found.get(HOLDOUT)
    if holdout is None or not holdout.contacts:
        return None
    return analyse(found.get(TREATED, GroupStats()), holdout, cost=cost, since=launched_at, until=end)
