"""Typed values, ops and time arithmetic shared by the SQL compiler and the reference evaluator.

Only the reading of a rule's literals lives here (durations, ISO dates, which ops a field type
takes, the day boundaries of `days_since`); what a rule *means* is written twice, once as SQL
(the compiler) and once as plain Python (the evaluator), so the property tests compare two
independent implementations.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from kempen.segments.fields import FieldType
from kempen.segments.rules import Ago, Condition, Duration, Op, TimeUnit, Value

DAY = timedelta(days=1)
_UNITS = {TimeUnit.HOUR: timedelta(hours=1), TimeUnit.DAY: DAY, TimeUnit.WEEK: timedelta(weeks=1),
          TimeUnit.YEAR: timedelta(days=365)}
ORDERING = frozenset({Op.LT, Op.LE, Op.GT, Op.GE})
PRESENCE = frozenset({Op.IS_SET, Op.IS_NOT_SET})
TEXT_MATCH = frozenset({Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH})
MEMBERSHIP = frozenset({Op.IN, Op.NOT_IN})
EQUALITY = frozenset({Op.EQ, Op.NE})

# Which ops each field type takes. Text is never ordered: collations differ between databases.
OPS_BY_TYPE: dict[FieldType, frozenset[Op]] = {
    FieldType.TEXT: EQUALITY | MEMBERSHIP | TEXT_MATCH | PRESENCE,
    FieldType.CHOICE: EQUALITY | MEMBERSHIP | PRESENCE,
    FieldType.NUMBER: EQUALITY | MEMBERSHIP | ORDERING | PRESENCE,
    FieldType.BOOLEAN: EQUALITY | PRESENCE,
    FieldType.DATE: EQUALITY | ORDERING | PRESENCE,
    FieldType.DATETIME: EQUALITY | ORDERING | PRESENCE,
}
# Aggregates and days_since compare numbers.
NUMBER_OPS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE})


class ValueProblem(ValueError):
    """A literal that does not fit its field or op (the compiler turns it into a RuleError)."""


def duration(span: Duration) -> timedelta:
    """The length of a duration; a year is 365 days."""
    return span.amount * _UNITS[span.unit]


def window_start(span: Duration | None, now: datetime) -> datetime | None:
    """The first moment inside `last <span>`: rows at or after it are in the window."""
    return None if span is None else now - duration(span)


def compare(left: object, op: Op, right: object) -> bool:
    """`left op right` for two non-null values of one type (plain Python)."""
    if op == Op.EQ:
        return left == right
    if op == Op.NE:
        return left != right
    if op == Op.LT:
        return left < right  # type: ignore[operator]
    if op == Op.LE:
        return left <= right  # type: ignore[operator]
    if op == Op.GT:
        return left > right  # type: ignore[operator]
    if op == Op.GE:
        return left >= right  # type: ignore[operator]
    raise ValueProblem(f"{op.value} does not compare numbers")


def as_number(value: object) -> Decimal:
    """A numeric literal as an exact Decimal (bool refused)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueProblem(f"expected a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueProblem("expected a finite number")
    return Decimal(str(value))


def as_moment(value: object, now: datetime) -> datetime:
    """A datetime literal: `Ago`, or an ISO date / datetime string (naive means UTC, a date means midnight)."""
    if isinstance(value, Ago):
        return now - duration(value.ago)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueProblem(f"expected a date or time as ISO 8601, got {value!r}") from None
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    raise ValueProblem(f"expected a date or time, got {value!r}")


def as_date_text(value: object, now: datetime) -> str:
    """A calendar-date literal as `YYYY-MM-DD` (how custom date fields are stored): `Ago` takes the UTC date."""
    if isinstance(value, Ago):
        return (now - duration(value.ago)).date().isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            raise ValueProblem(f"expected a date as YYYY-MM-DD, got {value!r}") from None
    raise ValueProblem(f"expected a date, got {value!r}")


def as_text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueProblem(f"expected text, got {value!r}")
    return value


def as_bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueProblem(f"expected true or false, got {value!r}")
    return value


def as_list(value: Value) -> list[str | int | float]:
    if not isinstance(value, list):
        raise ValueProblem(f"expected a list of values, got {value!r}")
    return value


def days_since_bounds(op: Op, n: float, now: datetime) -> tuple[datetime | None, datetime | None] | None:
    """The timestamps t with `floor((now - t) / 1 day) op n`, as (lower exclusive, upper inclusive).

    `days_since` counts whole days: 0 for the 24 hours before now, 1 for the 24 hours before that…
    so `days_since(t) >= k` is exactly `t <= now - k days`. Returns None when no timestamp can
    match (`= 2.5`); `!=` is not an interval and is handled by the caller as `set and not =`.
    """
    low, high = math.floor(n), math.ceil(n)
    if op == Op.GE:  # d >= ceil(n)
        return None, now - high * DAY
    if op == Op.GT:  # d >= floor(n) + 1
        return None, now - (low + 1) * DAY
    if op == Op.LE:  # d <= floor(n)
        return now - (low + 1) * DAY, None
    if op == Op.LT:  # d <= ceil(n) - 1
        return now - high * DAY, None
    if op == Op.EQ:
        return (now - (low + 1) * DAY, now - low * DAY) if low == high else None
    raise ValueProblem(f"days_since takes =, !=, <, <=, >, >=; not {op.value}")


def whole_days_since(moment: datetime, now: datetime) -> int:
    """`floor((now - moment) / 1 day)`, exactly (negative for future moments)."""
    return (now - moment) // DAY


def rfm_group(recency: int, frequency: int, monetary: int) -> str:
    """The named RFM group of quintile scores (first matching row of the table in metrics.py)."""
    fm2 = frequency + monetary  # twice the FM average, so thresholds stay integers
    if recency >= 4 and fm2 >= 8:
        return "champions"
    if recency >= 3 and fm2 >= 6:
        return "loyal"
    if recency >= 4 and fm2 < 4:
        return "new"
    if recency >= 3:
        return "potential_loyalist"
    if recency == 1 and fm2 >= 8:
        return "cannot_lose"
    if fm2 >= 6:
        return "at_risk"
    return "hibernating" if recency == 2 else "lost"


def property_kind(cond: Condition) -> Literal["text", "number", "boolean", "any"]:
    """An event property is read as the type of the value it is compared with (any type for is_set)."""
    sample: object = cond.value[0] if isinstance(cond.value, list) and cond.value else cond.value
    if isinstance(sample, bool):
        return "boolean"
    if isinstance(sample, int | float):
        return "number"
    if sample is None and cond.op in PRESENCE:
        return "any"
    return "text"
