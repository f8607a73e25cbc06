"""What every demo generator module shares: the run context, id ranges and vectorised helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np

DAY = 86_400
# Contacts are generated in chunks of this size; each chunk has its own random stream seeded by
# (seed, first contact number), so the data never depends on memory limits or on how a run is split.
CHUNK_SIZE = 50_000
EXTERNAL_ID_PREFIX = "demo-"

# A table's rows as equally long columns, by column name.
Columns = dict[str, list[Any]]


@dataclass
class DemoContext:
    """The fixed inputs of one run: the workspace, the seed, the reference day and the shared rows' ids."""

    workspace_id: int
    seed: int
    as_of: date
    tag_ids: dict[str, int] = field(default_factory=dict)
    list_ids: dict[str, int] = field(default_factory=dict)
    company_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    company_country: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def anchor(self) -> int:
        """The reference "now" in epoch seconds: midnight UTC at the start of the as-of day."""
        return int(datetime(self.as_of.year, self.as_of.month, self.as_of.day, tzinfo=UTC).timestamp())

    @property
    def email_domain(self) -> str:
        return f"demo-s{self.seed}.example.com"

    def external_prefix(self) -> str:
        return f"{EXTERNAL_ID_PREFIX}{self.seed}-"


@dataclass
class IdRange:
    """The next free id of a table; the generator hands out consecutive ids without asking the database."""

    next_id: int

    def take(self, count: int) -> np.ndarray:
        """Return `count` fresh ids."""
        ids = np.arange(self.next_id, self.next_id + count, dtype=np.int64)
        self.next_id += count
        return ids


def chunk_rng(seed: int, first_number: int, stream: int) -> np.random.Generator:
    """Return the random stream of one chunk and one table (0 contacts, 1 orders, 2 events, 3 memberships)."""
    return np.random.default_rng([seed, first_number, stream])


def weighted_choice(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    """Return `size` indices drawn with the given (not necessarily normalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def group_starts(counts: np.ndarray) -> np.ndarray:
    """Return, for groups of the given sizes laid end to end, the offset at which each group starts."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """Return 0, 1, … within each group, for groups of the given sizes laid end to end."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(group_starts(counts), counts)


def pad_numbers(numbers: np.ndarray, width: int = 7) -> list[str]:
    """Return zero-padded decimal strings, so keys sort in generation order."""
    return np.strings.zfill(numbers.astype(str), width).tolist()


def as_strings(values: np.ndarray, labels: Sequence[str]) -> list[str]:
    """Map an array of indices to their labels."""
    return np.asarray(labels, dtype=object)[values].tolist()
