"""Custom field definitions and validation of contact values against them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kempen.kit.errors import Conflict, InvalidInput, NotFound
from kempen.models import CustomFieldDefinition, CustomFieldType

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}
# Built-in contact fields: a custom field may not shadow one (segment rules refer to both by name).
RESERVED_KEYS = frozenset({
    "id", "external_id", "email", "phone", "first_name", "last_name", "country", "city", "time_zone",
    "language", "lifecycle_stage", "lead_source", "company_id", "created_at", "updated_at", "tags",
})


def list_definitions(session: Session, *, workspace_id: int) -> list[CustomFieldDefinition]:
    stmt = select(CustomFieldDefinition).where(CustomFieldDefinition.workspace_id == workspace_id)
    return list(session.scalars(stmt.order_by(CustomFieldDefinition.key)))


def create_definition(
    session: Session, *, workspace_id: int, key: str, label: str, field_type: CustomFieldType,
    choices: list[str] | None = None, required: bool = False,
) -> CustomFieldDefinition:
    """Declare a custom field for a workspace."""
    if not _KEY.match(key):
        raise InvalidInput(f"Field key {key!r} must be lower-case letters, digits and underscores, starting with a letter.")
    if key in RESERVED_KEYS:
        raise InvalidInput(f"{key!r} is a built-in contact field; choose another key.")
    if field_type == CustomFieldType.CHOICE and not choices:
        raise InvalidInput("A choice field needs a non-empty list of choices.")
    if field_type != CustomFieldType.CHOICE and choices:
        raise InvalidInput("Only choice fields take choices.")
    exists = session.scalar(select(CustomFieldDefinition.id).where(
        CustomFieldDefinition.workspace_id == workspace_id, CustomFieldDefinition.key == key))
    if exists is not None:
        raise Conflict(f"A custom field {key!r} already exists.")
    definition = CustomFieldDefinition(workspace_id=workspace_id, key=key, label=label or key,
                                       field_type=field_type, choices=choices, required=required)
    session.add(definition)
    session.flush()
    return definition


def delete_definition(session: Session, *, workspace_id: int, key: str) -> None:
    definition = session.scalar(select(CustomFieldDefinition).where(
        CustomFieldDefinition.workspace_id == workspace_id, CustomFieldDefinition.key == key))
    if definition is None:
        raise NotFound(f"No custom field {key!r}.")
    session.delete(definition)
    session.flush()


def coerce_value(definition: CustomFieldDefinition, value: Any) -> Any:
    """Return `value` converted to the field's type, or raise ValueError saying why it does not fit."""
    if value is None:
        return None
    kind = definition.field_type
    if kind == CustomFieldType.TEXT:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError("expected text")
        return str(value)
    if kind == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise ValueError("expected a number")
        if isinstance(value, int | float):
            return value
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
        return int(number) if number.is_integer() and "." not in str(value) else number
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if kind == CustomFieldType.DATE:
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None
    if kind == CustomFieldType.CHOICE:
        if str(value) not in (definition.choices or []):
            raise ValueError(f"expected one of {', '.join(definition.choices or [])}; got {value!r}")
        return str(value)
    raise ValueError(f"unsupported field type {kind}")


def validate_custom_fields(
    definitions: dict[str, CustomFieldDefinition], values: dict[str, Any], *, existing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Validate and coerce values against the definitions; return the merged custom fields.

    Raises ValueError naming the first offending field. A null value removes the field.
    """
    merged = dict(existing or {})
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise ValueError(f"unknown custom field {key!r}; declare it first")
        try:
            value = coerce_value(definition, raw)
        except ValueError as exc:
            raise ValueError(f"custom field {key!r}: {exc}") from None
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    for key, definition in definitions.items():
        if definition.required and key not in merged:
            raise ValueError(f"custom field {key!r} is required")
    return merged
