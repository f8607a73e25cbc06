"""Content blocks: named pieces of HTML and text that templates pull in with `{% content "key" %}`.

Both versions are checked with the sandbox when saved, and with the workspace's other blocks (a block
may use blocks: unknown ones and cycles are refused). Every edit counts a version. A campaign that was
approved or scheduled with a block loses its approval when the block changes (the reviewer approved
other content): back to review where approval is required, else to draft (`lifecycle.begin_edit`); a
launched one keeps the copy it froze at launch. A block a campaign not yet launched
uses cannot be deleted.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.brand import block_schemas as schemas
from kempen.brand.expansion import BlockSource, expand, keys_used, keys_used_transitively
from kempen.brand.resolve import BrandContent, all_blocks, brand_problems, current_brand_content
from kempen.campaigns.content import invalid_templates
from kempen.campaigns.lifecycle import begin_edit
from kempen.campaigns.preview import PREFERENCES_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER
from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import EDITABLE_STATUSES, Campaign, CampaignStatus, ContentBlock, MessageVariant
from kempen.templates.context import sample_context
from kempen.templates.sandbox import RenderProblem, TemplateProblem, check_template, render_template

ENTITY = "content_block"
# Campaigns whose approval an edit withdraws (the reviewer approved the block as it was).
_APPROVED = frozenset({CampaignStatus.APPROVED, CampaignStatus.SCHEDULED})
_VARIANT_PARTS = (MessageVariant.subject, MessageVariant.preheader, MessageVariant.html, MessageVariant.text,
                  MessageVariant.body)


def list_blocks(session: Session, *, workspace_id: int) -> list[ContentBlock]:
    """The workspace's blocks by name."""
    return list(session.scalars(select(ContentBlock).where(ContentBlock.workspace_id == workspace_id)
                                .order_by(ContentBlock.name, ContentBlock.key)))


def get_block_or_raise(session: Session, *, workspace_id: int, key: str) -> ContentBlock:
    """The workspace's block with this key, or NotFound."""
    found = session.scalar(select(ContentBlock).where(ContentBlock.workspace_id == workspace_id,
                                                      ContentBlock.key == key))
    if found is None:
        raise NotFound(f"Content block {key!r} not found.")
    return found


def create_block(session: Session, *, workspace_id: int, actor: str, data: schemas.ContentBlockCreate) -> ContentBlock:
    """Add a block; 409 when the key is taken, 422 when a version does not compile."""
    if session.scalar(select(ContentBlock.id).where(ContentBlock.workspace_id == workspace_id,
                                                    ContentBlock.key == data.key)) is not None:
        raise Conflict(f"A content block with the key {data.key!r} already exists.")
    _check_sources(session, workspace_id, data.key, data.html, data.text)
    block = ContentBlock(workspace_id=workspace_id, key=data.key, name=data.name.strip(), description=data.description,
                         html=data.html, text=data.text, version=1, updated_by=actor)
    try:
        with session.begin_nested():
            session.add(block)
            session.flush()
    except IntegrityError:  # created at the same moment by someone else
        raise Conflict(f"A content block with the key {data.key!r} already exists.") from None
    audit.record(session, workspace_id=workspace_id, actor=actor, action="content_block.created", entity_type=ENTITY,
                 entity_id=block.id, details={"key": block.key, "version": block.version})
    return block


def update_block(session: Session, *, workspace_id: int, actor: str, key: str,
                 data: schemas.ContentBlockUpdate) -> ContentBlock:
    """Change a block's name, description or versions; approved and scheduled campaigns using it lose their approval."""
    block = get_block_or_raise(session, workspace_id=workspace_id, key=key)
    changes = {name: value for name, value in data.model_dump(exclude_none=True).items()
               if getattr(block, name) != value}
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if not changes:
        return block
    _check_sources(session, workspace_id, key, changes.get("html", block.html), changes.get("text", block.text))
    for name, value in changes.items():
        setattr(block, name, value)
    block.version += 1
    block.updated_by = actor
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="content_block.updated", entity_type=ENTITY,
                 entity_id=block.id, details={"key": key, "version": block.version, "changed": sorted(changes)})
    if {"html", "text"} & changes.keys():
        _withdraw_approvals(session, workspace_id=workspace_id, actor=actor, key=key)
    return block


def delete_block(session: Session, *, workspace_id: int, actor: str, key: str) -> None:
    """Delete a block no campaign still to be launched and no other block uses (409 naming them)."""
    block = get_block_or_raise(session, workspace_id=workspace_id, key=key)
    pending = [use for use in usage_of(session, workspace_id=workspace_id, key=key) if use.status in EDITABLE_STATUSES]
    if pending:
        names = ", ".join(f"{use.name!r} ({use.status.value})" for use in pending)
        raise Conflict(f"Content block {key!r} is used by campaigns not launched yet: {names}. "
                       "Remove it from their templates first.")
    users = sorted(other for other, source in all_blocks(session, workspace_id).items()
                   if other != key and key in keys_used(source.html) + keys_used(source.text))
    if users:
        raise Conflict(f"Content block {key!r} is used by the content blocks {', '.join(map(repr, users))}.")
    audit.record(session, workspace_id=workspace_id, actor=actor, action="content_block.deleted", entity_type=ENTITY,
                 entity_id=block.id, details={"key": key, "version": block.version})
    session.delete(block)
    session.flush()


