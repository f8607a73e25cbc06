"""The brand kit page through the real login: each role's forms and refusals, the logo, senders, the sample."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.accounts import service as accounts
from kempen.brand import kit, senders
from kempen.brand.kit_schemas import SenderIdentityCreate
from kempen.models import CampaignMessage, MessageVariant, Role
from tests.brand.test_kit import FOOTER_HTML, image_bytes
from tests.campaigns.conftest import make_world
from tests.conftest import unique
from tests.web.conftest import PASSWORD, LoggedIn, login

PAGE = "/settings/brand"


def _post(logged_in: LoggedIn, path: str, **form: str) -> httpx.Response:
    return logged_in.client.post(path, data={"csrf_token": logged_in.csrf, **form}, follow_redirects=False)


def _upload(logged_in: LoggedIn, data: bytes, name: str = "logo.png") -> httpx.Response:
    return logged_in.client.post(f"{PAGE}/logo", data={"csrf_token": logged_in.csrf},
                                 files={"file": (name, data, "image/png")}, follow_redirects=False)


def _as(session: Session, logged_in: LoggedIn, role: Role) -> None:
    email = f"{unique('m')}@example.com"
    user = accounts.create_user(session, email=email, password=PASSWORD)
    accounts.add_member(session, workspace_id=logged_in.tenant.id, user_id=user.id, role=role)
    session.commit()
    assert login(logged_in.client, email).status_code == 303


def _identity(session: Session, workspace_id: int, label: str = "Support", default: bool = False) -> int:
    identity = senders.create_identity(session, workspace_id=workspace_id, actor="t", data=SenderIdentityCreate(
        label=label, from_name=f"{label} team", from_email=f"{label.lower()}@shop.example.com", is_default=default))
    session.commit()
    return identity.id


def test_the_owner_saves_the_kit_and_sees_it(logged_in: LoggedIn, session: Session) -> None:
    page = logged_in.client.get(PAGE)
    assert page.status_code == 200 and 'id="kit-form"' in page.text and 'id="sender-form"' in page.text
    assert 'id="brand-link"' in page.text
    assert "sandbox=\"\"" in page.text and "img-src 'self'" in page.headers["content-security-policy"]
    saved = _post(logged_in, PAGE, name="Acme Tea", primary_colour="#112233", secondary_colour="#eeeeee",
                  accent_colour="#ff0000", text_colour="#000000", background_colour="#ffffff",
                  font_family="Georgia, serif", footer_html=FOOTER_HTML, footer_text="Bye {{ unsubscribe_url }}")
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?notice=saved"
    again = logged_in.client.get(saved.headers["location"])
    assert "Brand kit saved." in again.text and 'value="#112233"' in again.text
    assert "background:#112233" in again.text  # the sample (escaped into srcdoc) uses the colour
    session.expire_all()
    assert kit.brand_variables(session, workspace_id=logged_in.tenant.id)["name"] == "Acme Tea"


def test_a_bad_kit_is_shown_on_the_form_and_nothing_saved(logged_in: LoggedIn, session: Session) -> None:
    response = _post(logged_in, PAGE, name="Acme", primary_colour="blue", secondary_colour="#eeeeee",
                     accent_colour="#ff0000", text_colour="#000000", background_colour="#ffffff",
                     font_family="Arial", footer_html="<p>no link</p>", footer_text="")
    assert response.status_code == 422
    assert "primary_colour: give a colour as #rrggbb" in response.text
    assert 'value="Acme"' in response.text  # what was typed stays
    assert kit.get_brand_kit(session, workspace_id=logged_in.tenant.id) is None


def test_the_logo_is_uploaded_and_served_publicly(logged_in: LoggedIn) -> None:
    data = image_bytes("JPEG")
    assert _upload(logged_in, data, name="logo.png").status_code == 303
    sha = hashlib.sha256(data).hexdigest()
    page = logged_in.client.get(PAGE)
    src = f"/brand/{logged_in.tenant.id}/logo/{sha}.jpg"
    assert f'src="{src}"' in page.text and 'id="logo-current"' in page.text
    logged_in.client.cookies.clear()  # the logo is shown in emails: no login
    served = logged_in.client.get(src)
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert logged_in.client.get(src.replace(".jpg", ".png")).status_code == 404
    assert logged_in.client.get(f"/brand/{logged_in.tenant.id}/logo/{'0' * 64}.jpg").status_code == 404
    assert logged_in.client.get(f"/brand/{logged_in.tenant.id}/logo/../../x.jpg").status_code == 404


def test_a_refused_logo_is_shown_on_the_page(logged_in: LoggedIn) -> None:
    response = _upload(logged_in, b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert response.status_code == 422 and "SVG and other formats are refused" in response.text
    assert 'id="no-logo"' in response.text


def test_the_sample_follows_unsaved_values(logged_in: LoggedIn, session: Session) -> None:
    response = _post(logged_in, f"{PAGE}/sample", name="Draft name", primary_colour="#abcdef",
                     accent_colour="not a colour", font_family="Verdana", footer_html="{% if %}")
    assert response.status_code == 200
    assert "background:#abcdef" in response.text and "Draft name" in response.text
    assert "background:#d97706" in response.text  # the bad accent keeps the saved one
    assert 'id="sample-problem"' in response.text
    assert kit.get_brand_kit(session, workspace_id=logged_in.tenant.id) is None


@pytest.mark.parametrize("role", [Role.VIEWER, Role.MARKETER])
def test_below_manager_the_page_has_no_forms_and_posts_are_refused(logged_in: LoggedIn, session: Session,
                                                                    role: Role) -> None:
    identity_id = _identity(session, logged_in.tenant.id)
    _as(session, logged_in, role)
    page = logged_in.client.get(PAGE)
    assert page.status_code == 200 and "Only managers and admins can change the brand kit" in page.text
    assert 'id="logo-form"' not in page.text and 'id="kit-submit"' not in page.text
    assert 'id="sender-form"' not in page.text and "Support team" in page.text
    assert _post(logged_in, PAGE, name="X").status_code == 403
    assert _upload(logged_in, image_bytes()).status_code == 403
    assert _post(logged_in, f"{PAGE}/logo/remove").status_code == 403
    assert _post(logged_in, f"{PAGE}/senders", label="A", from_name="A", from_email="a@b.example.com").status_code == 403
    assert _post(logged_in, f"{PAGE}/senders/{identity_id}/delete").status_code == 403


def test_a_manager_changes_the_kit_but_not_the_senders(logged_in: LoggedIn, session: Session) -> None:
    identity_id = _identity(session, logged_in.tenant.id)
    _as(session, logged_in, Role.MANAGER)
    page = logged_in.client.get(PAGE)
    assert 'id="kit-submit"' in page.text and 'id="logo-form"' in page.text
    assert 'id="sender-form"' not in page.text and "Only admins can manage sender identities" in page.text
    assert _upload(logged_in, image_bytes()).status_code == 303
    assert 'id="logo-current"' in logged_in.client.get(PAGE).text
    assert _post(logged_in, f"{PAGE}/logo/remove").status_code == 303
    assert 'id="no-logo"' in logged_in.client.get(PAGE).text
    assert _post(logged_in, f"{PAGE}/senders/{identity_id}/default").status_code == 403
    assert _post(logged_in, f"{PAGE}/senders/{identity_id}", label="New").status_code == 403


def test_an_admin_manages_senders(logged_in: LoggedIn, session: Session) -> None:
    added = _post(logged_in, f"{PAGE}/senders", label="News", from_name="Shop news", from_email="News@Shop.example.com",
                  reply_to="", is_default="1")
    assert added.status_code == 303
    [identity] = senders.list_identities(session, workspace_id=logged_in.tenant.id)
    assert (identity.from_email, identity.is_default) == ("news@shop.example.com", True)
    clash = _post(logged_in, f"{PAGE}/senders", label="News", from_name="X", from_email="x@shop.example.com")
    assert clash.status_code == 409 and "labelled &#39;News&#39;" in clash.text and 'value="X"' in clash.text
    other = _identity(session, logged_in.tenant.id, "Support")
    assert _post(logged_in, f"{PAGE}/senders/{other}/default").status_code == 303
    session.expire_all()
    assert [i.label for i in senders.list_identities(session, workspace_id=logged_in.tenant.id) if i.is_default] == [
        "Support"]
    edited = _post(logged_in, f"{PAGE}/senders/{other}", label="Help", from_name="Help desk",
                   from_email="help@shop.example.com", reply_to="")
    assert edited.status_code == 303
    assert "Help desk" in logged_in.client.get(PAGE).text
    assert _post(logged_in, f"{PAGE}/senders/{other}/delete").status_code == 303
    assert "Help desk" not in logged_in.client.get(PAGE).text


def test_deleting_a_sender_in_use_is_refused_on_the_page(logged_in: LoggedIn, session: Session) -> None:
    world = make_world(session, logged_in.tenant.id, logged_in.tenant.workspace.slug)
    identity_id = _identity(session, logged_in.tenant.id)
    campaign = world.campaign(name="Spring sale")
    message = session.scalars(select(CampaignMessage).where(CampaignMessage.campaign_id == campaign.id)).one()
    message.sender_identity_id = identity_id
    session.commit()
    refused = _post(logged_in, f"{PAGE}/senders/{identity_id}/delete")
    assert refused.status_code == 409 and "Spring sale" in refused.text


def test_the_variant_editor_chooses_a_sender(logged_in: LoggedIn, session: Session) -> None:
    world = make_world(session, logged_in.tenant.id, logged_in.tenant.workspace.slug)
    identity_id = _identity(session, logged_in.tenant.id)
    campaign = world.campaign()
    message = session.scalars(select(CampaignMessage).where(CampaignMessage.campaign_id == campaign.id)).one()
    variant_id = session.scalars(select(MessageVariant.id).where(MessageVariant.message_id == message.id)).one()
    base = f"/campaigns/{campaign.id}/messages/{message.id}/variants/{variant_id}"
    page = logged_in.client.get(base)
    assert page.status_code == 200 and "Workspace default" in page.text and "Support team" in page.text
    assert "From Shop &lt;news@shop.example.com&gt;" in page.text
    chosen = _post(logged_in, f"/campaigns/{campaign.id}/messages/{message.id}/sender",
                   sender_identity_id=str(identity_id), back=base)
    assert chosen.status_code == 303 and chosen.headers["location"] == base + "?saved=true"
    assert "From Support team &lt;support@shop.example.com&gt;" in logged_in.client.get(base).text
    foreign = _identity(session, make_world(session, accounts.create_workspace(
        session, name=unique("w"), slug=unique("w")).id, unique("s")).id, "Foreign")
    refused = _post(logged_in, f"/campaigns/{campaign.id}/messages/{message.id}/sender",
                    sender_identity_id=str(foreign), back=base)
    assert refused.status_code == 422 and "no sender identity" in refused.text
    back_to_default = _post(logged_in, f"/campaigns/{campaign.id}/messages/{message.id}/sender",
                            sender_identity_id="", back="https://evil.example.com/")
    assert back_to_default.headers["location"].startswith(f"/campaigns/{campaign.id}?")
    session.expire_all()
    assert session.get(CampaignMessage, message.id).sender_identity_id is None  # type: ignore[union-attr]


def test_a_viewer_cannot_choose_a_sender(logged_in: LoggedIn, session: Session) -> None:
    world = make_world(session, logged_in.tenant.id, logged_in.tenant.workspace.slug)
    identity_id = _identity(session, logged_in.tenant.id)
    campaign = world.campaign()
    message = session.scalars(select(CampaignMessage).where(CampaignMessage.campaign_id == campaign.id)).one()
    _as(session, logged_in, Role.VIEWER)
    refused = _post(logged_in, f"/campaigns/{campaign.id}/messages/{message.id}/sender",
                    sender_identity_id=str(identity_id))
    assert refused.status_code == 403


def test_the_campaign_page_shows_the_identitys_sender(logged_in: LoggedIn, session: Session) -> None:
    world = make_world(session, logged_in.tenant.id, logged_in.tenant.workspace.slug)
    campaign = world.campaign(name="Autumn sale")
    _identity(session, logged_in.tenant.id, "Newsletter", default=True)
    page = logged_in.client.get(f"/campaigns/{campaign.id}")
    assert "From Newsletter team &lt;newsletter@shop.example.com&gt;" in page.text
    assert "(workspace default)" in page.text
    identity_id = _identity(session, logged_in.tenant.id, "Support")
    message = session.scalars(select(CampaignMessage).where(CampaignMessage.campaign_id == campaign.id)).one()
    message.sender_identity_id = identity_id
    session.commit()
    page = logged_in.client.get(f"/campaigns/{campaign.id}")
    assert "From Support team &lt;support@shop.example.com&gt;" in page.text
    assert "(workspace default)" not in page.text
