"""Veille policy service."""
