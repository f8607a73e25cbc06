"""`kempen stats ab` and `kempen stats sample-size`: the table and sentence, JSON, and one-line refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from kempen.cli.common import console
from kempen.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console() -> Iterator[None]:
    """A terminal wide enough that the table keeps each interval on one line."""
    width = console._width
    console.width = 160
    yield
    console._width = width


def test_ab_prints_a_table_and_the_sentence() -> None:
    result = runner.invoke(app, ["stats", "ab", "--users", "10000,10000", "--conversions", "1000,1100"])
    assert result.exit_code == 0, result.output
    assert "Variant B converts 1.0 points (10%) better than A; p = 0.021; 98.9% probability it is best." in result.output
    assert "11.00%" in result.output and "1.00% [0.15%, 1.85%]" in result.output
    assert "Sample ratio: p = 1 against the planned split 50%, 50% (fine)" in result.output


def test_ab_json_gives_every_figure_per_variant_against_the_first() -> None:
    result = runner.invoke(app, ["stats", "ab", "--users", "10000,10000", "--conversions", "1000,1100",
                                 "--split", "50,50", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    (comparison,) = data["comparisons"]
    assert comparison["absolute"]["estimate"] == pytest.approx(0.01)
    assert comparison["absolute"]["low"] == pytest.approx(0.00150406, abs=1e-8)
    assert comparison["relative"]["high"] == pytest.approx(0.1928404, abs=1e-7)
    assert comparison["test"]["p_value"] == pytest.approx(0.0210752, abs=1e-7)
    assert comparison["probability_best"] == pytest.approx(0.9894574, abs=1e-7)
    assert data["srm"]["p_value"] == 1.0 and data["confidence"] == 0.95


def test_ab_means_with_a_split_mismatch() -> None:
    result = runner.invoke(app, ["stats", "ab", "--users", "10000,10800", "--sums", "50000,56000",
                                 "--sums-squares", "5000000,5600000", "--split", "50,50"])
    assert result.exit_code == 0, result.output
    assert "Sample ratio mismatch (p < 0.001)" in result.output and "MISMATCH" in result.output
    assert "Variant B brings 0.19 more per user (3.7%) than A" in result.output


def test_ab_means_json_matches_the_library() -> None:
    result = runner.invoke(app, ["stats", "ab", "--users", "1000,1000", "--sums", "5000,5600",
                                 "--sums-squares", "100000,120000", "--json", "--confidence", "0.9"])
    data = json.loads(result.output)
    assert data["metric"] == "mean" and data["confidence"] == 0.9
    assert data["comparisons"][0]["test"]["method"].startswith("Welch")


@pytest.mark.parametrize(("arguments", "message"), [
    (["--users", "100,abc", "--conversions", "1,2"], "--users takes whole numbers"),
    (["--users", "100,100", "--conversions", "1,200"], "200 conversions is more than its 100 users"),
    (["--users", "100,100"], "Give --conversions"),
    (["--users", "100,100", "--conversions", "1,2", "--sums", "1,2"], "not both"),
    (["--users", "100,100,100", "--conversions", "1,2"], "one value per variant"),
    (["--users", "100,100", "--conversions", "1,2", "--split", "50"], "split has 1 shares"),
    (["--users", "100,100", "--conversions", "1,2", "--confidence", "2"], "confidence level"),
])
def test_ab_bad_input_is_one_line_and_exit_1(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["stats", "ab", *arguments])
    assert result.exit_code == 1
    assert message in result.output and result.output.strip().startswith("error:")
    assert "Traceback" not in result.output


def test_sample_size_for_a_rate_and_a_mean() -> None:
    result = runner.invoke(app, ["stats", "sample-size", "--baseline", "0.05", "--mde", "0.01"])
    assert result.exit_code == 0, result.output
    assert "A: 8,143, B: 8,143; 16,286 in total." in result.output
    result = runner.invoke(app, ["stats", "sample-size", "--baseline", "0.05", "--mde", "0.2", "--relative",
                                 "--variants", "3", "--json"])
    data = json.loads(result.output)
    assert len(data["per_variant"]) == 3 and data["difference"] == pytest.approx(0.01)
    result = runner.invoke(app, ["stats", "sample-size", "--std-dev", "20", "--mde", "1"])
    assert "A: 6,280, B: 6,280" in result.output


@pytest.mark.parametrize(("arguments", "message"), [
    (["--mde", "0.01"], "Give --baseline"),
    (["--baseline", "0.9", "--mde", "0.2"], "within 0–1"),
    (["--baseline", "0.05", "--mde", "0.01", "--power", "1.5"], "power"),
])
def test_sample_size_bad_input(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["stats", "sample-size", *arguments])
    assert result.exit_code == 1 and message in result.output
