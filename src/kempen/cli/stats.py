"""`kempen stats …`: the A/B test calculator and the sample-size calculator, no database needed."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.table import Table

from kempen import stats
from kempen.cli.common import console, err_console
from kempen.stats.parsing import parse_list
from kempen.stats.summary import format_p

stats_app = typer.Typer(help="A/B test statistics: read a test, plan its size.", no_args_is_help=True)
F = TypeVar("F", bound=Callable[..., Any])


class BadOption(ValueError):
    """A combination of options that does not describe a test."""


def exits_on_bad_input(command: F) -> F:
    """Input the statistics cannot use becomes one readable line and exit code 1."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (stats.StatsInputError, BadOption) as exc:
            err_console.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return run  # type: ignore[return-value]


def _pct(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.3g}"


def _with_interval(estimate: stats.Estimate, fmt: Callable[[float | None], str]) -> str:
    if estimate.estimate is None:
        return "–"
    if estimate.low is None:
        return f"{fmt(estimate.estimate)} (no interval)"
    return f"{fmt(estimate.estimate)} [{fmt(estimate.low)}, {fmt(estimate.high)}]"


def _table(result: stats.AbResult) -> Table:
    rate = result.metric == "proportion"
    level = f"{result.confidence * 100:g}%"
    table = Table(title=f"A/B test: {'conversion rate' if rate else 'mean per user'}, {level} intervals")
    columns = ["Variant", "Users", "Conversions" if rate else "Mean", "Rate" if rate else "Std dev",
               "Difference", "Relative", "p-value", "P(best)"]
    for column in columns:
        table.add_column(column, justify="left" if column == "Variant" else "right")
    by_variant = {c.variant: c for c in result.comparisons}
    for index, variant in enumerate(result.variants):
        figures = [f"{variant.conversions:,}", _pct(variant.value)] if rate else [_num(variant.value),
                                                                                  _num(variant.std_dev)]
        comparison = by_variant.get(index)
        if comparison is None:
            versus = ["control", "", ""]
        else:
            absolute = _with_interval(comparison.absolute, (lambda v: _pct(v)) if rate else _num)
            versus = [absolute, _with_interval(comparison.relative, lambda v: _pct(v, 1)),
                      format_p(comparison.test.p_value).removeprefix("p = ").removeprefix("p ")]
        best = _pct(variant.probability_best, 1)
        table.add_row(variant.label, f"{variant.users:,}", *figures, *versus, best)
    return table


def _notes(result: stats.AbResult) -> list[str]:
    notes = [f"Sample ratio: {format_p(result.srm.p_value)} against the planned split "
             f"{', '.join(f'{s * 100:.3g}%' for s in result.srm.expected_shares)}"
             + (" — MISMATCH" if result.srm.mismatch else " (fine)")]
    seen = set()
    for comparison in result.comparisons:
        for reason in (comparison.absolute.reason, comparison.relative.reason, comparison.test.reason):
            if reason and reason not in seen:
                seen.add(reason)
                notes.append(reason)
    if result.best.reason:
        notes.append(f"Probability to be best: {result.best.reason}")
    return notes


@stats_app.command("ab")
@exits_on_bad_input
def ab_command(
    users: str = typer.Option(..., "--users", help="Users per variant, control first: 10000,10000"),
    conversions: str | None = typer.Option(None, "--conversions", help="Conversions per variant (a rate)"),
    sums: str | None = typer.Option(None, "--sums", help="Sum of the value per variant (a mean, e.g. revenue)"),
    sums_squares: str | None = typer.Option(None, "--sums-squares", help="Sum of the squared values per variant"),
    split: str | None = typer.Option(None, "--split", help="Planned split, e.g. 50,50 (default: equal)"),
    confidence: float = typer.Option(0.95, "--confidence", help="Confidence level of the intervals"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Read an A/B test: differences with intervals, p-values, probability to be best, sample-ratio check."""
    counts = parse_list(users, "--users", int)
    planned = parse_list(split, "--split", float)
    assert counts is not None
    if conversions is not None and (sums or sums_squares):
        raise BadOption("Give either --conversions (a rate) or --sums and --sums-squares (a mean), not both.")
    if conversions is not None:
        result = stats.analyse_proportions(counts, parse_list(conversions, "--conversions", int) or [],
                                           split=planned, confidence=confidence)
    elif sums is not None and sums_squares is not None:
        result = stats.analyse_means(counts, parse_list(sums, "--sums", float) or [],
                                     parse_list(sums_squares, "--sums-squares", float) or [],
                                     split=planned, confidence=confidence)
    else:
        raise BadOption("Give --conversions for a rate, or both --sums and --sums-squares for a mean.")
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        return
    console.print(_table(result))
    console.print(result.summary, highlight=False, soft_wrap=True)
    for note in _notes(result):
        console.print(f"[dim]{note}[/]", highlight=False, soft_wrap=True)


@stats_app.command("sample-size")
@exits_on_bad_input
def sample_size_command(
    baseline: float | None = typer.Option(None, "--baseline", help="Baseline rate (0.05), or mean with --std-dev"),
    mde: float = typer.Option(..., "--mde", help="Minimum detectable effect: rate points (0.01) or a share"),
    relative: bool = typer.Option(False, "--relative", help="--mde is a share of the baseline (0.1 = 10%)"),
    power: float = typer.Option(0.8, "--power", help="Chance to detect an effect of that size"),
    alpha: float = typer.Option(0.05, "--alpha", help="Two-sided significance level"),
    variants: int = typer.Option(2, "--variants", help="Number of variants, control included"),
    split: str | None = typer.Option(None, "--split", help="Planned split, e.g. 50,25,25 (default: equal)"),
    std_dev: float | None = typer.Option(None, "--std-dev", help="Standard deviation of the value, for a mean"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON"),
) -> None:
    """Users each variant needs before launch, for a rate (--baseline) or a mean (--std-dev)."""
    planned = parse_list(split, "--split", float)
    if std_dev is not None:
        result = stats.sample_size_means(std_dev, mde, baseline_mean=baseline, relative=relative, alpha=alpha,
                                         power=power, variants=len(planned) if planned else variants, split=planned)
    elif baseline is None:
        raise BadOption("Give --baseline (a rate such as 0.05), or --std-dev for a mean.")
    else:
        result = stats.sample_size_proportions(baseline, mde, relative=relative, alpha=alpha, power=power,
                                               variants=len(planned) if planned else variants, split=planned)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
        return
    per = ", ".join(f"{stats.label(i)}: {n:,}" for i, n in enumerate(result.per_variant))
    console.print(f"Users needed per variant — {per}; {result.total:,} in total.", highlight=False)
    console.print(f"[dim]{result.method}; effect size {result.effect_size:.4f}, alpha {alpha:g}, "
                  f"power {power:g}, no correction for several comparisons.[/]", highlight=False, soft_wrap=True)
