"""Public unsubscribe pages (signed links from emails; RFC 8058 one-click POST)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
