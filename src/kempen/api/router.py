"""All API routes, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from kempen.api import accounts, contacts, crm, imports, ingest, segments, webhooks

api_router = APIRouter(prefix="/api/v1")
for module in (accounts, contacts, crm, ingest, imports, segments, webhooks):
    api_router.include_router(module.router)
