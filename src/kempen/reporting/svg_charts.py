"""Small SVG charts drawn in Python for the PDF report: WeasyPrint runs no JavaScript, so no chart library.

Each chart is a pure function of report schemas that returns one `<svg>` element as text: bars with
interval whiskers (an experiment's variants on its metric; treated vs holdout), a time series (sent,
opens, clicks per bucket) and budget planned vs actual per channel. Every chart carries a `<title>` and a
`<desc>` (read aloud by screen readers, kept in the PDF), labelled axes and its values printed beside the
marks. The number formats here are the PDF's: thousands separators, currency symbols, percentages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from markupsafe import escape

from kempen.experiments.schemas import ExperimentOut, Metric
from kempen.reporting.schemas import BudgetLine, Incrementality, SeriesPoint
from kempen.stats import ProportionArm, proportion_interval

FONT = "DejaVu Sans"
BLUE, ORANGE, GREEN, RED = "#1f5fbf", "#e8710a", "#188038", "#c5221f"
GREY, LIGHT_GREY, INK, MUTED = "#9aa0a6", "#dadce0", "#202124", "#5f6368"
WIDTH = 640
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
Format = Callable[[float], str]


# Numbers as people read them --------------------------------------------------------------------------

def count(value: float | None) -> str:
    """12480 → "12,480"; fractional conversions keep up to two decimals (12.5)."""
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def money(amount: Decimal | float | None, currency: str, *, signed: bool = False) -> str:
    """38215.5, "EUR" → "€38,215.50"; codes without a symbol follow the amount ("1,200.00 CHF")."""
    if amount is None:
        return "—"
    value = Decimal(str(amount))
    text = f"{abs(value):,.2f}"
    nonzero = bool(text.strip("0.,"))
    sign = "−" if value < 0 and nonzero else "+" if signed and value > 0 and nonzero else ""
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def percent(fraction: float | None, *, signed: bool = False) -> str:
    """0.413 → "41.3%"; below one percent two decimals (0.0042 → "0.42%")."""
    if fraction is None:
        return "—"
    value = _zeroed(fraction * 100)
    digits = 2 if 0 < abs(value) < 1 else 1
    text = f"{abs(value):,.{digits}f}%"
    return _signed(value, text) if signed else ("−" + text if value < 0 else text)


def points(fraction: float | None) -> str:
    """A difference of two rates in percentage points: 0.012 → "+1.2 pts"."""
    if fraction is None:
        return "—"
    value = _zeroed(fraction * 100)
    digits = 2 if 0 < abs(value) < 1 else 1
    return _signed(value, f"{abs(value):.{digits}f} pts")


def _zeroed(value: float) -> float:
    """0 for what would print as 0.00 (an interval's end of 1e-17 is float noise, not a figure)."""
    return 0.0 if abs(value) < 0.005 else value


def _signed(value: float, text: str) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


# Scales and ticks -------------------------------------------------------------------------------------

def nice_ticks(low: float, high: float, *, count: int = 5, whole: bool = False) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 × 10ⁿ) from at or below `low` to at or above `high`.

    `whole` keeps the steps whole numbers, for counts (no 2.5 messages).
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("ticks need finite bounds")
    if high - low <= 1e-9 * max(1.0, abs(low), abs(high)):  # one value (or float noise): a range around it
        high = low + max(abs(low), 1.0)
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    steps = [m * power for m in (1, 2, 2.5, 5, 10)]
    if whole:
        steps = [step for step in steps if step >= 1 and float(step).is_integer()] or [1.0]
    step = next((candidate for candidate in steps if candidate >= raw * (1 - 1e-9)), steps[-1])
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9)
    digits = max(0, 2 - math.floor(math.log10(step)))  # rounds away float noise such as 0.30000000000000004
    return [round(n * step, digits) + 0.0 for n in range(round(first / step), last + 1)]


