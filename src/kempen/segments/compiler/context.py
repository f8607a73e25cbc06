"""What compiling one rule needs: the workspace, its fields, the evaluation time and segment lookup."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Exists, Select, bindparam

from kempen.models import Contact
from kempen.segments import rules
from kempen.segments.errors import RuleError
from kempen.segments.fields import FieldCatalogue


@dataclasses.dataclass(frozen=True)
class Context:
    workspace_id: int
    catalogue: FieldCatalogue
    now: datetime
    resolve_segment: Callable[[str], rules.Rule]
    chain: tuple[str, ...] = ()

    def entering(self, segment: str) -> Context:
        """The context inside a referenced segment."""
        return dataclasses.replace(self, chain=(*self.chain, segment))

    def ws(self) -> ColumnElement[Any]:
        """The workspace id as a bound parameter."""
        return bindparam(None, self.workspace_id, type_=BigInteger())


def rule_error(message: str) -> RuleError:
    """A RuleError found while compiling a tree (no position in a text)."""
    return RuleError(message)


def correlated_exists(stmt: Select[Any]) -> Exists:
    """EXISTS over a subquery correlated with the outer `contacts` row only (never with an UPDATE target)."""
    return stmt.correlate(Contact.__table__).exists()
