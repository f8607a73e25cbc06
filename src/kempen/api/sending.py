"""Launching, pausing, resuming and cancelling campaigns, and their live progress."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["sending"])
