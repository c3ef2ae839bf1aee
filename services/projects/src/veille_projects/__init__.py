"""Veille projects service."""
