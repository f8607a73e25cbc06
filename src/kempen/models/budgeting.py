"""budgeting models (issue 7); see the module docstrings of the services."""

from __future__ import annotations

__all__: list[str] = []
