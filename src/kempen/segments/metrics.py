"""Computed contact metrics, recomputed in bulk: order statistics, RFM and lead score.

`recompute_metrics` replaces a workspace's `contact_metrics` rows with set-based statements —
never a loop over contacts:

1. DELETE the workspace's rows;
2. INSERT … SELECT one row per buyer: order statistics over **paid and fulfilled** orders (the
   same orders the segment compiler counts), RFM quintiles with NTILE(5) among the contacts with
   at least one such order, and the named RFM group; then one INSERT … SELECT for everyone else;
3. UPDATE … SET lead_score = the sum of CASE WHEN <compiled rule> THEN points ELSE 0 END over the
   workspace's lead-score rules (a second statement, because rules may read the metrics of step 2).

RFM quintile scores run 1–5, 5 best: R orders by last order date, F by order count, M by total spent,
ties broken by contact id so every run and both databases score alike. Groups, first match wins,
with FM = (F + M) / 2:

| group              | R     | FM        |
|--------------------|-------|-----------|
| champions          | ≥ 4   | ≥ 4       |
| loyal              | ≥ 3   | ≥ 3       |
| new                | ≥ 4   | < 2       |
| potential_loyalist | ≥ 3   | (any)     |
| cannot_lose        | 1     | ≥ 4       |
| at_risk            | ≤ 2   | ≥ 3       |
| hibernating        | 2     | < 3       |
| lost               | 1     | < 3       |

Contacts without purchases get order_count 0, total_spent 0 and no RFM scores or group.
Amounts are summed across currencies as stored (one reporting currency per workspace is assumed).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session

from kempen.models import Contact, ContactMetrics, CustomFieldDefinition, LeadScoreRule, Order, Segment
from kempen.segments import rules
from kempen.segments.compiler import compile_condition
from kempen.segments.compiler.aggregates import PURCHASED
from kempen.segments.errors import RuleError
from kempen.segments.fields import FieldCatalogue, catalogue_for

DEFAULT_MAX_AGE = timedelta(hours=24)


def recompute_metrics(session: Session, *, workspace_id: int, now: datetime) -> int:
    """Recompute every contact's metrics in the workspace; return how many contacts were written."""
    session.flush()
    session.execute(delete(ContactMetrics).where(ContactMetrics.workspace_id == workspace_id))
    session.execute(_insert_buyer_metrics(workspace_id, now))
    session.execute(_insert_non_buyer_metrics(workspace_id, now))
    _update_lead_scores(session, workspace_id, now)
    session.flush()
    session.expire_all()  # loaded ContactMetrics objects are stale now
    # Counted, not taken from rowcount: drivers do not all report it for INSERT … SELECT.
    written = session.scalar(select(func.count()).select_from(ContactMetrics)
                             .where(ContactMetrics.workspace_id == workspace_id))
    return int(written or 0)


def last_computed_at(session: Session, *, workspace_id: int) -> datetime | None:
    """When the workspace's metrics were last recomputed (None: never)."""
    return session.scalar(select(func.max(ContactMetrics.computed_at))
                          .where(ContactMetrics.workspace_id == workspace_id))


def metrics_are_stale(session: Session, *, workspace_id: int, now: datetime,
                      max_age: timedelta = DEFAULT_MAX_AGE) -> bool:
    """Whether the metrics were never computed or are older than `max_age`."""
    computed = last_computed_at(session, workspace_id=workspace_id)
    return computed is None or now - computed > max_age


def _order_stats(workspace_id: int) -> Any:
    placed = Order.placed_at
    stats = (select(Order.contact_id.label("contact_id"), func.count().label("orders"),
                    func.sum(Order.amount).label("spent"), func.min(placed).label("first"),
                    func.max(placed).label("last"))
             .where(Order.workspace_id == workspace_id, type_coerce(Order.status, String).in_(PURCHASED))
             .group_by(Order.contact_id).subquery("stats"))
    return select(
        stats,
        func.ntile(5).over(order_by=(stats.c["last"], stats.c.contact_id)).label("r"),
        func.ntile(5).over(order_by=(stats.c.orders, stats.c.contact_id)).label("f"),
        func.ntile(5).over(order_by=(stats.c.spent, stats.c.contact_id)).label("m"),
    ).subquery("scored")


