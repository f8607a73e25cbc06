"""`kempen brand …`: show and set the brand kit, its logo, and `kempen brand senders …` (sender identities)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from kempen.brand import kit, senders
from kempen.brand.kit_schemas import (
    BrandKitUpdate,
    SenderIdentity,
    SenderIdentityCreate,
    SenderIdentityUpdate,
)
from kempen.cli.common import (
    WorkspaceOption,
    cli_actor,
    console,
    exits_on_error,
    resolve_workspace,
    session_scope,
)
from kempen.kit.errors import InvalidInput

brand_app = typer.Typer(help="The brand kit (name, logo, colours, font, footers) and sender identities.",
                        no_args_is_help=True)
senders_app = typer.Typer(help="Sender identities: the From/Reply-To pairs messages pick from.", no_args_is_help=True)
brand_app.add_typer(senders_app, name="senders")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of text")


def _model(model: type[BaseModel], **fields: Any) -> Any:
    """A request model from options; its complaint as one line (e.g. an address longer than 320 characters)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}") from None


def _read_text(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what}: cannot read {str(path)!r} as UTF-8 text ({exc.__class__.__name__}).") from None


def _print_kit(out: Any) -> None:
    console.print(f"name: {out.display_name}" + ("" if out.name else " (the workspace's name)"), markup=False)
    for key, value in out.colours.model_dump().items():
        console.print(f"{key} colour: {value}", markup=False)
    console.print(f"font family: {out.font_family}", markup=False)
    logo = out.logo
    console.print(f"logo: {logo.url} ({logo.content_type}, {logo.width}×{logo.height}, {logo.size} bytes)"
                  if logo else "logo: none", markup=False, soft_wrap=True)
    for label, footer in (("HTML footer", out.footer_html), ("text footer", out.footer_text)):
        console.print(f"{label}:" + (f"\n{footer}" if footer else " Kempen's neutral footer"), markup=False,
                      highlight=False, soft_wrap=True)


