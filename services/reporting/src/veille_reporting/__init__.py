"""Veille reporting service."""
