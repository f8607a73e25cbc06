"""`kempen blocks …`: list, show, create, update, delete and preview content blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from kempen.brand import block_schemas as schemas
from kempen.brand import blocks
from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    exits_on_error,
    resolve_workspace,
    session_scope,
)
from kempen.kit.errors import InvalidInput

blocks_app = typer.Typer(help='Content blocks: reusable HTML and text that templates use with {% content "key" %}.',
                         no_args_is_help=True)
HtmlFileOption = typer.Option(None, "--html-file", help="A file holding the HTML version (- for stdin)")
TextFileOption = typer.Option(None, "--text-file", help="A file holding the text version (- for stdin)")


def _read(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return typer.get_text_stream("stdin").read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc.__class__.__name__}).") from None


def _parsed(model: type[BaseModel], **fields: Any) -> Any:
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


@blocks_app.command("list")
@exits_on_error
def list_(workspace: str | None = WorkspaceOption) -> None:
    """The workspace's blocks with the number of campaigns using each."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace).id
        usage = blocks.block_usage(session, workspace_id=ws)
        found = blocks.list_blocks(session, workspace_id=ws)
        if not found:
            console.print("no content blocks yet")
            return
        table = Table()
        for column in ("key", "name", "version", "used by", "updated"):
            table.add_column(column)
        for block in found:
            table.add_row(block.key, block.name, str(block.version), str(len(usage.get(block.key, []))),
                          f"{block.updated_at:%Y-%m-%d %H:%M} by {block.updated_by}")
        console.print(table)


@blocks_app.command("show")
@exits_on_error
def show(key: str, workspace: str | None = WorkspaceOption) -> None:
    """A block's versions and the campaigns using it."""
    with session_scope() as session:
        found = blocks.describe_block(session, workspace_id=resolve_workspace(session, workspace).id, key=key)
        console.print(f"{found.key}: {found.name} (version {found.version})", highlight=False, markup=False)
        console.print(f"--- html\n{found.html}\n--- text\n{found.text}", highlight=False, markup=False)
        for use in found.used_by:
            console.print(f"used by campaign {use.campaign_id} {use.name!r} ({use.status.value})",
                          highlight=False, markup=False)


@blocks_app.command("create")
@exits_on_error
def create(key: str, name: str = typer.Option(..., "--name"), description: str | None = typer.Option(None),
           html_file: Path | None = HtmlFileOption, text_file: Path | None = TextFileOption,
           workspace: str | None = WorkspaceOption) -> None:
    """Add a block."""
    data = _parsed(schemas.ContentBlockCreate, key=key, name=name, description=description,
                   html=_read(html_file), text=_read(text_file))
    with session_scope() as session:
        ws = resolve_workspace(session, workspace).id
        block = blocks.create_block(session, workspace_id=ws, actor=cli_actor(), data=data)
        console.print(f"created content block {block.key} (version 1)", highlight=False, markup=False)


@blocks_app.command("update")
@exits_on_error
def update(key: str, name: str | None = typer.Option(None, "--name"), description: str | None = typer.Option(None),
           html_file: Path | None = HtmlFileOption, text_file: Path | None = TextFileOption,
           workspace: str | None = WorkspaceOption) -> None:
    """Change a block; approved or scheduled campaigns using it go back for approval."""
    data = _parsed(schemas.ContentBlockUpdate, name=name, description=description, html=_read(html_file),
                   text=_read(text_file))
    with session_scope() as session:
        ws = resolve_workspace(session, workspace).id
        block = blocks.update_block(session, workspace_id=ws, actor=cli_actor(), key=key, data=data)
        console.print(f"content block {block.key} is at version {block.version}", highlight=False, markup=False)


@blocks_app.command("delete")
@exits_on_error
def delete(key: str, workspace: str | None = WorkspaceOption) -> None:
    """Delete a block no campaign still to be launched uses."""
    with session_scope() as session:
        blocks.delete_block(session, workspace_id=resolve_workspace(session, workspace).id, actor=cli_actor(), key=key)
        console.print(f"deleted content block {key}", highlight=False, markup=False)


@blocks_app.command("preview")
@exits_on_error
def preview(key: str, workspace: str | None = WorkspaceOption) -> None:
    """Render the block's HTML and text with the sample contact."""
    with session_scope() as session:
        found = blocks.preview_block(session, workspace_id=resolve_workspace(session, workspace).id, key=key)
        console.print(f"--- html\n{found.html}\n--- text\n{found.text}", highlight=False, markup=False)
