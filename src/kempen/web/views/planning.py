"""Objectives on the campaign page (a card loaded by HTMX) and the programme pages (list and detail).

Everyone in the workspace sees them; marketers and up add, change and remove. Forms post normally (a
redirect back on success) and, on the campaign page, by HTMX (the card is swapped, errors shown in it).
In forms, rates and ROI are typed as percentages (3 for 3 %); the API takes fractions.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.campaigns import service as campaigns
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.clock import utcnow
from kempen.kit.errors import KempenError, NotFound
from kempen.models import ObjectiveMetric
from kempen.planning import figures, measures, objectives, programmes, schemas
from kempen.web.auth import CsrfChecked, WebContext, WebUser
from kempen.web.templating import render
from kempen.web.views.campaign_pages import can_edit, forbidden, invalid_fields, not_found

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=2000)]
NEEDS_MARKETER = "Changing objectives and programmes needs the marketer role."
METRICS = {m.value: measures.metric_label(m).capitalize() if m != ObjectiveMetric.NAMED_CONVERSION
           else "Named conversion (lead, sign-up…)" for m in ObjectiveMetric}


def _empty_form() -> dict[str, str]:
    return {"metric": "conversions", "conversion_name": "", "baseline": "0", "target": "", "deadline": "",
            "description": "", "relevance": ""}


def _objective_data(form: dict[str, str]) -> schemas.ObjectiveCreate:
    """The form as an objective; percentages become fractions for rates and ROI."""
    values: dict[str, Any] = {k: v for k, v in form.items() if v.strip()}
    metric = values.get("metric", "")
    if metric in ObjectiveMetric.__members__.values() and measures.MEASURES[ObjectiveMetric(metric)].fraction:
        for name in ("baseline", "target"):
            if name in values:
                values[name] = _fraction(values[name], name)
    return schemas.ObjectiveCreate.model_validate(values)


def _fraction(text: str, name: str) -> Decimal:
    try:
        return Decimal(text.strip().rstrip("%").strip().replace(",", "")) / 100
    except InvalidOperation:
        raise ValueError(f"{name}: enter a number") from None


def _errors(exc: ValueError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        return invalid_fields(exc)
    name, _, message = str(exc).partition(": ")
    return {name: message}


def _shown(metric: ObjectiveMetric, value: Decimal) -> str:
    """A stored value as the form shows it: rates and ROI in percent."""
    shown = value * 100 if measures.MEASURES[metric].fraction else value
    return format(shown.normalize(), "f")


def edit_values(objective: Any) -> dict[str, str]:
    """The edit form of an objective, filled with what it is now."""
    return {"baseline": _shown(objective.metric, objective.baseline),
            "target": _shown(objective.metric, objective.target), "deadline": objective.deadline.isoformat(),
            "description": objective.description, "relevance": objective.relevance}


def _objective_changes(metric: ObjectiveMetric, form: dict[str, str]) -> schemas.ObjectiveUpdate:
    """The edit form as changes; empty texts clear them, an empty baseline is 0, target and deadline are needed."""
    values: dict[str, Any] = {"description": form["description"].strip(), "relevance": form["relevance"].strip(),
                              "baseline": form["baseline"].strip() or "0"}
    for name in ("target", "deadline"):
        if not form[name].strip():
            raise ValueError(f"{name}: enter a {name}")
        values[name] = form[name].strip()
    if measures.MEASURES[metric].fraction:
        values.update(baseline=_fraction(values["baseline"], "baseline"), target=_fraction(values["target"], "target"))
    return schemas.ObjectiveUpdate.model_validate(values)


def _edit_form(baseline: str, target: str, deadline: str, description: str, relevance: str) -> dict[str, str]:
    return {"baseline": baseline, "target": target, "deadline": deadline, "description": description,
            "relevance": relevance}


def _edit_refused(objective_id: int, form: dict[str, str], exc: Exception) -> dict[str, Any]:
    """What the page shows in the objective's edit form when the change was refused."""
    if isinstance(exc, KempenError):
        return {"id": objective_id, "form": form, "errors": {}, "problem": exc.detail}
    assert isinstance(exc, ValueError)
    return {"id": objective_id, "form": form, "errors": _errors(exc), "problem": None}


