"""The calculators page: read an A/B test from its counts, and plan a test's size before launch.

Both forms use GET: a calculation changes nothing, and its address can be bookmarked or shared. HTMX swaps
the result under each form and keeps the address bar in step; without JavaScript the whole page reloads.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from kempen import stats
from kempen.stats.parsing import parse_list
from kempen.web.auth import WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=500)]


class _TypedForm:
    """A form kept as typed, so a result's address can be bookmarked and the form refilled from it."""

    def query_string(self) -> str:
        return urlencode({f.name: getattr(self, f.name) for f in fields(self)  # type: ignore[arg-type]
                          if getattr(self, f.name)})


@dataclass(frozen=True)
class AbForm(_TypedForm):
    """The A/B form as typed: comma-separated lists, one value per variant, control first."""

    metric: str = "rate"
    users: str = ""
    conversions: str = ""
    sums: str = ""
    sums_squares: str = ""
    split: str = ""
    confidence: str = "0.95"

    @property
    def filled(self) -> bool:
        return bool(self.users.strip())


@dataclass(frozen=True)
class SampleSizeForm(_TypedForm):
    """The sample-size form as typed; a standard deviation turns it into a calculation for a mean."""

    baseline: str = ""
    mde: str = ""
    relative: str = ""
    alpha: str = "0.05"
    power: str = "0.8"
    variants: str = "2"
    std_dev: str = ""

    @property
    def filled(self) -> bool:
        return bool(self.mde.strip())


def ab_form(metric: Text = "rate", users: Text = "", conversions: Text = "", sums: Text = "",
            sums_squares: Text = "", split: Text = "", confidence: Text = "0.95") -> AbForm:
    return AbForm(metric, users, conversions, sums, sums_squares, split, confidence)


def sample_size_form(baseline: Text = "", mde: Text = "", relative: Text = "", alpha: Text = "0.05",
                     power: Text = "0.8", variants: Text = "2", std_dev: Text = "") -> SampleSizeForm:
    return SampleSizeForm(baseline, mde, relative, alpha, power, variants, std_dev)


AbQuery = Annotated[AbForm, Depends(ab_form)]
SampleSizeQuery = Annotated[SampleSizeForm, Depends(sample_size_form)]


def _number(text: str, name: str, kind: type[int] | type[float] = float) -> Any:
    try:
        return kind(text.strip())
    except ValueError:
        raise stats.StatsInputError(f"{name} must be a number (got {text!r}).") from None


def _required(text: str, name: str, kind: type[int] | type[float]) -> list[Any]:
    values = parse_list(text, name, kind)
    if values is None:
        raise stats.StatsInputError(f"Fill in {name}, one value per variant separated by commas.")
    return values


def read_ab(form: AbForm) -> stats.AbResult:
    """Run the A/B calculation the form describes; StatsInputError says what to fix."""
    users = _required(form.users, "Users", int)
    split = parse_list(form.split, "Planned split", float)
    confidence = _number(form.confidence, "Confidence")
    if form.metric == "mean":
        return stats.analyse_means(users, _required(form.sums, "Sums", float),
                                   _required(form.sums_squares, "Sums of squares", float),
                                   split=split, confidence=confidence)
    return stats.analyse_proportions(users, _required(form.conversions, "Conversions", int), split=split,
                                     confidence=confidence)


def read_sample_size(form: SampleSizeForm, split: list[float] | None = None) -> stats.SampleSize:
    """Run the sample-size calculation the form describes (equal shares unless a planned split is given)."""
    options = {"relative": bool(form.relative), "alpha": _number(form.alpha, "Alpha"),
               "power": _number(form.power, "Power"), "variants": _number(form.variants, "Variants", int),
               "split": split}
    mde = _number(form.mde, "Minimum detectable effect")
    baseline = _number(form.baseline, "Baseline") if form.baseline.strip() else None
    if form.std_dev.strip():
        return stats.sample_size_means(_number(form.std_dev, "Standard deviation"), mde, baseline_mean=baseline,
                                       **options)
    if baseline is None:
        raise stats.StatsInputError("Fill in the baseline rate (e.g. 0.05), or a standard deviation for a mean.")
    return stats.sample_size_proportions(baseline, mde, **options)


def _ab_context(form: AbForm) -> dict[str, Any]:
    result, error = None, None
    if form.filled:
        try:
            result = read_ab(form)
        except stats.StatsInputError as exc:
            error = str(exc)
    return {"ab": form, "result": result, "ab_error": error}


def _sample_size_context(form: SampleSizeForm) -> dict[str, Any]:
    plan, error = None, None
    if form.filled:
        try:
            plan = read_sample_size(form)
        except stats.StatsInputError as exc:
            error = str(exc)
    return {"size": form, "plan": plan, "size_error": error}


def _page_url(ab: AbForm, size: SampleSizeForm) -> str:
    query = "&".join(part for part in (ab.query_string(), size.query_string()) if part)
    return "/stats/ab" + (f"?{query}" if query else "")


@router.get("/stats")
@router.get("/stats/ab")
def calculators_page(request: Request, ctx: WebUser, ab: AbQuery, size: SampleSizeQuery) -> Response:
    """Show the A/B test calculator and the sample-size calculator, with results when the forms are filled."""
    context = {"ctx": ctx, "nav": "stats", **_ab_context(ab), **_sample_size_context(size)}
    return render(request, "stats/calculators.html", context)


@router.get("/stats/ab/result")
def ab_result(request: Request, ctx: WebUser, ab: AbQuery, size: SampleSizeQuery) -> Response:
    """Return the A/B result alone, for the form to swap in."""
    return render(request, "stats/_ab_result.html", _ab_context(ab),
                  headers={"HX-Push-Url": _page_url(ab, size)})


@router.get("/stats/sample-size/result")
def sample_size_result(request: Request, ctx: WebUser, ab: AbQuery, size: SampleSizeQuery) -> Response:
    """Return the sample-size result alone, for the form to swap in."""
    return render(request, "stats/_sample_size_result.html", _sample_size_context(size),
                  headers={"HX-Push-Url": _page_url(ab, size)})
