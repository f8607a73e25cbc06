"""The workspace's universal holdout: who gets no campaign at all while it runs, and its settings.

Membership is a pure function of (seed, contact id): the contact id is spread over 64 bits with the
golden-ratio increment, offset by the mixed seed, and put through the splitmix64 finaliser; the top 53
bits are a uniform draw in [0, 2^53) compared, in integers, with percent / 100 × 2^53. It needs no table,
gives the same answer on every host and Python version, is independent of the campaigns' own seeds
(numpy generators, delivery/audience.py), and new contacts fall in at the same rate as old ones.

Settings follow a small state machine (`holdout_state`), derived from the row and the clock:
off (never enabled, or cancelled before it started) → enable → scheduled (starts later) → running (its
start has passed) → ended (`end` now, or its end date passed) → enable again: a new period, new seed.
A scheduled holdout can change freely; a running one only its end. Percent and seed are fixed once the
period has started: changing either mid-period would mix two groups and break the comparison.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.kit.clock import as_utc, utcnow
from kempen.kit.errors import Conflict, InvalidInput
from kempen.kit.sql import get_or_create_settings_row
from kempen.models import Contact, WorkspaceUniversalHoldout

IdArray = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
DrawArray = npt.NDArray[np.uint64]

MIN_PERCENT, MAX_PERCENT, DEFAULT_PERCENT = Decimal("1"), Decimal("20"), Decimal("5")
MAX_SEED = 2**63 - 1  # the column is a signed 64-bit integer
# A start a little in the past (a form filled in a minute ago) means "now"; further back is refused.
START_TOLERANCE = timedelta(minutes=5)

_GAMMA = 0x9E3779B97F4A7C15  # 2^64 / golden ratio: the splitmix64 increment
_MIX1, _MIX2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_MASK64 = 2**64 - 1
DRAW_BITS = 53


# -- membership: pure ---------------------------------------------------------------------------------

def _mix_int(z: int) -> int:
    """The splitmix64 finaliser on one Python integer (for the seed; tests use it as the reference)."""
    z &= _MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def membership_draws(seed: int, contact_ids: IdArray) -> DrawArray:
    """Each contact's draw for `seed`: an integer uniform in [0, 2^53), the same on every host."""
    z = np.asarray(contact_ids, dtype=np.int64).astype(np.uint64)
    # uint64 arrays wrap modulo 2^64 without warnings, exactly as the splitmix64 reference does.
    z = z * np.uint64(_GAMMA) + np.uint64(_mix_int(seed))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_MIX2)
    z = z ^ (z >> np.uint64(31))
    draws: DrawArray = z >> np.uint64(64 - DRAW_BITS)
    return draws


def draw_threshold(percent: Decimal) -> int:
    """percent / 100 × 2^53 in whole numbers (percent has at most two decimals), so no float rounding."""
    hundredths = int((Decimal(percent) * 100).to_integral_value())
    return hundredths * 2**DRAW_BITS // 10_000


def in_holdout(seed: int, percent: Decimal, contact_ids: IdArray) -> Mask:
    """For each contact id, True when it falls in the holdout drawn with `seed` at `percent` %."""
    mask: Mask = membership_draws(seed, contact_ids) < np.uint64(draw_threshold(percent))
    return mask


# -- the settings and their state ---------------------------------------------------------------------

class HoldoutState(enum.StrEnum):
    OFF = "off"  # never enabled, or cancelled before it started
    SCHEDULED = "scheduled"  # enabled, starts later
    RUNNING = "running"  # contacts are held out now
    ENDED = "ended"  # the period is over; its report stays until a new period is enabled


def holdout_state(row: WorkspaceUniversalHoldout | None, at: datetime) -> HoldoutState:
    """Where the holdout is in its life at `at`."""
    if row is None or not row.enabled or row.starts_at is None:
        return HoldoutState.OFF
    if at < row.starts_at:
        return HoldoutState.SCHEDULED
    if row.ends_at is None or at < row.ends_at:
        return HoldoutState.RUNNING
    return HoldoutState.ENDED


def _read_row(session: Session, workspace_id: int) -> WorkspaceUniversalHoldout | None:
    return session.scalar(select(WorkspaceUniversalHoldout).where(
        WorkspaceUniversalHoldout.workspace_id == workspace_id))


def held_out_mask(session: Session, *, workspace_id: int, contact_ids: IdArray, at: datetime) -> Mask:
    """For each contact id, True when the contact is in the workspace's universal holdout at `at`."""
    row = _read_row(session, workspace_id)
    if row is None or holdout_state(row, as_utc(at)) is not HoldoutState.RUNNING:
        return np.zeros(len(contact_ids), dtype=bool)
    return in_holdout(row.seed, row.percent, contact_ids)


