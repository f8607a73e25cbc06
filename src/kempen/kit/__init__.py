"""Leaf helpers that import nothing else of Kempen."""
