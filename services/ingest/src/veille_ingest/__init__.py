"""Veille ingest service."""
