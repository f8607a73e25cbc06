"""The Markov model: a worked example, a brute-force cross-check, and properties (hypothesis)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kempen.attribution.markov import (
    PathCount,
    _transitions,
    absorption_probability,
    collapse,
    markov_attribution,
)


def test_worked_example() -> None:
    """Paths: c1 > c2 > conv, c1 > null, c2 > c3 > conv (one each).

    Transitions: start→c1 2/3, start→c2 1/3; c1→c2 1/2, c1→null 1/2; c2→conv 1/2, c2→c3 1/2; c3→conv 1.
    Conversion probabilities: x(c3) = 1, x(c2) = 1/2 + 1/2·1 = 1, x(c1) = 1/2·1 = 1/2,
    x(start) = 2/3·1/2 + 1/3·1 = 2/3.
    Remove c1 (start→c1 goes to null): x(start) = 1/3·1 = 1/3 → effect 1 − (1/3)/(2/3) = 1/2.
    Remove c2: nothing reaches conversion → effect 1.
    Remove c3: x(c2) = 1/2, x(c1) = 1/4, x(start) = 2/3·1/4 + 1/3·1/2 = 1/3 → effect 1/2.
    Shares 1/2 : 1 : 1/2 = 1/4, 1/2, 1/4 of the 2 conversions: c1 0.5, c2 1, c3 0.5.
    """
    result = markov_attribution([
        PathCount(("c1", "c2"), conversions=1, value=30),
        PathCount(("c1",), null=1),
        PathCount(("c2", "c3"), conversions=1, value=10),
    ])
    assert result.p_conversion == pytest.approx(2 / 3)
    assert result.removal_effects == pytest.approx({"c1": 0.5, "c2": 1.0, "c3": 0.5})
    assert result.shares == pytest.approx({"c1": 0.25, "c2": 0.5, "c3": 0.25})
    assert result.conversions == pytest.approx({"c1": 0.5, "c2": 1.0, "c3": 0.5})
    assert result.value == pytest.approx({"c1": 10.0, "c2": 20.0, "c3": 10.0})


def test_repeated_channels_are_collapsed_without_changing_the_result() -> None:
    assert collapse(["a", "a", "b", "a", "a"]) == ("a", "b", "a")
    plain = markov_attribution([PathCount(("a", "b"), conversions=2), PathCount(("b",), null=3)])
    repeated = markov_attribution([PathCount(("a", "a", "b", "b"), conversions=2), PathCount(("b", "b"), null=3)])
    assert repeated.removal_effects == pytest.approx(plain.removal_effects)


def test_no_conversion_means_no_credit() -> None:
    result = markov_attribution([PathCount(("a", "b"), null=4)])
    assert result.p_conversion == 0
    assert result.conversions == {"a": 0.0, "b": 0.0}
    assert markov_attribution([]).shares == {}


def _enumerate(paths: list[PathCount], removed: str | None) -> Fraction:
    """P(conversion) by summing the probability of every walk through the chain, in exact fractions.

    Walks may revisit states; the sum stops once the mass still walking is below 2^-40.
    """
    edges: dict[Hashable, defaultdict[Hashable, Fraction]] = {}
    for p in paths:
        nodes: list[Hashable] = ["start", *collapse(p.states)]
        for a, b in zip(nodes, nodes[1:], strict=False):
            edges.setdefault(a, defaultdict(Fraction))[b] += Fraction(p.conversions + p.null)
        edges.setdefault(nodes[-1], defaultdict(Fraction))["conv"] += Fraction(p.conversions)
        edges[nodes[-1]]["null"] += Fraction(p.null)
    total = Fraction(0)
    frontier: dict[Hashable, Fraction] = {"start": Fraction(1)}
    while sum(frontier.values(), Fraction(0)) > Fraction(1, 2 ** 40):
        step: dict[Hashable, Fraction] = {}
        for state, mass in frontier.items():
            if state == removed:
                continue  # a removed state sends everything to null
            weight = sum(edges[state].values(), Fraction(0))
            for nxt, count in edges[state].items():
                if nxt == "conv":
                    total += mass * count / weight
                elif nxt != "null":
                    step[nxt] = step.get(nxt, Fraction(0)) + mass * count / weight
        frontier = step
    return total


def test_exact_solution_agrees_with_walk_enumeration() -> None:
    paths = [PathCount(("a", "b", "a", "c"), conversions=3), PathCount(("b", "c"), null=5),
             PathCount(("c", "a"), conversions=1, null=2), PathCount(("a",), null=4)]
    result = markov_attribution(paths)
    base = float(_enumerate(paths, None))
    assert result.p_conversion == pytest.approx(base, abs=1e-9)
    for state in "abc":
        expected = 1 - float(_enumerate(paths, state)) / base
        assert result.removal_effects[state] == pytest.approx(expected, abs=1e-9)


def test_exact_solution_agrees_with_power_iteration() -> None:
    paths = [PathCount(("x", "y"), conversions=5), PathCount(("y", "x", "y"), null=7), PathCount(("z",), conversions=1)]
    index: dict[Hashable, int] = {"x": 0, "y": 1, "z": 2}
    q, r = _transitions(paths, index)
    x = np.zeros(len(r))
    for _ in range(5_000):
        x = q @ x + r
    assert absorption_probability(q, r) == pytest.approx(x[0], abs=1e-12)


names = st.sampled_from(["email", "search", "display", "social", "sms"])
path_counts = st.lists(
    st.builds(PathCount, states=st.lists(names, min_size=1, max_size=5).map(tuple),
              conversions=st.integers(0, 20).map(float), null=st.integers(0, 20).map(float),
              value=st.integers(0, 500).map(float)),
    min_size=1, max_size=8)


@given(paths=path_counts)
def test_shares_sum_to_one_and_are_nonnegative(paths: list[PathCount]) -> None:
    result = markov_attribution(paths)
    assert all(v >= 0 for v in result.shares.values())
    if result.p_conversion > 0:
        assert sum(result.shares.values()) == pytest.approx(1.0)
        assert sum(result.conversions.values()) == pytest.approx(sum(p.conversions for p in paths))


@given(paths=path_counts, order=st.permutations(["email", "search", "display", "social", "sms"]))
def test_renaming_channels_renames_the_results(paths: list[PathCount], order: list[str]) -> None:
    rename = dict(zip(["email", "search", "display", "social", "sms"], order, strict=True))
    renamed = [PathCount(tuple(rename[str(s)] for s in p.states), p.conversions, p.null, p.value) for p in paths]
    before, after = markov_attribution(paths), markov_attribution(renamed)
    for state, share in before.shares.items():
        assert after.shares[rename[str(state)]] == pytest.approx(share, abs=1e-9)


@given(paths=path_counts)
def test_a_channel_on_no_converting_path_gets_nothing(paths: list[PathCount]) -> None:
    paths = [*paths, PathCount(("never",), null=3), PathCount(("email", "never"), null=1)]
    assert markov_attribution(paths).conversions["never"] == 0.0
