"""The contact profile and its paged sections."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.contacts import custom_fields
from kempen.models import (
    Channel,
    Company,
    Consent,
    ConsentStatus,
    ContactList,
    CustomFieldType,
    ListMembership,
)
from tests.conftest import Tenant
from tests.web.conftest import LoggedIn, add_events, add_orders, make_contact

HTMX = {"HX-Request": "true"}


def _rich_contact(session: Session, ws: int) -> int:
    custom_fields.create_definition(session, workspace_id=ws, key="loyalty_tier", label="Loyalty tier",
                                    field_type=CustomFieldType.TEXT)
    company = Company(workspace_id=ws, name="Tan Trading", domain="tan.example", industry="Retail")
    session.add(company)
    session.flush()
    contact = make_contact(session, ws, email="mei@example.com", first_name="Mei", last_name="Tan",
                           custom_fields={"loyalty_tier": "gold"}, tags=["vip"], company_id=company.id)
    contact_list = ContactList(workspace_id=ws, name="Newsletter")
    session.add(contact_list)
    session.flush()
    session.add_all([
        ListMembership(workspace_id=ws, list_id=contact_list.id, contact_id=contact.id),
        Consent(workspace_id=ws, contact_id=contact.id, channel=Channel.EMAIL, status=ConsentStatus.GRANTED,
                source="signup form"),
    ])
    session.commit()
    return contact.id


def test_the_profile_shows_every_section(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    contact_id = _rich_contact(session, ws)
    add_orders(session, ws, contact_id, 2, "o")
    add_events(session, ws, contact_id, ["page_view", "added_to_cart"])
    page = logged_in.client.get(f"/contacts/{contact_id}")
    assert page.status_code == 200
    for text in ("Mei Tan", "mei@example.com", "Loyalty tier", "gold", "Tan Trading", "vip", "Newsletter",
                 "signup form", "Granted", "SKU-o-0", "EUR 20.50", "added_to_cart", "page_view"):
        assert text in page.text, text
    assert page.text.index("Order o-1") < page.text.index("Order o-0")  # newest first
    assert page.text.index("added_to_cart") < page.text.index("page_view")


def test_long_histories_are_paged_with_show_more(logged_in: LoggedIn, session: Session) -> None:
    ws = logged_in.tenant.id
    contact = make_contact(session, ws, email="busy@example.com")
    add_orders(session, ws, contact.id, 7, "b")
    add_events(session, ws, contact.id, [f"event_{n:02d}" for n in range(12)])
    page = logged_in.client.get(f"/contacts/{contact.id}").text
    assert page.count('class="order"') == 5 and "Order b-1" not in page and "Show more orders" in page
    assert page.count('class="timeline-item"') == 10 and "event_01" not in page
    more = page.split('hx-get="/contacts/', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    rest = logged_in.client.get(f"/contacts/{more}", headers=HTMX).text
    assert rest.count('class="order"') == 2 and "Order b-0" in rest and "Show more orders" not in rest
    events_link = page.split('hx-get="/contacts/')[2].split('"', 1)[0].replace("&amp;", "&")
    older = logged_in.client.get(f"/contacts/{events_link}", headers=HTMX).text
    assert older.count('class="timeline-item"') == 2 and "event_00" in older


def test_a_contact_of_another_workspace_is_not_found(
    logged_in: LoggedIn, other_tenant: Tenant, session: Session,
) -> None:
    theirs = make_contact(session, other_tenant.id, email="secret@example.com", first_name="Secret")
    add_orders(session, other_tenant.id, theirs.id, 1, "s")
    for path in (f"/contacts/{theirs.id}", f"/contacts/{theirs.id}/orders", f"/contacts/{theirs.id}/events"):
        response = logged_in.client.get(path)
        assert response.status_code == 404, path
        assert "secret@example.com" not in response.text and "SKU-s-0" not in response.text
    assert logged_in.client.get("/contacts/99999999999").status_code == 404
    assert "Contact not found" in logged_in.client.get(f"/contacts/{theirs.id}").text


def test_a_contact_without_history_shows_empty_states(logged_in: LoggedIn, session: Session) -> None:
    contact = make_contact(session, logged_in.tenant.id, phone="+60123456789")
    page = logged_in.client.get(f"/contacts/{contact.id}").text
    assert "No orders yet" in page and "No activity yet" in page and "No consent recorded" in page
