"""Identity rules: external id, then normalised email, then phone."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kempen.contacts.batch import upsert_contacts
from kempen.models import Contact
from tests.conftest import Tenant


def _count(session: Session, tenant: Tenant) -> int:
    return session.scalar(select(func.count()).select_from(Contact).where(Contact.workspace_id == tenant.id)) or 0


def _upsert(session: Session, tenant: Tenant, records: list[dict]) -> object:
    result = upsert_contacts(session, workspace_id=tenant.id, actor="test", records=records)
    session.commit()
    return result


def test_external_id_wins_over_email(session: Session, tenant: Tenant) -> None:
    first = _upsert(session, tenant, [{"external_id": "c-1", "email": "Ana@Example.com"}])
    again = _upsert(session, tenant, [{"external_id": "c-1", "first_name": "Ana"}])
    assert again.updated == 1 and again.created == 0
    assert again.ids == first.ids
    contact = session.get(Contact, first.ids[0])
    assert contact.first_name == "Ana" and contact.email == "Ana@Example.com"


def test_email_matches_case_insensitively_and_sets_missing_external_id(session: Session, tenant: Tenant) -> None:
    first = _upsert(session, tenant, [{"email": "Bo@Example.com"}])
    again = _upsert(session, tenant, [{"email": "  bo@example.COM ", "external_id": "crm-9"}])
    assert again.ids == first.ids and _count(session, tenant) == 1
    assert session.get(Contact, first.ids[0]).external_id == "crm-9"


def test_phone_matches_last_and_is_normalised(session: Session, tenant: Tenant) -> None:
    first = _upsert(session, tenant, [{"phone": "+60 12-345 6789"}])
    assert session.get(Contact, first.ids[0]).phone == "+60123456789"
    again = _upsert(session, tenant, [{"phone": "012-345 6789", "country": "MY", "city": "Ipoh"}])
    assert again.ids == first.ids
    assert session.get(Contact, first.ids[0]).city == "Ipoh"


def test_shared_phone_with_different_email_is_another_person(session: Session, tenant: Tenant) -> None:
    _upsert(session, tenant, [{"email": "one@example.com", "phone": "+4915112345678"}])
    result = _upsert(session, tenant, [{"email": "two@example.com", "phone": "+4915112345678"}])
    assert result.created == 1 and _count(session, tenant) == 2


def test_email_of_another_external_id_is_refused(session: Session, tenant: Tenant) -> None:
    _upsert(session, tenant, [{"external_id": "a", "email": "x@example.com"}])
    result = _upsert(session, tenant, [{"external_id": "b", "email": "x@example.com"}])
    assert result.rejected == 1 and result.ids == [None]
    assert "belongs to the contact with external id a" in result.errors[0].reason
    assert _count(session, tenant) == 1


def test_duplicates_within_one_batch_become_one_contact(session: Session, tenant: Tenant) -> None:
    result = _upsert(session, tenant, [
        {"email": "dup@example.com", "first_name": "D"},
        {"email": "DUP@example.com", "last_name": "Up"},
    ])
    assert result.created == 1 and result.ids[0] == result.ids[1]
    contact = session.get(Contact, result.ids[0])
    assert (contact.first_name, contact.last_name) == ("D", "Up")


def test_bad_rows_are_refused_and_good_rows_kept(session: Session, tenant: Tenant) -> None:
    result = _upsert(session, tenant, [
        {"email": "good@example.com"},
        {"email": "not-an-email"},
        {"phone": "12"},
        {"first_name": "nobody"},
        {"email": "fine@example.com", "country": "XX"},
    ])
    assert result.created == 1 and result.rejected == 4
    assert [e.index for e in result.errors] == [1, 2, 3, 4]
    assert "email" in result.errors[0].reason
    assert "at least one of external_id, email or phone" in result.errors[2].reason
    assert _count(session, tenant) == 1


def test_identity_is_per_workspace(session: Session, tenant: Tenant, other_tenant: Tenant) -> None:
    a = _upsert(session, tenant, [{"email": "same@example.com"}])
    b = upsert_contacts(session, workspace_id=other_tenant.id, actor="t", records=[{"email": "same@example.com"}])
    session.commit()
    assert b.created == 1 and a.ids != b.ids
