"""The built-in SMTP sink's inbox: the emails the embedded setup caught, rendered."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
