"""The built-in SMTP sink's inbox (embedded setup)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["mail sink"])
