"""Small read-only look-ups the web UI needs around contacts: filter choices and profile context."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.models import Company, Contact, Tag

MAX_CHOICES = 300


def countries_in_use(session: Session, *, workspace_id: int) -> list[str]:
    """Return the distinct country codes of a workspace's contacts, sorted."""
    stmt = (select(Contact.country).where(Contact.workspace_id == workspace_id, Contact.country.is_not(None))
            .distinct().order_by(Contact.country).limit(MAX_CHOICES))
    return [code for code in session.scalars(stmt) if code]


def tag_names(session: Session, *, workspace_id: int) -> list[str]:
    """Return the names of a workspace's tags, sorted."""
    stmt = select(Tag.name).where(Tag.workspace_id == workspace_id).order_by(Tag.name).limit(MAX_CHOICES)
    return list(session.scalars(stmt))


def company_of_contact(session: Session, *, workspace_id: int, company_id: int | None) -> Company | None:
    """Return the contact's company if it belongs to the same workspace."""
    if company_id is None:
        return None
    return session.scalar(select(Company).where(Company.workspace_id == workspace_id, Company.id == company_id))
