"""The live progress panel of a campaign: counts, reasons in plain words, variants, rate and ETA.

While the campaign sends, the panel polls its own partial (HTMX, every second); the partial stops
polling once nothing more can change. When the status moves on (scheduled → running, running →
completed), the partial asks HTMX to reload the page, so that the buttons match the new status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from kempen.delivery.progress import campaign_progress
from kempen.delivery.schemas import CampaignProgress
from kempen.http.deps import IdPath, SessionDep
from kempen.kit.errors import NotFound
from kempen.models import CampaignStatus, DeliveryReason, DeliveryStatus
from kempen.web.auth import WebUser
from kempen.web.templating import render

router = APIRouter(include_in_schema=False)
S = CampaignStatus
# Statuses in which the numbers still move; the panel polls only then.
LIVE = frozenset({S.SCHEDULED, S.RUNNING, S.PAUSED})
POLL_SECONDS = {S.RUNNING: 1, S.SCHEDULED: 2, S.PAUSED: 2}
BIG_CAMPAIGN = 100_000
REASON_LABELS: dict[DeliveryReason, str] = {
    DeliveryReason.NO_ADDRESS: "No address",
    DeliveryReason.NO_CONSENT: "No consent",
    DeliveryReason.SUPPRESSED: "Suppressed address",
    DeliveryReason.UNSUBSCRIBED: "Unsubscribed",
    DeliveryReason.FREQUENCY_CAP: "Frequency cap",
    DeliveryReason.RENDER_ERROR: "Template error",
    DeliveryReason.BOUNCED: "Bounced (address refused)",
    DeliveryReason.REJECTED: "Rejected by the server",
    DeliveryReason.RETRIES_EXHAUSTED: "Gave up after retries",
    DeliveryReason.OUTCOME_UNKNOWN: "Outcome unknown (worker lost)",
    DeliveryReason.CAMPAIGN_CANCELLED: "Campaign cancelled",
    DeliveryReason.TOPIC_OPTED_OUT: "Opted out of the topic",
}


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    value: int
    hint: str = ""


@dataclass(frozen=True)
class ProgressView:
    """The numbers of the panel, ready to show."""

    progress: CampaignProgress
    counts: list[Count]
    skipped: list[tuple[str, int]]
    failed: list[tuple[str, int]]
    variants: list[tuple[str, int, int]] = field(default_factory=list)
    rate: str = "—"
    eta: str = "—"

    @property
    def live(self) -> bool:
        return self.progress.status in LIVE

    @property
    def poll_seconds(self) -> int:
        # Counting a big campaign's deliveries costs more; its numbers move steadily enough at 2 s.
        if self.progress.deliveries > BIG_CAMPAIGN:
            return 2
        return POLL_SECONDS.get(self.progress.status, 2)

    @property
    def bar(self) -> dict[str, float]:
        """Widths (percent of all deliveries) of the bar's segments."""
        total = self.progress.deliveries or 1
        by = self.progress.by_status
        return {"sent": 100 * by.get(DeliveryStatus.SENT, 0) / total,
                "failed": 100 * by.get(DeliveryStatus.FAILED, 0) / total,
                "skipped": 100 * (by.get(DeliveryStatus.SKIPPED, 0) + by.get(DeliveryStatus.CANCELLED, 0)) / total}


def duration(seconds: float | None) -> str:
    """A short duration: "40 s", "3 min", "2 h 5 min"."""
    if seconds is None:
        return "—"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _reasons(counts: dict[DeliveryReason, int]) -> list[tuple[str, int]]:
    return sorted(((REASON_LABELS.get(r, r.value.replace("_", " ").capitalize()), n) for r, n in counts.items() if n),
                  key=lambda item: -item[1])


def progress_view(session: Session, *, workspace_id: int, campaign_id: int) -> ProgressView:
    """Read a campaign's progress and put it in words."""
    p = campaign_progress(session, workspace_id=workspace_id, campaign_id=campaign_id)
    by = p.by_status
    sending = by.get(DeliveryStatus.PENDING, 0) + by.get(DeliveryStatus.SENDING, 0)
    counts = [
        Count("sent", "Sent", by.get(DeliveryStatus.SENT, 0)),
        Count("failed", "Failed", by.get(DeliveryStatus.FAILED, 0)),
        Count("skipped", "Skipped", by.get(DeliveryStatus.SKIPPED, 0), "left out by an audience rule"),
        Count("pending", "Pending", max(sending - p.deferred, 0), "waiting for a worker"),
        Count("deferred", "Deferred", p.deferred, "quiet hours or a retry: delayed, not dropped"),
    ]
    if by.get(DeliveryStatus.CANCELLED, 0):
        counts.append(Count("cancelled", "Cancelled", by[DeliveryStatus.CANCELLED]))
    variants = [(v.name, v.sent, v.deliveries) for v in p.variants]
    rate = f"{p.rate_per_second:,.1f} / s" if p.rate_per_second and p.status in LIVE else "—"
    if p.status not in LIVE and p.launched_at and p.finished_at:
        rate = f"took {duration((p.finished_at - p.launched_at).total_seconds())}"
    eta = duration(p.eta_seconds) if p.status == S.RUNNING and p.remaining else "—"
    return ProgressView(p, counts, _reasons(p.skipped_by_reason), _reasons(p.failed_by_reason), variants, rate, eta)


@router.get("/campaigns/{campaign_id}/progress")
def progress_partial(request: Request, session: SessionDep, ctx: WebUser, campaign_id: IdPath,
                     shown: Annotated[str, Query(max_length=24)] = "") -> Response:
    """The progress panel alone, for polling; asks for a page reload when the status has moved on."""
    try:
        view = progress_view(session, workspace_id=ctx.workspace_id, campaign_id=campaign_id)
    except NotFound:
        return Response(status_code=404)
    if shown and shown != view.progress.status.value:
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "campaigns/_progress.html", {"view": view, "campaign_id": campaign_id})
