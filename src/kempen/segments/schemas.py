"""Request and response shapes of the segment API: segments, previews, snapshots, lead-score rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Rules are short; a cap keeps the validate endpoint (called on every keystroke) cheap.
MAX_RULE_TEXT = 20_000
RuleText = Annotated[str, Field(max_length=MAX_RULE_TEXT, description="The rule as text: `country = \"MY\"`")]
RuleJson = Annotated[dict[str, Any], Field(description="The rule as JSON (the typed rule tree)")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RuleInput(_In):
    """A rule in either spelling: exactly one of `text` or `rule`."""

    text: RuleText | None = None
    rule: RuleJson | None = None

    @model_validator(mode="after")
    def _one_form(self) -> RuleInput:
        if (self.text is None) == (self.rule is None):
            raise ValueError("give exactly one of text or rule")
        return self


class ValidateRequest(_In):
    """A rule to check; neither form given is answered as an invalid rule, not a 422."""

    text: Annotated[str, Field(max_length=MAX_RULE_TEXT)] | None = None
    rule: Any = None


class PreviewRequest(RuleInput):
    sample_size: int = Field(default=20, ge=0, le=100)


class SegmentCreate(RuleInput):
    name: Name
    description: Annotated[str, Field(max_length=2000)] = ""


class SegmentUpdate(_In):
    """Change the name, description or rule (give `text` or `rule`, not both)."""

    name: Name | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    text: RuleText | None = None
    rule: RuleJson | None = None

    @model_validator(mode="after")
    def _one_form(self) -> SegmentUpdate:
        if self.text is not None and self.rule is not None:
            raise ValueError("give text or rule, not both")
        return self


class Segment(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    rule: dict[str, Any]
    rule_text: str
    created_at: datetime
    updated_at: datetime


class PositionedError(BaseModel):
    """One problem in a rule: where in the text (1-based line and columns) and where in the JSON tree."""

    message: str
    line: int | None = None
    column: int | None = None
    end_column: int | None = None
    path: str | None = None


class ValidateResult(BaseModel):
    valid: bool
    errors: list[PositionedError]
    text: str | None = Field(description="The canonical text of the rule when valid")
    rule: dict[str, Any] | None = Field(description="The JSON form of the rule when valid")


class SampleContact(BaseModel):
    id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    country: str | None


class Reachability(BaseModel):
    """Members that may be contacted on each channel (consent granted; email/SMS: address set, not suppressed)."""

    email: int
    sms: int
    push: int
    ads: int
    direct_mail: int


class Preview(BaseModel):
    count: int
    reachable: Reachability
    sample: list[SampleContact]


class SnapshotCreate(_In):
    reason: Annotated[str, Field(max_length=200)] = ""


class Snapshot(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    segment_id: int | None
    rule: dict[str, Any]
    rule_text: str
    member_count: int
    reason: str
    taken_at: datetime


class MetricsRefresh(BaseModel):
    contacts: int = Field(description="Contacts whose metrics were recomputed")
    computed_at: datetime


class LeadScoreRuleCreate(RuleInput):
    name: Name
    points: int = Field(ge=-10_000, le=10_000)


class LeadScoreRuleUpdate(_In):
    name: Name | None = None
    points: int | None = Field(default=None, ge=-10_000, le=10_000)
    text: RuleText | None = None
    rule: RuleJson | None = None

    @model_validator(mode="after")
    def _one_form(self) -> LeadScoreRuleUpdate:
        if self.text is not None and self.rule is not None:
            raise ValueError("give text or rule, not both")
        return self


class LeadScoreRule(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    rule: dict[str, Any]
    rule_text: str
    points: int
    created_at: datetime
    updated_at: datetime
