"""Workspaces, users, roles and API keys."""
