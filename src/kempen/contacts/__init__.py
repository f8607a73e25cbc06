"""Contacts: the CRM core, with identity matching, custom fields and merges."""
