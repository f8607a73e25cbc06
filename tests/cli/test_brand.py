"""`kempen brand show|set|logo` and `kempen brand senders …`: changes saved, errors in one line with exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.brand import kit, senders
from kempen.cli.main import app
from tests.brand.test_kit import FOOTER_HTML, image_bytes
from tests.campaigns.conftest import World, fresh_world

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("db")


def invoke(world: World, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--workspace", world.slug])
    return result.exit_code, result.output


@pytest.fixture
def world(session: Session) -> World:
    return fresh_world(session)


def test_show_prints_the_defaults(world: World) -> None:
    code, output = invoke(world, "brand", "show")
    assert code == 0, output
    assert f"name: {world.slug} (the workspace's name)" in output and "primary colour: #1f4e79" in output
    assert "logo: none" in output
    code, output = invoke(world, "brand", "show", "--json")
    assert code == 0 and json.loads(output)["colours"]["accent"] == "#d97706"


def test_set_saves_the_options_and_footer_files(world: World, tmp_path: Path) -> None:
    footer = tmp_path / "footer.html"
    footer.write_text(FOOTER_HTML, encoding="utf-8")
    code, output = invoke(world, "brand", "set", "--name", "Acme Tea", "--primary-colour", "#AA0000",
                          "--accent-color", "#00aa00", "--font-family", "Georgia, serif", "--footer-html-file",
                          str(footer))
    assert code == 0, output
    assert "brand kit saved: accent_colour, font_family, footer_html, name, primary_colour" in output
    world.session.expire_all()
    variables = kit.brand_variables(world.session, workspace_id=world.id)
    assert (variables["name"], variables["colours"]["primary"], variables["colours"]["accent"]) == (
        "Acme Tea", "#aa0000", "#00aa00")
    assert kit.brand_footer(world.session, workspace_id=world.id)[0] == FOOTER_HTML


@pytest.mark.parametrize(("args", "message"), [
    (["--primary-colour", "red"], "error: primary_colour: give a colour as #rrggbb"),
    (["--footer-html-file", "/nonexistent/footer.html"], "error: --footer-html-file: cannot read"),
    ([], "error: Nothing to change"),
])
def test_set_errors_are_one_line(world: World, args: list[str], message: str) -> None:
    code, output = invoke(world, "brand", "set", *args)
    assert code == 1 and message in output and "Traceback" not in output


def test_a_text_footer_without_the_link_is_refused(world: World, tmp_path: Path) -> None:
    footer = tmp_path / "footer.txt"
    footer.write_text("Goodbye", encoding="utf-8")
    code, output = invoke(world, "brand", "set", "--footer-text-file", str(footer))
    assert code == 1 and "footer_text: the footer replaces Kempen's unsubscribe footer" in output


def test_logo_set_and_remove(world: World, tmp_path: Path) -> None:
    logo = tmp_path / "logo.webp"
    logo.write_bytes(image_bytes("WEBP"))
    code, output = invoke(world, "brand", "logo", str(logo))
    assert code == 0, output
    assert "logo saved:" in output and "(image/webp, 120×40)" in output
    code, output = invoke(world, "brand", "logo", "--remove")
    assert code == 0 and "logo removed" in output
    world.session.expire_all()
    assert kit.brand_variables(world.session, workspace_id=world.id)["logo_url"] == ""


@pytest.mark.parametrize(("args", "content", "message"), [
    (["{file}"], b"<svg/>", "error: logo: upload a PNG, JPEG, GIF or WebP image"),
    ([], None, "error: Give either a FILE or --remove"),
    (["/nonexistent/logo.png"], None, "error: cannot read"),
])
def test_logo_errors_are_one_line(world: World, tmp_path: Path, args: list[str], content: bytes | None,
                                  message: str) -> None:
    file = tmp_path / "logo.png"
    if content is not None:
        file.write_bytes(content)
    code, output = invoke(world, "brand", "logo", *[a.replace("{file}", str(file)) for a in args])
    assert code == 1 and message in output and "Traceback" not in output


def test_senders_add_list_update_default_remove(world: World) -> None:
    code, output = invoke(world, "brand", "senders", "add", "--label", "News", "--from-name", "Shop news",
                          "--from-email", "News@Shop.example.com", "--default")
    assert code == 0, output
    assert "added #" in output and "News: Shop news <news@shop.example.com> (default)" in output
    first = int(output.split("#")[1].split()[0])
    code, output = invoke(world, "brand", "senders", "add", "--label", "Help", "--from-name", "Help desk",
                          "--from-email", "help@shop.example.com", "--reply-to", "desk@shop.example.com")
    second = int(output.split("#")[1].split()[0])
    code, output = invoke(world, "brand", "senders", "default", str(second))
    assert code == 0 and "default is now" in output
    code, output = invoke(world, "brand", "senders", "update", str(second), "--reply-to", "")
    assert code == 0 and "replies to" not in output
    code, output = invoke(world, "brand", "senders", "list", "--json")
    listed = json.loads(output)
    assert [(i["label"], i["is_default"], i["reply_to"]) for i in listed] == [("Help", True, None),
                                                                            ("News", False, None)]
    code, output = invoke(world, "brand", "senders", "list")
    assert code == 0 and "Shop news" in output
    code, output = invoke(world, "brand", "senders", "remove", str(first))
    assert code == 0 and f"removed sender identity #{first}" in output
    world.session.expire_all()
    assert [i.label for i in senders.list_identities(world.session, workspace_id=world.id)] == ["Help"]


@pytest.mark.parametrize(("args", "message"), [
    (["add", "--label", "X", "--from-name", "X", "--from-email", "nope"], "error: from_email: invalid email"),
    (["add", "--label", "X", "--from-name", "X", "--from-email", "a@" + "b" * 400 + ".com"], "error: from_email"),
    (["update", "999999", "--label", "Y"], "error: Sender identity 999999 not found"),
    (["update", "1"], "error: Nothing to change"),
    (["remove", "999999"], "error: Sender identity 999999 not found"),
])
def test_sender_errors_are_one_line(world: World, args: list[str], message: str) -> None:
    code, output = invoke(world, "brand", "senders", *args)
    assert code == 1 and message in output and "Traceback" not in output
