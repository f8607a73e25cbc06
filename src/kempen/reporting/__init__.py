"""Reporting: costs and budgets, per campaign/channel/variant/segment figures, exports."""
