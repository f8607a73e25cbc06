"""Saved segments: reading rules, CRUD, references between segments (existing, acyclic) and resolving them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import LeadScoreRule, Segment
from kempen.segments import rules, schemas
from kempen.segments.inputs import (
    canonical_text,
    catalogue_of,
    invalid_rule,
    positioned,
    read_rule,
    segment_names,
    segment_rules,
    unknown_references,
)

__all__ = ["catalogue_of", "parse_input", "create_segment", "update_segment", "delete_segment", "get_segment",
           "list_segments", "segment_resolver", "check_rule_input", "validate_rule"]


def check_rule_input(session: Session, workspace_id: int, text: str | None = None,
                     rule_json: Any = None) -> tuple[rules.Rule | None, list[Any]]:
    """Parse, type-check and check the references of a rule; return the rule or its errors (never raise)."""
    read = read_rule(text, rule_json, catalogue_of(session, workspace_id))
    if read.rule is None:
        return None, read.errors
    if not rules.referenced_segments(read.rule):
        return read.rule, []
    errors = unknown_references(read.rule, read.spans, segment_names(session, workspace_id))
    return (read.rule, []) if not errors else (None, errors)


def parse_input(session: Session, workspace_id: int, text: str | None = None, rule_json: Any = None) -> rules.Rule:
    """Read a rule given as text or JSON; raise InvalidInput (422) with positioned errors."""
    rule, errors = check_rule_input(session, workspace_id, text, rule_json)
    if rule is None:
        raise invalid_rule(errors)
    return rule


def get_segment(session: Session, *, workspace_id: int, segment_id: int) -> Segment:
    found = session.scalar(select(Segment).where(Segment.workspace_id == workspace_id, Segment.id == segment_id))
    if found is None:
        raise NotFound(f"No segment {segment_id} in this workspace.")
    return found


def get_segment_by_name(session: Session, *, workspace_id: int, name: str) -> Segment:
    found = session.scalar(select(Segment).where(Segment.workspace_id == workspace_id, Segment.name == name))
    if found is None:
        raise NotFound(f"No segment named {name!r} in this workspace.")
    return found


def list_segments(session: Session, *, workspace_id: int) -> list[Segment]:
    """Every segment of the workspace, by name."""
    return list(session.scalars(select(Segment).where(Segment.workspace_id == workspace_id).order_by(Segment.name)))


def _check_name_free(session: Session, workspace_id: int, name: str, segment_id: int | None) -> None:
    owner = session.scalar(select(Segment.id).where(Segment.workspace_id == workspace_id, Segment.name == name))
    if owner is not None and owner != segment_id:
        raise Conflict(f"A segment named {name!r} already exists.")


def find_cycle(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """A path start → … → start through `graph` (name → names it refers to), or None."""
    trail: list[str] = [start]
    seen: set[str] = set()

    def visit(name: str) -> bool:
        for target in sorted(graph.get(name, ())):
            if target == start:
                trail.append(target)
                return True
            if target in seen:
                continue
            seen.add(target)
            trail.append(target)
            if visit(target):
                return True
            trail.pop()
        return False

    return trail if visit(start) else None


def _check_acyclic(session: Session, workspace_id: int, name: str, rule: rules.Rule, old_name: str | None) -> None:
    graph = {other: rules.referenced_segments(rules.rule_from_json(data))
             for other, data in segment_rules(session, workspace_id).items() if other != old_name}
    graph[name] = rules.referenced_segments(rule)
    cycle = find_cycle(graph, name)
    if cycle is not None:
        path = " → ".join(cycle)
        raise InvalidInput(f"The rule would make segments refer to themselves: {path}.",
                           errors=[{"message": f"in_segment cycle: {path}", "line": None, "column": None,
                                    "end_column": None, "path": None, "cycle": cycle}])


def referrers(session: Session, workspace_id: int, name: str) -> list[str]:
    """Segments and lead-score rules whose rule refers to segment `name`."""
    found = [f"segment {other!r}" for other, data in segment_rules(session, workspace_id).items()
             if other != name and name in rules.referenced_segments(rules.rule_from_json(data))]
    stmt = select(LeadScoreRule.name, LeadScoreRule.rule).where(LeadScoreRule.workspace_id == workspace_id)
    found += [f"lead-score rule {rule_name!r}" for rule_name, data in session.execute(stmt)
              if name in rules.referenced_segments(rules.rule_from_json(data))]
    return sorted(found)


def _rule_fields(rule: rules.Rule, text: str | None) -> dict[str, Any]:
    return {"rule": rules.rule_to_json(rule), "rule_text": text if text is not None else canonical_text(rule)}


def create_segment(session: Session, *, workspace_id: int, actor: str, data: schemas.SegmentCreate) -> Segment:
    """Save a rule as a segment; names are unique in a workspace and references must exist without cycles."""
    _check_name_free(session, workspace_id, data.name, None)
    rule = parse_input(session, workspace_id, data.text, data.rule)
    _check_acyclic(session, workspace_id, data.name, rule, None)
    segment = Segment(workspace_id=workspace_id, name=data.name, description=data.description,
                      **_rule_fields(rule, data.text))
    session.add(segment)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="segment.created", entity_type="segment",
                 entity_id=segment.id, details={"name": segment.name, "rule_text": segment.rule_text})
    return segment


def update_segment(session: Session, *, workspace_id: int, actor: str, segment_id: int,
                   data: schemas.SegmentUpdate) -> Segment:
    """Rename a segment, change its description or its rule."""
    segment = get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    changes: dict[str, Any] = {}
    if data.name is not None and data.name != segment.name:
        _check_name_free(session, workspace_id, data.name, segment_id)
        _refuse_if_referenced(session, workspace_id, segment.name, "rename")
        changes["name"] = data.name
    if data.description is not None:
        changes["description"] = data.description
    if data.text is not None or data.rule is not None:
        changes.update(_rule_fields(parse_input(session, workspace_id, data.text, data.rule), data.text))
    name = changes.get("name", segment.name)
    rule = rules.rule_from_json(changes.get("rule", segment.rule))
    _check_acyclic(session, workspace_id, name, rule, segment.name)
    for key, value in changes.items():
        setattr(segment, key, value)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="segment.updated", entity_type="segment",
                 entity_id=segment_id, details={"changes": {k: v for k, v in changes.items() if k != "rule"}})
    return segment


def _refuse_if_referenced(session: Session, workspace_id: int, name: str, verb: str) -> None:
    users = referrers(session, workspace_id, name)
    if users:
        raise Conflict(f"Cannot {verb} segment {name!r}: {', '.join(users)} refer(s) to it; change those first.")


def delete_segment(session: Session, *, workspace_id: int, actor: str, segment_id: int) -> None:
    """Delete a segment (its snapshots stay, detached); refused while another rule refers to it."""
    segment = get_segment(session, workspace_id=workspace_id, segment_id=segment_id)
    _refuse_if_referenced(session, workspace_id, segment.name, "delete")
    session.delete(segment)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="segment.deleted", entity_type="segment",
                 entity_id=segment_id, details={"name": segment.name, "rule_text": segment.rule_text})


def segment_resolver(session: Session, workspace_id: int) -> Callable[[str], rules.Rule]:
    """Look up a referenced segment's rule by name in this workspace only (cached for one evaluation)."""
    cache: dict[str, rules.Rule] = {}

    def resolve(name: str) -> rules.Rule:
        if name not in cache:
            data = session.scalar(select(Segment.rule).where(Segment.workspace_id == workspace_id,
                                                             Segment.name == name))
            if data is None:
                raise InvalidInput(f"The rule refers to segment {name!r}, which does not exist in this workspace.")
            cache[name] = rules.rule_from_json(data)
        return cache[name]

    return resolve


def validate_rule(session: Session, workspace_id: int, text: str | None, rule_json: Any) -> schemas.ValidateResult:
    """Check a rule as the user types: errors with positions, or the canonical text and JSON (never raises)."""
    rule, errors = check_rule_input(session, workspace_id, text, rule_json)
    if rule is None:
        return schemas.ValidateResult(valid=False, errors=[schemas.PositionedError(**positioned(e)) for e in errors],
                                      text=None, rule=None)
    return schemas.ValidateResult(valid=True, errors=[], text=canonical_text(rule), rule=rules.rule_to_json(rule))
