"""`kempen blocks …` against a real workspace, on both databases."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from kempen.brand import blocks
from kempen.cli.main import app
from tests.conftest import Tenant
from tests.delivery.conftest import make_campaign

runner = CliRunner()


def run(tenant: Tenant, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["blocks", *args, "--workspace", tenant.workspace.slug])
    return result.exit_code, result.output


def test_blocks_commands(session: Session, tenant: Tenant, tmp_path: Path) -> None:
    html, text = tmp_path / "b.html", tmp_path / "b.txt"
    html.write_text("<p>Hi {{ first_name }}</p>")
    text.write_text("Hi {{ first_name }}")
    assert run(tenant, "list") == (0, "no content blocks yet\n")
    code, out = run(tenant, "create", "hello", "--name", "Hello", "--html-file", str(html), "--text-file", str(text))
    assert code == 0 and "created content block hello" in out
    code, out = run(tenant, "create", "hello", "--name", "Again", "--html-file", str(html))
    assert code == 1 and "already exists" in out and "Traceback" not in out
    code, out = run(tenant, "create", "Bad Key", "--name", "x", "--html-file", str(html))
    assert code == 1 and out.startswith("error: key:")
    code, out = run(tenant, "create", "x", "--name", "x", "--html-file", str(tmp_path / "missing.html"))
    assert code == 1 and "cannot be read" in out
    html.write_text("<p>\n{{ x | nope }}</p>")
    code, out = run(tenant, "update", "hello", "--html-file", str(html))
    assert code == 1 and "html, line 2: unknown filter 'nope'" in out
    text.write_text("Hello {{ first_name }}")
    assert run(tenant, "update", "hello", "--text-file", str(text)) == (0, "content block hello is at version 2\n")
    code, out = run(tenant, "preview", "hello")
    assert code == 0 and "<p>Hi Alex</p>" in out and "Hello Alex" in out
    built = make_campaign(session, tenant.id, html='<p>{% content "hello" %}</p>')
    code, out = run(tenant, "list")
    assert code == 0 and "hello" in out and "Hello" in out
    code, out = run(tenant, "show", "hello")
    assert code == 0 and f"used by campaign {built.campaign_id}" in out
    code, out = run(tenant, "delete", "hello")
    assert code == 1 and "not launched yet" in out
    assert run(tenant, "show", "nope")[0] == 1
    session.expire_all()
    assert blocks.get_block_or_raise(session, workspace_id=tenant.id, key="hello").version == 2
