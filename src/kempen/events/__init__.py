"""Behavioural events, ingested in idempotent batches."""
