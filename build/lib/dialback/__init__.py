"""Dialback: no call and no lead lost."""

__version__ = "0.1.0"
