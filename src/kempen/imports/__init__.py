"""CSV imports of contacts and orders."""