def _card(request: Request, session: Session, ctx: WebContext, campaign_id: int, *,
          form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          problem: str | None = None, edit: dict[str, Any] | None = None) -> Response:
    campaign = campaigns.get_campaign_or_raise(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
    return render(request, "planning/_objectives_card.html", {
        "ctx": ctx, "campaign": campaign, "can_edit": can_edit(ctx), "metrics": METRICS,
        "items": objectives.campaign_progress(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id),
        "currency": figures.workspace_currency(session, ctx.workspace_id), "form": form or _empty_form(),
        "errors": errors or {}, "problem": problem, "format_value": measures.format_value,
        "today": utcnow().date().isoformat(), "edit": edit, "edit_values": edit_values})


@router.get("/campaigns/{campaign_id}/objectives")
def objectives_card(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath) -> Response:
    """The objectives card of a campaign page: progress bars with the pace sentence, and the form to add one."""
    try:
        return _card(request, session, ctx, campaign_id)
    except NotFound:
        return not_found(request, ctx)


def _after(request: Request, session: Session, ctx: WebContext, campaign_id: int, **shown: Any) -> Response:
    """HTMX swaps the card (errors shown in it); a plain form goes back to the page."""
    if request.headers.get("HX-Request"):
        if shown:
            session.rollback()
        return _card(request, session, ctx, campaign_id, **shown)
    if shown:
        refused = shown.get("edit") or shown
        message = refused.get("problem") or "; ".join(f"{k}: {v}" for k, v in refused.get("errors", {}).items())
        return render(request, "error.html", {"ctx": ctx, "nav": "campaigns", "status_code": 422,
                                              "title": "The objective was not saved", "message": message},
                      status_code=422)
    return RedirectResponse(f"/campaigns/{campaign_id}#objectives", status_code=303)


@router.post("/campaigns/{campaign_id}/objectives")
def add_objective(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                  metric: Short = "conversions", conversion_name: Short = "", baseline: Short = "0",
                  target: Short = "", deadline: Short = "", description: Long = "",
                  relevance: Long = "") -> Response:
    """Add an objective to the campaign."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    form = {"metric": metric, "conversion_name": conversion_name, "baseline": baseline, "target": target,
            "deadline": deadline, "description": description, "relevance": relevance}
    try:
        objectives.add_objective(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                 campaign_id=campaign_id, data=_objective_data(form))
    except NotFound:
        return not_found(request, ctx)
    except ValueError as exc:
        return _after(request, session, ctx, campaign_id, form=form, errors=_errors(exc))
    except KempenError as exc:
        return _after(request, session, ctx, campaign_id, form=form, problem=exc.detail)
    return _after(request, session, ctx, campaign_id)


@router.post("/campaigns/{campaign_id}/objectives/{objective_id}/delete")
def remove_objective(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                     objective_id: IdPath) -> Response:
    """Remove one of the campaign's objectives."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    try:
        found = objectives.get_objective_or_raise(session, workspace_id=ctx.workspace_id, objective_id=objective_id,
                                                  campaign_id=campaign_id)
    except NotFound:
        return not_found(request, ctx, "Objective")
    objectives.remove_objective(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, objective=found)
    return _after(request, session, ctx, campaign_id)


@router.post("/campaigns/{campaign_id}/objectives/{objective_id}")
def edit_objective(request: Request, session: SessionDep, ctx: CsrfChecked, campaign_id: IdPath,
                   objective_id: IdPath, baseline: Short = "", target: Short = "", deadline: Short = "",
                   description: Long = "", relevance: Long = "") -> Response:
    """Change a campaign objective's baseline, target, deadline and texts (its metric stays)."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    try:
        found = objectives.get_objective_or_raise(session, workspace_id=ctx.workspace_id, objective_id=objective_id,
                                                  campaign_id=campaign_id)
    except NotFound:
        return not_found(request, ctx, "Objective")
    form = _edit_form(baseline, target, deadline, description, relevance)
    try:
        objectives.update_objective(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                    objective=found, data=_objective_changes(found.metric, form))
    except (ValueError, KempenError) as exc:
        return _after(request, session, ctx, campaign_id, edit=_edit_refused(objective_id, form, exc))
    return _after(request, session, ctx, campaign_id)


# Programmes

def _programme_not_found(request: Request, ctx: WebContext) -> Response:
    return render(request, "error.html", {"ctx": ctx, "nav": "programmes", "status_code": 404,
                                          "title": "Programme not found",
                                          "message": "There is no such programme in this workspace."},
                  status_code=404)


def _list_page(request: Request, session: Session, ctx: WebContext, *, form: dict[str, str] | None = None,
               problem: str | None = None, status_code: int = 200) -> Response:
    return render(request, "planning/programmes.html", {
        "ctx": ctx, "nav": "programmes", "can_edit": can_edit(ctx), "problem": problem,
        "items": programmes.list_programmes(session, workspace_id=ctx.workspace_id),
        "currency": figures.workspace_currency(session, ctx.workspace_id),
        "form": form or {"name": "", "budget": "", "starts_on": "", "ends_on": "", "description": "", "owner_id": ""},
        "owners": programmes.owner_choices(session, workspace_id=ctx.workspace_id),
        "deleted": request.query_params.get("deleted") == "1"}, status_code=status_code)


@router.get("/programmes")
def programmes_page(request: Request, session: SessionDep, ctx: WebUser) -> Response:
    """Every programme with its campaigns and budget; marketers create one here."""
    return _list_page(request, session, ctx)


def _programme_fields(form: dict[str, str]) -> dict[str, Any]:
    return {k: v for k, v in form.items() if v.strip()}


@router.post("/programmes")
def create_programme(request: Request, session: SessionDep, ctx: CsrfChecked, name: Short = "", budget: Short = "",
                     starts_on: Short = "", ends_on: Short = "", description: Long = "",
                     owner_id: Short = "") -> Response:
    """Create a programme and open it."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    form = {"name": name, "budget": budget, "starts_on": starts_on, "ends_on": ends_on, "description": description,
            "owner_id": owner_id}
    try:
        found = programmes.create_programme(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                            data=schemas.ProgrammeCreate.model_validate(_programme_fields(form)))
    except ValidationError as exc:
        session.rollback()
        problem = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in invalid_fields(exc).items())
        return _list_page(request, session, ctx, form=form, problem=f"Not saved: {problem}", status_code=422)
    except KempenError as exc:
        session.rollback()
        return _list_page(request, session, ctx, form=form, problem=exc.detail, status_code=exc.status)
    return RedirectResponse(f"/programmes/{found.id}", status_code=303)


