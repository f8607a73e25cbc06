"""Teamwork: tasks and comments on campaigns, @mentions and in-app notifications (issue 7)."""
