"""The calculators page: both forms, full page and HTMX partials, results and readable errors."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from tests.web.conftest import LoggedIn


def _text(page: str) -> str:
    """The words a reader sees: tags dropped, entities decoded, white space collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_empty_page_shows_both_forms(logged_in: LoggedIn) -> None:
    response = logged_in.client.get("/stats/ab")
    assert response.status_code == 200
    assert 'id="ab-form"' in response.text and 'id="size-form"' in response.text
    assert 'hx-get="/stats/ab/result"' in response.text and "Enter the users and conversions" in response.text


def test_full_page_with_a_test_and_a_plan(logged_in: LoggedIn) -> None:
    response = logged_in.client.get("/stats/ab", params={
        "users": "10000, 10000", "conversions": "1000,1100", "split": "50,50",
        "baseline": "0.05", "mde": "0.01"})
    assert response.status_code == 200
    text = _text(response.text)
    assert "Variant B converts 1.0 points (10%) better than A; p = 0.021; 98.9% probability it is best." in text
    assert "1.00% [0.15%, 1.85%]" in text and "10.0% [1.4%, 19.3%]" in text and "98.9%" in text
    assert "p = 1 against the planned split 50%, 50% (fine)" in text
    assert "8,143 users per variant, 16,286 in total" in text


def test_htmx_partial_for_means_keeps_the_address(logged_in: LoggedIn) -> None:
    response = logged_in.client.get("/stats/ab/result", headers={"HX-Request": "true"}, params={
        "metric": "mean", "users": "10000,10800", "sums": "50000,56000", "sums_squares": "5000000,5600000",
        "split": "50,50", "mde": "0.01", "baseline": "0.05"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="ab-result"') and "<html" not in response.text
    text = _text(response.text)
    assert "Sample ratio mismatch (p < 0.001)" in text and "mismatch: the users are not split as planned" in text
    assert "Welch" in text
    pushed = unquote(response.headers["HX-Push-Url"])
    assert pushed.startswith("/stats/ab?") and "metric=mean" in pushed and "mde=0.01" in pushed


def test_bad_input_is_shown_in_place(logged_in: LoggedIn) -> None:
    response = logged_in.client.get("/stats/ab/result", params={"users": "100,100", "conversions": "1,200"})
    assert response.status_code == 200
    assert 'class="alert alert-error"' in response.text and "200 conversions is more than its 100 users" in response.text
    response = logged_in.client.get("/stats/ab/result", params={"users": "100,abc", "conversions": "1,2"})
    assert "Users takes whole numbers" in response.text
    response = logged_in.client.get("/stats/ab/result", params={"users": "100,100"})
    assert "Fill in Conversions" in response.text


def test_sample_size_partial_for_a_mean_and_errors(logged_in: LoggedIn) -> None:
    response = logged_in.client.get("/stats/sample-size/result", params={"std_dev": "20", "mde": "1"})
    assert "6,280 users per variant, 12,560 in total" in _text(response.text)
    response = logged_in.client.get("/stats/sample-size/result", params={"baseline": "0.9", "mde": "0.2"})
    assert "within 0–1" in response.text and "alert-error" in response.text
    response = logged_in.client.get("/stats/sample-size/result", params={"baseline": "x", "mde": "0.2"})
    assert "Baseline must be a number" in response.text


def test_zero_users_do_not_break_the_page(logged_in: LoggedIn) -> None:
    response = logged_in.client.get("/stats/ab", params={"users": "0,0", "conversions": "0,0"})
    assert response.status_code == 200
    assert "cannot be compared yet" in response.text and "No users yet" in response.text


def test_needs_a_login(logged_in: LoggedIn) -> None:
    logged_in.client.cookies.clear()
    response = logged_in.client.get("/stats/ab", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
