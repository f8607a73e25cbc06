"""Stored path imports: conversion paths uploaded from other tools, kept per workspace for re-analysis."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.attribution.paths import ChannelResult, PathRow, attribute_paths, merge_rows
from kempen.attribution.types import AttributionModel
from kempen.audit.service import record
from kempen.kit.errors import InvalidInput, NotFound
from kempen.kit.pagination import keyset_page
from kempen.models.tracking import AttributionPathImport


def create_path_import(session: Session, *, workspace_id: int, actor: str, name: str, filename: str,
                       rows: Sequence[PathRow]) -> AttributionPathImport:
    """Store parsed path rows under a name."""
    name = name.strip() or filename.strip() or "Imported paths"
    if len(name) > 200:
        raise InvalidInput("The name is longer than 200 characters.")
    if not rows:
        raise InvalidInput("There are no paths to import.")
    stored = AttributionPathImport(workspace_id=workspace_id, name=name, filename=filename[:300],
                                   paths=[r.as_json() for r in merge_rows(rows)], created_by=actor)
    session.add(stored)
    session.flush()
    record(session, workspace_id=workspace_id, actor=actor, action="attribution_paths.imported",
           entity_type="attribution_path_import", entity_id=stored.id,
           details={"name": name, "paths": len(stored.paths)})
    return stored


def list_path_imports(session: Session, *, workspace_id: int, cursor: str | None = None,
                      limit: int = 50) -> tuple[list[AttributionPathImport], str | None]:
    """A page of the workspace's imports, newest first."""
    stmt = select(AttributionPathImport).where(AttributionPathImport.workspace_id == workspace_id)
    return keyset_page(session, stmt, AttributionPathImport.id, cursor=cursor, limit=limit)


def get_path_import_or_raise(session: Session, *, workspace_id: int, import_id: int) -> AttributionPathImport:
    """One import of this workspace, or NotFound."""
    found = session.scalar(select(AttributionPathImport).where(
        AttributionPathImport.workspace_id == workspace_id, AttributionPathImport.id == import_id))
    if found is None:
        raise NotFound(f"Path import {import_id} was not found.")
    return found


def delete_path_import(session: Session, *, workspace_id: int, actor: str, import_id: int) -> None:
    """Delete one import."""
    found = get_path_import_or_raise(session, workspace_id=workspace_id, import_id=import_id)
    session.delete(found)
    record(session, workspace_id=workspace_id, actor=actor, action="attribution_paths.deleted",
           entity_type="attribution_path_import", entity_id=import_id, details={"name": found.name})
    session.flush()


def import_rows(stored: AttributionPathImport) -> list[PathRow]:
    """The stored rows as PathRow values."""
    return [PathRow.from_json(row) for row in stored.paths]


def import_results(stored: AttributionPathImport, model: AttributionModel,
                   half_life_days: float) -> list[ChannelResult]:
    """Results per channel of one stored import under one model."""
    return attribute_paths(import_rows(stored), model, half_life_days=half_life_days)
