"""Group paths ('ACME/Paris/Finance'): the same matching rule as project scopes use."""

from __future__ import annotations

GROUP_SEPARATOR = "/"


def normalise_group(path: str) -> str:
    # AD OUs are case-insensitive, and a leading or trailing separator is noise, not a new group.
    return path.strip(GROUP_SEPARATOR).casefold()


def group_contains(group: str, path: str) -> bool:
    """True if `path` is `group` or lies below it, on whole segments ('ACME/Paris' ∌ 'ACME/Parisian')."""
    prefix = normalise_group(group)
    candidate = normalise_group(path)
    if not prefix:
        return False
    return candidate == prefix or candidate.startswith(prefix + GROUP_SEPARATOR)
