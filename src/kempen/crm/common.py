"""Helpers shared by the CRM services: contact id checks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.sql import chunked
from kempen.models import Contact

T = TypeVar("T")


def existing_contact_ids(session: Session, *, workspace_id: int, ids: Iterable[int]) -> set[int]:
    """Return those of `ids` that are contacts of this workspace (others' ids are simply absent)."""
    wanted = sorted(set(ids))
    found: set[int] = set()
    for chunk in chunked(wanted):
        stmt = select(Contact.id).where(Contact.workspace_id == workspace_id, Contact.id.in_(chunk))
        found.update(session.scalars(stmt))
    return found


def split_known(session: Session, *, workspace_id: int, ids: list[int]) -> tuple[list[int], list[int]]:
    """Split ids into (known contacts of this workspace, unknown ids), keeping input order, no repeats."""
    known = existing_contact_ids(session, workspace_id=workspace_id, ids=ids)
    unique_ids = list(dict.fromkeys(ids))
    return [i for i in unique_ids if i in known], [i for i in unique_ids if i not in known]
