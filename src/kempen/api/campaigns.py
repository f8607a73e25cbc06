"""Campaigns, messages, variants, send settings and previews."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["campaigns"])
