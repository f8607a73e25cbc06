"""The REST API under /api/v1: thin routes that parse input, call services and shape output."""
