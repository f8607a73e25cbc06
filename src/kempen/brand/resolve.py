"""What a message is sent with: its template with blocks expanded and the brand footer, and the `brand` variable.

Before launch a campaign previews with the current brand kit and blocks; at launch they are frozen
into `campaigns.brand_snapshot` (only the blocks the campaign uses), and every batch of the send reads
the snapshot, so an edit during a send never splits the audience between two versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.brand.expansion import MAX_DEPTH, BlockSource, Expanded, Problem, expand, keys_used_transitively
from kempen.brand.kit import brand_footer, brand_variables
from kempen.models import Campaign, ContentBlock, MessageVariant
from kempen.templates.email import EmailTemplate
from kempen.templates.message import insert_before_body_close, parts
from kempen.templates.sandbox import TEXT_ENV, TemplateProblem, check_template

__all__ = ["BlockSource", "BrandContent", "BrandedEmail", "brand_email", "brand_problems", "branded_sms",
           "branded_template", "campaign_brand_content", "current_brand_content", "freeze_for_launch"]
SNAPSHOT_FORMAT = 1
_UNSUBSCRIBE = "unsubscribe_url"


@dataclass(frozen=True)
class BrandContent:
    """The brand as one message sees it; hashable parts only, so compiled templates can be cached on it."""

    # The `brand` template variable (kit.brand_variables): name, logo_url, colours, font_family, …
    variables: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    blocks: dict[str, BlockSource] = field(default_factory=dict, hash=False, compare=False)
    footer_html: str = ""
    footer_text: str = ""

    def to_snapshot(self) -> dict[str, Any]:
        """A JSON value holding everything a send needs (`campaigns.brand_snapshot`)."""
        return {"format": SNAPSHOT_FORMAT, "variables": self.variables, "footer_html": self.footer_html,
                "footer_text": self.footer_text,
                "blocks": {key: {"html": b.html, "text": b.text, "version": b.version}
                           for key, b in sorted(self.blocks.items())}}

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> BrandContent:
        blocks = {key: BlockSource(html=b["html"], text=b["text"], version=b.get("version", 0))
                  for key, b in snapshot.get("blocks", {}).items()}
        return cls(variables=snapshot.get("variables", {}), blocks=blocks,
                   footer_html=snapshot.get("footer_html", ""), footer_text=snapshot.get("footer_text", ""))


def current_brand_content(session: Session, *, workspace_id: int, uses: Iterable[str] | None = None) -> BrandContent:
    """The workspace's brand kit, footer and content blocks as they are now.

    With `uses` (template sources), only the blocks those sources name, directly or through other blocks.
    """
    footer_html, footer_text = brand_footer(session, workspace_id=workspace_id)
    blocks = all_blocks(session, workspace_id) if uses is None else _blocks_used(session, workspace_id, list(uses))
    return BrandContent(variables=brand_variables(session, workspace_id=workspace_id), blocks=blocks,
                        footer_html=footer_html, footer_text=footer_text)


def _block_query(workspace_id: int) -> Any:
    return select(ContentBlock.key, ContentBlock.html, ContentBlock.text, ContentBlock.version).where(
        ContentBlock.workspace_id == workspace_id)


def all_blocks(session: Session, workspace_id: int) -> dict[str, BlockSource]:
    return {row.key: BlockSource(row.html, row.text, row.version) for row in session.execute(_block_query(workspace_id))}


def _blocks_used(session: Session, workspace_id: int, sources: list[str]) -> dict[str, BlockSource]:
    """The blocks the sources name, level by level (one query per level of nesting)."""
    blocks: dict[str, BlockSource] = {}
    for _ in range(MAX_DEPTH + 1):
        wanted = keys_used_transitively(sources, blocks) - blocks.keys()
        if not wanted:
            break
        rows = session.execute(_block_query(workspace_id).where(ContentBlock.key.in_(sorted(wanted))))
        found = {row.key: BlockSource(row.html, row.text, row.version) for row in rows}
        if not found:
            break
        blocks.update(found)
    return blocks


def campaign_sources(session: Session, campaign: Campaign) -> list[str]:
    """Every template part of every variant of the campaign."""
    rows = session.execute(select(MessageVariant.subject, MessageVariant.preheader, MessageVariant.html,
                                  MessageVariant.text, MessageVariant.body).where(
        MessageVariant.workspace_id == campaign.workspace_id, MessageVariant.campaign_id == campaign.id))
    return [part for row in rows for part in row if part]


def campaign_brand_content(session: Session, campaign: Campaign) -> BrandContent:
    """The launch snapshot of a launched campaign, else the current brand (with the blocks it uses)."""
    if campaign.launched_at is not None and campaign.brand_snapshot is not None:
        return BrandContent.from_snapshot(campaign.brand_snapshot)
    return current_brand_content(session, workspace_id=campaign.workspace_id, uses=campaign_sources(session, campaign))


def freeze_for_launch(session: Session, campaign: Campaign) -> None:
    """Store the brand and the blocks the campaign's variants use in `campaign.brand_snapshot`."""
    content = current_brand_content(session, workspace_id=campaign.workspace_id,
                                    uses=campaign_sources(session, campaign))
    campaign.brand_snapshot = content.to_snapshot()
    session.flush()


