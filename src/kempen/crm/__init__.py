"""Companies, tags, lists, consents, suppressions and custom field definitions."""
