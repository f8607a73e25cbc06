"""Experiments: A/B analysis of a campaign's variants and the workspace's universal holdout.

Sufficient statistics (recipients, successes, revenue sums and sums of squares) are computed in SQL
here; the statistics themselves are `kempen.stats` (pure). Reporting shows the results, and the
delivery engine's automatic winner (delivery/winner.py) acts on them.
"""
