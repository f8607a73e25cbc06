"""The `brand` template variable and footers: defaults without a kit row, the kit's values once saved."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from kempen.brand import kit
from kempen.campaigns import schemas, settings
from kempen.models import BrandKit
from tests.campaigns.conftest import World, fresh_world


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


@pytest.fixture
def other(session: Session) -> World:
    return fresh_world(session)


def test_a_workspace_without_a_kit_gets_the_neutral_defaults(world: World) -> None:
    variables = kit.brand_variables(world.session, workspace_id=world.id)
    assert variables["name"] == world.slug  # the workspace's name
    assert variables["logo_url"] == ""
    assert (variables["logo_width"], variables["logo_height"]) == (None, None)
    assert variables["colours"] == {"primary": "#1f4e79", "secondary": "#e8eef5", "accent": "#d97706",
                                    "text": "#1f2937", "background": "#ffffff"}
    assert variables["colors"] == variables["colours"]
    assert variables["font_family"] == "Arial, Helvetica, sans-serif"
    assert kit.brand_footer(world.session, workspace_id=world.id) == ("", "")
    assert kit.get_brand_kit(world.session, workspace_id=world.id) is None


def test_a_saved_kit_is_what_templates_see(session: Session, world: World, other: World) -> None:
    settings.update_send_settings(session, workspace_id=world.id, actor="t",
                                  data=schemas.SendSettingsUpdate(postal_address="1 Tea Lane"))
    session.add(BrandKit(workspace_id=world.id, name="Acme Tea", primary_colour="#112233",
                         logo=b"x", logo_content_type="image/png", logo_sha256="ab" * 32, logo_width=120,
                         logo_height=40, footer_html="<a href='{{ unsubscribe_url }}'>Bye</a>",
                         footer_text="Bye: {{ unsubscribe_url }}"))
    session.flush()
    variables = kit.brand_variables(session, workspace_id=world.id)
    assert variables["name"] == "Acme Tea"
    assert variables["colours"]["primary"] == "#112233"
    assert variables["colors"]["secondary"] == "#e8eef5"
    assert variables["logo_url"].startswith("http")
    assert variables["logo_url"].endswith(f"/brand/{world.id}/logo/{'ab' * 32}.png")
    assert (variables["logo_width"], variables["logo_height"]) == (120, 40)
    assert variables["postal_address"] == "1 Tea Lane"
    assert kit.brand_footer(session, workspace_id=world.id) == (
        "<a href='{{ unsubscribe_url }}'>Bye</a>", "Bye: {{ unsubscribe_url }}")
    # The other workspace still has the defaults.
    assert kit.brand_variables(session, workspace_id=other.id)["colours"]["primary"] == "#1f4e79"