def _detail_page(request: Request, session: Session, ctx: WebContext, programme_id: int, *,
                 problem: str | None = None, form: dict[str, str] | None = None, status_code: int = 200,
                 edit: dict[str, Any] | None = None) -> Response:
    detail = programmes.programme_detail(session, workspace_id=ctx.workspace_id, programme_id=programme_id)
    inside = {c.campaign_id for c in detail.campaigns}
    others, _ = campaigns.list_campaigns(session, workspace_id=ctx.workspace_id, limit=200)
    return render(request, "planning/programme.html", {
        "ctx": ctx, "nav": "programmes", "p": detail, "r": detail.rollup, "can_edit": can_edit(ctx),
        "problem": problem, "metrics": METRICS, "form": form or _empty_form(), "errors": {},
        "format_value": measures.format_value, "currency": detail.rollup.currency,
        "candidates": [c for c in others if c.id not in inside], "today": utcnow().date().isoformat(),
        "owners": programmes.owner_choices(session, workspace_id=ctx.workspace_id),
        "done": request.query_params.get("done"), "edit": edit, "edit_values": edit_values},
        status_code=status_code)


@router.get("/programmes/{programme_id}")
def programme_page(request: Request, session: SessionDep, ctx: WebUser, programme_id: IdPath) -> Response:
    """A programme: its campaigns' figures, their sum against the budget, its objectives."""
    try:
        return _detail_page(request, session, ctx, programme_id)
    except NotFound:
        return _programme_not_found(request, ctx)


def _programme_action(request: Request, session: Session, ctx: WebContext, programme_id: int, action: Any,
                      done: str, form: dict[str, str] | None = None) -> Response:
    """Run a marketer's change of a programme; back to its page, or the page with the problem."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    try:
        programmes.get_programme_or_raise(session, workspace_id=ctx.workspace_id, programme_id=programme_id)
    except NotFound:
        return _programme_not_found(request, ctx)
    try:
        action()
    except ValidationError as exc:
        session.rollback()
        problem = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in invalid_fields(exc).items())
        return _detail_page(request, session, ctx, programme_id, problem=f"Not saved: {problem}", form=form,
                            status_code=422)
    except ValueError as exc:
        session.rollback()
        return _detail_page(request, session, ctx, programme_id, problem=f"Not saved: {exc}", form=form,
                            status_code=422)
    except KempenError as exc:
        session.rollback()
        return _detail_page(request, session, ctx, programme_id, problem=exc.detail, form=form,
                            status_code=exc.status)
    return RedirectResponse(f"/programmes/{programme_id}?done={done}", status_code=303)


@router.post("/programmes/{programme_id}")
def edit_programme(request: Request, session: SessionDep, ctx: CsrfChecked, programme_id: IdPath,
                   name: Short = "", budget: Short = "", starts_on: Short = "", ends_on: Short = "",
                   description: Long = "", owner_id: Short = "") -> Response:
    """Save the programme's name, budget, dates, owner and description (empty fields clear them)."""
    def change() -> None:
        data = schemas.ProgrammeUpdate.model_validate({
            "name": name or None, "description": description, "budget": budget.strip() or None,
            "starts_on": starts_on.strip() or None, "ends_on": ends_on.strip() or None,
            "owner_id": owner_id.strip() or None})
        programmes.update_programme(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                    programme_id=programme_id, data=data)
    return _programme_action(request, session, ctx, programme_id, change, "saved")


