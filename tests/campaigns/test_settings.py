"""Send settings: defaults on first use, validation, quiet hours as HH:MM, audit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from kempen.audit import service as audit
from kempen.campaigns import schemas, settings
from kempen.kit.errors import InvalidInput
from kempen.models import WorkspaceSendSettings
from tests.campaigns.conftest import ACTOR, World


def test_defaults_are_created_once_on_first_use(world: World, other: World) -> None:
    world.session.execute(WorkspaceSendSettings.__table__.delete().where(
        WorkspaceSendSettings.workspace_id == world.id))
    first = settings.get_send_settings(world.session, workspace_id=world.id)
    again = settings.get_send_settings(world.session, workspace_id=world.id)
    assert first is again
    out = settings.send_settings_out(first)
    assert (out.from_email, out.frequency_cap_count, out.frequency_cap_days) == ("", 3, 7)
    assert (out.quiet_hours_start, out.quiet_hours_end, out.default_time_zone) == ("21:00", "08:00", "UTC")
    assert out.require_approval is False
    count = world.session.scalar(select(func.count()).select_from(WorkspaceSendSettings)
                                 .where(WorkspaceSendSettings.workspace_id.in_([world.id, other.id])))
    assert count == 2


def test_update_maps_quiet_hours_and_audits_the_changes(world: World) -> None:
    data = schemas.SendSettingsUpdate(quiet_hours_start="22:30", quiet_hours_end="07:05",
                                      default_time_zone="Asia/Kuala_Lumpur", frequency_cap_count=0,
                                      postal_address="Jalan 1, Kuala Lumpur", reply_to="help@shop.example.com")
    row = settings.update_send_settings(world.session, workspace_id=world.id, actor="admin", data=data)
    assert (row.quiet_hours_start, row.quiet_hours_end) == (22 * 60 + 30, 7 * 60 + 5)
    out = settings.send_settings_out(row)
    assert (out.quiet_hours_start, out.quiet_hours_end) == ("22:30", "07:05")
    assert out.from_email == "news@shop.example.com"  # left out: unchanged
    [entry, *_] = audit.list_for_entity(world.session, workspace_id=world.id, entity_type="workspace_send_settings",
                                        entity_id=world.id)
    assert entry.actor == "admin" and entry.details["changes"]["quiet_hours_start"] == 1350
    assert set(entry.details["changes"]) == {"quiet_hours_start", "quiet_hours_end", "default_time_zone",
                                             "frequency_cap_count", "postal_address", "reply_to"}
    settings.update_send_settings(world.session, workspace_id=world.id, actor=ACTOR,
                                  data=schemas.SendSettingsUpdate(reply_to=None))
    assert row.reply_to is None


@pytest.mark.parametrize("field", ["quiet_hours_start", "quiet_hours_end"])
@pytest.mark.parametrize("value", ["24:00", "7:00", "07:60", "0700", "seven"])
def test_quiet_hours_are_hh_mm(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match="use HH:MM"):
        schemas.SendSettingsUpdate(**{field: value})


@pytest.mark.parametrize(("field", "value"), [("frequency_cap_count", 101), ("frequency_cap_count", -1),
                                              ("frequency_cap_days", 0), ("frequency_cap_days", 366)])
def test_frequency_cap_bounds(field: str, value: int) -> None:
    with pytest.raises(ValidationError):
        schemas.SendSettingsUpdate(**{field: value})


@pytest.mark.parametrize(("data", "message"), [
    ({"from_email": "shop"}, "^from_email: invalid email"),
    ({"reply_to": "a@@b"}, "^reply_to: invalid email"),
    ({"default_time_zone": "Mars/Olympus"}, "^default_time_zone: unknown time zone 'Mars/Olympus'"),
    ({"default_time_zone": "../etc/passwd"}, "^default_time_zone: unknown time zone"),
    ({"from_name": "Shop\r\nBcc: all@example.com"}, "^from_name: must be one line"),
])
def test_bad_values_are_refused_and_nothing_changes(world: World, data: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        settings.update_send_settings(world.session, workspace_id=world.id, actor=ACTOR,
                                      data=schemas.SendSettingsUpdate(**data))
    row = settings.get_send_settings(world.session, workspace_id=world.id)
    assert (row.from_email, row.from_name, row.default_time_zone) == ("news@shop.example.com", "Shop", "UTC")
