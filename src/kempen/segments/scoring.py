"""Computed contact metrics (order stats, RFM, lead score) and the lead-score rules behind the score."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.kit.clock import utcnow
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import ContactMetrics, LeadScoreRule
from kempen.segments import metrics, rules, schemas
from kempen.segments.inputs import canonical_text
from kempen.segments.service import parse_input, segment_resolver


def refresh_metrics(session: Session, *, workspace_id: int, now: datetime | None = None) -> int:
    """Recompute every contact's metrics and lead score in this workspace; return how many contacts."""
    written = metrics.recompute_metrics(session, workspace_id=workspace_id, now=now or utcnow())
    if written < 0:  # a driver that does not report INSERT … SELECT row counts: count them
        written = session.scalar(select(func.count()).select_from(ContactMetrics).where(
            ContactMetrics.workspace_id == workspace_id)) or 0
    return written


def _fields_used(rule: rules.Rule, resolve: Callable[[str], rules.Rule], seen: set[str]) -> set[str]:
    if isinstance(rule, rules.Compare | rules.DaysSince):
        return {rule.field}
    if isinstance(rule, rules.And | rules.Or):
        return set().union(*(_fields_used(r, resolve, seen) for r in rule.rules))
    if isinstance(rule, rules.Not):
        return _fields_used(rule.rule, resolve, seen)
    if isinstance(rule, rules.InSegment) and rule.name not in seen:
        seen.add(rule.name)
        return _fields_used(resolve(rule.name), resolve, seen)
    return set()


def _parse_scoring_rule(session: Session, workspace_id: int, text: str | None, rule_json: Any) -> rules.Rule:
    rule = parse_input(session, workspace_id, text, rule_json)
    # The score is the sum of the rules that match; a rule reading the score would chase its own tail.
    if "lead_score" in _fields_used(rule, segment_resolver(session, workspace_id), set()):
        raise InvalidInput("A lead-score rule cannot use lead_score (directly or through a segment).")
    return rule


def get_rule(session: Session, *, workspace_id: int, rule_id: int) -> LeadScoreRule:
    found = session.scalar(select(LeadScoreRule).where(LeadScoreRule.workspace_id == workspace_id,
                                                       LeadScoreRule.id == rule_id))
    if found is None:
        raise NotFound(f"No lead-score rule {rule_id} in this workspace.")
    return found


def list_rules(session: Session, *, workspace_id: int) -> list[LeadScoreRule]:
    stmt = select(LeadScoreRule).where(LeadScoreRule.workspace_id == workspace_id).order_by(LeadScoreRule.name)
    return list(session.scalars(stmt))


def _check_name_free(session: Session, workspace_id: int, name: str, rule_id: int | None) -> None:
    owner = session.scalar(select(LeadScoreRule.id).where(LeadScoreRule.workspace_id == workspace_id,
                                                          LeadScoreRule.name == name))
    if owner is not None and owner != rule_id:
        raise Conflict(f"A lead-score rule named {name!r} already exists.")


def create_rule(session: Session, *, workspace_id: int, actor: str,
                data: schemas.LeadScoreRuleCreate) -> LeadScoreRule:
    """Add a rule: contacts matching it earn `points` at the next metrics refresh."""
    _check_name_free(session, workspace_id, data.name, None)
    rule = _parse_scoring_rule(session, workspace_id, data.text, data.rule)
    row = LeadScoreRule(workspace_id=workspace_id, name=data.name, points=data.points,
                        rule=rules.rule_to_json(rule), rule_text=data.text or canonical_text(rule))
    session.add(row)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="lead_score_rule.created",
                 entity_type="lead_score_rule", entity_id=row.id,
                 details={"name": row.name, "points": row.points, "rule_text": row.rule_text})
    return row


def update_rule(session: Session, *, workspace_id: int, actor: str, rule_id: int,
                data: schemas.LeadScoreRuleUpdate) -> LeadScoreRule:
    """Rename a rule, change its points or its rule."""
    row = get_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    changes: dict[str, Any] = {}
    if data.name is not None and data.name != row.name:
        _check_name_free(session, workspace_id, data.name, rule_id)
        changes["name"] = data.name
    if data.points is not None:
        changes["points"] = data.points
    if data.text is not None or data.rule is not None:
        rule = _parse_scoring_rule(session, workspace_id, data.text, data.rule)
        changes.update(rule=rules.rule_to_json(rule), rule_text=data.text or canonical_text(rule))
    for key, value in changes.items():
        setattr(row, key, value)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="lead_score_rule.updated",
                 entity_type="lead_score_rule", entity_id=rule_id,
                 details={"changes": {k: v for k, v in changes.items() if k != "rule"}})
    return row


def delete_rule(session: Session, *, workspace_id: int, actor: str, rule_id: int) -> None:
    row = get_rule(session, workspace_id=workspace_id, rule_id=rule_id)
    session.delete(row)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="lead_score_rule.deleted",
                 entity_type="lead_score_rule", entity_id=rule_id, details={"name": row.name})
