"""Progress and pace of an objective: pure arithmetic on numbers and times (no database).

Progress is how far the current value has come from the baseline toward the target:
`(current − baseline) / (target − baseline)` (1.0 is the target reached; it may be below 0 or above 1).

Pace projects the value at the deadline from the trend so far. Totals (conversions, revenue, clicks)
grow with time, so they are projected linearly from the start (launch) to now:
`projected = current × (deadline − start) / (now − start)`. Ratios (click rate, open rate, ROI) do not grow
with time: the best guess for the deadline is the ratio so far, so `projected = current`.

A verdict then says where the objective stands:
- not_started: nothing was measured yet (not launched, or no time has passed);
- done: the target is reached (before or at the deadline);
- missed: the deadline has passed and the target was not reached;
- ahead: the projection passes the target by a quarter or more of the way from baseline to target;
- on_pace: the projection reaches the target;
- behind: the projection falls short of the target.
A target below its baseline (fewer unsubscribes, say) is handled the same way with the direction reversed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

# A projection this far beyond the target (as a share of the way from baseline to target) is "ahead".
AHEAD_MARGIN = 0.25


class Verdict(enum.StrEnum):
    NOT_STARTED = "not_started"
    ON_PACE = "on_pace"
    AHEAD = "ahead"
    BEHIND = "behind"
    DONE = "done"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Pace:
    """Where an objective stands: progress so far, the projection at the deadline and the verdict."""

    progress: float | None  # None when target equals baseline (no way to measure progress)
    projected: float | None  # None when not started
    verdict: Verdict


def progress(*, baseline: float, target: float, current: float) -> float | None:
    """(current − baseline) / (target − baseline); None when target equals baseline."""
    if target == baseline:
        return None
    return (current - baseline) / (target - baseline)


def project_total(*, current: float, start: datetime, now: datetime, deadline: datetime) -> float | None:
    """A growing total extended linearly from start to the deadline; None before any time has passed."""
    elapsed = (now - start).total_seconds()
    if elapsed <= 0:
        return None
    if now >= deadline:
        return current
    return current * (deadline - start).total_seconds() / elapsed


def reached(*, baseline: float, target: float, value: float) -> bool:
    """Whether `value` is at or past the target, in the target's direction from the baseline."""
    return value >= target if target >= baseline else value <= target


def judge(*, baseline: float, target: float, current: float, projected: float | None, deadline_passed: bool) -> Verdict:
    """The verdict for a current value and its projection (see the module docstring)."""
    if projected is None:
        return Verdict.NOT_STARTED
    if reached(baseline=baseline, target=target, value=current):
        return Verdict.DONE
    if deadline_passed:
        return Verdict.MISSED
    if not reached(baseline=baseline, target=target, value=projected):
        return Verdict.BEHIND
    share = progress(baseline=baseline, target=target, current=projected)
    return Verdict.AHEAD if share is not None and share >= 1 + AHEAD_MARGIN else Verdict.ON_PACE


def pace(*, baseline: float, target: float, current: float | None, cumulative: bool, start: datetime | None,
         now: datetime, deadline: datetime) -> Pace:
    """Progress, projection and verdict of one objective; `start` is None (or later than now) before launch."""
    if current is None or start is None or now <= start:
        return Pace(progress=None if current is None else progress(baseline=baseline, target=target,
                                                                    current=current),
                    projected=None, verdict=Verdict.NOT_STARTED)
    projected = (project_total(current=current, start=start, now=now, deadline=deadline) if cumulative
                 else current)
    return Pace(progress=progress(baseline=baseline, target=target, current=current), projected=projected,
                verdict=judge(baseline=baseline, target=target, current=current, projected=projected,
                              deadline_passed=now >= deadline))
