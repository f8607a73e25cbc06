"""Compile a rule tree to one SQL boolean over `contacts` (SQLAlchemy Core, bound parameters only).

Every node compiles to an expression that is TRUE or FALSE — never NULL — for every contact row,
so `NOT` is plain SQL `NOT` and marketers never meet three-valued logic: a leaf reading a value
that may be missing is guarded (`x IS NOT NULL AND x op v`), and everything else is `[NOT] EXISTS`.

Shapes, chosen for the indexes (see docs/segments.md, "Semantics"):
- contact columns and custom fields: a guarded comparison on the row itself;
- computed metrics: `EXISTS (SELECT 1 FROM contact_metrics m WHERE m.contact_id = contacts.id …)`
  (or `NOT EXISTS (… NOT …)` when a contact without metrics row, counted as 0, matches);
- `count >= 1`-like tests, `ever`, `never`, `clicked`, tags, lists and consents: a correlated
  `[NOT] EXISTS` that PostgreSQL runs as a semi/anti join on `(workspace_id, contact_id, …)`;
- other aggregate tests: `[NOT] EXISTS` over a pre-aggregated `GROUP BY contact_id HAVING …`
  derived table (a hash semi/anti join), `NOT` when contacts with no rows (0) match;
- relative times (`30d ago`, `last 90d`, `days_since`) are computed in Python from `now` and
  bound as timestamps, so comparisons stay sargable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select

from kempen.models import Contact
from kempen.segments import rules
from kempen.segments.compiler import aggregates, columns, membership
from kempen.segments.compiler.context import Context, rule_error
from kempen.segments.errors import RuleError
from kempen.segments.fields import FieldCatalogue

__all__ = ["SegmentCycleError", "compile_condition", "count_query", "members_query"]


class SegmentCycleError(RuleError):
    """A segment refers to itself, directly or through other segments."""


def compile_condition(rule: rules.Rule, *, workspace_id: int, catalogue: FieldCatalogue, now: datetime,
                      resolve_segment: Callable[[str], rules.Rule]) -> ColumnElement[bool]:
    """Compile a rule to a never-NULL boolean over `contacts` for one workspace."""
    ctx = Context(workspace_id=workspace_id, catalogue=catalogue, now=now, resolve_segment=resolve_segment)
    return _compile(rule, ctx)


def members_query(rule: rules.Rule, *, workspace_id: int, catalogue: FieldCatalogue, now: datetime,
                  resolve_segment: Callable[[str], rules.Rule]) -> Select[Any]:
    """`SELECT contacts.id FROM contacts WHERE workspace_id = :ws AND <rule>`."""
    condition = compile_condition(rule, workspace_id=workspace_id, catalogue=catalogue, now=now,
                                  resolve_segment=resolve_segment)
    return select(Contact.id).where(Contact.workspace_id == workspace_id, condition)


def count_query(rule: rules.Rule, *, workspace_id: int, catalogue: FieldCatalogue, now: datetime,
                resolve_segment: Callable[[str], rules.Rule]) -> Select[Any]:
    """`SELECT count(*)` of the contacts matching a rule.

    A rule that is one positive test on contacts' orders, events, tags or computed metrics is
    counted from that table alone (its rows name distinct contacts of the workspace), the way an
    expert would write it, without reading `contacts`; any other rule counts over `contacts`.
    """
    condition = compile_condition(rule, workspace_id=workspace_id, catalogue=catalogue, now=now,
                                  resolve_segment=resolve_segment)
    ctx = Context(workspace_id=workspace_id, catalogue=catalogue, now=now, resolve_segment=resolve_segment)
    members = _direct_members(rule, ctx)
    if members is not None:
        return select(func.count()).select_from(members.subquery("matching"))
    return select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace_id, condition)


def _direct_members(rule: rules.Rule, ctx: Context) -> Select[Any] | None:
    """Distinct matching contact ids read without `contacts`, for the rules where that is possible."""
    if isinstance(rule, rules.Aggregate):
        return aggregates.aggregate_members(rule, ctx)
    if isinstance(rule, rules.Compare | rules.DaysSince):
        return columns.metric_members(rule, ctx)
    if isinstance(rule, rules.HasTag):
        return membership.tag_members(rule.name, ctx)
    if isinstance(rule, rules.Ever | rules.Clicked) and not getattr(rule, "negated", False):
        return membership.event_members(rule, ctx)
    return None


def _compile(rule: rules.Rule, ctx: Context) -> ColumnElement[bool]:
    if isinstance(rule, rules.And):
        return and_(*(_compile(r, ctx) for r in rule.rules))
    if isinstance(rule, rules.Or):
        return or_(*(_compile(r, ctx) for r in rule.rules))
    if isinstance(rule, rules.Not):
        return not_(_compile(rule.rule, ctx))
    if isinstance(rule, rules.InSegment):
        return _compile_segment(rule.name, ctx)
    if isinstance(rule, rules.Compare):
        return columns.compile_compare(rule, ctx)
    if isinstance(rule, rules.DaysSince):
        return columns.compile_days_since(rule, ctx)
    if isinstance(rule, rules.Aggregate):
        return aggregates.compile_aggregate(rule, ctx)
    if isinstance(rule, rules.Ever):
        return membership.compile_ever(rule, ctx)
    if isinstance(rule, rules.Clicked):
        return membership.compile_clicked(rule, ctx)
    if isinstance(rule, rules.HasTag):
        return membership.compile_tag(rule.name, ctx)
    if isinstance(rule, rules.InList):
        return membership.compile_list(rule.name, ctx)
    if isinstance(rule, rules.HasConsent):
        return membership.compile_consent(rule.channel, ctx)
    raise rule_error(f"unsupported rule node {type(rule).__name__}")


def _compile_segment(name: str, ctx: Context) -> ColumnElement[bool]:
    # The chain of segments being expanded: meeting a name again means the references loop.
    if name in ctx.chain:
        loop = " -> ".join((*ctx.chain[ctx.chain.index(name):], name))
        raise SegmentCycleError(f"segments refer to each other in a cycle: {loop}")
    return _compile(ctx.resolve_segment(name), ctx.entering(name))
