"""Column mapping: header synonyms, custom fields, overrides, and columns nothing reads."""

from __future__ import annotations

import pytest

from kempen.imports.mapping import (
    apply_overrides,
    detect_mapping,
    fold,
    parse_map_options,
    require_identity,
)
from kempen.kit.errors import InvalidInput
from kempen.models import CustomFieldDefinition, CustomFieldType

DEFINITIONS = [
    CustomFieldDefinition(key="shoe_size", label="Shoe size", field_type=CustomFieldType.NUMBER),
    CustomFieldDefinition(key="tier", label="Loyalty Tier", field_type=CustomFieldType.CHOICE, choices=["gold"]),
]


def test_fold_ignores_case_spacing_and_punctuation() -> None:
    assert fold(" E-mail Address ") == fold("email_address") == "emailaddress"


@pytest.mark.parametrize(("header", "field"), [
    ("E-mail", "email"), ("Email Address", "email"), ("EMAIL", "email"),
    ("Mobile", "phone"), ("Phone number", "phone"), ("phone_number", "phone"),
    ("First Name", "first_name"), ("Given name", "first_name"), ("Surname", "last_name"),
    ("Customer ID", "external_id"), ("external_id", "external_id"),
    ("Country", "country"), ("Time zone", "time_zone"), ("tz", "time_zone"),
    ("Stage", "lifecycle_stage"), ("Lifecycle stage", "lifecycle_stage"), ("Tags", "tags"),
    ("shoe_size", "custom_fields.shoe_size"), ("Shoe Size", "custom_fields.shoe_size"),
    ("loyalty-tier", "custom_fields.tier"),
])
def test_contact_headers_are_recognised(header: str, field: str) -> None:
    mapping = detect_mapping([header], DEFINITIONS, "contacts")
    assert mapping.columns == {header: field} and mapping.unmapped == []


@pytest.mark.parametrize(("header", "field"), [
    ("Order ID", "external_id"), ("order_number", "external_id"), ("Customer Email", "contact_email"),
    ("Customer ID", "contact_external_id"), ("Date", "placed_at"), ("placed_at", "placed_at"),
    ("Total", "amount"), ("Amount", "amount"), ("Currency", "currency"), ("Status", "status"),
    ("Channel", "channel"), ("SKU", "item.sku"), ("Product Name", "item.name"), ("Category", "item.category"),
    ("Qty", "item.quantity"), ("Quantity", "item.quantity"), ("Unit price", "item.price"),
])
def test_order_headers_are_recognised(header: str, field: str) -> None:
    assert detect_mapping([header], [], "orders").columns == {header: field}


def test_unknown_and_second_columns_for_a_field_are_reported_unmapped() -> None:
    mapping = detect_mapping(["Email", "E-mail Address", "Notes", "", "Mobile"], DEFINITIONS, "contacts")
    assert mapping.columns == {"Email": "email", "Mobile": "phone"}
    assert mapping.unmapped == ["E-mail Address", "Notes", "(column 4 has no header)"]


def test_custom_fields_are_only_for_contacts() -> None:
    assert detect_mapping(["Shoe size"], DEFINITIONS, "orders").unmapped == ["Shoe size"]


def test_overrides_replace_detection_and_can_ignore_a_column() -> None:
    headers = ["E-mail", "Work mail", "Notes", "Size"]
    detected = detect_mapping(headers, DEFINITIONS, "contacts")
    assert detected.unmapped == ["Work mail", "Notes", "Size"]
    mapping = apply_overrides(detected, {"Work mail": "email", "Notes": "ignore", "Size": "shoe_size"},
                              headers, DEFINITIONS, "contacts")
    assert mapping.columns == {"Work mail": "email", "Notes": "ignore", "Size": "custom_fields.shoe_size"}
    assert mapping.unmapped == ["E-mail"]  # it lost `email` to the explicit choice
    assert mapping.positions(headers) == [(1, "email"), (3, "custom_fields.shoe_size")]


def test_bad_overrides_are_refused_with_a_reason() -> None:
    headers = ["Email", "Phone"]
    detected = detect_mapping(headers, [], "contacts")
    with pytest.raises(InvalidInput, match="does not have"):
        apply_overrides(detected, {"Mail": "email"}, headers, [], "contacts")
    with pytest.raises(InvalidInput, match="unknown field 'shoe'"):
        apply_overrides(detected, {"Phone": "shoe"}, headers, [], "contacts")
    with pytest.raises(InvalidInput, match="both map to email"):
        apply_overrides(detected, {"Email": "email", "Phone": "email"}, headers, [], "contacts")


def test_identity_is_required() -> None:
    headers = ["First name", "City"]
    with pytest.raises(InvalidInput, match="No identity column.*external_id or email or phone"):
        require_identity(detect_mapping(headers, [], "contacts"), headers, "contacts")
    orders = ["Order ID", "Total"]
    with pytest.raises(InvalidInput, match="No identity column"):
        require_identity(detect_mapping(orders, [], "orders"), orders, "orders")
    with pytest.raises(InvalidInput, match="No order id column"):
        require_identity(detect_mapping(["Email"], [], "orders"), ["Email"], "orders")


def test_map_options_parse_column_equals_field() -> None:
    assert parse_map_options(["E-mail Address=email", " Notes = ignore "]) == {
        "E-mail Address": "email", "Notes": "ignore"}
    with pytest.raises(InvalidInput, match="COLUMN=FIELD"):
        parse_map_options(["email"])
