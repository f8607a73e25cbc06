"""Companies: CRUD, search, and the contacts that work at one."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts import service as contacts
from kempen.contacts.schemas import ContactUpdate
from kempen.crm import schemas
from kempen.kit.errors import Conflict, NotFound
from kempen.kit.pagination import keyset_page
from kempen.models import Company, Contact


def get_company_or_raise(session: Session, *, workspace_id: int, company_id: int) -> Company:
    company = session.scalar(select(Company).where(Company.workspace_id == workspace_id, Company.id == company_id))
    if company is None:
        raise NotFound(f"No company {company_id} in this workspace.")
    return company


def _check_domain_free(session: Session, *, workspace_id: int, domain: str | None, company_id: int | None) -> None:
    if domain is None:
        return
    owner = session.scalar(select(Company.id).where(Company.workspace_id == workspace_id, Company.domain == domain))
    if owner is not None and owner != company_id:
        raise Conflict(f"Company {owner} already has the domain {domain!r}.")


def create_company(session: Session, *, workspace_id: int, actor: str, data: schemas.CompanyCreate) -> Company:
    """Create a company; its domain, if any, must be unique in the workspace."""
    _check_domain_free(session, workspace_id=workspace_id, domain=data.domain, company_id=None)
    company = Company(workspace_id=workspace_id, **data.model_dump())
    session.add(company)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="company.created",
                 entity_type="company", entity_id=company.id)
    return company


def update_company(
    session: Session, *, workspace_id: int, actor: str, company_id: int, data: schemas.CompanyUpdate
) -> Company:
    """Change the given fields of a company."""
    company = get_company_or_raise(session, workspace_id=workspace_id, company_id=company_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        changes.pop("name")  # the name is required; null means "leave it"
    if "domain" in changes:
        _check_domain_free(session, workspace_id=workspace_id, domain=changes["domain"], company_id=company.id)
    before = {name: getattr(company, name) for name in changes}
    for name, value in changes.items():
        setattr(company, name, value)
    session.flush()
    diff = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
    audit.record(session, workspace_id=workspace_id, actor=actor, action="company.updated",
                 entity_type="company", entity_id=company.id, details={"changes": diff})
    return company


def delete_company(session: Session, *, workspace_id: int, actor: str, company_id: int) -> None:
    """Delete a company; its contacts stay, unlinked (the foreign key sets their company to null)."""
    company = get_company_or_raise(session, workspace_id=workspace_id, company_id=company_id)
    snapshot = schemas.Company.model_validate(company).model_dump(mode="json")
    session.delete(company)
    session.flush()
    audit.record(session, workspace_id=workspace_id, actor=actor, action="company.deleted",
                 entity_type="company", entity_id=company_id, details={"company": snapshot})


def list_companies(
    session: Session, *, workspace_id: int, q: str | None = None, cursor: str | None = None, limit: int = 50,
) -> tuple[list[Company], str | None]:
    """Return one page of companies, newest first, optionally matching `q` in the name or domain."""
    stmt = select(Company).where(Company.workspace_id == workspace_id)
    if q and q.strip():
        term = q.strip().lower()
        like = f"%{term.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(Company.name.ilike(like), Company.domain.startswith(term, autoescape=True)))
    return keyset_page(session, stmt, Company.id, cursor=cursor, limit=limit)


def company_contacts(
    session: Session, *, workspace_id: int, company_id: int, cursor: str | None = None, limit: int = 50,
) -> tuple[list[Contact], str | None]:
    """Return one page of the contacts linked to a company, newest first."""
    get_company_or_raise(session, workspace_id=workspace_id, company_id=company_id)
    stmt = select(Contact).where(Contact.workspace_id == workspace_id, Contact.company_id == company_id)
    return keyset_page(session, stmt, Contact.id, cursor=cursor, limit=limit)


def set_contact_company(
    session: Session, *, workspace_id: int, actor: str, contact_id: int, company_id: int | None
) -> Contact:
    """Link a contact to a company (or unlink it with None), as a contact update."""
    if company_id is not None:
        get_company_or_raise(session, workspace_id=workspace_id, company_id=company_id)
    return contacts.update_contact(session, workspace_id=workspace_id, actor=actor, contact_id=contact_id,
                                   data=ContactUpdate(company_id=company_id))
