"""Group paths ('ACME/Paris/Finance'): the same matching rule as project scopes use (shared)."""

from __future__ import annotations

from veille_contracts.scope import GROUP_SEPARATOR, group_contains, normalise_group

__all__ = ["GROUP_SEPARATOR", "group_contains", "normalise_group"]
