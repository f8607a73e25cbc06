"""The campaign PDF: number formats, the SVG charts, and the rendered pages read back.

Rendering tests use a constructed report with figures no default could produce (12,480 sent,
€38,215.50 revenue, 41.3% open rate …); its pages are read back three ways: the PDF's text layer
(every table's figures), the pixels of page images (chart marks where the charts are, bar heights in
proportion to the values) and Tesseract OCR of page 1 (the headline figures as a person sees them). The
last test builds the PDF from the real reporting services on both databases.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from sqlalchemy.orm import Session

from kempen.attribution.types import AttributedCredit, AttributionModel
from kempen.experiments.schemas import ArmOut, ComparisonOut, EstimateOut, ExperimentOut, Metric
from kempen.reporting import report as reports
from kempen.reporting import svg_charts
from kempen.reporting.pdf import campaign_html, campaign_pdf
from kempen.reporting.schemas import (
    BudgetLine,
    CampaignReport,
    Figures,
    GroupOutcome,
    Incrementality,
    SeriesPoint,
)
from kempen.reporting.svg_charts import Bar, count, money, nice_ticks, percent, points
from tests.reporting.conftest import LAUNCH, Built

SVG = "{http://www.w3.org/2000/svg}"
GENERATED = datetime(2026, 4, 1, 8, 30, tzinfo=UTC)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _e(estimate: float | None, low: float | None = None, high: float | None = None, method: str = "Wald",
       reason: str | None = None) -> EstimateOut:
    return EstimateOut(estimate=estimate, low=low, high=high, method=method, reason=reason)


def _figures(key: str, label: str, **values: object) -> Figures:
    return Figures(key=key, label=label, **values)  # type: ignore[arg-type]


def sample_experiment(*, significant: bool = False, metric: Metric = Metric.CLICK_RATE) -> ExperimentOut:
    """Variants A and B of "Newsletter" on click rate: B ahead, not significant."""
    wilson = "Wilson score interval"
    return ExperimentOut(
        campaign_id=7, message_id=3, message_name="Newsletter", channel="email", metric=metric, confidence=0.95,
        since=START, until=START + timedelta(days=10),
        arms=[ArmOut(variant_id=1, name="A", planned_percent=50, recipients=5500, successes=481,
                     value=_e(0.08745, 0.08027, 0.09521, wilson), probability_best=0.083),
              ArmOut(variant_id=2, name="B", planned_percent=50, recipients=5500, successes=522,
                     value=_e(0.09491, 0.08745, 0.10293, wilson), probability_best=0.917)],
        comparisons=[ComparisonOut(variant_id=2, name="B", absolute=_e(0.00745, -0.00316, 0.01806),
                                   relative=_e(0.0852, -0.0338, 0.2192), p_value=0.1689,
                                   test="two-proportion z-test (pooled)")],
        srm_p_value=0.4321, leader_variant_id=2, significant=significant,
        caption="B's click rate is 0.7 points higher than A's; 92% probability it is the best.")


def sample_incrementality() -> Incrementality:
    return Incrementality(
        since=START, until=START + timedelta(days=7), confidence=0.95,
        treated=GroupOutcome(contacts=12480, converted=612, revenue=51200.0, conversion_rate=612 / 12480,
                             revenue_per_contact=51200 / 12480),
        holdout=GroupOutcome(contacts=620, converted=21, revenue=1540.0, conversion_rate=21 / 620,
                             revenue_per_contact=1540 / 620),
        rate_difference=_e(0.01517, 0.00041, 0.02993), rate_lift=_e(0.4479, 0.0254, 1.0446), rate_p_value=0.0811,
        rate_test="two-proportion z-test (pooled)", rate_test_reason=None,
        revenue_difference=_e(1.6187, 0.2211, 3.0163), revenue_lift=_e(0.6517, 0.0102, 1.2932),
        revenue_p_value=0.0233, revenue_test="Welch's t-test", revenue_test_reason=None,
        incremental_conversions=_e(189.3, 5.1, 373.5), incremental_revenue=_e(20201.4, 2759.3, 37643.4),
        cost=Decimal("4210.40"), incremental_roi=_e(3.798, -0.3446, 7.9405))


def sample_report() -> CampaignReport:
    """A finished campaign with two channels, an A/B test, a holdout and budgets: distinctive figures."""
    totals = _figures("total", "Spring sale", audience=13100, holdout=620, deliveries=12800, sent=12480,
                      delivered=12211, bounced=269, opens=5043, clicks=1187, unsubscribes=37, conversions=412,
                      revenue=Decimal("38215.50"), cost=Decimal("4210.40"), open_rate=0.413, click_rate=0.0972,
                      bounce_rate=0.0216, roi=8.076, roas=9.076, machine_opens=1320, machine_clicks=58)
    email = _figures("email", "Email", sent=11000, delivered=10760, opens=4800, clicks=1003, unsubscribes=31,
                     conversions=356.5, open_rate=0.4461, click_rate=0.0932, revenue=Decimal("31900.25"),
                     cost=Decimal("2110.40"), roi=14.116)
    sms = _figures("sms", "SMS", sent=1480, delivered=1451, opens=243, clicks=184, unsubscribes=6, conversions=55.5,
                   open_rate=0.1675, click_rate=0.1268, revenue=Decimal("6315.25"), cost=Decimal("2100.00"),
                   roi=2.007)
    a = _figures("1", "A", sent=5500, delivered=5391, opens=2388, clicks=481, open_rate=0.4430, click_rate=0.0892,
                 conversions=170, revenue=Decimal("15120.10"), cost=Decimal("55.00"), roi=273.9)
    b = _figures("2", "B", sent=5500, delivered=5369, opens=2412, clicks=522, open_rate=0.4492, click_rate=0.0972,
                 conversions=186.5, revenue=Decimal("16780.15"), cost=Decimal("55.00"), roi=304.1)
    hours = [(12480, 1900, 400), (0, 1300, 300), (0, 700, 160), (0, 400, 90)]
    series = [SeriesPoint(start=START + timedelta(hours=h), bucket="hour", sent=s, opens=o, clicks=c)
              for h, (s, o, c) in enumerate(hours)]
    series += [SeriesPoint(start=datetime(2026, 3, 6, tzinfo=UTC) + timedelta(days=d), bucket="day", opens=o,
                           clicks=c) for d, (o, c) in enumerate([(420, 120), (200, 60), (123, 57)])]
    budget = [BudgetLine(channel="email", planned=Decimal("2500.00"), actual=Decimal("2110.40"),
                         variance=Decimal("-389.60")),
              BudgetLine(channel="sms", planned=Decimal("1800.00"), actual=Decimal("2100.00"),
                         variance=Decimal("300.00")),
              BudgetLine(channel="paid_search", planned=None, actual=Decimal("0.00"), variance=None)]
    return CampaignReport(
        campaign_id=7, name="Spring sale", status="completed", currency="EUR",
        model=AttributionModel("last_touch"), launched_at=START, until=START + timedelta(days=30),
        machine_excluded=True, totals=totals, channels=[email, sms], variants=[a, b], series=series,
        budget=budget, incrementality=sample_incrementality(), experiments=[sample_experiment()])


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return campaign_pdf(sample_report(), workspace_name="Acme Retail", generated_at=GENERATED)


def _pages_text(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))]


def _page_image(pdf: bytes, index: int, dpi: int = 150) -> tuple[Image.Image, float]:
    """The page as an RGB image, and pixels per PDF point."""
    scale = dpi / 72
    return pdfium.PdfDocument(pdf)[index].render(scale=scale).to_pil().convert("RGB"), scale


# Numbers as people read them -----------------------------------------------------------------------------

def test_numbers_are_formatted_for_people() -> None:
    assert [count(12480), count(12.5), count(356.25), count(0), count(None)] == ["12,480", "12.5", "356.25", "0", "—"]
    assert money(Decimal("38215.5"), "EUR") == "€38,215.50"
    assert money(-12, "USD") == "−$12.00" and money(1200, "CHF") == "1,200.00 CHF"
    assert money(Decimal("300"), "GBP", signed=True) == "+£300.00" and money(0, "EUR", signed=True) == "€0.00"
    assert money(-0.001, "EUR") == "€0.00"  # no "−€0.00"
    assert [percent(0.413), percent(0.0042), percent(0), percent(None)] == ["41.3%", "0.42%", "0.0%", "—"]
    assert percent(8.076, signed=True) == "+807.6%" and percent(-0.3446, signed=True) == "−34.5%"
    assert percent(-0.25) == "−25.0%"
    assert [points(0.012), points(-0.0032), points(0), points(None)] == ["+1.2 pts", "−0.32 pts", "±0.0 pts", "—"]
    # An interval's end of 1e-17 is float noise: it prints as zero, not as "0.00%".
    assert percent(2.7e-18) == "0.0%" and points(-1e-19) == "±0.0 pts"


@pytest.mark.parametrize(("low", "high", "expected"), [
    (0, 12480, [0, 5000, 10000, 15000]),
    (0, 0.10293, [0, 0.05, 0.1, 0.15]),
    (0, 2500, [0, 1000, 2000, 3000]),
    (-0.3446, 7.9405, [-2.5, 0, 2.5, 5, 7.5, 10]),
    (0, 0, [0, 0.25, 0.5, 0.75, 1]),
    (5, 5, [4, 6, 8, 10]),
])
def test_ticks_are_round_and_cover_the_values(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == pytest.approx(expected)


def test_count_axes_step_in_whole_numbers() -> None:
    assert nice_ticks(0, 9, whole=True) == [0, 5, 10]
    assert nice_ticks(0, 2, whole=True) == [0, 1, 2]
    assert nice_ticks(0, 1, whole=True) == [0, 1]
    assert nice_ticks(0, 12480, whole=True) == [0, 5000, 10000, 15000]


@given(st.floats(-1e6, 1e6), st.floats(0, 1e6))
def test_ticks_cover_any_range_in_equal_round_steps(low: float, width: float) -> None:
    ticks = nice_ticks(low, low + width)
    slack = 1e-9 * max(1, abs(low) + width)
    assert ticks[0] <= low + slack and ticks[-1] >= low + width - slack and 2 <= len(ticks) <= 12
    step = ticks[1] - ticks[0]
    assert all(b - a == pytest.approx(step, rel=1e-6) for a, b in zip(ticks, ticks[1:], strict=False))
    assert f"{step:.3e}".split("e")[0] in ("1.000", "2.000", "2.500", "5.000")


# Charts ------------------------------------------------------------------------------------------------

def _svg(text: str) -> ET.Element:
    """Parse a chart: it must be well-formed XML to be drawn at all."""
    return ET.fromstring(text)


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def test_interval_bars_are_in_proportion_and_whiskers_span_the_interval() -> None:
    root = _svg(svg_charts.interval_bars(
        [Bar("A", 0.1, 0.08, 0.12), Bar("B", 0.2, 0.15, 0.25, colour=svg_charts.GREEN)],
        chart_id="t", title="Rates", desc="A 10%, B 20%", axis_label="Rate", fmt=percent))
    assert root.get("role") == "img" and root.get("aria-labelledby") == "t-title t-desc"
    assert root.find(f"{SVG}title").text == "Rates" and root.find(f"{SVG}desc").text == "A 10%, B 20%"  # type: ignore[union-attr]
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    heights = [float(r.get("height", 0)) for r in bars]
    assert heights[1] / heights[0] == pytest.approx(2, rel=0.01)
    assert [r.get("fill") for r in bars] == [svg_charts.BLUE, svg_charts.GREEN]
    # Zero sits at the bars' bottom; each whisker runs from its low to its high on the same scale.
    bottom = float(bars[0].get("y", 0)) + heights[0]
    per_unit = heights[0] / 0.1
    whiskers = [ln for ln in root.iter(f"{SVG}line") if ln.get("x1") == ln.get("x2") and ln.get("stroke-width") == "1.5"]
    spans = sorted(abs(float(ln.get("y1", 0)) - float(ln.get("y2", 0))) for ln in whiskers)
    assert spans == pytest.approx([0.04 * per_unit, 0.1 * per_unit], rel=0.01)
    assert max(float(ln.get("y1", 0)) for ln in whiskers) == pytest.approx(bottom - 0.08 * per_unit, abs=0.2)
    assert {"10.0%", "20.0%", "95%: 8.0% to 12.0%", "95%: 15.0% to 25.0%", "Rate"} <= set(_texts(root))


def test_a_zero_bar_prints_its_value_above_the_zero_line() -> None:
    root = _svg(svg_charts.interval_bars([Bar("A", 0.0, 0.0, 0.3), Bar("B", 0.25, 0.1, 0.4)], chart_id="z",
                                         title="t", desc="d", axis_label="Rate", fmt=percent))
    zero = next(float(ln.get("y1", 0)) for ln in root.iter(f"{SVG}line")
                if ln.get("stroke") == svg_charts.INK and ln.get("stroke-width") == "1")
    label = next(t for t in root.iter(f"{SVG}text") if t.text == "0.0%" and t.get("font-weight") == "bold")
    assert float(label.get("y", 0)) <= zero - 4


def test_chart_text_is_escaped_and_undefined_values_say_so() -> None:
    root = _svg(svg_charts.interval_bars([Bar("<A & B>", None), Bar("C", 0.5)], chart_id="x", title="<t>",
                                         desc="d & e", axis_label="Rate", fmt=percent))
    assert "<A & B>" in _texts(root) and "not available" in _texts(root)
    assert root.find(f"{SVG}title").text == "<t>"  # type: ignore[union-attr]
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]) == 1


def test_variants_chart_shows_each_arm_and_marks_a_significant_leader() -> None:
    quiet = _svg(svg_charts.variants_chart(sample_experiment(), currency="EUR"))
    assert {"A", "B", "8.7%", "9.5%", "95%: 8.0% to 9.5%", "95%: 8.7% to 10.3%", "5,500 recipients"} <= set(_texts(quiet))
    assert {r.get("fill") for r in quiet.iter(f"{SVG}rect")} == {svg_charts.BLUE}
    sure = _svg(svg_charts.variants_chart(sample_experiment(significant=True), currency="EUR"))
    assert [r.get("fill") for r in sure.iter(f"{SVG}rect")] == [svg_charts.BLUE, svg_charts.GREEN]
    money_chart = _svg(svg_charts.variants_chart(sample_experiment(metric=Metric.REVENUE_PER_RECIPIENT),
                                                 currency="USD"))
    assert "$0.09" in _texts(money_chart) and "Revenue per recipient" in _texts(money_chart)


def test_group_intervals_are_wilson_intervals_as_statsmodels_computes_them() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for converted, contacts, confidence in ((21, 620, 0.95), (0, 40, 0.95), (612, 12480, 0.9), (5, 5, 0.99)):
        low, high = svg_charts.rate_interval(converted, contacts, confidence)
        expected = proportion_confint(converted, contacts, alpha=1 - confidence, method="wilson")
        assert (low, high) == pytest.approx(expected, abs=1e-9)
    assert svg_charts.rate_interval(0, 0, 0.95) == (None, None)
    root = _svg(svg_charts.incrementality_chart(sample_incrementality()))
    assert {"Treated", "Holdout", "4.9%", "3.4%", "21 of 620 contacts converted", "95%: 2.2% to 5.1%"} <= set(_texts(root))


def test_buckets_are_made_even_without_losing_a_count() -> None:
    series = sample_report().series
    days = svg_charts.even_buckets(series)
    assert [p.start.day for p in days] == [2, 3, 4, 5, 6, 7, 8]  # the empty 3rd to 5th come back as zeros
    assert [(p.sent, p.opens, p.clicks) for p in days[:2]] == [(12480, 4300, 950), (0, 0, 0)]
    for field in ("sent", "opens", "clicks"):
        assert sum(getattr(p, field) for p in days) == sum(getattr(p, field) for p in series)
    hours = svg_charts.even_buckets([series[0], series[3]])
    assert [(p.start.hour, p.bucket, p.opens) for p in hours] == [(9, "hour", 1900), (10, "hour", 0),
                                                                  (11, "hour", 0), (12, "hour", 400)]
    assert svg_charts.even_buckets([]) == []


def test_series_chart_draws_a_line_per_figure_through_every_bucket() -> None:
    root = _svg(svg_charts.series_chart(sample_report().series))
    lines = {p.get("class"): p.get("points", "").split() for p in root.iter(f"{SVG}polyline")}
    assert set(lines) == {"sent", "opens", "clicks"} and all(len(v) == 7 for v in lines.values())
    texts = _texts(root)
    assert {"Sent (12,480 in all)", "Opens (5,043 in all)", "Clicks (1,187 in all)", "Per day", "02 Mar"} <= set(texts)
    # The peak is printed and drawn highest: the smallest y of the sent line is its first point.
    ys = [float(pt.split(",")[1]) for pt in lines["sent"]]
    assert ys.index(min(ys)) == 0 and "12,480" in texts


def test_budget_chart_shows_planned_actual_and_overspend() -> None:
    report = sample_report()
    root = _svg(svg_charts.budget_chart(report.budget, currency="EUR", labels={"paid_search": "Paid search"}))
    fills = {r.get("class"): set() for r in root.iter(f"{SVG}rect")}
    for r in root.iter(f"{SVG}rect"):
        fills[r.get("class")].add(r.get("fill"))
    assert fills["actual"] == {svg_charts.BLUE, svg_charts.RED} and fills["planned"] == {svg_charts.LIGHT_GREY}
    assert {"€2,500.00", "€2,110.40", "€2,100.00", "no budget set", "Paid search", "€1,000"} <= set(_texts(root))


# The rendered PDF --------------------------------------------------------------------------------------

def test_pdf_is_a4_with_page_numbers_and_the_generated_time(rendered: bytes) -> None:
    document = pdfium.PdfDocument(rendered)
    assert rendered.startswith(b"%PDF-") and 3 <= len(document) <= 6
    assert document[0].get_size() == pytest.approx((595.28, 841.89), abs=0.5)
    pages = _pages_text(rendered)
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Acme Retail · Spring sale · generated 1 Apr 2026, 08:30 UTC" in text
    assert document.get_metadata_dict().get("Title") == "Spring sale: campaign report"


def test_text_layer_holds_the_cover_the_headline_and_every_table(rendered: bytes) -> None:
    text = " ".join(_pages_text(rendered))
    cover = ["Spring sale", "Completed", "2 Mar 2026, 09:00 UTC", "1 Apr 2026, 09:00 UTC", "Last touch", "EUR"]
    headline = ["12,480", "of 13,100 in the audience", "12,211", "41.3%", "9.7%", "412", "€38,215.50",
                "€4,210.40", "+807.6%", "ROAS 9.08"]
    channels = ["Email 11,000 10,760 4,800 44.6% 1,003 9.3% 31 356.5 €31,900.25 €2,110.40 +1,411.6%",
                "SMS 1,480 1,451 243 16.8% 184 12.7% 6 55.5 €6,315.25 €2,100.00 +200.7%"]
    variants = ["A 5,500 5,391 2,388 44.3% 481 8.9% 0 170 €15,120.10 €55.00 +27,390.0%",
                "B 5,500 5,369 2,412 44.9% 522 9.7% 0 186.5 €16,780.15 €55.00 +30,410.0%"]
    experiment = ["A/B test: Newsletter (Email), decided on click rate", "A 5,500 481 8.7% 8.0% to 9.5% 8.3%",
                  "B 5,500 522 9.5% 8.7% to 10.3% 91.7%",
                  "B against A +0.74 pts −0.32 pts to +1.8 pts +8.5% −3.4% to +21.9% 0.169",
                  "Sample ratio check against the planned split: p 0.432"]
    incrementality = ["Treated 12,480 612 4.9% €51,200.00 €4.10", "Holdout 620 21 3.4% €1,540.00 €2.48",
                      "Conversion rate, difference +1.5 pts +0.04 pts to +3.0 pts 0.081",
                      "Revenue per contact, difference +€1.62 +€0.22 to +€3.02 0.023",
                      "Incremental conversions +189.3 +5.1 to +373.5 412",
                      "Incremental revenue +€20,201.40 +€2,759.30 to +€37,643.40 €38,215.50",
                      "Incremental ROI (cost €4,210.40) +379.8% −34.5% to +794.0% +807.6%"]
    budget = ["Email €2,500.00 €2,110.40 −€389.60", "SMS €1,800.00 €2,100.00 +€300.00", "Paid search — €0.00 —"]
    methods = ["are excluded: 1,320 machine opens and 58 machine clicks", "two-proportion z-test (pooled)",
               "Welch's t-test", "Intervals at 95%", "Wilson score interval", "last touch model"]
    missing = [f for f in cover + headline + channels + variants + experiment + incrementality + budget + methods
               if f not in text]
    assert missing == []


def test_every_chart_has_its_caption(rendered: bytes) -> None:
    text = " ".join(_pages_text(rendered))
    for caption in ("Most opens came in the first 2 hours; 1,187 clicks over 7 days.",
                    "B's click rate is 0.7 points higher than A's; 92% probability it is the best.",
                    "The campaign raised the conversion rate by 1.5 points (95% interval 0.0 to 3.0) over the holdout",
                    "Spent €4,210 of the €4,300 planned (98%); over budget: SMS by €300.",
                    "Email brought €31,900 of €38,216 revenue"):
        assert caption in text


def _colour_pixels(image: Image.Image, colour: str, box: tuple[int, int, int, int], tolerance: int = 24) -> list[
        tuple[int, int]]:
    """The pixels within `box` (left, top, right, bottom) close to `colour` ("#rrggbb"), as (x, y)."""
    want = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    crop = np.asarray(image.crop(box), dtype=int)
    ys, xs = np.nonzero((np.abs(crop - want) <= tolerance).all(axis=2))
    return [(box[0] + int(x), box[1] + int(y)) for x, y in zip(xs, ys, strict=True)]


def _heading_box(pdf: bytes, page: int, heading: str, scale: float) -> tuple[int, int]:
    """The top of a heading in image pixels (the chart is drawn below it), and the page's image height."""
    document = pdfium.PdfDocument(pdf)
    textpage = document[page].get_textpage()
    found = textpage.search(heading, match_case=True).get_next()
    assert found is not None, heading
    _, _, _, top = textpage.get_charbox(found[0])
    height = document[page].get_size()[1]
    return int((height - top) * scale), int(height * scale)