def _check_sources(session: Session, workspace_id: int, key: str, html: str, text: str) -> None:
    """Refuse versions that do not compile, name unknown blocks or form a cycle (422 with the part and line)."""
    if not html.strip() and not text.strip():
        raise InvalidInput("A content block needs an HTML or a text version.",
                           errors=[{"field": "html", "message": "HTML or text required"}])
    problems = []
    for field, source, is_html in (("html", html, True), ("text", text, False)):
        try:
            check_template(source, field=field, html=is_html)
        except TemplateProblem as problem:
            problems.append(problem)
    if not problems:
        blocks = {**all_blocks(session, workspace_id), key: BlockSource(html, text)}
        problems = brand_problems([("html", html, True), ("text", text, False)], BrandContent(blocks=blocks))
    if problems:
        raise invalid_templates(problems)


def block_usage(session: Session, *, workspace_id: int) -> dict[str, list[schemas.BlockUse]]:
    """For each block key, the campaigns whose variants use it, directly or through another block."""
    blocks = all_blocks(session, workspace_id)
    # LIKE narrows the variants to those that may name a block; the pattern finds which.
    rows = session.execute(select(MessageVariant.campaign_id, *_VARIANT_PARTS).where(
        MessageVariant.workspace_id == workspace_id, or_(*(part.contains("content") for part in _VARIANT_PARTS))))
    sources: dict[int, list[str]] = defaultdict(list)
    for campaign_id, *parts in rows:
        sources[campaign_id] += [part for part in parts if part]
    keys = {cid: keys_used_transitively(found, blocks) for cid, found in sources.items()}
    users = [cid for cid, used in keys.items() if used]
    campaigns = {c.id: c for c in session.execute(select(Campaign.id, Campaign.name, Campaign.status).where(
        Campaign.workspace_id == workspace_id, Campaign.id.in_(users)))} if users else {}
    usage: dict[str, list[schemas.BlockUse]] = defaultdict(list)
    for cid in sorted(campaigns):
        for key in keys[cid]:
            usage[key].append(schemas.BlockUse(campaign_id=cid, name=campaigns[cid].name,
                                               status=campaigns[cid].status))
    return dict(usage)


def usage_of(session: Session, *, workspace_id: int, key: str) -> list[schemas.BlockUse]:
    """The campaigns using a block."""
    return block_usage(session, workspace_id=workspace_id).get(key, [])


def _withdraw_approvals(session: Session, *, workspace_id: int, actor: str, key: str) -> None:
    ids = [use.campaign_id for use in usage_of(session, workspace_id=workspace_id, key=key) if use.status in _APPROVED]
    for campaign in session.scalars(select(Campaign).where(Campaign.workspace_id == workspace_id,
                                                           Campaign.id.in_(ids))) if ids else ():
        begin_edit(session, campaign, actor=actor, what=f'Content block "{key}"')


def describe_block(session: Session, *, workspace_id: int, key: str) -> schemas.ContentBlockOut:
    """A block with the campaigns using it."""
    block = get_block_or_raise(session, workspace_id=workspace_id, key=key)
    found = schemas.ContentBlockOut.model_validate(block)
    found.used_by = usage_of(session, workspace_id=workspace_id, key=key)
    return found


def preview_block(session: Session, *, workspace_id: int, key: str) -> schemas.BlockPreview:
    """Render a block's HTML and text with the sample contact and the brand (422 naming a problem)."""
    block = get_block_or_raise(session, workspace_id=workspace_id, key=key)
    tag = f'{{% content "{key}" %}}'
    brand = current_brand_content(session, workspace_id=workspace_id, uses=[tag])
    context: dict[str, Any] = {**sample_context(), "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
                               "preferences_url": PREFERENCES_PLACEHOLDER, "brand": brand.variables}
    rendered = {}
    for field, html in (("html", True), ("text", False)):
        # Rendered as a template holding only this block, so nested blocks are expanded as in a message.
        source = tag if getattr(block, field).strip() else ""
        try:
            expanded = expand(source, field=field, html=html, blocks=brand.blocks)
            template = check_template(expanded.source, field=field, html=html)
            rendered[field] = render_template(template, context, field=field)
        except TemplateProblem as problem:  # saved blocks compile: this is an unknown nested block or a cycle
            raise invalid_templates([problem]) from None
        except RenderProblem as problem:
            problem = expanded.relocate(problem)
            raise InvalidInput(f"The block could not be rendered: {problem}",
                               errors=[{"field": problem.field, "line": problem.line, "message": problem.message}]
                               ) from None
    return schemas.BlockPreview(key=key, html=rendered["html"], text=rendered["text"])
