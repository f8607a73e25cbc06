"""`kempen campaign …`: create, add-email (A/B), show, list, preview, submit, approve, errors in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kempen.cli.main import app
from kempen.models import Contact
from tests.campaigns.conftest import HTML, World, add_objective

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("db")


def invoke(world: World, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["campaign", *args, "--workspace", world.slug])
    return result.exit_code, result.output


@pytest.fixture
def html_file(tmp_path: Path) -> Path:
    path = tmp_path / "news.html"
    path.write_text(HTML, encoding="utf-8")
    return path


def create(world: World, name: str = "Spring") -> int:
    code, output = invoke(world, "create", "--name", name, "--segment", "everyone", "--holdout", "5")
    assert code == 0, output
    assert f"{name!r} created (draft)" in output
    campaign_id = int(output.split("#")[1].split()[0])
    add_objective(world.session, world.id, campaign_id)
    world.session.commit()
    return campaign_id


def test_create_add_an_ab_test_show_and_list(world: World, html_file: Path, tmp_path: Path) -> None:
    campaign_id = create(world)
    text = tmp_path / "news.txt"
    text.write_text("Plain {{ first_name }}", encoding="utf-8")
    code, output = invoke(world, "add-email", str(campaign_id), "--subject", "A for {{ first_name }}",
                          "--html-file", str(html_file), "--text-file", str(text), "--from-email", "a@shop.example")
    assert code == 0 and "message 'Email': variants A 100 %" in output, output
    code, output = invoke(world, "add-email", str(campaign_id), "--subject", "B", "--html-file", str(html_file),
                          "--variant", "Bold", "--split", "40")
    assert code == 0 and "variants A 100 %, Bold 40 %" in output, output
    code, output = invoke(world, "show", str(campaign_id))
    assert code == 0 and "Spring" in output and "holdout 5 %" in output
    assert "splits add up to 140 %" in output  # readiness is shown
    code, output = invoke(world, "show", str(campaign_id), "--json")
    detail = json.loads(output)
    assert detail["messages"][0]["from_email"] == "a@shop.example"
    assert [(v["name"], v["split_percent"], v["text"]) for v in detail["messages"][0]["variants"]] == [
        ("A", 100, "Plain {{ first_name }}"), ("Bold", 40, None)]
    create(world, "Autumn")
    code, output = invoke(world, "list", "--json")
    assert code == 0 and [c["name"] for c in json.loads(output)] == ["Autumn", "Spring"]
    code, output = invoke(world, "list", "--status", "draft", "--search", "aut")
    assert code == 0 and "Autumn" in output and "Spring" not in output


def test_preview_parts_for_a_contact(world: World, html_file: Path) -> None:
    campaign_id = create(world)
    invoke(world, "add-email", str(campaign_id), "--subject", "Hi {{ first_name }}", "--html-file", str(html_file),
           "--preheader", "Fresh news")
    contact = Contact(workspace_id=world.id, first_name="Mei", email="mei@example.com",
                      email_normalized="mei@example.com")
    world.session.add(contact)
    world.session.commit()
    code, output = invoke(world, "preview", str(campaign_id))
    assert code == 0 and output.splitlines()[:2] == ["Subject: Hi Alex", "Preheader: Fresh news"], output
    assert "Hi Alex," in output
    code, output = invoke(world, "preview", str(campaign_id), "--contact", str(contact.id), "--part", "html")
    assert code == 0 and output.startswith("<html>") and "Hi Mei," in output
    code, output = invoke(world, "preview", str(campaign_id), "--part", "subject")
    assert output == "Hi Alex\n"
    code, output = invoke(world, "preview", str(campaign_id), "--variant", "999999")
    assert code == 1 and f"No variant 999999 in campaign {campaign_id}." in output


def test_submit_and_approve(world: World, html_file: Path) -> None:
    campaign_id = create(world)
    code, output = invoke(world, "submit", str(campaign_id))
    assert code == 1 and output.startswith("error: The campaign is not ready: Add at least one message.")
    invoke(world, "add-email", str(campaign_id), "--subject", "Hi", "--html-file", str(html_file))
    code, output = invoke(world, "approve", str(campaign_id))
    assert code == 1 and "Only a campaign in review can be approved" in output
    code, output = invoke(world, "submit", str(campaign_id))
    assert code == 0 and f"campaign #{campaign_id} 'Spring' is now in review" in output
    code, output = invoke(world, "approve", str(campaign_id))
    assert code == 0 and "is now approved" in output


def test_errors_are_one_line(world: World, html_file: Path, tmp_path: Path) -> None:
    campaign_id = create(world)
    broken = tmp_path / "broken.html"
    broken.write_text("<p>ok</p>\n<p>{% if first_name %}</p>", encoding="utf-8")
    code, output = invoke(world, "add-email", str(campaign_id), "--subject", "Hi", "--html-file", str(broken))
    assert code == 1 and output.startswith("error: html, line 2: ") and output.count("\n") == 1, output
    code, output = invoke(world, "show", "999999")
    assert code == 1 and output == "error: No campaign 999999 in this workspace.\n"
    code, output = invoke(world, "create", "--name", "Spring", "--segment", "everyone")
    assert code == 1 and "already exists" in output
    code, output = invoke(world, "create", "--name", "X", "--segment", "nobody")
    assert code == 1 and "No segment named 'nobody'" in output
