"""Request and response shapes of the campaign API: campaigns, messages, variants, previews, send settings."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kempen.kit.ids import RowId
from kempen.models import CampaignStatus, Channel

Name = Annotated[str, Field(min_length=1, max_length=200)]
VariantName = Annotated[str, Field(min_length=1, max_length=64)]
Address = Annotated[str, Field(max_length=320)]
# Template sources; the sandbox refuses anything longer than its own limit with a line-free message.
Source = Annotated[str, Field(max_length=300_000)]
Split = Annotated[int, Field(ge=1, le=100, description="Percent of the message's audience (1–100)")]
Holdout = Annotated[Decimal, Field(ge=0, le=50, max_digits=4, decimal_places=2,
                                   description="Percent of the audience kept as a control group (0–50)")]
# The automatic winner (campaigns/winner.py): the values of experiments.Metric and experiments.WinnerFallback,
# which this layer may not import.
WinnerMetric = Literal["open_rate", "click_rate", "conversion_rate", "revenue_per_recipient"]
WinnerFallback = Literal["first", "leader", "none"]
TestPercent = Annotated[int, Field(ge=5, le=50, description="Percent of the recipients the variants are tested on "
                                                            "(5–50); the winner goes to the rest")]
WaitMinutes = Annotated[int, Field(ge=30, le=7 * 24 * 60, description="Minutes from launch to the decision "
                                                                     "(30 minutes to 7 days)")]
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Campaigns

class CampaignCreate(_In):
    name: Name
    description: Annotated[str, Field(max_length=5000)] = ""
    segment_id: RowId | None = None
    topic_id: RowId | None = Field(default=None, description="Contacts who opted out of this topic are skipped")
    holdout_percent: Holdout = Decimal("0")
    respect_quiet_hours: bool = True
    respect_frequency_cap: bool = True
    winner_metric: WinnerMetric | None = Field(
        default=None, description="Turns the automatic winner on: the metric the variants are decided on")
    winner_test_percent: TestPercent = 20
    winner_wait_minutes: WaitMinutes = 240
    winner_fallback: WinnerFallback = Field(
        default="first", description="What the rest gets when no variant is significantly better: the first "
                                     "variant, the one ahead anyway, or nothing")


class CampaignUpdate(_In):
    """Change the given fields; `segment_id: null` clears the audience, `topic_id: null` the topic."""

    name: Name | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    segment_id: RowId | None = None
    topic_id: RowId | None = None
    holdout_percent: Holdout | None = None
    respect_quiet_hours: bool | None = None
    respect_frequency_cap: bool | None = None
    winner_metric: WinnerMetric | None = Field(default=None, description="null turns the automatic winner off")
    winner_test_percent: TestPercent | None = None
    winner_wait_minutes: WaitMinutes | None = None
    winner_fallback: WinnerFallback | None = None


class Campaign(_Out):
    id: int
    name: str
    description: str
    status: CampaignStatus
    segment_id: int | None
    topic_id: int | None = None
    snapshot_id: int | None
    holdout_percent: float
    respect_quiet_hours: bool
    respect_frequency_cap: bool
    scheduled_at: datetime | None
    launched_at: datetime | None
    finished_at: datetime | None
    winner_metric: WinnerMetric | None = None
    winner_test_percent: int = 20
    winner_wait_minutes: int = 240
    winner_fallback: WinnerFallback = "first"
    winner_decide_at: datetime | None = Field(default=None, description="When the winner is picked (launch + wait)")
    winner_decided_at: datetime | None = None
    winner_variant_id: int | None = Field(default=None, description="The winner of the first tested message")
    winner_decision: dict[str, Any] | None = Field(
        default=None, description="What the decision saw, per message: metric, p-value, probabilities, reason")
    created_by: str
    created_at: datetime
    updated_at: datetime


class CampaignSummary(Campaign):
    channels: list[Channel] = Field(description="The channels of the campaign's messages")


class CampaignPage(BaseModel):
    items: list[CampaignSummary]
    next_cursor: str | None


# Variants and messages

class VariantContent(_In):
    """A variant's content: email parts, or `body` for text channels (SMS, push), `content` for the rest."""

    subject: Source = ""
    preheader: Source = ""
    html: Source = ""
    text: Source | None = Field(default=None, description="Plain-text part; null derives it from the HTML")
    body: Source = ""
    content: dict[str, Any] = Field(default_factory=dict)