def test_chart_marks_are_drawn_where_the_charts_are(rendered: bytes) -> None:
    image, scale = _page_image(rendered, 0)
    top, height = _heading_box(rendered, 0, "Over time", scale)
    below = (0, top, image.width, min(top + int(80 * 72 / 25.4 * scale), height))
    above = (0, 0, image.width, top)
    for colour in (svg_charts.BLUE, svg_charts.ORANGE, svg_charts.GREEN):
        assert len(_colour_pixels(image, colour, below)) > 200, colour
    assert len(_colour_pixels(image, svg_charts.ORANGE, above)) == 0  # the headline tiles have no chart colour


def test_bar_heights_on_the_page_follow_the_figures(rendered: bytes) -> None:
    page = next(i for i, t in enumerate(_pages_text(rendered)) if "A/B test: Newsletter" in t and "Treated" in t)
    image, scale = _page_image(rendered, page, dpi=200)
    top, _ = _heading_box(rendered, page, "A/B test: Newsletter", scale)
    bottom, _ = _heading_box(rendered, page, "Incrementality: treated", scale)
    blue = _colour_pixels(image, svg_charts.BLUE, (0, top, image.width, bottom), tolerance=8)
    middle = image.width // 2
    heights = [len({y for x, y in blue if (x < middle) == left}) for left in (True, False)]
    assert heights[0] > 100
    assert heights[1] / heights[0] == pytest.approx(0.09491 / 0.08745, rel=0.03)  # B's bar over A's
    budget_top, _ = _heading_box(rendered, page, "Budget", scale)
    assert len(_colour_pixels(image, svg_charts.GREY, (0, bottom, image.width, budget_top), tolerance=8)) > 500
    assert len(_colour_pixels(image, svg_charts.RED, (0, budget_top, image.width, image.height), tolerance=8)) > 500