@brand_app.command("show")
@exits_on_error
def show(as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """Show the brand kit (Kempen's neutral defaults until first set)."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        out = kit.kit_out(session, workspace_id=ws.id)
    if as_json:
        console.print_json(out.model_dump_json())
    else:
        _print_kit(out)


@brand_app.command("set")
@exits_on_error
def set_kit(name: str | None = typer.Option(None, "--name", help="Empty: the workspace's name"),
            primary: str | None = typer.Option(None, "--primary-colour", "--primary-color", help="#rrggbb"),
            secondary: str | None = typer.Option(None, "--secondary-colour", "--secondary-color", help="#rrggbb"),
            accent: str | None = typer.Option(None, "--accent-colour", "--accent-color", help="#rrggbb"),
            text: str | None = typer.Option(None, "--text-colour", "--text-color", help="#rrggbb"),
            background: str | None = typer.Option(None, "--background-colour", "--background-color", help="#rrggbb"),
            font_family: str | None = typer.Option(None, "--font-family", help="A CSS font list"),
            footer_html_file: Path | None = typer.Option(
                None, "--footer-html-file", help="Jinja; must link {{ unsubscribe_url }}; an empty file: neutral"),
            footer_text_file: Path | None = typer.Option(
                None, "--footer-text-file", help="Jinja; must show {{ unsubscribe_url }}; an empty file: neutral"),
            workspace: str | None = WorkspaceOption) -> None:
    """Change the options given; the others keep their value."""
    fields = {"name": name, "primary_colour": primary, "secondary_colour": secondary, "accent_colour": accent,
              "text_colour": text, "background_colour": background, "font_family": font_family,
              "footer_html": _read_text(footer_html_file, "--footer-html-file"),
              "footer_text": _read_text(footer_text_file, "--footer-text-file")}
    given = {key: value for key, value in fields.items() if value is not None}
    if not given:
        raise InvalidInput("Nothing to change: give at least one option (see --help).")
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        kit.update_brand_kit(session, workspace_id=ws.id, actor=cli_actor(), data=_model(BrandKitUpdate, **given))
        out = kit.kit_out(session, workspace_id=ws.id)
    console.print(f"brand kit saved: {', '.join(sorted(given))}", markup=False)
    _print_kit(out)


@brand_app.command("logo")
@exits_on_error
def logo(file: Path | None = typer.Argument(None, help="A PNG, JPEG, GIF or WebP file of at most 1 MB"),
         remove: bool = typer.Option(False, "--remove", help="Remove the logo"),
         workspace: str | None = WorkspaceOption) -> None:
    """Set the logo from a file, or remove it with --remove."""
    if (file is None) == (not remove):
        raise InvalidInput("Give either a FILE or --remove.")
    data = b""
    if file is not None:
        try:
            with file.open("rb") as handle:
                data = handle.read(kit.MAX_LOGO_BYTES + 1)
        except OSError as exc:
            raise InvalidInput(f"cannot read {str(file)!r} ({exc.strerror or exc.__class__.__name__}).") from None
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        if remove:
            kit.remove_logo(session, workspace_id=ws.id, actor=cli_actor())
            console.print("logo removed")
            return
        kit.set_logo(session, workspace_id=ws.id, actor=cli_actor(), data=data)
        out = kit.kit_out(session, workspace_id=ws.id)
    assert out.logo is not None
    console.print(f"logo saved: {out.logo.url} ({out.logo.content_type}, {out.logo.width}×{out.logo.height})",
                  markup=False, soft_wrap=True)


# Sender identities

def _identity_line(identity: SenderIdentity) -> str:
    reply = f", replies to {identity.reply_to}" if identity.reply_to else ""
    default = " (default)" if identity.is_default else ""
    return f"#{identity.id} {identity.label}: {identity.from_name} <{identity.from_email}>{reply}{default}"


@senders_app.command("list")
@exits_on_error
def list_senders(as_json: bool = JsonOption, workspace: str | None = WorkspaceOption) -> None:
    """List the sender identities, the default first."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        items = [SenderIdentity.model_validate(i) for i in senders.list_identities(session, workspace_id=ws.id)]
    if as_json:
        console.print_json(json.dumps([i.model_dump(mode="json") for i in items]))
        return
    if not items:
        console.print("no sender identities yet: messages use the sending settings")
        return
    table = Table()
    for column in ("id", "label", "from", "reply-to", "default"):
        table.add_column(column)
    for i in items:
        table.add_row(str(i.id), i.label, f"{i.from_name} <{i.from_email}>", i.reply_to or "",
                      "yes" if i.is_default else "")
    console.print(table)


@senders_app.command("add")
@exits_on_error
def add_sender(label: str = typer.Option(..., "--label"), from_name: str = typer.Option(..., "--from-name"),
               from_email: str = typer.Option(..., "--from-email"),
               reply_to: str | None = typer.Option(None, "--reply-to"),
               default: bool = typer.Option(False, "--default", help="Make it the workspace's default"),
               workspace: str | None = WorkspaceOption) -> None:
    """Add a sender identity."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        identity = senders.create_identity(session, workspace_id=ws.id, actor=cli_actor(), data=_model(
            SenderIdentityCreate, label=label, from_name=from_name, from_email=from_email, reply_to=reply_to,
            is_default=default))
        line = _identity_line(SenderIdentity.model_validate(identity))
    console.print(f"added {line}", markup=False, highlight=False)


@senders_app.command("update")
@exits_on_error
def update_sender(identity_id: int = typer.Argument(..., min=1, help="The identity's id"),
                  label: str | None = typer.Option(None, "--label"),
                  from_name: str | None = typer.Option(None, "--from-name"),
                  from_email: str | None = typer.Option(None, "--from-email"),
                  reply_to: str | None = typer.Option(None, "--reply-to", help="An empty string removes it"),
                  workspace: str | None = WorkspaceOption) -> None:
    """Change a sender identity's label, From name, From address or Reply-To."""
    given = {key: value for key, value in {"label": label, "from_name": from_name, "from_email": from_email,
                                           "reply_to": reply_to}.items() if value is not None}
    if not given:
        raise InvalidInput("Nothing to change: give --label, --from-name, --from-email or --reply-to.")
    _change(identity_id, _model(SenderIdentityUpdate, **given), "updated", workspace)


@senders_app.command("default")
@exits_on_error
def default_sender(identity_id: int = typer.Argument(..., min=1, help="The identity's id"),
                   workspace: str | None = WorkspaceOption) -> None:
    """Make a sender identity the workspace's default."""
    _change(identity_id, SenderIdentityUpdate(is_default=True), "default is now", workspace)


def _change(identity_id: int, data: SenderIdentityUpdate, verb: str, workspace: str | None) -> None:
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        identity = senders.update_identity(session, workspace_id=ws.id, actor=cli_actor(), identity_id=identity_id,
                                           data=data)
        line = _identity_line(SenderIdentity.model_validate(identity))
    console.print(f"{verb} {line}", markup=False, highlight=False)


@senders_app.command("remove")
@exits_on_error
def remove_sender(identity_id: int = typer.Argument(..., min=1, help="The identity's id"),
                  workspace: str | None = WorkspaceOption) -> None:
    """Remove a sender identity (refused while a campaign that may still send uses it)."""
    with session_scope() as session:
        ws = resolve_workspace(session, workspace)
        senders.delete_identity(session, workspace_id=ws.id, actor=cli_actor(), identity_id=identity_id)
    console.print(f"removed sender identity #{identity_id}")