def rfm_group_case(r: ColumnElement[Any], f: ColumnElement[Any], m: ColumnElement[Any]) -> ColumnElement[Any]:
    """The RFM group table above as one CASE (NULL without scores)."""
    fm2 = f + m
    return case(
        (r.is_(None), None),
        ((r >= 4) & (fm2 >= 8), "champions"),
        ((r >= 3) & (fm2 >= 6), "loyal"),
        ((r >= 4) & (fm2 < 4), "new"),
        (r >= 3, "potential_loyalist"),
        ((r == 1) & (fm2 >= 8), "cannot_lose"),
        (fm2 >= 6, "at_risk"),
        (r == 2, "hibernating"),
        else_="lost",
    )


_COLUMNS = ["workspace_id", "contact_id", "order_count", "total_spent", "avg_order_value", "first_order_at",
            "last_order_at", "rfm_recency", "rfm_frequency", "rfm_monetary", "rfm_score", "rfm_group",
            "lead_score", "computed_at"]


def _insert_buyer_metrics(workspace_id: int, now: datetime) -> Any:
    # Driven from the scored buyers, joining contacts by primary key: a LEFT JOIN from contacts to
    # the windowed subquery makes SQLite rescan the (unindexed) subquery once per contact.
    s = _order_stats(workspace_id)
    score = cast(s.c.r, String) + cast(s.c.f, String) + cast(s.c.m, String)
    rows = (select(
        Contact.workspace_id, Contact.id, s.c.orders, func.round(s.c.spent, 2),
        func.round(s.c.spent / s.c.orders, 2), s.c["first"], s.c["last"], s.c.r, s.c.f, s.c.m, score,
        rfm_group_case(s.c.r, s.c.f, s.c.m), literal(0, Integer), literal(now, ContactMetrics.computed_at.type))
        .select_from(s).join(Contact, Contact.id == s.c.contact_id)
        .where(Contact.workspace_id == workspace_id))
    return insert(ContactMetrics).from_select(_COLUMNS, rows)


def _insert_non_buyer_metrics(workspace_id: int, now: datetime) -> Any:
    written = select(ContactMetrics.contact_id).where(
        ContactMetrics.workspace_id == workspace_id, ContactMetrics.contact_id == Contact.id)
    rows = (select(
        Contact.workspace_id, Contact.id, literal(0, Integer), literal(0, Integer), *(null() for _ in range(8)),
        literal(0, Integer),
        literal(now, ContactMetrics.computed_at.type))
        .where(Contact.workspace_id == workspace_id, ~written.exists()))
    return insert(ContactMetrics).from_select(_COLUMNS, rows)


def _update_lead_scores(session: Session, workspace_id: int, now: datetime) -> None:
    scoring = list(session.execute(select(LeadScoreRule.rule, LeadScoreRule.points)
                                   .where(LeadScoreRule.workspace_id == workspace_id).order_by(LeadScoreRule.id)))
    if not scoring:
        return
    catalogue = _catalogue(session, workspace_id)
    resolve = _segment_resolver(session, workspace_id)
    total: ColumnElement[Any] = literal(0, Integer)
    for rule_json, points in scoring:
        condition = compile_condition(rules.rule_from_json(rule_json), workspace_id=workspace_id,
                                      catalogue=catalogue, now=now, resolve_segment=resolve)
        total = total + case((condition, points), else_=0)
    contacts = Contact.__table__
    session.execute(update(ContactMetrics)
                    .where(ContactMetrics.workspace_id == workspace_id, ContactMetrics.contact_id == contacts.c.id,
                           contacts.c.workspace_id == workspace_id)
                    .values(lead_score=total).execution_options(synchronize_session=False))


def _catalogue(session: Session, workspace_id: int) -> FieldCatalogue:
    definitions = session.scalars(select(CustomFieldDefinition)
                                  .where(CustomFieldDefinition.workspace_id == workspace_id))
    return catalogue_for(definitions)


def _segment_resolver(session: Session, workspace_id: int) -> Callable[[str], rules.Rule]:
    def resolve(name: str) -> rules.Rule:
        stored = session.scalar(select(Segment.rule).where(Segment.workspace_id == workspace_id, Segment.name == name))
        if stored is None:
            raise RuleError(f"no segment named {name!r}")
        return rules.rule_from_json(stored)
    return resolve
