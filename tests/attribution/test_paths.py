"""Imported conversion paths: the CSV format and every model over path rows, checked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kempen.attribution import paths
from kempen.attribution.paths import attribute_paths, compare_models, parse_path, parse_paths_csv
from kempen.attribution.types import AttributionModel
from kempen.kit.errors import InvalidInput

CSV = """path,total_conversions,total_conversion_value,total_null
search > email,10,1000,5
email,4,200.00,20
display > search > email,6,600,30
"""


def table(model: AttributionModel, **kw: float) -> dict[str, tuple[float, float]]:
    return {r.channel: (round(r.conversions, 4), float(r.value))
            for r in attribute_paths(parse_paths_csv(CSV), model, **kw)}


def test_parse_reads_rows() -> None:
    rows = parse_paths_csv(CSV)
    assert [r.channels for r in rows] == [("search", "email"), ("email",), ("display", "search", "email")]
    assert rows[1].value == Decimal("200.00") and rows[2].null == 30 and rows[0].conversions == 10


def test_parse_accepts_header_variants_semicolons_and_tight_arrows() -> None:
    rows = parse_paths_csv("\ufeffPath;Conversions;Conversion Value;Null\nsearch>email;2;30,5;7\n".replace("30,5", "30.5"))
    assert rows[0].channels == ("search", "email") and rows[0].value == Decimal("30.50") and rows[0].null == 7


def test_value_and_null_columns_are_optional_and_duplicates_add_up() -> None:
    rows = parse_paths_csv(b"PATH,TOTAL_CONVERSIONS\na > b,1\na>b,2\n")
    assert len(rows) == 1 and rows[0].conversions == 3 and rows[0].null == 0 and rows[0].value == 0


@pytest.mark.parametrize(("text", "message"), [
    ("path,total_conversions\na > b,abc\n", "Row 2: total_conversions 'abc' is not a number."),
    ("path,total_conversions\na,1\na > > b,1\n", "Row 3: the path 'a > > b' has an empty step."),
    ("path,total_conversions,total_null\na,1,2.5\n", "Row 2: total_null must be a whole number, not '2.5'."),
    ("path,total_conversions\na,-1\n", "Row 2: total_conversions must be zero or more, not '-1'."),
    ("channels,total_conversions\na,1\n", "The file has no path column"),
    ("path,total_conversions\n", "The file has a header but no paths."),
    ("", "The file is empty"),
])
def test_bad_files_are_refused_with_the_row(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_paths_csv(text)
    assert caught.value.detail.startswith(message)


def test_size_and_encoding_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "MAX_BYTES", 50)
    with pytest.raises(InvalidInput, match="larger than"):
        parse_paths_csv(CSV)
    monkeypatch.setattr(paths, "MAX_BYTES", 1000)
    with pytest.raises(InvalidInput, match="UTF-8"):
        parse_paths_csv(b"path,total_conversions\n\xff\xfe,1\n")


def test_parse_path_rejects_an_empty_path() -> None:
    with pytest.raises(ValueError):
        parse_path("  ")


def test_last_and_first_touch() -> None:
    assert table(AttributionModel.LAST_TOUCH) == {"email": (20, 1800), "search": (0, 0), "display": (0, 0)}
    assert table(AttributionModel.FIRST_TOUCH) == {"search": (10, 1000), "display": (6, 600), "email": (4, 200)}


def test_linear() -> None:
    # search: 10/2 + 6/3 = 7; email: 10/2 + 4 + 6/3 = 11; display: 6/3 = 2.
    assert table(AttributionModel.LINEAR) == {"email": (11, 900), "search": (7, 700), "display": (2, 200)}


def test_position_based() -> None:
    # Two touches 50/50; three touches 40/20/40: search 5 + 1.2, email 5 + 4 + 2.4, display 2.4.
    assert table(AttributionModel.POSITION_BASED) == {
        "email": (11.4, 940), "search": (6.2, 620), "display": (2.4, 240)}


def test_time_decay_takes_touches_as_one_day_apart() -> None:
    # Half-life 1 day: two touches weigh 1/2 : 1 (1/3, 2/3), three 1/4 : 1/2 : 1 (1/7, 2/7, 4/7).
    got = table(AttributionModel.TIME_DECAY, half_life_days=1)
    assert got["search"][0] == pytest.approx(10 / 3 + 6 * 2 / 7, abs=1e-4)
    assert got["email"][0] == pytest.approx(10 * 2 / 3 + 4 + 6 * 4 / 7, abs=1e-4)
    assert got["display"] == (round(6 / 7, 4), round(600 / 7, 2))


def test_markov_on_the_worked_example() -> None:
    rows = parse_paths_csv("path,total_conversions,total_conversion_value,total_null\n"
                           "c1 > c2,1,30,0\nc1,0,0,1\nc2 > c3,1,10,0\n")
    results = attribute_paths(rows, AttributionModel.MARKOV)
    assert [(r.channel, r.conversions, r.value, r.share) for r in results] == [
        ("c2", pytest.approx(1.0), Decimal("20.00"), pytest.approx(0.5)),
        ("c1", pytest.approx(0.5), Decimal("10.00"), pytest.approx(0.25)),
        ("c3", pytest.approx(0.5), Decimal("10.00"), pytest.approx(0.25))]


def test_every_model_credits_all_conversions() -> None:
    results = compare_models(parse_paths_csv(CSV))
    assert set(results) == set(AttributionModel)
    for rows in results.values():
        assert sum(r.conversions for r in rows) == pytest.approx(20)
        assert sum(r.share for r in rows) == pytest.approx(1)
