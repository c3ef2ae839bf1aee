"""Veille agent SDK and fleet simulator."""
