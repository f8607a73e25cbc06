"""All API routes, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from kempen.api import (
    accounts,
    attribution,
    audit,
    brand,
    budgeting,
    calendar,
    campaigns,
    contacts,
    content_blocks,
    conversions,
    crm,
    experiments,
    imports,
    ingest,
    mailsink,
    planning,
    reports,
    segments,
    sending,
    stats,
    teamwork,
    tracking,
    webhooks,
)

api_router = APIRouter(prefix="/api/v1")
for module in (accounts, contacts, crm, ingest, imports, segments, webhooks, campaigns, sending, mailsink,
               tracking, conversions, attribution, reports, stats, experiments, budgeting, calendar, teamwork,
               audit, planning, brand, content_blocks):
    api_router.include_router(module.router)
