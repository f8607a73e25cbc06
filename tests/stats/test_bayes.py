"""Probability to be best against closed forms (two variants) and an independent adaptive quadrature (3–5)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import betaln
from scipy.stats import beta, norm

from kempen.stats import MeanArm, ProportionArm, probability_best_means, probability_best_proportions


def beta_b_beats_a(a0: int, b0: int, a1: int, b1: int) -> float:
    """P(X₁ > X₀) for X ~ Beta, exact finite sum (Evan Miller's formula), in logs for stability."""
    terms = [math.exp(betaln(a0 + i, b0 + b1) - math.log(b1 + i) - betaln(1 + i, b1) - betaln(a0, b0))
             for i in range(a1)]
    return math.fsum(terms)


BETA_CASES = [  # (control users, conversions, variant users, conversions)
    (10_000, 1_000, 10_000, 1_100),
    (100, 0, 100, 3),  # zero conversions
    (20, 20, 5, 5),  # all conversions
    (0, 0, 7, 2),  # no users: the uniform prior
    (3, 1, 2, 1),  # tiny
    (100, 10, 1_000_000, 100_500),  # one posterior a hundred times narrower
    (1_000_000, 20_000, 1_000_000, 20_400),  # large
]


@pytest.mark.parametrize(("n0", "x0", "n1", "x1"), BETA_CASES)
def test_two_rates_match_the_closed_form(n0: int, x0: int, n1: int, x1: int) -> None:
    result = probability_best_proportions([ProportionArm(n0, x0), ProportionArm(n1, x1)])
    assert result.probabilities is not None
    expected = beta_b_beats_a(1 + x0, 1 + n0 - x0, 1 + x1, 1 + n1 - x1)
    assert result.probabilities[1] == pytest.approx(expected, abs=1e-6)
    assert result.probabilities[0] == pytest.approx(1 - expected, abs=1e-6)


def _quad_best(dists: list) -> list[float]:
    """The same integral by scipy's adaptive quadrature, with each posterior's bulk as breakpoints."""
    result = []
    for i, dist in enumerate(dists):
        low, high = dist.ppf(1e-13), dist.isf(1e-13)
        points = sorted({float(q) for d in dists for q in d.ppf([0.001, 0.1, 0.5, 0.9, 0.999]) if low < q < high})

        def integrand(t: float, i: int = i) -> float:
            return float(dists[i].pdf(t) * np.prod([d.cdf(t) for j, d in enumerate(dists) if j != i]))

        value, _ = quad(integrand, low, high, points=points, epsabs=1e-11, epsrel=1e-10, limit=500)
        result.append(value)
    return result


@pytest.mark.parametrize("counts", [
    [(1_000, 100), (1_000, 110), (1_000, 95)],
    [(500, 20), (1_500, 70), (800, 40), (800, 30)],
    [(50, 0), (60, 1), (40, 0), (70, 2), (90, 1)],
    [(20_000, 600), (20_000, 640), (20_000, 610), (5_000, 160), (100, 3)],
])
def test_three_to_five_rates_match_adaptive_quadrature(counts: list[tuple[int, int]]) -> None:
    result = probability_best_proportions([ProportionArm(n, x) for n, x in counts])
    expected = _quad_best([beta(1 + x, 1 + n - x) for n, x in counts])
    assert result.probabilities == pytest.approx(expected, abs=1e-6)
    assert sum(result.probabilities or ()) == pytest.approx(1, abs=1e-6)


def _normal_arm(n: int, mean: float, sd: float) -> MeanArm:
    """An arm whose sample mean and sample standard deviation are exactly `mean` and `sd`."""
    total = n * mean
    return MeanArm(n, total, sd * sd * (n - 1) + total * mean)


@pytest.mark.parametrize(("control", "variant"), [
    ((1_000, 5.0, 20.0), (1_000, 5.4, 22.0)),
    ((10, 1.0, 0.5), (30, 1.1, 2.0)),
    ((200_000, 3.0, 30.0), (50_000, 3.3, 35.0)),
])
def test_two_means_match_the_closed_form(control: tuple[int, float, float], variant: tuple[int, float, float]) -> None:
    result = probability_best_means([_normal_arm(*control), _normal_arm(*variant)])
    (n0, m0, s0), (n1, m1, s1) = control, variant
    expected = norm.cdf((m1 - m0) / math.sqrt(s0 * s0 / n0 + s1 * s1 / n1))
    assert result.probabilities == pytest.approx((1 - expected, expected), abs=1e-6)


def test_four_means_match_adaptive_quadrature() -> None:
    specs = [(1_000, 5.0, 20.0), (1_200, 5.5, 21.0), (900, 4.8, 30.0), (40, 6.0, 9.0)]
    result = probability_best_means([_normal_arm(*spec) for spec in specs])
    expected = _quad_best([norm(m, s / math.sqrt(n)) for n, m, s in specs])
    assert result.probabilities == pytest.approx(expected, abs=1e-6)


def test_a_variant_without_spread_is_a_point_mass() -> None:
    # The control sold nothing (all zeros); the variant's mean has a normal posterior N(0.5, 0.3²).
    result = probability_best_means([MeanArm(100, 0.0, 0.0), _normal_arm(100, 0.5, 3.0)])
    assert result.probabilities == pytest.approx((norm.cdf(-0.5 / 0.3), norm.cdf(0.5 / 0.3)), abs=1e-9)


def test_equal_point_masses_share() -> None:
    result = probability_best_means([MeanArm(5, 0.0, 0.0), MeanArm(9, 0.0, 0.0), MeanArm(3, 3.0, 3.0)])
    assert result.probabilities == (0.0, 0.0, 1.0)
    result = probability_best_means([MeanArm(5, 0.0, 0.0), MeanArm(9, 0.0, 0.0)])
    assert result.probabilities == (0.5, 0.5)


def test_means_below_two_users_are_undefined() -> None:
    result = probability_best_means([MeanArm(1, 2.0, 4.0), _normal_arm(10, 1.0, 1.0)])
    assert result.probabilities is None and "A needs at least 2 users" in (result.reason or "")


def test_identical_variants_are_equally_likely() -> None:
    result = probability_best_proportions([ProportionArm(1_000, 100)] * 4)
    assert result.probabilities == pytest.approx([0.25] * 4, abs=1e-9)


def test_billions_of_users() -> None:
    result = probability_best_proportions([ProportionArm(10**9, 10**8), ProportionArm(10**9, 10**8 + 20_000)])
    expected = norm.cdf(20_000 / 10**9 / math.sqrt(2 * 0.1 * 0.9 / 10**9))  # the normal limit
    assert result.probabilities is not None and result.probabilities[1] == pytest.approx(expected, abs=1e-4)
