"""User-written templates: a sandboxed Jinja2, contact contexts and email rendering."""