def workspace_contact_ids(session: Session, *, workspace_id: int, created_before: datetime | None = None) -> IdArray:
    """The workspace's contact ids in order (those created before `created_before` when given), in one query."""
    stmt = select(Contact.id).where(Contact.workspace_id == workspace_id).order_by(Contact.id)
    if created_before is not None:
        stmt = stmt.where(Contact.created_at < created_before)
    return np.fromiter(session.scalars(stmt), dtype=np.int64)


def held_out_now(session: Session, *, workspace_id: int, at: datetime | None = None) -> tuple[int, int]:
    """(contacts held out at `at`, contacts in the workspace)."""
    at = at or utcnow()
    row = _read_row(session, workspace_id)
    if row is None or holdout_state(row, at) is not HoldoutState.RUNNING:
        total = session.scalar(select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace_id))
        return 0, int(total or 0)
    ids = workspace_contact_ids(session, workspace_id=workspace_id)
    return int(in_holdout(row.seed, row.percent, ids).sum()), len(ids)


# -- shapes -------------------------------------------------------------------------------------------

Percent = Annotated[Decimal, Field(ge=MIN_PERCENT, le=MAX_PERCENT, max_digits=4, decimal_places=2,
                                   description="Share of contacts held out, 1–20 %")]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED, description="Fixes who is held out; drawn at random when left out")]


class UniversalHoldoutSet(BaseModel):
    """Enable the holdout (when it is off or ended) or change it (when scheduled or running).

    Fields left out keep their value; on enabling, a missing `starts_at` means now and a missing
    `seed` a new random one. `ends_at: null` leaves the end open. Once running, only `ends_at` may change.
    """

    model_config = ConfigDict(extra="forbid")

    percent: Percent | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    seed: Seed | None = None


class UniversalHoldoutOut(BaseModel):
    """The holdout's settings, its state now and how many contacts it holds out right now."""

    state: HoldoutState
    enabled: bool
    percent: Decimal
    starts_at: datetime | None
    ends_at: datetime | None
    seed: int
    updated_by: str
    updated_at: datetime
    held_out_now: int  # contacts held out at this moment (0 unless running)
    contacts_now: int  # contacts in the workspace


# -- service ------------------------------------------------------------------------------------------

def get_universal_holdout(session: Session, *, workspace_id: int) -> WorkspaceUniversalHoldout:
    """Return the workspace's holdout settings, creating the defaults row (off, 5 %) on first use."""
    return get_or_create_settings_row(session, WorkspaceUniversalHoldout, workspace_id)


def universal_holdout_out(session: Session, row: WorkspaceUniversalHoldout,
                          now: datetime | None = None) -> UniversalHoldoutOut:
    """The API shape of the settings, with the state and the current count at `now`."""
    now = now or utcnow()
    held, total = held_out_now(session, workspace_id=row.workspace_id, at=now)
    return UniversalHoldoutOut(state=holdout_state(row, now), enabled=row.enabled, percent=row.percent,
                               starts_at=row.starts_at, ends_at=row.ends_at, seed=row.seed,
                               updated_by=row.updated_by, updated_at=row.updated_at, held_out_now=held,
                               contacts_now=total)


