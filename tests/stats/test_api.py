"""POST /api/v1/stats/ab and /stats/sample-size: any role may call them; bad input is problem+json 422."""

from __future__ import annotations

import pytest

from kempen.models import Role
from tests.conftest import Tenant


def test_ab_for_a_viewer_gives_the_figures(tenant: Tenant) -> None:
    response = tenant.client.post("/api/v1/stats/ab", headers=tenant.headers(Role.VIEWER),
                                  json={"users": [10_000, 10_000], "conversions": [1_000, 1_100], "split": [50, 50]})
    assert response.status_code == 200, response.text
    data = response.json()
    (comparison,) = data["comparisons"]
    assert comparison["variant"] == "B" and comparison["test"]["p_value"] == pytest.approx(0.0210752, abs=1e-7)
    assert comparison["absolute"]["low"] == pytest.approx(0.00150406, abs=1e-8)
    assert comparison["probability_best"] == pytest.approx(0.9894574, abs=1e-7)
    assert data["srm"]["p_value"] == 1.0 and data["summary"].startswith("Variant B converts 1.0 points (10%) better")


def test_ab_for_means_with_undefined_values_is_null_with_reasons(tenant: Tenant) -> None:
    response = tenant.client.post("/api/v1/stats/ab", headers=tenant.headers(Role.ANALYST),
                                  json={"users": [1, 40], "sums": [3, 80], "sums_squares": [9, 400]})
    assert response.status_code == 200, response.text
    (comparison,) = response.json()["comparisons"]
    assert comparison["test"]["p_value"] is None and "at least 2 users" in comparison["test"]["reason"]
    assert response.json()["best"]["probabilities"] is None


def test_sample_size(tenant: Tenant) -> None:
    response = tenant.client.post("/api/v1/stats/sample-size", headers=tenant.headers(Role.VIEWER),
                                  json={"baseline": 0.05, "mde": 0.01})
    assert response.status_code == 200, response.text
    assert response.json()["per_variant"] == [8_143, 8_143] and response.json()["total"] == 16_286
    response = tenant.client.post("/api/v1/stats/sample-size", headers=tenant.headers(Role.VIEWER),
                                  json={"std_dev": 20, "mde": 1, "split": [2, 1, 1]})
    assert response.status_code == 200, response.text
    assert len(response.json()["per_variant"]) == 3


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/stats/ab", {"users": [100, 100], "conversions": [1, 200]}, "200 conversions is more than its 100 users"),
    ("/stats/ab", {"users": [100, 100]}, "either conversions"),
    ("/stats/ab", {"users": [100, 100], "conversions": [1, 2], "sums": [1, 2]}, "either conversions"),
    ("/stats/ab", {"users": [100], "conversions": [1]}, "at least 2"),
    ("/stats/ab", {"users": [100, 100], "conversions": [1, 2, 3]}, "one value per variant"),
    ("/stats/ab", {"users": [10, 10], "sums": [100, 100], "sums_squares": [10, 2000]}, "sum of squares is too small"),
    ("/stats/ab", {"users": [100, 100], "conversions": [1, 2], "confidence": 1.5}, "confidence"),
    ("/stats/ab", {"users": [100, 100], "conversions": [1, 2], "split": [1, 0]}, "positive"),
    ("/stats/sample-size", {"baseline": 0.9, "mde": 0.2}, "within 0–1"),
    ("/stats/sample-size", {"mde": 0.2}, "Give baseline"),
    ("/stats/sample-size", {"baseline": 0.05, "mde": 0.01, "power": 2}, "power"),
])
def test_bad_input_is_a_problem_422(tenant: Tenant, path: str, body: dict[str, object], message: str) -> None:
    response = tenant.client.post("/api/v1" + path, headers=tenant.headers(Role.VIEWER), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.text


def test_needs_an_api_key(tenant: Tenant) -> None:
    response = tenant.client.post("/api/v1/stats/ab", json={"users": [1, 1], "conversions": [0, 0]})
    assert response.status_code == 401
