"""Row ids: 64-bit integers on both databases."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**63 - 1

# An id as it may appear in input; anything outside is refused before it reaches the database.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
