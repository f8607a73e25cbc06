"""The A/B test size card on a campaign page before launch: how many recipients each variant needs, and
whether the campaign's audience gives them that.

The card loads by HTMX after the page (counting the segment takes a query of its own) and recalculates on
each change of its small form. The form's fields are those of the /stats sample-size calculator, read by
the same code, plus the audience, prefilled with the estimate of `experiments.planning`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen import stats
from kempen.experiments.captions import NOUNS
from kempen.experiments.planning import TestAudience, TestPlan, plan_test, test_audience
from kempen.experiments.schemas import Metric
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import NotFound
from kempen.web.auth import WebUser
from kempen.web.templating import render
from kempen.web.views.campaign_pages import not_found
from kempen.web.views.stats import SampleSizeForm, SampleSizeQuery, read_sample_size

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=40)]
# A starting point per metric (typical e-mail figures), so the card answers before anyone types.
BASELINES = {Metric.OPEN_RATE: "0.25", Metric.CLICK_RATE: "0.03", Metric.CONVERSION_RATE: "0.01",
             Metric.REVENUE_PER_RECIPIENT: "0.01"}
DEFAULT_MDE = "0.2"  # a 20 % relative change


def _default_form(audience: TestAudience) -> SampleSizeForm:
    return SampleSizeForm(baseline=BASELINES[audience.metric], mde=DEFAULT_MDE, relative="1",
                          variants=str(len(audience.splits)))


def _audience_input(text: str, audience: TestAudience) -> int | None:
    """The audience the form says (the estimate unless someone typed another number)."""
    if not text.strip():
        return audience.recipients
    try:
        value = int(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise stats.StatsInputError(f"The audience must be a whole number of recipients (got {text!r}).") from None
    if value < 0:
        raise stats.StatsInputError("The audience cannot be negative.")
    return value


def _answer(form: SampleSizeForm, audience_text: str, audience: TestAudience) -> dict[str, Any]:
    """The plan for the form, or the error to show instead."""
    try:
        recipients = _audience_input(audience_text, audience)
        variants = int(form.variants) if form.variants.strip().isdigit() else 0
        # The campaign's own split when the form keeps its number of variants; equal shares otherwise.
        same = variants == len(audience.splits)
        splits = audience.splits if same else tuple(1 for _ in range(variants))
        size = read_sample_size(form, [float(s) for s in splits] if same else None)
        baseline = float(form.baseline) if form.baseline.strip() and not form.std_dev.strip() else None
        plan = plan_test(size, baseline=baseline, recipients=recipients, splits=splits)
    except stats.StatsInputError as exc:
        return {"plan": None, "error": str(exc), "recipients": None}
    return {"plan": plan, "error": None, "recipients": recipients, "baseline": baseline}


def describe_change(plan: TestPlan, baseline: float | None) -> str | None:
    """The change the plan sizes for, e.g. "from 3 % to 3.6 %"; None when it is not about a rate."""
    if baseline is None:
        return None
    return f"from {baseline * 100:.3g} % to {(baseline + plan.size.difference) * 100:.3g} %"


def _context(session: Session, workspace_id: int, campaign_id: int, form: SampleSizeForm, audience_text: str,
             *, prefill: bool) -> dict[str, Any]:
    """Everything the card shows; `prefill` starts an empty form from the defaults."""
    audience = test_audience(session, workspace_id=workspace_id, campaign_id=campaign_id)
    if prefill and not form.filled:
        form = _default_form(audience)
    answer = (_answer(form, audience_text, audience) if form.filled else
              {"plan": None, "error": "Fill in the smallest change worth detecting.", "recipients": None})
    return {"campaign_id": campaign_id, "audience": audience, "size": form, "noun": NOUNS[audience.metric],
            "audience_text": audience_text, "describe_change": describe_change, **answer}


@router.get("/campaigns/{campaign_id}/sample-size")
def sample_size_card(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath,
                     size: SampleSizeQuery, audience: Text = "") -> Response:
    """The card: the planned test, its form (prefilled) and the answer."""
    try:
        context = _context(session, ctx.workspace_id, campaign_id, size, audience, prefill=True)
    except NotFound:
        return not_found(request, ctx)
    return render(request, "campaigns/_sample_size_card.html", context)


@router.get("/campaigns/{campaign_id}/sample-size/answer")
def sample_size_answer(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath,
                       size: SampleSizeQuery, audience: Text = "") -> Response:
    """The answer alone, for the card's form to swap in."""
    try:
        context = _context(session, ctx.workspace_id, campaign_id, size, audience, prefill=False)
    except NotFound:
        return not_found(request, ctx)
    return render(request, "campaigns/_sample_size_answer.html", context)
