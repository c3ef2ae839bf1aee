"""Project membership: tenant first, then whole fleet, listed devices, or group path prefix."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from veille_contracts.agent import DeviceKind
from veille_contracts.fleet import DeviceRecord
from veille_contracts.projects import Scope
from veille_projects.domain.scope import ScopeMatcher, group_contains, in_scope


@dataclass(frozen=True)
class Device:
    tenant_id: str
    device_id: str
    group_path: str


@pytest.mark.parametrize(
    ("group", "path", "expected"),
    [
        ("ACME/Paris", "ACME/Paris", True),  # the group itself
        ("ACME/Paris", "ACME/Paris/Finance", True),  # below it
        ("ACME/Paris", "ACME/Paris/Finance/Audit", True),  # far below it
        ("ACME/Paris", "ACME/Parisian", False),  # shares letters, not a segment
        ("ACME/Paris", "ACME/Parisian/Finance", False),
        ("ACME/Paris", "ACME", False),  # the parent is not inside the child
        ("ACME/Paris/Finance", "ACME/Paris", False),
        ("ACME/Paris", "ACME/Lyon", False),
        ("ACME/Paris", "OTHER/ACME/Paris", False),  # prefix means from the root
        ("ACME", "ACME/Paris", True),
        ("ACME/Paris/", "ACME/Paris/Finance", True),  # trailing separator is noise
        ("ACME/Paris", "ACME/Paris/", True),
        ("acme/paris", "ACME/Paris/Finance", True),  # AD OUs are case-insensitive
        ("/", "ACME/Paris", False),  # an empty group selects nothing, not everything
    ],
)
def test_group_contains_on_whole_segments(group: str, path: str, expected: bool) -> None:
    assert group_contains(group, path) is expected
    scope = Scope(tenant_id="acme", groups=[group])
    assert in_scope(scope, Device("acme", "pc-1", path)) is expected


@pytest.mark.parametrize(
    ("scope", "device", "expected"),
    [
        (Scope(tenant_id="acme", whole_fleet=True), Device("acme", "pc-1", "X/Y"), True),
        (Scope(tenant_id="acme", whole_fleet=True), Device("globex", "pc-1", "X/Y"), False),
        (Scope(tenant_id="acme", devices=["pc-1"]), Device("acme", "pc-1", "ACME/Lyon"), True),
        (Scope(tenant_id="acme", devices=["pc-1"]), Device("acme", "pc-2", "ACME/Lyon"), False),
        (Scope(tenant_id="acme", devices=["pc-1"]), Device("globex", "pc-1", "ACME/Lyon"), False),
        (Scope(tenant_id="acme", groups=["ACME/Paris"]), Device("globex", "pc-1", "ACME/Paris"), False),
        # groups and devices add up: a listed device outside the groups is in
        (Scope(tenant_id="acme", groups=["ACME/Paris"], devices=["pc-9"]), Device("acme", "pc-9", "B"), True),
        (
            Scope(tenant_id="acme", groups=["ACME/Lyon", "ACME/Paris"]),
            Device("acme", "p", "ACME/Paris/F"),
            True,
        ),
        (
            Scope(tenant_id="acme", groups=["ACME/Lyon", "ACME/Nice"]),
            Device("acme", "p", "ACME/Paris/F"),
            False,
        ),
    ],
)
def test_in_scope_tenant_whole_fleet_devices_and_groups(scope: Scope, device: Device, expected: bool) -> None:
    assert in_scope(scope, device) is expected


def test_in_scope_accepts_a_registry_device_record() -> None:
    at = datetime(2025, 3, 3, tzinfo=UTC)
    record = DeviceRecord(
        tenant_id="acme",
        device_id="pc-42",
        hostname="PC-42",
        kind=DeviceKind.laptop,
        os="Windows 11",
        monitors=1,
        group_path="ACME/Paris/Finance",
        agent_version="1.0.0",
        agent_manager_id="am-1",
        first_seen=at,
        last_seen=at,
    )
    assert in_scope(Scope(tenant_id="acme", groups=["ACME/Paris"]), record)
    assert not in_scope(Scope(tenant_id="acme", groups=["ACME/Parisian"]), record)


def test_matcher_agrees_with_a_segment_by_segment_definition() -> None:
    # Reference definition: the group's segments are the first segments of the path.
    rng = random.Random(4)
    segments = ["ACME", "Paris", "Parisian", "Finance", "IT", "Lyon"]
    for _ in range(2000):
        group = "/".join(rng.choice(segments) for _ in range(rng.randint(1, 3)))
        path = "/".join(rng.choice(segments) for _ in range(rng.randint(1, 4)))
        expected = path.split("/")[: len(group.split("/"))] == group.split("/")
        matcher = ScopeMatcher.of(Scope(tenant_id="acme", groups=[group]))
        assert matcher.matches(Device("acme", "pc", path)) is expected, (group, path)
        assert matcher.matches(Device("other", "pc", path)) is False
