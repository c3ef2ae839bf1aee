"""Project membership: which devices of the registry belong to a project's scope.

Membership is derived, not shared (DESIGN.md): every service matches the scope carried in stage
events against the device registry topic. The rule lives here, beside the `Scope` contract, so
that projects, policy and reporting apply exactly the same one. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .projects import Scope

GROUP_SEPARATOR = "/"


class DeviceFacts(Protocol):
    """The facts membership needs; a `veille_contracts.DeviceRecord` satisfies it."""

    @property
    def tenant_id(self) -> str: ...

    @property
    def device_id(self) -> str: ...

    @property
    def group_path(self) -> str: ...


def normalise_group(path: str) -> str:
    # AD OUs are case-insensitive, so 'ACME/Paris' typed by an operator must match the OU
    # 'acme/paris' the agent reported; a trailing separator is noise, not a different group.
    return path.strip(GROUP_SEPARATOR).casefold()


def group_contains(group: str, path: str) -> bool:
    """True if `path` is `group` itself or lies below it, on whole '/' segments.

    'ACME/Paris' contains 'ACME/Paris' and 'ACME/Paris/Finance', not 'ACME/Parisian'.
    """
    prefix = normalise_group(group)
    candidate = normalise_group(path)
    if not prefix:
        return False
    return candidate == prefix or candidate.startswith(prefix + GROUP_SEPARATOR)


@dataclass(frozen=True, slots=True)
class ScopeMatcher:
    """A scope prepared for matching many devices (explicit device lists may hold 100,000 ids)."""

    tenant_id: str
    whole_fleet: bool
    groups: tuple[str, ...]
    devices: frozenset[str]

    @classmethod
    def of(cls, scope: Scope) -> ScopeMatcher:
        groups = tuple(g for g in (normalise_group(g) for g in scope.groups) if g)
        return cls(scope.tenant_id, scope.whole_fleet, groups, frozenset(scope.devices))

    def matches(self, device: DeviceFacts) -> bool:
        if device.tenant_id != self.tenant_id:
            return False
        if self.whole_fleet or device.device_id in self.devices:
            return True
        path = normalise_group(device.group_path)
        return any(path == g or path.startswith(g + GROUP_SEPARATOR) for g in self.groups)


def in_scope(scope: Scope, device: DeviceFacts) -> bool:
    """True if the device belongs to the scope: same tenant, and whole fleet, listed, or in a group."""
    return ScopeMatcher.of(scope).matches(device)
