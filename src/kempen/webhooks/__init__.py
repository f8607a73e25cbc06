"""Outbound webhooks: signed notifications of contact and order changes."""
