"""`kempen attribution FILE.csv`: tables, JSON, model comparison and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kempen.cli.main import app

runner = CliRunner()
CSV = """Path;Total Conversions;Total Conversion Value;Total Null
search>email;10;1000;5
email;4;200;20
display > search > email;6;600;30
"""


@pytest.fixture
def paths_file(tmp_path: Path) -> Path:
    file = tmp_path / "paths.csv"
    file.write_text(CSV)
    return file


def test_json_output_per_model(paths_file: Path) -> None:
    result = runner.invoke(app, ["attribution", str(paths_file), "--model", "linear", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["paths"] == 3 and data["total_conversion_value"] == "1800.00"
    assert data["models"]["linear"] == [
        {"channel": "email", "conversions": 11.0, "value": "900.00", "share": 0.55},
        {"channel": "search", "conversions": 7.0, "value": "700.00", "share": 0.35},
        {"channel": "display", "conversions": 2.0, "value": "200.00", "share": 0.1}]


def test_markov_is_the_default_and_prints_a_table(paths_file: Path) -> None:
    result = runner.invoke(app, ["attribution", str(paths_file)], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Attribution (markov)" in result.output
    assert [line.split("│")[1].strip() for line in result.output.splitlines() if line.startswith("│")] == [
        "email", "search", "display"]


def test_all_models_side_by_side(paths_file: Path) -> None:
    result = runner.invoke(app, ["attribution", str(paths_file), "--model", "all", "--json"])
    assert set(json.loads(result.output)["models"]) == {
        "last_touch", "first_touch", "linear", "time_decay", "position_based", "markov"}
    table = runner.invoke(app, ["attribution", str(paths_file), "-m", "all"], env={"COLUMNS": "120"})
    assert "position" in table.output and "20.00" in table.output


def _kempen(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from kempen.cli.main import main; main()", *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("content", "args", "message"), [
    ("path,total_conversions\na,1\nb > ,2\n", [], "error: paths.csv: Row 3: the path 'b > ' has an empty step."),
    ("path,total_conversions\na,1\n", ["--model", "shapley"], "error: Unknown model 'shapley'"),
    ("where,what\n", [], "error: paths.csv: The file has no path or total_conversions column"),
])
def test_a_bad_file_or_model_prints_one_line_and_exits_1(tmp_path: Path, content: str, args: list[str],
                                                         message: str) -> None:
    file = tmp_path / "paths.csv"
    file.write_text(content)
    done = _kempen("attribution", str(file), *args)
    assert done.returncode == 1
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1 and done.stdout == ""


def test_a_missing_file(tmp_path: Path) -> None:
    done = _kempen("attribution", str(tmp_path / "nope.csv"))
    assert done.returncode == 1 and "Cannot read" in done.stderr
