"""What a rule can refer to, with types: the catalogue the parser checks and the compiler maps.

A workspace's catalogue is the built-in contact fields, its custom fields (by key) and the
computed properties in `contact_metrics`. Comparisons are type-checked against it: comparing a
number field with a string is an error with a position, never an empty result.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from kempen.models import CustomFieldDefinition, CustomFieldType, LifecycleStage

RFM_GROUPS = ("champions", "loyal", "potential_loyalist", "new", "at_risk", "cannot_lose", "hibernating", "lost")


class FieldType(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"  # a calendar date (custom date fields)
    DATETIME = "datetime"  # a moment (created_at, last_order_at, …)
    CHOICE = "choice"


class FieldSource(enum.StrEnum):
    CONTACT = "contact"  # a column of contacts
    CUSTOM = "custom"  # a key of contacts.custom_fields
    METRIC = "metric"  # a column of contact_metrics


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: FieldType
    source: FieldSource
    column: str  # the column (contacts / contact_metrics) or custom-field key
    choices: tuple[str, ...] = ()
    label: str = ""


def _contact(name: str, kind: FieldType, choices: Iterable[str] = ()) -> FieldSpec:
    return FieldSpec(name, kind, FieldSource.CONTACT, name, tuple(choices))


def _metric(name: str, kind: FieldType, column: str | None = None, choices: Iterable[str] = ()) -> FieldSpec:
    return FieldSpec(name, kind, FieldSource.METRIC, column or name, tuple(choices))


BUILTIN_FIELDS: dict[str, FieldSpec] = {f.name: f for f in (
    _contact("external_id", FieldType.TEXT),
    _contact("email", FieldType.TEXT),
    _contact("phone", FieldType.TEXT),
    _contact("first_name", FieldType.TEXT),
    _contact("last_name", FieldType.TEXT),
    _contact("country", FieldType.TEXT),
    _contact("city", FieldType.TEXT),
    _contact("time_zone", FieldType.TEXT),
    _contact("language", FieldType.TEXT),
    _contact("lifecycle_stage", FieldType.CHOICE, [s.value for s in LifecycleStage]),
    _contact("lead_source", FieldType.TEXT),
    _contact("created_at", FieldType.DATETIME),
    _contact("updated_at", FieldType.DATETIME),
    _metric("order_count", FieldType.NUMBER),
    _metric("total_spent", FieldType.NUMBER),
    _metric("avg_order_value", FieldType.NUMBER),
    _metric("first_order", FieldType.DATETIME, "first_order_at"),
    _metric("last_order", FieldType.DATETIME, "last_order_at"),
    _metric("rfm", FieldType.CHOICE, "rfm_group", RFM_GROUPS),
    _metric("rfm_score", FieldType.TEXT),
    _metric("rfm_recency", FieldType.NUMBER),
    _metric("rfm_frequency", FieldType.NUMBER),
    _metric("rfm_monetary", FieldType.NUMBER),
    _metric("lead_score", FieldType.NUMBER),
)}

# Conditions inside orders.count(where …): order columns and line-item columns.
ORDER_FIELDS: dict[str, FieldType] = {
    "amount": FieldType.NUMBER, "currency": FieldType.TEXT, "status": FieldType.TEXT, "channel": FieldType.TEXT,
    "category": FieldType.TEXT, "sku": FieldType.TEXT, "product": FieldType.TEXT, "quantity": FieldType.NUMBER,
    "price": FieldType.NUMBER,
}
ORDER_ITEM_FIELDS = frozenset({"category", "sku", "product", "quantity", "price"})
ORDER_MEASURES = frozenset({"amount"})
# Event conditions name a property (`url`, `plan`) or the event's `source`; property types are free.
EVENT_COLUMNS = frozenset({"source"})

_CUSTOM_TYPES = {
    CustomFieldType.TEXT: FieldType.TEXT, CustomFieldType.NUMBER: FieldType.NUMBER,
    CustomFieldType.BOOLEAN: FieldType.BOOLEAN, CustomFieldType.DATE: FieldType.DATE,
    CustomFieldType.CHOICE: FieldType.CHOICE,
}


@dataclass(frozen=True)
class FieldCatalogue:
    """The fields of one workspace, by name."""

    fields: dict[str, FieldSpec] = field(default_factory=lambda: dict(BUILTIN_FIELDS))

    def get(self, name: str) -> FieldSpec | None:
        return self.fields.get(name)

    def names(self) -> list[str]:
        return sorted(self.fields)


def catalogue_for(definitions: Iterable[CustomFieldDefinition]) -> FieldCatalogue:
    """The catalogue of a workspace with these custom field definitions."""
    fields = dict(BUILTIN_FIELDS)
    for definition in definitions:
        fields[definition.key] = FieldSpec(
            definition.key, _CUSTOM_TYPES[definition.field_type], FieldSource.CUSTOM, definition.key,
            tuple(definition.choices or ()), definition.label)
    return FieldCatalogue(fields)
