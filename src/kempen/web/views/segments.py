"""Segments: the list, and the editor with its live check (errors in place, count, reach, sample) and builder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.contacts import lookups
from kempen.crm import lists
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import Conflict, InvalidInput, KempenError, NotFound
from kempen.models import Channel, Role, Segment
from kempen.segments import preview as previews
from kempen.segments import rules, schemas
from kempen.segments import service as segments
from kempen.segments.checker import OPS_FOR
from kempen.segments.fields import FieldCatalogue, FieldSource
from kempen.segments.inputs import canonical_text
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
SAMPLE_SIZE = 8
SegmentId = IdPath
RuleText = Annotated[str, Form(max_length=schemas.MAX_RULE_TEXT)]
OptionalRuleText = Annotated[str | None, Form(max_length=schemas.MAX_RULE_TEXT)]
FIELD_GROUPS = [(FieldSource.CONTACT, "Contact fields"), (FieldSource.CUSTOM, "Custom fields"),
                (FieldSource.METRIC, "Computed properties")]


@dataclass(frozen=True)
class ShownError:
    """One rule error as the page shows it: the message and, when it has a position, the line it points at."""

    message: str
    line: int | None = None
    column: int | None = None
    path: str | None = None
    before: str = ""
    marked: str = ""
    after: str = ""

    @property
    def caret(self) -> str:
        return " " * len(self.before) + "^" * max(len(self.marked), 1)


@dataclass
class RuleCheck:
    """The result of checking a rule as typed or built: errors, or the canonical form and its preview."""

    source: str = "text"
    state: str = "empty"  # empty | invalid | valid
    errors: list[ShownError] = field(default_factory=list)
    rule: dict[str, Any] | None = None
    text: str = ""
    opaque: dict[str, str] = field(default_factory=dict)
    preview: schemas.Preview | None = None


def _shown(error: Any, text: str | None) -> ShownError:
    """Cut the offending line into before / marked / after around [column, end_column)."""
    # Errors found in a JSON rule have line and column 0 (or None): they are located by path only.
    message, line, column = error.message, error.line or None, error.column or None
    path = getattr(error, "path", None)
    lines = (text or "").split("\n")
    if line is None or column is None or not 1 <= line <= len(lines):
        return ShownError(message, line if text is not None else None, column, path)
    source = lines[line - 1].replace("\t", " ")
    start = min(max(column - 1, 0), len(source))
    end = error.end_column - 1 if error.end_column and error.end_column > column else start + 1
    return ShownError(message, line, column, path, source[:start], source[start:end], source[end:])


def opaque_nodes(rule: rules.Rule, path: str = "") -> dict[str, str]:
    """Text of the nodes the visual builder cannot edit (by JSON path); they stay editable as text."""
    if isinstance(rule, rules.And | rules.Or):
        found: dict[str, str] = {}
        for index, child in enumerate(rule.rules):
            found.update(opaque_nodes(child, f"{path}rules.{index}."))
        return found
    if isinstance(rule, rules.Not):
        return opaque_nodes(rule.rule, f"{path}rule.")
    if isinstance(rule, rules.Aggregate) and rule.where:
        return {path.rstrip("."): canonical_text(rule)}
    return {}


def check_rule(session: Session, workspace_id: int, *, text: str | None, rule_json: str | None,
               source: str) -> RuleCheck:
    """Check a rule typed as text or posted by the builder as JSON; preview it when valid."""
    data: Any = None
    if rule_json is not None:
        try:
            data = json.loads(rule_json) if rule_json.strip() else None
        except ValueError:
            return RuleCheck(source, "invalid", [ShownError("the builder sent a rule that is not JSON")])
        if data is None:
            return RuleCheck(source)
    elif not (text or "").strip():
        return RuleCheck(source)
    rule, errors = segments.check_rule_input(session, workspace_id, text if data is None else None, data)
    if rule is None:
        return RuleCheck(source, "invalid", [_shown(e, text if data is None else None) for e in errors])
    try:
        preview = previews.preview(session, workspace_id, rule, sample_size=SAMPLE_SIZE)
    except KempenError as exc:
        return RuleCheck(source, "invalid", [ShownError(exc.detail)])
    return RuleCheck(source, "valid", rule=rules.rule_to_json(rule), text=canonical_text(rule),
                     opaque=opaque_nodes(rule), preview=preview)


def _catalogue(catalogue: FieldCatalogue) -> list[dict[str, Any]]:
    groups = []
    for source, label in FIELD_GROUPS:
        specs = sorted((s for s in catalogue.fields.values() if s.source == source), key=lambda s: s.name)
        fields = [{"name": s.name, "type": s.type.value, "choices": list(s.choices), "label": s.label or s.name}
                  for s in specs]
        if fields:
            groups.append({"label": label, "fields": fields})
    return groups


def builder_config(session: Session, workspace_id: int, segment: Segment | None) -> dict[str, Any]:
    """What the builder script needs: fields by group, operators by type, names to pick from, the rule."""
    rule = rules.rule_from_json(segment.rule) if segment is not None else None
    names = [s.name for s in segments.list_segments(session, workspace_id=workspace_id)]
    return {
        "fields": _catalogue(segments.catalogue_of(session, workspace_id)),
        "operators": {kind.value: [op.value for op in ops] for kind, ops in OPS_FOR.items()},
        "channels": [c.value for c in Channel],
        "segments": [n for n in names if segment is None or n != segment.name],
        "tags": lookups.tag_names(session, workspace_id=workspace_id),
        "lists": [item.name for item in lists.list_lists(session, workspace_id=workspace_id)],
        "rule": rules.rule_to_json(rule) if rule is not None else None,
        "opaque": opaque_nodes(rule) if rule is not None else {},
    }


def _can_edit(ctx: WebContext) -> bool:
    return ctx.principal.role.includes(Role.MARKETER)


def _not_found(request: Request, ctx: WebContext) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "segments", "status_code": 404,
                                          "title": "Segment not found",
                                          "message": "There is no such segment in this workspace."},
                  status_code=404)


@router.get("/segments")
def segments_page(request: Request, session: SessionDep, ctx: WebUser, saved: int | None = None,
                  deleted: bool = False) -> Response:
    """List the workspace's segments."""
    rows = segments.list_segments(session, workspace_id=ctx.workspace_id)
    saved_name = next((s.name for s in rows if s.id == saved), None)
    return render(request, "segments/list.html", {"ctx": ctx, "nav": "segments", "segments": rows, "saved": saved,
                                                  "saved_name": saved_name, "deleted": deleted,
                                                  "can_edit": _can_edit(ctx)})