def _start(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    start = as_utc(value)
    if start < now - START_TOLERANCE:
        raise InvalidInput("The holdout cannot start in the past: campaigns have already reached those contacts. "
                           "Leave the start empty to start now, or give a later date.")
    return max(start, now)


def _check_end(ends_at: datetime | None, starts_at: datetime, now: datetime) -> datetime | None:
    if ends_at is None:
        return None
    end = as_utc(ends_at)
    if end <= now:
        raise InvalidInput("The end must be in the future; to stop the holdout now, end it.")
    if end <= starts_at:
        raise InvalidInput("The end must be after the start.")
    return end


def _details(row: WorkspaceUniversalHoldout, **extra: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()
    return {"percent": str(row.percent), "seed": row.seed, "starts_at": iso(row.starts_at),
            "ends_at": iso(row.ends_at), **extra}


def _record(session: Session, row: WorkspaceUniversalHoldout, actor: str, action: str, **extra: Any) -> None:
    row.updated_by = actor
    session.flush()
    audit.record(session, workspace_id=row.workspace_id, actor=actor, action=f"universal_holdout.{action}",
                 entity_type="workspace_universal_holdout", entity_id=row.workspace_id,
                 details=_details(row, **extra))


def enable_universal_holdout(session: Session, *, workspace_id: int, actor: str, data: UniversalHoldoutSet,
                             now: datetime | None = None) -> WorkspaceUniversalHoldout:
    """Start a new period (now or at `starts_at`), with a new seed unless one is given; 409 if one is on."""
    now = now or utcnow()
    row = get_universal_holdout(session, workspace_id=workspace_id)
    state = holdout_state(row, now)
    if state in (HoldoutState.SCHEDULED, HoldoutState.RUNNING):
        raise Conflict(f"The universal holdout is already {state.value}; change its end or end it first.")
    given = data.model_dump(exclude_unset=True)
    starts_at = _start(given.get("starts_at"), now)
    row.ends_at = _check_end(given.get("ends_at"), starts_at, now)
    row.starts_at, row.enabled = starts_at, True
    row.percent = given.get("percent") or (row.percent if row.percent else DEFAULT_PERCENT)
    # A new period draws a new group: the previous one's members saw no marketing for a while,
    # and holding the same people out again would stack the effect on them.
    row.seed = given["seed"] if given.get("seed") is not None else secrets.randbelow(MAX_SEED) + 1
    _record(session, row, actor, "enabled")
    return row


def _refuse_mid_period(row: WorkspaceUniversalHoldout, given: dict[str, Any]) -> None:
    if "percent" in given and given["percent"] is not None and Decimal(given["percent"]) != row.percent:
        raise Conflict("The share cannot change while the holdout is running: it would mix two groups and break "
                       "the comparison. End it and enable a new period instead.")
    if "seed" in given and given["seed"] is not None and given["seed"] != row.seed:
        raise Conflict("The seed cannot change while the holdout is running: it would hold out different "
                       "contacts mid-period. End it and enable a new period instead.")
    start = given.get("starts_at")
    if start is not None and row.starts_at is not None and as_utc(start) != row.starts_at:
        raise Conflict("The start cannot move once the holdout has started.")


def change_universal_holdout(session: Session, *, workspace_id: int, actor: str, data: UniversalHoldoutSet,
                             now: datetime | None = None) -> WorkspaceUniversalHoldout:
    """Change a scheduled holdout freely, a running one's end only; 409 when it is off or ended."""
    now = now or utcnow()
    row = get_universal_holdout(session, workspace_id=workspace_id)
    state = holdout_state(row, now)
    if state in (HoldoutState.OFF, HoldoutState.ENDED):
        raise Conflict(f"The universal holdout is {state.value}; enable it to start a new period.")
    given = data.model_dump(exclude_unset=True)
    before = _details(row)
    if state is HoldoutState.RUNNING:
        _refuse_mid_period(row, given)
    else:
        row.starts_at = _start(given.get("starts_at"), now) if "starts_at" in given else row.starts_at
        row.percent = given.get("percent") or row.percent
        row.seed = given["seed"] if given.get("seed") is not None else row.seed
    assert row.starts_at is not None
    if "ends_at" in given or state is HoldoutState.SCHEDULED:
        row.ends_at = _check_end(given.get("ends_at", row.ends_at), row.starts_at, now)
    if _details(row) != before:
        _record(session, row, actor, "changed", before=before)
    return row


def set_universal_holdout(session: Session, *, workspace_id: int, actor: str, data: UniversalHoldoutSet,
                          now: datetime | None = None) -> WorkspaceUniversalHoldout:
    """Enable the holdout when it is off or ended, else change it (the API's PUT)."""
    now = now or utcnow()
    row = get_universal_holdout(session, workspace_id=workspace_id)
    if holdout_state(row, now) in (HoldoutState.OFF, HoldoutState.ENDED):
        return enable_universal_holdout(session, workspace_id=workspace_id, actor=actor, data=data, now=now)
    return change_universal_holdout(session, workspace_id=workspace_id, actor=actor, data=data, now=now)


def end_universal_holdout(session: Session, *, workspace_id: int, actor: str,
                          now: datetime | None = None) -> WorkspaceUniversalHoldout:
    """End a running holdout now (its report stays), or cancel a scheduled one; 409 when none is on."""
    now = now or utcnow()
    row = get_universal_holdout(session, workspace_id=workspace_id)
    state = holdout_state(row, now)
    if state is HoldoutState.RUNNING:
        row.ends_at = now
        _record(session, row, actor, "ended")
    elif state is HoldoutState.SCHEDULED:
        row.enabled = False
        _record(session, row, actor, "cancelled")
    else:
        raise Conflict(f"The universal holdout is {state.value}; there is nothing to end.")
    return row
