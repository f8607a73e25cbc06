"""What the engine reports: a launch, a campaign's progress, a page of deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kempen.models import CampaignStatus, Channel, DeliveryReason, DeliveryStatus


class LaunchResult(BaseModel):
    campaign_id: int
    status: CampaignStatus
    snapshot_id: int
    audience: int = Field(description="Contacts in the segment at launch")
    holdout: int = Field(description="Contacts kept out as the control group")
    deliveries: int = Field(description="Messages to send (one per recipient and campaign message)")
    batches: int
    winner_rest: int = Field(default=0, description="Recipients waiting for the automatic winner")
    winner_decide_at: datetime | None = Field(default=None, description="When the automatic winner is picked")


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime = Field(description="When to launch (ISO 8601; without an offset it is taken as UTC)")


class VariantProgress(BaseModel):
    message_id: int
    variant_id: int
    name: str
    deliveries: int
    sent: int


class WinnerProgress(BaseModel):
    """Where a campaign's automatic winner stands: testing until `decide_at`, or decided (and why)."""

    metric: str
    test_percent: int
    wait_minutes: int
    fallback: str
    decide_at: datetime | None
    decided_at: datetime | None
    variant_id: int | None = Field(description="The winner of the first tested message")
    variant_name: str | None
    summary: str = Field(description='In words, e.g. "Winner: B (click rate 4.1 % vs 3.0 %, p = 0.003) sent to '
                                     'the remaining 8,000"')
    messages: list[dict[str, Any]] = Field(default_factory=list, description="The decision per message")


class CampaignProgress(BaseModel):
    campaign_id: int
    status: CampaignStatus
    scheduled_at: datetime | None
    launched_at: datetime | None
    finished_at: datetime | None
    audience: int
    holdout: int
    deliveries: int
    by_status: dict[DeliveryStatus, int] = Field(description="Deliveries per status (every status present)")
    skipped_by_reason: dict[DeliveryReason, int]
    failed_by_reason: dict[DeliveryReason, int]
    deferred: int = Field(description="Pending deliveries waiting (quiet hours, retry backoff)")
    variants: list[VariantProgress]
    rate_per_second: float = Field(description="Messages sent per second over the last minute")
    eta_seconds: float | None = Field(description="Time to send what is left at the current rate")
    done: int = Field(description="Deliveries settled: sent, failed, skipped or cancelled")
    percent_done: float
    winner: WinnerProgress | None = Field(default=None, description="The automatic winner, when it is on")

    @property
    def remaining(self) -> int:
        return self.deliveries - self.done


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    message_id: int
    variant_id: int
    contact_id: int
    channel: Channel
    status: DeliveryStatus
    reason: DeliveryReason | None
    address: str | None
    attempts: int
    not_before: datetime | None
    provider_message_id: str | None
    detail: str | None
    last_attempt_at: datetime | None
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None