@router.post("/programmes/{programme_id}/delete")
def delete_programme(request: Request, session: SessionDep, ctx: CsrfChecked, programme_id: IdPath) -> Response:
    """Delete the programme; its campaigns stay."""
    response = _programme_action(request, session, ctx, programme_id, lambda: programmes.delete_programme(
        session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, programme_id=programme_id), "deleted")
    if isinstance(response, RedirectResponse):
        return RedirectResponse("/programmes?deleted=1", status_code=303)
    return response


@router.post("/programmes/{programme_id}/campaigns")
def assign_campaign(request: Request, session: SessionDep, ctx: CsrfChecked, programme_id: IdPath,
                    campaign_id: Annotated[int, Form(ge=1)]) -> Response:
    """Put a campaign in the programme."""
    return _programme_action(request, session, ctx, programme_id, lambda: programmes.assign_campaign(
        session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, campaign_id=campaign_id,
        programme_id=programme_id), "assigned")


@router.post("/programmes/{programme_id}/campaigns/{campaign_id}/remove")
def unassign_campaign(request: Request, session: SessionDep, ctx: CsrfChecked, programme_id: IdPath,
                      campaign_id: IdPath) -> Response:
    """Take a campaign out of the programme."""
    return _programme_action(request, session, ctx, programme_id, lambda: programmes.unassign_campaign(
        session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, programme_id=programme_id,
        campaign_id=campaign_id), "removed")


@router.post("/programmes/{programme_id}/objectives")
def add_programme_objective(request: Request, session: SessionDep, ctx: CsrfChecked, programme_id: IdPath,
                            metric: Short = "conversions", conversion_name: Short = "", baseline: Short = "0",
                            target: Short = "", deadline: Short = "", description: Long = "",
                            relevance: Long = "") -> Response:
    """Add an objective measured on the sum of the programme's campaigns."""
    form = {"metric": metric, "conversion_name": conversion_name, "baseline": baseline, "target": target,
            "deadline": deadline, "description": description, "relevance": relevance}
    return _programme_action(request, session, ctx, programme_id, lambda: objectives.add_objective(
        session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor, programme_id=programme_id,
        data=_objective_data(form)), "objective-added", form=form)


@router.post("/programmes/{programme_id}/objectives/{objective_id}/delete")
def remove_programme_objective(request: Request, session: SessionDep, ctx: CsrfChecked, programme_id: IdPath,
                               objective_id: IdPath) -> Response:
    """Remove one of the programme's objectives."""
    def remove() -> None:
        found = objectives.get_objective_or_raise(session, workspace_id=ctx.workspace_id,
                                                  objective_id=objective_id, programme_id=programme_id)
        objectives.remove_objective(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                    objective=found)
    return _programme_action(request, session, ctx, programme_id, remove, "objective-removed")


@router.post("/programmes/{programme_id}/objectives/{objective_id}")
def edit_programme_objective(request: Request, session: SessionDep, ctx: CsrfChecked, programme_id: IdPath,
                             objective_id: IdPath, baseline: Short = "", target: Short = "", deadline: Short = "",
                             description: Long = "", relevance: Long = "") -> Response:
    """Change a programme objective's baseline, target, deadline and texts; refusals shown in its form."""
    if not can_edit(ctx):
        return forbidden(request, ctx, NEEDS_MARKETER)
    form = _edit_form(baseline, target, deadline, description, relevance)
    try:
        programmes.get_programme_or_raise(session, workspace_id=ctx.workspace_id, programme_id=programme_id)
        found = objectives.get_objective_or_raise(session, workspace_id=ctx.workspace_id,
                                                  objective_id=objective_id, programme_id=programme_id)
    except NotFound:
        return _programme_not_found(request, ctx)
    try:
        objectives.update_objective(session, workspace_id=ctx.workspace_id, actor=ctx.principal.actor,
                                    objective=found, data=_objective_changes(found.metric, form))
    except (ValueError, KempenError) as exc:
        session.rollback()
        return _detail_page(request, session, ctx, programme_id, edit=_edit_refused(objective_id, form, exc),
                            status_code=exc.status if isinstance(exc, KempenError) else 422)
    return RedirectResponse(f"/programmes/{programme_id}?done=objective-saved", status_code=303)
