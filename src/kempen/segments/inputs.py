"""Reading a rule from what a user sent (text or JSON) into a checked rule tree, with positioned errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.contacts.custom_fields import list_definitions
from kempen.kit.errors import InvalidInput
from kempen.models import Segment
from kempen.segments import rules
from kempen.segments.checker import check_rule
from kempen.segments.errors import RuleError, RuleErrors, Spans, locate
from kempen.segments.fields import FieldCatalogue, catalogue_for
from kempen.segments.parser import parse_located
from kempen.segments.printer import format_rule

MAX_ERRORS = 20


def catalogue_of(session: Session, workspace_id: int) -> FieldCatalogue:
    """The fields a rule of this workspace may use: built-ins, metrics and its custom fields."""
    return catalogue_for(list_definitions(session, workspace_id=workspace_id))


def positioned(error: RuleError) -> dict[str, Any]:
    """The JSON shape of one rule error (the `errors` array of a 422)."""
    # Errors found in JSON input have no place in a text: line and column 0 there, null here.
    placed = bool(error.line)
    return {"message": error.message, "line": error.line if placed else None,
            "column": error.column if placed else None, "end_column": error.end_column if placed else None,
            "path": error.path}


def invalid_rule(errors: list[RuleError]) -> InvalidInput:
    """A 422 whose `errors` carry each problem's position."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return InvalidInput(f"The rule is not valid: {first}{more}",
                        errors=[positioned(e) for e in errors[:MAX_ERRORS]])


def _step_into(data: Any, step: int | str) -> tuple[bool, Any]:
    if isinstance(data, dict) and isinstance(step, str) and step in data:
        return True, data[step]
    if isinstance(data, list | tuple) and isinstance(step, int) and 0 <= step < len(data):
        return True, data[step]
    return False, data


def _json_path(data: Any, loc: tuple[int | str, ...]) -> str:
    # Pydantic puts the discriminator tag of each union member in `loc`; keep only steps into the data.
    steps: list[str] = []
    for step in loc:
        moved, data = _step_into(data, step)
        if moved or not (isinstance(data, dict) and step == data.get("type")):
            steps.append(str(step))
    return "/".join(steps)


def json_errors(data: Any, exc: ValidationError) -> list[RuleError]:
    """Turn Pydantic's complaints about a JSON rule into rule errors located by path."""
    return [RuleError(error["msg"].removeprefix("Value error, "), path=_json_path(data, tuple(error["loc"])))
            for error in exc.errors()]


@dataclass(frozen=True)
class ReadRule:
    """A rule read from input, or why not; `spans` place tree paths in the text (empty for JSON)."""

    rule: rules.Rule | None
    errors: list[RuleError]
    spans: Spans = field(default_factory=dict)


def _parse_text(text: str, catalogue: FieldCatalogue) -> ReadRule:
    try:
        rule, spans = parse_located(text)
    except RuleErrors as exc:
        return ReadRule(None, list(exc.errors))
    except RuleError as exc:
        return ReadRule(None, [exc])
    errors = sorted((locate(e, spans) for e in check_rule(rule, catalogue)), key=lambda e: (e.line, e.column))
    return ReadRule(None if errors else rule, errors, spans)


def _parse_json(data: Any, catalogue: FieldCatalogue) -> ReadRule:
    try:
        rule = rules.rule_from_json(data)
    except ValidationError as exc:
        return ReadRule(None, json_errors(data, exc))
    errors = list(check_rule(rule, catalogue))
    return ReadRule(None if errors else rule, errors)


def read_rule(text: str | None, rule_json: Any, catalogue: FieldCatalogue) -> ReadRule:
    """Parse and type-check a rule in either form; return the rule or its errors."""
    if text is not None and rule_json is not None:
        return ReadRule(None, [RuleError("give the rule as text or as JSON, not both")])
    try:
        if text is not None:
            return _parse_text(text, catalogue)
        if rule_json is None:
            return ReadRule(None, [RuleError("give the rule as text or as JSON")])
        return _parse_json(rule_json, catalogue)
    except RecursionError:
        return ReadRule(None, [RuleError("the rule is nested too deeply")])


def canonical_text(rule: rules.Rule) -> str:
    return format_rule(rule)


# References to other segments


def segment_rules(session: Session, workspace_id: int) -> dict[str, dict[str, Any]]:
    """Every saved segment's rule JSON by name."""
    stmt = select(Segment.name, Segment.rule).where(Segment.workspace_id == workspace_id)
    return {name: rule for name, rule in session.execute(stmt)}


def segment_names(session: Session, workspace_id: int) -> set[str]:
    return set(session.scalars(select(Segment.name).where(Segment.workspace_id == workspace_id)))


def in_segment_paths(rule: rules.Rule, path: str = "") -> Iterator[tuple[str, str]]:
    """(segment name, JSON path of the node) of every `in_segment` in a rule."""
    if isinstance(rule, rules.InSegment):
        yield rule.name, (f"{path}/name" if path else "name")
    elif isinstance(rule, rules.And | rules.Or):
        for index, child in enumerate(rule.rules):
            yield from in_segment_paths(child, f"{path}/rules/{index}" if path else f"rules/{index}")
    elif isinstance(rule, rules.Not):
        yield from in_segment_paths(rule.rule, f"{path}/rule" if path else "rule")


def unknown_references(rule: rules.Rule, spans: Spans, known: set[str]) -> list[RuleError]:
    """An error, placed in the text when there is one, for each `in_segment` naming no saved segment."""
    errors = [RuleError(f"there is no segment named {name!r} in this workspace", path=path)
              for name, path in in_segment_paths(rule) if name not in known]
    return [locate(e, spans) if spans else e for e in errors]
