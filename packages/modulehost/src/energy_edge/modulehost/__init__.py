"""Module host (see README)."""