@router.get("/segments/{segment_id}/count")
def segment_count(request: Request, session: SessionDep, ctx: WebUser, segment_id: SegmentId) -> Response:
    """Count a saved segment's members now, for its row in the list."""
    try:
        segment = segments.get_segment(session, workspace_id=ctx.workspace_id, segment_id=segment_id)
        count: int | None = previews.count_members(session, ctx.workspace_id, rules.rule_from_json(segment.rule))
        error = None
    except NotFound:
        return Response(status_code=404)
    except KempenError as exc:
        count, error = None, exc.detail
    return render(request, "segments/_count.html", {"count": count, "error": error})


def _editor(request: Request, session: SessionDep, ctx: WebContext, segment: Segment | None, *,
            form: dict[str, str] | None = None, check: RuleCheck | None = None, problem: str | None = None,
            name_error: str | None = None, status_code: int = 200) -> Response:
    values = form or {"name": segment.name if segment else "", "description": segment.description if segment else "",
                      "text": segment.rule_text if segment else ""}
    return render(request, "segments/edit.html", {
        "ctx": ctx, "nav": "segments", "segment": segment, "form": values, "check": check or RuleCheck(),
        "problem": problem,
        "name_error": name_error, "config": builder_config(session, ctx.workspace_id, segment),
        "can_edit": _can_edit(ctx),
    }, status_code=status_code)


@router.get("/segments/new")
def new_segment(request: Request, session: SessionDep, ctx: WebUser) -> Response:
    """Show an empty editor."""
    return _editor(request, session, ctx, None)


@router.get("/segments/{segment_id}")
def edit_segment(request: Request, session: SessionDep, ctx: WebUser, segment_id: SegmentId) -> Response:
    """Show a segment in the editor."""
    try:
        segment = segments.get_segment(session, workspace_id=ctx.workspace_id, segment_id=segment_id)
    except NotFound:
        return _not_found(request, ctx)
    check = check_rule(session, ctx.workspace_id, text=segment.rule_text, rule_json=None, source="load")
    return _editor(request, session, ctx, segment, check=check)


@router.post("/segments/validate")
def validate_rule(request: Request, session: SessionDep, ctx: CsrfChecked, text: OptionalRuleText = None,
                  rule_json: OptionalRuleText = None, source: Annotated[str, Form(max_length=16)] = "text",
                  ) -> Response:
    """Check a rule as the user types or builds it; the partial shows errors in place or the live preview."""
    check = check_rule(session, ctx.workspace_id, text=text, rule_json=rule_json if source == "builder" else None,
                       source=source)
    return render(request, "segments/_check.html", {"check": check, "oob": True})


