"""Data-driven attribution: the removal effect of each state of a first-order absorbing Markov chain.

The chain: `start` → one state per channel (or campaign) → `conversion` | `null`, with transition
probabilities estimated from all paths (converting and not) weighted by their counts. The probability
of conversion from `start` is the absorption probability in `conversion`, solved exactly from
(I − Q) x = r (Q: transitions among transient states, r: one-step conversion probabilities). Removing a
state sends every transition into it to `null`; its removal effect is 1 − P(conv | removed) / P(conv).
Conversions (and value) are split in proportion to the removal effects.

Repeated consecutive states are collapsed (`a > a > b` is `a > b`). This changes nothing in the
result: a self-loop only rescales a state's other outgoing probabilities, and the absorbing chain
renormalises them the same way. Paths with no state are left out (nothing to credit). When nothing
converted, P(conversion) is 0, every removal effect is 0 and nobody gets credit.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

H = TypeVar("H", bound=Hashable)
# Removal effects below this are numerical noise of the linear solve, not a contribution.
EPSILON = 1e-12


@dataclass(frozen=True, slots=True)
class PathCount:
    """One distinct path (ordered states) with how often it converted and how often it did not."""

    states: tuple[Hashable, ...]
    conversions: float = 0.0
    null: float = 0.0
    value: float = 0.0


@dataclass(frozen=True, slots=True)
class MarkovResult:
    """Removal effects, normalised shares and the credited conversions and value of each state."""

    p_conversion: float
    removal_effects: dict[Hashable, float] = field(default_factory=dict)
    shares: dict[Hashable, float] = field(default_factory=dict)
    conversions: dict[Hashable, float] = field(default_factory=dict)
    value: dict[Hashable, float] = field(default_factory=dict)


def collapse(states: Iterable[H]) -> tuple[H, ...]:
    """Drop a state that repeats the one just before it."""
    out: list[H] = []
    for state in states:
        if not out or out[-1] != state:
            out.append(state)
    return tuple(out)


def _transitions(paths: Sequence[PathCount], index: dict[Hashable, int]) -> tuple[np.ndarray, np.ndarray]:
    """Row-normalised transition matrix among transient states (0 = start) and one-step conversion probabilities."""
    n = len(index) + 1
    counts = np.zeros((n, n + 2))  # columns n and n + 1: conversion and null
    for path in paths:
        weight = path.conversions + path.null
        nodes = [0, *(index[s] + 1 for s in path.states)]
        for a, b in zip(nodes, nodes[1:], strict=False):
            counts[a, b] += weight
        counts[nodes[-1], n] += path.conversions
        counts[nodes[-1], n + 1] += path.null
    totals = counts.sum(axis=1, keepdims=True)
    probs = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    return probs[:, :n], probs[:, n]


def absorption_probability(q: np.ndarray, r: np.ndarray, removed: int | None = None) -> float:
    """P(conversion) from start: solve (I − Q) x = r exactly, with state `removed` sent to null."""
    if removed is not None:
        q = q.copy()
        r = r.copy()
        # A removed state absorbs into null: nothing leaves it, so x[removed] = 0.
        q[removed, :] = 0.0
        r[removed] = 0.0
    x = np.linalg.solve(np.eye(len(r)) - q, r)
    return float(x[0])


def _clip(effect: float) -> float:
    """Round away the solver's last-digit noise, so a state on no converting path gets exactly 0."""
    return effect if effect > EPSILON else 0.0


def markov_attribution(paths: Iterable[PathCount]) -> MarkovResult:
    """Removal effect of every state over the given paths, and conversions and value split by them."""
    kept = [PathCount(collapse(p.states), p.conversions, p.null, p.value)
            for p in paths if p.states and (p.conversions > 0 or p.null > 0)]
    states = sorted({s for p in kept for s in p.states}, key=repr)
    index = {s: i for i, s in enumerate(states)}
    if not kept:
        return MarkovResult(p_conversion=0.0)
    q, r = _transitions(kept, index)
    base = absorption_probability(q, r)
    total_conversions = sum(p.conversions for p in kept)
    total_value = sum(p.value for p in kept)
    if base <= 0.0:
        zeros = dict.fromkeys(states, 0.0)
        return MarkovResult(0.0, zeros, dict(zeros), dict(zeros), dict(zeros))
    effects = {s: _clip(1.0 - absorption_probability(q, r, index[s] + 1) / base) for s in states}
    total_effect = sum(effects.values())
    shares = {s: (e / total_effect if total_effect > 0 else 0.0) for s, e in effects.items()}
    return MarkovResult(
        p_conversion=base, removal_effects=effects, shares=shares,
        conversions={s: share * total_conversions for s, share in shares.items()},
        value={s: share * total_value for s, share in shares.items()})
