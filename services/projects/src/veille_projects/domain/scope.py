"""Project membership: which devices of the registry belong to a project's scope.

The rule is shared by every service that matches scopes against the device registry (projects,
policy, reporting), so it lives in `veille_contracts.scope`; this module re-exports it.
"""

from __future__ import annotations

from veille_contracts.scope import (
    GROUP_SEPARATOR,
    DeviceFacts,
    ScopeMatcher,
    group_contains,
    in_scope,
    normalise_group,
)

__all__ = ["GROUP_SEPARATOR", "DeviceFacts", "ScopeMatcher", "group_contains", "in_scope", "normalise_group"]