class VariantCreate(VariantContent):
    name: VariantName | None = Field(default=None, description="Default: the next free letter (A, B, …)")
    split_percent: Split | None = Field(
        default=None, description="Default: the message's variants are split evenly again")


class VariantUpdate(_In):
    name: VariantName | None = None
    split_percent: Split | None = None
    subject: Source | None = None
    preheader: Source | None = None
    html: Source | None = None
    text: Source | None = None
    body: Source | None = None
    content: dict[str, Any] | None = None


class Variant(_Out):
    id: int
    message_id: int
    name: str
    split_percent: int
    subject: str
    preheader: str
    html: str
    text: str | None
    body: str
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class MessageCreate(_In):
    channel: Channel
    name: Name | None = Field(default=None, description="Default: the channel's name")
    from_name: Annotated[str, Field(max_length=200)] | None = None
    from_email: Address | None = None
    reply_to: Address | None = None
    sender_identity_id: RowId | None = Field(
        default=None, description="A sender identity of the brand kit; null: the workspace's default sender")
    variants: list[VariantCreate] = Field(default_factory=list, max_length=26)


class MessageUpdate(_In):
    """Change the name or sender overrides; an empty string or null falls back to the workspace's default."""

    name: Name | None = None
    from_name: Annotated[str, Field(max_length=200)] | None = None
    from_email: Address | None = None
    reply_to: Address | None = None
    sender_identity_id: RowId | None = Field(
        default=None, description="A sender identity of the brand kit; null: the workspace's default sender")


class Message(_Out):
    id: int
    campaign_id: int
    channel: Channel
    name: str
    from_name: str | None
    from_email: str | None
    reply_to: str | None
    sender_identity_id: int | None = None
    variants: list[Variant]
    created_at: datetime
    updated_at: datetime


class CampaignDetail(Campaign):
    segment_name: str | None
    messages: list[Message]


# Lifecycle

class Readiness(BaseModel):
    ready: bool
    problems: list[str] = Field(description="What must be fixed before review or launch")
    warnings: list[str] = Field(default_factory=list, description="Worth a look, but no obstacle to launch")


class ChangeRequest(_In):
    comment: Annotated[str, Field(min_length=1, max_length=2000, description="What should change")]


class WinnerPick(_In):
    """Decide the automatic winner now; with `variant_id`, that variant wins its message whatever the figures."""

    variant_id: RowId | None = None


# Previews

class PreviewRequest(VariantContent):
    """Unsaved content to render, for a contact of the workspace or the sample contact."""

    channel: Channel = Channel.EMAIL
    contact_id: RowId | None = None


class Preview(BaseModel):
    channel: Channel
    contact_id: int | None = Field(description="The contact rendered for; null for the sample contact")
    subject: str = ""
    preheader: str = ""
    html: str = ""
    text: str = ""
    body: str = ""
    sms_segments: int | None = Field(default=None, description="SMS parts the body needs (160/70 characters each)")


# Send settings

def _minutes(value: str) -> int:
    match = _HH_MM.match(value)
    if match is None:
        raise ValueError("use HH:MM, 24-hour, e.g. 21:00")
    return int(match[1]) * 60 + int(match[2])


def hh_mm(minutes: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class SendSettingsUpdate(_In):
    """Change the given settings; fields left out keep their value."""

    from_name: Annotated[str, Field(max_length=200)] | None = None
    from_email: Address | None = None
    reply_to: Address | None = None
    postal_address: Annotated[str, Field(max_length=1000)] | None = None
    frequency_cap_count: int | None = Field(default=None, ge=0, le=100, description="0 = no cap")
    frequency_cap_days: int | None = Field(default=None, ge=1, le=365)
    quiet_hours_start: str | None = Field(default=None, description="HH:MM in the contact's time zone")
    quiet_hours_end: str | None = Field(default=None, description="HH:MM; equal to the start means no quiet hours")
    default_time_zone: Annotated[str, Field(max_length=64)] | None = None
    require_approval: bool | None = None

    @field_validator("quiet_hours_start", "quiet_hours_end")
    @classmethod
    def _hh_mm(cls, value: str | None) -> str | None:
        if value is not None:
            _minutes(value)
        return value

    def minutes(self, value: str) -> int:
        return _minutes(value)


class SendSettings(BaseModel):
    from_name: str
    from_email: str
    reply_to: str | None
    postal_address: str
    frequency_cap_count: int
    frequency_cap_days: int
    quiet_hours_start: str
    quiet_hours_end: str
    default_time_zone: str
    require_approval: bool
    updated_at: datetime | None
