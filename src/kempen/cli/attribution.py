"""`kempen attribution FILE.csv`: attribution over conversion paths imported from other tools."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from kempen.attribution.paths import ChannelResult, PathRow, attribute_paths, parse_paths_csv
from kempen.attribution.rules import DEFAULT_HALF_LIFE_DAYS
from kempen.attribution.types import AttributionModel
from kempen.cli.common import console
from kempen.kit.errors import InvalidInput

# Short names on the command line; the full names are accepted too.
MODEL_NAMES = {
    "markov": AttributionModel.MARKOV, "first": AttributionModel.FIRST_TOUCH, "last": AttributionModel.LAST_TOUCH,
    "linear": AttributionModel.LINEAR, "time_decay": AttributionModel.TIME_DECAY,
    "position": AttributionModel.POSITION_BASED, **{m.value: m for m in AttributionModel},
}


def _models(name: str) -> list[AttributionModel]:
    key = name.strip().lower().replace("-", "_")
    if key == "all":
        return list(AttributionModel)
    if key not in MODEL_NAMES:
        raise InvalidInput(f"Unknown model {name[:20]!r}; see --help for the models.")
    return [MODEL_NAMES[key]]


def _read(file: Path) -> list[PathRow]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"Cannot read {file}: {exc.strerror or exc}.") from None
    try:
        return parse_paths_csv(data)
    except InvalidInput as exc:
        raise InvalidInput(f"{file.name}: {exc.detail}") from None


def attribution_command(
    file: Path = typer.Argument(..., help="CSV with path, total_conversions, total_conversion_value, total_null"),
    model: str = typer.Option("markov", "--model", "-m",
                              help="markov | first | last | linear | time_decay | position | all"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
    half_life_days: float = typer.Option(DEFAULT_HALF_LIFE_DAYS, "--half-life-days", min=0.001,
                                         help="Time decay half-life; path steps are taken as one day apart"),
) -> None:
    """Attribute conversions on imported paths to channels (also those Kempen does not send)."""
    models = _models(model)
    rows = _read(file)
    results = {m: attribute_paths(rows, m, half_life_days=half_life_days) for m in models}
    if as_json:
        console.print_json(json.dumps(_as_json(rows, results)))
    elif len(models) == 1:
        console.print(_single_table(models[0], results[models[0]]))
    else:
        console.print(_comparison_table(results))


def _as_json(rows: list[PathRow], results: dict[AttributionModel, list[ChannelResult]]) -> dict[str, object]:
    return {
        "paths": len(rows),
        "total_conversions": sum(r.conversions for r in rows),
        "total_conversion_value": str(sum((r.value for r in rows), Decimal(0))),
        "models": {m.value: [{"channel": r.channel, "conversions": round(r.conversions, 6), "value": str(r.value),
                              "share": round(r.share, 6)} for r in res] for m, res in results.items()},
    }


def _single_table(model: AttributionModel, results: list[ChannelResult]) -> Table:
    table = Table(title=f"Attribution ({model.value})")
    table.add_column("channel")
    table.add_column("conversions", justify="right")
    table.add_column("value", justify="right")
    table.add_column("share", justify="right")
    for r in results:
        table.add_row(r.channel, f"{r.conversions:,.2f}", f"{r.value:,.2f}", f"{r.share:.1%}")
    return table


def _comparison_table(results: dict[AttributionModel, list[ChannelResult]]) -> Table:
    table = Table(title="Conversions per channel, by model")
    table.add_column("channel")
    short = {model: name for name, model in list(MODEL_NAMES.items())[:6]}
    for model in results:
        table.add_column(short[model], justify="right")
    channels = [r.channel for r in next(iter(results.values()))]
    by_model = {m: {r.channel: r for r in res} for m, res in results.items()}
    for channel in channels:
        table.add_row(channel, *(f"{by_model[m][channel].conversions:,.2f}" for m in results))
    return table
