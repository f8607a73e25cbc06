"""Segment routes (placeholder until the segment service lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