@dataclass(frozen=True)
class Scale:
    """Maps data values in [low, high] onto drawing coordinates [start, end]."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


# SVG pieces --------------------------------------------------------------------------------------------

def _text(x: float, y: float, content: str, *, size: float = 11, anchor: str = "middle", fill: str = INK,
          weight: str = "normal", rotate: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="{weight}"{turn}>{escape(content)}</text>')


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, width: float = 1) -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="{width}"/>')


def _rect(x: float, y: float, w: float, h: float, colour: str, cls: str) -> str:
    return f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{colour}"/>'


def _svg(chart_id: str, height: int, title: str, desc: str, body: Sequence[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
            f'font-family="{FONT}">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>")


def _value_axis(scale: Scale, ticks: list[float], fmt: Format, left: float, right: float) -> list[str]:
    """Horizontal grid lines with their labels on the left of a vertical value axis."""
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(_line(left, y, right, y, INK if tick == 0 else LIGHT_GREY))
        parts.append(_text(left - 6, y + 4, fmt(tick), size=10, anchor="end", fill=MUTED))
    return parts


# Bars with interval whiskers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Bar:
    """One bar: its value and interval (None where undefined), its colour and a note under its label."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    colour: str = BLUE
    note: str = ""


def interval_bars(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str, axis_label: str,
                  fmt: Format, interval_label: str = "95%") -> str:
    """Vertical bars from zero with whiskers from `low` to `high`; each bar's value printed above it."""
    height, left, right, top, bottom = 230, 78, WIDTH - 12, 14, 230 - 58
    values = [v for b in bars for v in (b.value, b.low, b.high) if v is not None]
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values]) or 1.0)
    scale = Scale(ticks[0], ticks[-1], bottom, top)
    body = _value_axis(scale, ticks, fmt, left, right)
    body.append(_text(18, (top + bottom) / 2, axis_label, size=10, fill=MUTED, rotate=True))
    band = (right - left) / max(len(bars), 1)
    for i, bar in enumerate(bars):
        body += _bar_with_whisker(bar, left + band * (i + 0.5), min(band * 0.45, 110), scale, fmt)
        centre = left + band * (i + 0.5)
        body.append(_text(centre, bottom + 18, bar.label, size=11, weight="bold"))
        if bar.low is not None and bar.high is not None:
            body.append(_text(centre, bottom + 33, f"{interval_label}: {fmt(bar.low)} to {fmt(bar.high)}",
                              size=9, fill=MUTED))
        if bar.note:
            body.append(_text(centre, bottom + 47, bar.note, size=9, fill=MUTED))
    return _svg(chart_id, height, title, desc, body)


def _bar_with_whisker(bar: Bar, centre: float, width: float, scale: Scale, fmt: Format) -> list[str]:
    if bar.value is None:
        return [_text(centre, scale(0) - 6, "not available", size=10, fill=MUTED)]
    zero, top = scale(0), scale(bar.value)
    parts = [_rect(centre - width / 2, min(zero, top), width, abs(zero - top), bar.colour, "bar")]
    if bar.low is None or bar.high is None:  # the value above (or below) the bar's end
        y = top - 6 if bar.value >= 0 else top + 14
        return [*parts, _text(centre, y, fmt(bar.value), size=11, weight="bold")]
    y_low, y_high, cap = scale(bar.low), scale(bar.high), width / 4
    parts += [_line(centre, y_low, centre, y_high, INK, 1.5),
              _line(centre - cap, y_low, centre + cap, y_low, INK, 1.5),
              _line(centre - cap, y_high, centre + cap, y_high, INK, 1.5)]
    # Beside the bar's end: above it the whisker would run through the figure.
    label_y = min(top + 4, zero - 4) if bar.value >= 0 else top - 4  # never on the zero line
    return [*parts, _text(centre + width / 2 + 4, label_y, fmt(bar.value), size=11, anchor="start", weight="bold")]


def metric_format(metric: Metric, currency: str) -> Format:
    """How an experiment's metric is printed: rates as percentages, revenue per recipient as money."""
    if metric == Metric.REVENUE_PER_RECIPIENT:
        return lambda v: money(v, currency)
    return percent


METRIC_NAMES = {Metric.OPEN_RATE: "Open rate", Metric.CLICK_RATE: "Click rate",
                Metric.CONVERSION_RATE: "Conversion rate", Metric.REVENUE_PER_RECIPIENT: "Revenue per recipient"}


