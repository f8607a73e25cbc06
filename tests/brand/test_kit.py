"""Brand kit service: validation of colours, font, name and footers; the logo; audit."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.brand import kit
from kempen.brand.kit_schemas import BrandKitUpdate
from kempen.kit.errors import InvalidInput
from tests.campaigns.conftest import World, fresh_world

FOOTER_HTML = '<p>{{ brand.name }}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>'


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#112233").save(out, kind)
    return out.getvalue()


def _update(world: World, **fields: str) -> None:
    kit.update_brand_kit(world.session, workspace_id=world.id, actor="manager", data=BrandKitUpdate(**fields))


def test_an_update_saves_checked_values_and_audits_the_fields(world: World) -> None:
    _update(world, name="Acme Tea", primary_colour="#AABBCC", font_family="Georgia, 'Times New Roman', serif",
            footer_html=FOOTER_HTML, footer_text="Bye: {{ unsubscribe_url }}")
    saved = kit.get_brand_kit(world.session, workspace_id=world.id)
    assert saved is not None
    assert (saved.name, saved.primary_colour, saved.updated_by) == ("Acme Tea", "#aabbcc", "manager")
    assert saved.secondary_colour == "#e8eef5"  # left out: the default
    [entry] = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="brand_kit",
                                    entity_id=world.id)
    assert entry.action == "brand.updated"
    assert entry.details["fields"] == ["font_family", "footer_html", "footer_text", "name", "primary_colour"]


def test_an_update_that_changes_nothing_is_not_audited(world: World) -> None:
    _update(world, primary_colour="#1f4e79")
    assert audit.list_for_entity(world.session, workspace_id=world.id, entity_type="brand_kit",
                                 entity_id=world.id) == []


@pytest.mark.parametrize(("fields", "message"), [
    ({"primary_colour": "red"}, "primary_colour: give a colour as #rrggbb"),
    ({"background_colour": "#12345"}, "background_colour: give a colour as #rrggbb"),
    ({"accent_colour": "#12345g"}, "accent_colour: give a colour"),
    ({"font_family": "Arial; background: url(x)"}, "font_family: at most 200 characters, without"),
    ({"font_family": "Arial</style>"}, "font_family:"),
    ({"font_family": "  "}, "font_family: give at least one font"),
    ({"name": "x" * 201}, "name: one line of at most 200 characters"),
    ({"footer_html": "<p>Thanks for reading</p>"}, "footer_html: the footer replaces Kempen's unsubscribe footer"),
    ({"footer_html": "<p>{{ unsubscribe_url }}</p>"}, "footer_html: the footer replaces"),
    ({"footer_text": "Goodbye"}, "footer_text: the footer replaces Kempen's unsubscribe footer"),
    ({"footer_html": '<a href="{{ unsubscribe_url }}">x</a>{% if %}'}, "footer_html, line 1"),
    ({"footer_text": "{{ unsubscribe_url }} {{ ''.__class__ }}"}, "footer_text"),
])
def test_bad_values_are_refused_with_the_field_named(world: World, fields: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _update(world, **fields)
    assert message in caught.value.detail
    assert kit.get_brand_kit(world.session, workspace_id=world.id) is None  # nothing saved


def test_an_empty_footer_means_the_neutral_one(world: World) -> None:
    _update(world, footer_html=FOOTER_HTML)
    _update(world, footer_html="")
    assert kit.brand_footer(world.session, workspace_id=world.id) == ("", "")


@pytest.mark.parametrize(("kind", "content_type", "extension"), [
    ("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("GIF", "image/gif", "gif"),
    ("WEBP", "image/webp", "webp")])
def test_a_logo_is_stored_with_its_size_hash_and_type(world: World, kind: str, content_type: str,
                                                       extension: str) -> None:
    data = image_bytes(kind)
    kit.set_logo(world.session, workspace_id=world.id, actor="manager", data=data)
    sha = hashlib.sha256(data).hexdigest()
    variables = kit.brand_variables(world.session, workspace_id=world.id)
    assert variables["logo_url"].endswith(f"/brand/{world.id}/logo/{sha}.{extension}")
    assert (variables["logo_width"], variables["logo_height"]) == (120, 40)
    assert kit.public_logo(world.session, workspace_id=world.id, sha256=sha, extension=extension) == (
        data, content_type)
    assert kit.public_logo(world.session, workspace_id=world.id, sha256=sha, extension="svg") is None
    [entry] = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="brand_kit",
                                    entity_id=world.id)
    assert (entry.action, entry.details["sha256"]) == ("brand.logo_changed", sha)


def test_a_replaced_logo_is_no_longer_served_and_a_removed_one_neither(world: World) -> None:
    first, second = image_bytes(), image_bytes(size=(10, 10))
    kit.set_logo(world.session, workspace_id=world.id, actor="m", data=first)
    kit.set_logo(world.session, workspace_id=world.id, actor="m", data=second)
    old, new = hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()
    assert kit.public_logo(world.session, workspace_id=world.id, sha256=old, extension="png") is None
    assert kit.public_logo(world.session, workspace_id=world.id, sha256=new, extension="png") is not None
    kit.remove_logo(world.session, workspace_id=world.id, actor="m")
    assert kit.public_logo(world.session, workspace_id=world.id, sha256=new, extension="png") is None
    assert kit.brand_variables(world.session, workspace_id=world.id)["logo_url"] == ""


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (SVG, "upload a PNG, JPEG, GIF or WebP image"),
    (b"%PDF-1.4 not an image", "upload a PNG, JPEG, GIF or WebP image"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "not a readable image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "larger than 1 MB"),
])
def test_what_is_not_a_small_raster_image_is_refused(world: World, data: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        kit.set_logo(world.session, workspace_id=world.id, actor="m", data=data)
    assert message in caught.value.detail
    assert kit.get_brand_kit(world.session, workspace_id=world.id) is None


def test_a_png_header_on_jpeg_bytes_is_refused(world: World) -> None:
    jpeg = image_bytes("JPEG")
    with pytest.raises(InvalidInput, match="not a readable image"):
        kit.set_logo(world.session, workspace_id=world.id, actor="m", data=b"\x89PNG\r\n\x1a\n" + jpeg)


def test_other_workspaces_do_not_see_the_logo(session: Session, world: World) -> None:
    other = fresh_world(session)
    data = image_bytes()
    kit.set_logo(session, workspace_id=world.id, actor="m", data=data)
    sha = hashlib.sha256(data).hexdigest()
    assert kit.public_logo(session, workspace_id=other.id, sha256=sha, extension="png") is None
