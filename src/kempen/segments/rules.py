"""The rule tree: the typed, JSON-serialisable form of a segment rule.

Text (what marketers type, `parser.py`) and JSON (what the API and the visual builder exchange)
are two spellings of this one tree. It is never eval'd: the compiler walks it to build SQL, the
reference evaluator walks it to check the compiler.

Every node is a predicate on a contact and is two-valued: it is true or false for every contact,
whatever values are missing, so `not R` matches exactly the contacts `R` does not.
"""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TimeUnit(enum.StrEnum):
    HOUR = "h"
    DAY = "d"
    WEEK = "w"
    YEAR = "y"


class Duration(_Node):
    """A span of time such as `30d`."""

    amount: int = Field(ge=0, le=100_000)
    unit: TimeUnit


class Ago(_Node):
    """A moment relative to evaluation time: `30d ago`."""

    ago: Duration


class Op(enum.StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    ENDS_WITH = "ends_with"
    IS_SET = "is_set"
    IS_NOT_SET = "is_not_set"


# Dates are written as ISO strings ("2026-01-31"); the field's type says how a string is read.
Scalar = str | int | float | bool | Ago
Value = Scalar | list[str | int | float] | None


class Compare(_Node):
    """`field op value` on a contact field, custom field or computed property: `country = "MY"`."""

    type: Literal["compare"] = "compare"
    field: str
    op: Op
    value: Value = None


class DaysSince(_Node):
    """`days_since(last_order) > 60`: whole days from a timestamp property to now; false when unset."""

    type: Literal["days_since"] = "days_since"
    field: str
    op: Op
    value: int | float


class Condition(_Node):
    """A filter inside an aggregate: `category = "shoes"` on order items, `url contains "/pricing"` on events."""

    field: str
    op: Op
    value: Value = None


class Aggregate(_Node):
    """`orders.count(...)`, `orders.sum(amount, ...)`, `events.count("page_view", ...)` compared with a number.

    Contacts with no matching rows aggregate to 0 (count, sum) so they compare like any other
    number; avg/min/max over nothing are unset, and a comparison with unset is false.
    """

    type: Literal["aggregate"] = "aggregate"
    source: Literal["orders", "events"]
    function: Literal["count", "sum", "avg", "min", "max"]
    measure: str | None = None  # orders: amount; events: a numeric property
    event: str | None = None  # events only: the event name
    where: tuple[Condition, ...] = ()
    window: Duration | None = None  # `last 90d`
    op: Op
    value: int | float


class Ever(_Node):
    """`ever("signup")` / `never("app_open")`: whether the contact has any event of that name."""

    type: Literal["ever"] = "ever"
    event: str
    negated: bool = False  # true spells `never(...)`
    window: Duration | None = None


class Clicked(_Node):
    """`clicked(campaign "spring-sale", last 30d)`: a tracked click in that campaign."""

    type: Literal["clicked"] = "clicked"
    campaign: str
    window: Duration | None = None


class HasTag(_Node):
    type: Literal["tag"] = "tag"
    name: str


class InList(_Node):
    type: Literal["in_list"] = "in_list"
    name: str


class InSegment(_Node):
    """Membership of another segment, by name; the referenced rule is compiled inline (cycles refused)."""

    type: Literal["in_segment"] = "in_segment"
    name: str


class HasConsent(_Node):
    """`consent.email`: consent granted on the channel and the address not suppressed."""

    type: Literal["consent"] = "consent"
    channel: Literal["email", "sms", "push", "ads", "direct_mail"]


class And(_Node):
    type: Literal["and"] = "and"
    rules: tuple[Rule, ...] = Field(min_length=2)


class Or(_Node):
    type: Literal["or"] = "or"
    rules: tuple[Rule, ...] = Field(min_length=2)


class Not(_Node):
    type: Literal["not"] = "not"
    rule: Rule


Rule = Annotated[
    And | Or | Not | Compare | DaysSince | Aggregate | Ever | Clicked | HasTag | InList | InSegment | HasConsent,
    Field(discriminator="type"),
]

for _model in (And, Or, Not):
    _model.model_rebuild()

RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)


def rule_from_json(data: object) -> Rule:
    """Validate the JSON form of a rule (raises pydantic.ValidationError)."""
    return RULE_ADAPTER.validate_python(data)


def rule_to_json(rule: Rule) -> dict[str, object]:
    """The JSON form of a rule."""
    dumped = RULE_ADAPTER.dump_python(rule, mode="json", exclude_defaults=False)
    assert isinstance(dumped, dict)
    return dumped


def referenced_segments(rule: Rule) -> set[str]:
    """Names of the segments a rule refers to directly."""
    if isinstance(rule, InSegment):
        return {rule.name}
    if isinstance(rule, And | Or):
        return set().union(*(referenced_segments(r) for r in rule.rules))
    if isinstance(rule, Not):
        return referenced_segments(rule.rule)
    return set()