@dataclass(frozen=True)
class BrandedEmail:
    """An email template with its blocks expanded and the brand footer, and where each expanded line came from."""

    template: EmailTemplate
    expanded: dict[str, Expanded]

    def relocate(self, problem: Problem) -> Problem:
        """A problem found in the branded template, told with the line as written (naming the block)."""
        found = self.expanded.get(problem.field or "")
        return problem if found is None else found.relocate(problem)


def brand_email(template: EmailTemplate, content: BrandContent) -> BrandedEmail:
    """Expand every part's blocks and add the brand footer; raise TemplateProblem for an unknown block or a cycle."""
    expanded = {name: expand(source, field=name, html=html, blocks=content.blocks)
                for name, source, html in parts(template)}
    html = expanded["html"].source
    if content.footer_html and not _uses_unsubscribe(html):
        html = insert_before_body_close(html, content.footer_html)
    text = expanded["text"].source if "text" in expanded else None
    if text is not None and content.footer_text and not _uses_unsubscribe(text):
        text = f"{text.rstrip()}\n\n{content.footer_text}"
    return BrandedEmail(EmailTemplate(subject=expanded["subject"].source, preheader=expanded["preheader"].source,
                                      html=html, text=text), expanded)


def branded_template(template: EmailTemplate, content: BrandContent) -> EmailTemplate:
    """Expand `{% content "key" %}` in every part and add the brand footer where the HTML has no unsubscribe link.

    Raises TemplateProblem (with the part and line) for an unknown block or a cycle.
    """
    return brand_email(template, content).template


def branded_sms(body: str, content: BrandContent) -> str:
    """An SMS body with its blocks expanded (their text versions)."""
    return expand(body, field="body", html=False, blocks=content.blocks).source


def brand_problems(template_parts: Iterable[tuple[str, str, bool]], content: BrandContent) -> list[TemplateProblem]:
    """What the blocks bring into parts that compile alone: unknown blocks, cycles, and errors in the whole."""
    problems = []
    for name, source, html in template_parts:
        try:
            expanded = expand(source, field=name, html=html, blocks=content.blocks)
        except TemplateProblem as problem:
            problems.append(problem)
            continue
        if expanded.source == source:
            continue
        try:
            check_template(expanded.source, field=name, html=html)
        except TemplateProblem as problem:
            problems.append(expanded.relocate(problem))
    return problems


def _uses_unsubscribe(source: str) -> bool:
    try:
        tree = TEXT_ENV.parse(source)
    except TemplateSyntaxError:
        return True  # a template that does not parse gets no footer: compiling it reports the problem
    return any(node.name == _UNSUBSCRIBE for node in tree.find_all(nodes.Name))