def variants_chart(experiment: ExperimentOut, *, currency: str) -> str:
    """Each variant's value on the experiment's metric with its interval; the significant leader in green."""
    fmt = metric_format(experiment.metric, currency)
    name = METRIC_NAMES[experiment.metric]
    bars = [Bar(label=arm.name, value=arm.value.estimate, low=arm.value.low, high=arm.value.high,
                colour=GREEN if experiment.significant and arm.variant_id == experiment.leader_variant_id else BLUE,
                note=f"{count(arm.recipients)} recipients") for arm in experiment.arms]
    desc = "; ".join(f"{arm.name}: {fmt(arm.value.estimate) if arm.value.estimate is not None else 'not available'}"
                     for arm in experiment.arms)
    return interval_bars(bars, chart_id=f"variants-{experiment.message_id}",
                         title=f"{name} of each variant of {experiment.message_name}", desc=desc,
                         axis_label=name, fmt=fmt, interval_label=f"{experiment.confidence:.0%}")


def rate_interval(converted: int, contacts: int, confidence: float) -> tuple[float | None, float | None]:
    """One group's conversion rate interval: Wilson's, as for each variant (it stays within 0–100%)."""
    found = proportion_interval(ProportionArm(n=contacts, conversions=converted), confidence=confidence)
    return found.low, found.high


def incrementality_chart(inc: Incrementality) -> str:
    """Treated against holdout conversion rate, each with its Wilson interval."""
    bars = []
    for name, group, colour in (("Treated", inc.treated, BLUE), ("Holdout", inc.holdout, GREY)):
        low, high = rate_interval(group.converted, group.contacts, inc.confidence)
        bars.append(Bar(label=name, value=group.conversion_rate, low=low, high=high, colour=colour,
                        note=f"{count(group.converted)} of {count(group.contacts)} contacts converted"))
    desc = (f"Treated {percent(inc.treated.conversion_rate)}, holdout {percent(inc.holdout.conversion_rate)}; "
            f"difference {points(inc.rate_difference.estimate)}")
    return interval_bars(bars, chart_id="incrementality", title="Conversion rate, treated against holdout",
                         desc=desc, axis_label="Conversion rate", fmt=percent,
                         interval_label=f"{inc.confidence:.0%}")


# Over time ----------------------------------------------------------------------------------------------

SERIES_LINES = (("Sent", "sent", BLUE), ("Opens", "opens", ORANGE), ("Clicks", "clicks", GREEN))


def even_buckets(series: Sequence[SeriesPoint]) -> list[SeriesPoint]:
    """The series in buckets of one width, empty ones included, so that equal steps on the axis are equal times.

    Hourly points are summed into their UTC days once any point is daily; buckets with nothing in them
    (left out by the report) come back as zeros.
    """
    if not series:
        return []
    hourly = all(p.bucket == "hour" for p in series)
    width = timedelta(hours=1) if hourly else timedelta(days=1)
    found: dict[datetime, SeriesPoint] = {}
    for p in series:
        start = p.start if hourly else p.start.replace(hour=0, minute=0, second=0, microsecond=0)
        bucket = found.setdefault(start, SeriesPoint(start=start, bucket="hour" if hourly else "day"))
        for _, field, _ in SERIES_LINES:
            setattr(bucket, field, getattr(bucket, field) + getattr(p, field))
    first, steps = min(found), int((max(found) - min(found)) / width)
    starts = [first + i * width for i in range(steps + 1)]
    return [found.get(start) or SeriesPoint(start=start, bucket="hour" if hourly else "day") for start in starts]


def series_chart(series: Sequence[SeriesPoint]) -> str:
    """Sent, opens and clicks per hour (or per day once the hourly buckets end), one line each."""
    points_ = even_buckets(series)
    hourly = all(p.bucket == "hour" for p in points_)
    height, left, right, top, bottom = 250, 70, WIDTH - 14, 34, 250 - 40
    inset = 24  # keeps the first and last points' labels clear of the axis labels and the edge
    peak = max([getattr(p, f) for p in points_ for _, f, _ in SERIES_LINES] + [1])
    ticks = nice_ticks(0, peak, whole=True)
    scale = Scale(ticks[0], ticks[-1], bottom, top)
    step = (right - left - 2 * inset) / max(len(points_) - 1, 1)

    def x_of(i: int) -> float:
        return left + inset + i * step if len(points_) > 1 else (left + right) / 2

    body = _value_axis(scale, ticks, count, left, right)
    unit = "hour" if hourly else "day"
    body.append(_text(16, (top + bottom) / 2, f"Per {unit}", size=10, fill=MUTED, rotate=True))
    every = max(1, math.ceil(len(points_) / 8))
    for i, p in enumerate(points_):
        if i % every == 0:
            label = p.start.strftime("%d %b %H:%M" if hourly else "%d %b")
            body.append(_text(x_of(i), bottom + 16, label, size=9, fill=MUTED))
    body.append(_text((left + right) / 2, bottom + 32, f"{unit.capitalize()} starting (UTC)", size=10, fill=MUTED))
    for n, (name, field, colour) in enumerate(SERIES_LINES):
        values = [getattr(p, field) for p in points_]
        body += _polyline(values, x_of, scale, colour, field)
        body.append(_rect(left + n * 170, 8, 12, 12, colour, "legend"))
        body.append(_text(left + n * 170 + 18, 18, f"{name} ({count(sum(values))} in all)", size=10, anchor="start"))
    desc = "; ".join(f"{name}: {count(sum(getattr(p, f) for p in points_))} over {len(points_)} {unit}s"
                     for name, f, _ in SERIES_LINES)
    return _svg("series", height, f"Sent, opens and clicks per {unit}", desc, body)