def _tesseract() -> str:
    """Skip without Tesseract locally; CI sets KEMPEN_REQUIRE_BROWSER=1 so that a missing one fails."""
    found = shutil.which("tesseract")
    if found is None and os.environ.get("KEMPEN_REQUIRE_BROWSER") == "1":
        pytest.fail("the PDF image test is required but tesseract is not installed", pytrace=False)
    if found is None:
        pytest.skip("tesseract is not installed")
    return found


def test_page_one_read_by_ocr_shows_the_headline_figures(rendered: bytes, tmp_path: Path) -> None:
    tesseract = _tesseract()
    image, _ = _page_image(rendered, 0, dpi=200)
    path = tmp_path / "page1.png"
    image.save(path)
    result = subprocess.run([tesseract, str(path), "-", "--psm", "6"], capture_output=True, text=True, timeout=120,
                            check=True)
    seen = re.sub(r"\s+", " ", result.stdout)
    for figure in ("Spring sale", "12,480", "12,211", "41.3%", "9.7%", "38,215.50", "4,210.40", "807.6%"):
        assert figure in seen, f"{figure!r} not read from page 1: {seen}"


def test_names_are_escaped_and_a_report_without_figures_still_renders() -> None:
    empty = CampaignReport(
        campaign_id=9, name="<b>Draft & co</b>", status="draft", currency="CHF", model=AttributionModel("linear"),
        launched_at=None, until=GENERATED, machine_excluded=False, totals=_figures("total", "x"), channels=[],
        variants=[], series=[], budget=[])
    html = campaign_html(empty, workspace_name="A <ws>", generated_at=GENERATED)
    assert "&lt;b&gt;Draft &amp; co&lt;/b&gt;" in html and "<b>Draft" not in html and "<svg" not in html
    text = " ".join(_pages_text(campaign_pdf(empty, workspace_name="A <ws>", generated_at=GENERATED)))
    for phrase in ("<b>Draft & co</b>", "has not been launched yet", "No channel has sent anything yet",
                   "0.00 CHF", "are included: 0 machine opens", "linear model", "Page 1 of 1"):
        assert phrase in text


# From the real reporting services, on both databases --------------------------------------------------

def test_pdf_of_a_report_built_from_the_database(session: Session, built: Built,
                                                credits: list[AttributedCredit]) -> None:
    found = reports.campaign_report(session, workspace_id=built.workspace_id, campaign_id=built.campaign_id,
                                    now=LAUNCH + timedelta(days=30))
    assert found.totals.sent == 9  # the conftest campaign, as test_metrics checks it in detail
    text = " ".join(_pages_text(campaign_pdf(found, workspace_name="Test", generated_at=GENERATED)))
    expected = ["Spring", "1 Mar 2026, 10:00 UTC", "of 12 in the audience", "57.1%", "28.6%", "€150.00", "€30.07",
                "Email 7 5 3 60.0% 1 20.0% 1 1.5 €125.00 €10.07", "SMS 2 2 1 50.0% 1 50.0% 0 0.5 €25.00 €0.00",
                "Paid search 0 0 0 — 0 — 0 0 €0.00 €20.00 −100.0%",
                "Email €15.00 €10.07 −€4.93", "Paid search €25.00 €20.00 −€5.00", "Incrementality (holdout)"]
    assert [f for f in expected if f not in text] == []
