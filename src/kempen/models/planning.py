"""planning models (issue 7: objectives and programmes); see the module docstrings of the services."""

from __future__ import annotations

__all__: list[str] = []
