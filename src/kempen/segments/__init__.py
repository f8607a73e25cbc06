"""Segmentation: a rule language for marketers, compiled to one SQL query per rule."""
