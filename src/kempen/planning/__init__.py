"""Planning: SMART objectives, programmes, budgets per channel and month, and the calendar (issue 7)."""
