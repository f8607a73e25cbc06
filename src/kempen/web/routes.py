"""Web UI routes (placeholder until the UI lands)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse


def mount_web(app: FastAPI) -> None:
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login() -> str:
        return "<html><body><h1>Kempen</h1></body></html>"
