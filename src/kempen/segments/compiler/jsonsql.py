"""Typed reads of one key of a JSON column, the same on PostgreSQL (jsonb) and SQLite (JSON1).

`json_value(column, key, kind)` is the value when the key holds a JSON value of that kind
(string, number or boolean) and NULL otherwise — never a cast error on a free-form property
such as `{"quantity": "two"}`. The key is always a bound parameter.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Boolean, Float, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

JsonKind = Literal["text", "number", "boolean", "any"]
_TYPES: dict[str, TypeEngine[Any]] = {"text": String(), "number": Float(), "boolean": Boolean(), "any": String()}
# What each database's type function calls a value of each kind.
_PG_KINDS = {"text": "'string'", "number": "'number'", "boolean": "'boolean'"}
_SQLITE_KINDS = {"text": "('text')", "number": "('integer', 'real')", "boolean": "('true', 'false')"}


class json_value(FunctionElement[Any]):  # noqa: N801 - reads like the SQL function it renders
    """The value of `key` in a JSON column when it has the given kind, else NULL ("any": present and not null)."""

    inherit_cache = True
    name = "json_value"

    def __init__(self, column: ColumnElement[Any], key: str, kind: JsonKind) -> None:
        self.kind = kind
        self.type = _TYPES[kind]
        super().__init__(column, bindparam(None, key, type_=String()))

    def _gen_cache_key(self, anon_map: Any, bindparams: Any) -> Any:
        return (super()._gen_cache_key(anon_map, bindparams), self.kind)


def _parts(element: json_value, compiler: Any, **kw: Any) -> tuple[str, str]:
    column, key = list(element.clauses)
    return compiler.process(column, **kw), compiler.process(key, **kw)


@compiles(json_value, "postgresql")
def _pg(element: json_value, compiler: Any, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    node = f"({column} -> CAST({key} AS TEXT))"
    text = f"({column} ->> CAST({key} AS TEXT))"
    if element.kind == "any":
        return f"CASE WHEN jsonb_typeof({node}) <> 'null' THEN 'set' END"
    value = {"text": text, "number": f"CAST({text} AS DOUBLE PRECISION)", "boolean": f"CAST({text} AS BOOLEAN)"}
    return f"CASE WHEN jsonb_typeof({node}) = {_PG_KINDS[element.kind]} THEN {value[element.kind]} END"


@compiles(json_value, "sqlite")
def _sqlite(element: json_value, compiler: Any, **kw: Any) -> str:
    column, key = _parts(element, compiler, **kw)
    # SQLite paths quote the label: $."key" (keys holding a double quote are refused by the compiler).
    path = f"('$.\"' || {key} || '\"')"
    if element.kind == "any":
        return f"CASE WHEN json_type({column}, {path}) <> 'null' THEN 'set' END"
    # json_extract gives booleans as 1/0, which compare with bound True/False.
    return f"CASE WHEN json_type({column}, {path}) IN {_SQLITE_KINDS[element.kind]} THEN json_extract({column}, {path}) END"
