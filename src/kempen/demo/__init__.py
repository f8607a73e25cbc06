"""The deterministic demo dataset generator."""
