"""Orders: purchase history, ingested one by one or in batches."""
