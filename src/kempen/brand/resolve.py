"""What a message is sent with: its template with blocks expanded and the brand footer, and the `brand` variable.

Before launch a campaign previews with the current brand kit and blocks; at launch they are frozen
into `campaigns.brand_snapshot` (only the blocks the campaign uses), and every batch of the send reads
the snapshot, so an edit during a send never splits the audience between two versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from kempen.models import Campaign
from kempen.templates.email import EmailTemplate


@dataclass(frozen=True)
class BlockSource:
    """A content block's two versions: HTML for HTML parts, text for text parts and SMS."""

    html: str
    text: str


@dataclass(frozen=True)
class BrandContent:
    """The brand as one message sees it; hashable parts only, so compiled templates can be cached on it."""

    # The `brand` template variable (kit.brand_variables): name, logo_url, colours, font_family, …
    variables: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    blocks: dict[str, BlockSource] = field(default_factory=dict, hash=False, compare=False)
    footer_html: str = ""
    footer_text: str = ""

    def to_snapshot(self) -> dict[str, Any]:
        raise NotImplementedError  # content-blocks helper

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> BrandContent:
        raise NotImplementedError  # content-blocks helper


def current_brand_content(session: Session, *, workspace_id: int) -> BrandContent:
    """The workspace's brand kit, footer and every content block as they are now."""
    raise NotImplementedError  # content-blocks helper (kit.brand_variables, kit.brand_footer, blocks.block_sources)


def campaign_brand_content(session: Session, campaign: Campaign) -> BrandContent:
    """The launch snapshot of a launched campaign, else the current brand."""
    raise NotImplementedError  # content-blocks helper


def freeze_for_launch(session: Session, campaign: Campaign) -> None:
    """Store the brand and the blocks the campaign's variants use in `campaign.brand_snapshot`."""
    raise NotImplementedError  # content-blocks helper


def branded_template(template: EmailTemplate, content: BrandContent) -> EmailTemplate:
    """Expand `{% content "key" %}` in every part and add the brand footer where the HTML has no unsubscribe link.

    Raises TemplateProblem (with the part and line) for an unknown block or a cycle.
    """
    raise NotImplementedError  # content-blocks helper


def branded_sms(body: str, content: BrandContent) -> str:
    """An SMS body with its blocks expanded (their text versions)."""
    raise NotImplementedError  # content-blocks helper
