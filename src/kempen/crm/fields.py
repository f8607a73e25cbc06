"""Custom field definitions as a workspace setting: declared and removed with an audit trail."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kempen.audit import service as audit
from kempen.contacts import custom_fields as cf
from kempen.crm import schemas
from kempen.models import CustomFieldDefinition


def list_fields(session: Session, *, workspace_id: int) -> list[CustomFieldDefinition]:
    """Return the workspace's custom field definitions by key."""
    return cf.list_definitions(session, workspace_id=workspace_id)


def create_field(
    session: Session, *, workspace_id: int, actor: str, data: schemas.CustomFieldCreate
) -> CustomFieldDefinition:
    """Declare a custom contact field."""
    definition = cf.create_definition(
        session, workspace_id=workspace_id, key=data.key, label=data.label, field_type=data.field_type,
        choices=data.choices, required=data.required,
    )
    audit.record(session, workspace_id=workspace_id, actor=actor, action="custom_field.created",
                 entity_type="custom_field", entity_id=data.key,
                 details={"field_type": data.field_type.value, "required": data.required})
    return definition


def delete_field(session: Session, *, workspace_id: int, actor: str, key: str) -> None:
    """Remove a custom field definition.

    Values already stored on contacts are kept, so deleting a definition by mistake loses no data;
    they cannot be written again until the field is declared again.
    """
    cf.delete_definition(session, workspace_id=workspace_id, key=key)
    audit.record(session, workspace_id=workspace_id, actor=actor, action="custom_field.deleted",
                 entity_type="custom_field", entity_id=key)