def _polyline(values: list[float], x_of: Callable[[int], float], scale: Scale, colour: str, cls: str) -> list[str]:
    """A line through the values, a dot on each, and the peak's value printed above it."""
    coords = " ".join(f"{x_of(i):.1f},{scale(v):.1f}" for i, v in enumerate(values))
    parts = [f'<polyline class="{cls}" points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>']
    parts += [f'<circle cx="{x_of(i):.1f}" cy="{scale(v):.1f}" r="2.5" fill="{colour}"/>' for i, v in enumerate(values)]
    if values and max(values) > 0:
        i = values.index(max(values))
        parts.append(_text(x_of(i), scale(values[i]) - 7, count(values[i]), size=10, fill=colour, weight="bold"))
    return parts


# Budget -------------------------------------------------------------------------------------------------

def budget_chart(lines: Sequence[BudgetLine], *, currency: str, labels: dict[str, str] | None = None) -> str:
    """Per channel, the planned budget (grey) and the actual cost (blue; red when over budget)."""
    labels = labels or {}
    row, left, right, top = 44, 130, WIDTH - 90, 30
    height = top + row * len(lines) + 30
    peak = max([float(v) for line in lines for v in (line.planned, line.actual) if v is not None] + [1.0])
    ticks = nice_ticks(0, peak, count=4)
    scale = Scale(ticks[0], ticks[-1], left, right)
    bottom = top + row * len(lines)
    body = [_rect(left, 8, 12, 12, LIGHT_GREY, "legend"), _text(left + 18, 18, "Planned", size=10, anchor="start"),
            _rect(left + 100, 8, 12, 12, BLUE, "legend"), _text(left + 118, 18, "Actual", size=10, anchor="start"),
            _rect(left + 190, 8, 12, 12, RED, "legend"),
            _text(left + 208, 18, "Actual, over budget", size=10, anchor="start")]
    for tick in ticks:
        body.append(_line(scale(tick), top, scale(tick), bottom, INK if tick == 0 else LIGHT_GREY))
        label = money(tick, currency)
        body.append(_text(scale(tick), bottom + 14, label.replace(".00", "") if tick.is_integer() else label,
                          size=9, fill=MUTED))
    body.append(_text((left + right) / 2, bottom + 28, f"Amount ({currency})", size=10, fill=MUTED))
    for i, line in enumerate(lines):
        y = top + i * row + 6
        body.append(_text(left - 8, y + 20, labels.get(line.channel, line.channel), size=11, anchor="end"))
        body += _budget_bar(line.planned, y, LIGHT_GREY, "planned", scale, currency)
        over = line.variance is not None and line.variance > 0
        body += _budget_bar(line.actual, y + 16, RED if over else BLUE, "actual", scale, currency)
    desc = "; ".join(f"{labels.get(line.channel, line.channel)}: planned {money(line.planned, currency)}, "
                     f"actual {money(line.actual, currency)}" for line in lines)
    return _svg("budget", height, "Budget planned against actual cost per channel", desc, body)


def _budget_bar(amount: Decimal | None, y: float, colour: str, cls: str, scale: Scale, currency: str) -> list[str]:
    if amount is None:
        return [_text(scale(0) + 4, y + 11, "no budget set", size=9, anchor="start", fill=MUTED)]
    end = scale(float(amount))
    return [_rect(scale(0), y, max(end - scale(0), 0.5), 14, colour, cls),
            _text(end + 4, y + 11, money(amount, currency), size=10, anchor="start")]
