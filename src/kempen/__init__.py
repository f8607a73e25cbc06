"""Kempen: self-hosted campaign management."""

__version__ = "0.1.0"