def _submitted(name: str, description: str, text: str, rule_json: str) -> tuple[dict[str, str], dict[str, Any]]:
    """The form as typed (to show again) and the rule as the service takes it: builder JSON if newer, else text."""
    form = {"name": name, "description": description, "text": text}
    if rule_json.strip():
        try:
            return form, {"rule": json.loads(rule_json)}
        except ValueError:
            pass
    return form, {"text": text}


def _save_failed(request: Request, session: SessionDep, ctx: WebContext, segment: Segment | None,
                 form: dict[str, str], exc: KempenError | ValidationError) -> Response:
    """Show the editor again with what was typed and why it was not saved."""
    session.rollback()  # nothing of a refused save may be committed by the request's unit of work
    check = check_rule(session, ctx.workspace_id, text=form["text"], rule_json=None, source="text")
    if isinstance(exc, ValidationError):
        messages = {str(e["loc"][0]) if e["loc"] else "": e["msg"].removeprefix("Value error, ") for e in exc.errors()}
        name_error = messages.pop("name", None)
        return _editor(request, session, ctx, segment, form=form, check=check, name_error=name_error,
                       problem="; ".join(messages.values()) or None, status_code=422)
    duplicate = isinstance(exc, Conflict) and exc.detail.startswith("A segment named")
    return _editor(request, session, ctx, segment, form=form, check=check, status_code=exc.status,
                   name_error=exc.detail if duplicate else None, problem=None if duplicate else exc.detail)


def _forbidden(request: Request, ctx: WebContext) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "segments", "status_code": 403,
                                          "title": "You cannot change segments",
                                          "message": "Saving and deleting segments needs the marketer role."},
                  status_code=403)


@router.post("/segments")
def create_segment(request: Request, session: SessionDep, ctx: CsrfChecked,
                   name: Annotated[str, Form(max_length=400)] = "", description: Annotated[str, Form()] = "",
                   text: RuleText = "", rule_json: RuleText = "") -> Response:
    """Save a new segment and go back to the list."""
    if not _can_edit(ctx):
        return _forbidden(request, ctx)
    form, rule = _submitted(name, description, text, rule_json)
    try:
        data = schemas.SegmentCreate(name=name, description=description, **rule)
        segment = segments.create_segment(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                          data=data)
    except (ValidationError, InvalidInput, Conflict) as exc:
        return _save_failed(request, session, ctx, None, form, exc)
    return RedirectResponse(f"/segments?saved={segment.id}", status_code=303)


@router.post("/segments/{segment_id}")
def update_segment(request: Request, session: SessionDep, ctx: CsrfChecked, segment_id: SegmentId,
                   name: Annotated[str, Form(max_length=400)] = "", description: Annotated[str, Form()] = "",
                   text: RuleText = "", rule_json: RuleText = "") -> Response:
    """Save changes to a segment and go back to the list."""
    if not _can_edit(ctx):
        return _forbidden(request, ctx)
    try:
        segment = segments.get_segment(session, workspace_id=ctx.workspace_id, segment_id=segment_id)
    except NotFound:
        return _not_found(request, ctx)
    form, rule = _submitted(name, description, text, rule_json)
    try:
        data = schemas.SegmentUpdate(name=name, description=description, **rule)
        segments.update_segment(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                segment_id=segment_id, data=data)
    except (ValidationError, InvalidInput, Conflict) as exc:
        return _save_failed(request, session, ctx, segment, form, exc)
    return RedirectResponse(f"/segments?saved={segment_id}", status_code=303)


@router.post("/segments/{segment_id}/delete")
def delete_segment(request: Request, session: SessionDep, ctx: CsrfChecked, segment_id: SegmentId) -> Response:
    """Delete a segment (the editor asks for confirmation first)."""
    if not _can_edit(ctx):
        return _forbidden(request, ctx)
    try:
        segment = segments.get_segment(session, workspace_id=ctx.workspace_id, segment_id=segment_id)
        segments.delete_segment(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                segment_id=segment_id)
    except NotFound:
        return _not_found(request, ctx)
    except Conflict as exc:
        session.rollback()
        return _editor(request, session, ctx, segment, problem=exc.detail, status_code=409)
    return RedirectResponse("/segments?deleted=1", status_code=303)
