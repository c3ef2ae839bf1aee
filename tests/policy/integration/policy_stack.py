"""Builders and waits shared by policy's tests on the real broker and database."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

import asyncpg
from veille_contracts import (
    Activity,
    DeviceKind,
    DeviceRecord,
    Policy,
    PowerTimeouts,
    ProjectSummary,
    Scope,
    StageChange,
    WorkingSchedule,
)
from veille_contracts.projects import ProjectType, Stage, StageChangeKind

T0 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday, 00:00 UTC
SCHEDULE = WorkingSchedule(timezone="UTC", start=dtime(8, 0), end=dtime(18, 0))
SAVER_POLICY = Policy(
    policy_id="acme-sleep-15",
    name="Sleep after 15 min",
    ac=PowerTimeouts(screen_off_min=5, sleep_min=15),
    battery=PowerTimeouts(screen_off_min=5, sleep_min=10),
)


def device(
    device_id: str, kind: DeviceKind, group: str, tenant: str = "acme", at: datetime = T0
) -> DeviceRecord:
    return DeviceRecord(
        tenant_id=tenant,
        device_id=device_id,
        hostname=f"{device_id}.local",
        kind=kind,
        os="Windows 11",
        monitors=1 if kind is DeviceKind.desktop else 0,
        group_path=group,
        agent_version="1.0.0",
        agent_manager_id="am-1",
        first_seen=at,
        last_seen=at,
    )


def summary(project_id: str, scope: Scope, **changes: Any) -> ProjectSummary:
    fields: dict[str, Any] = {
        "project_id": project_id,
        "tenant_id": scope.tenant_id,
        "name": f"Project {project_id}",
        "project_type": ProjectType.poc,
        "scope": scope,
        "selected_pcs": 10,
        "fleet_total": 100,
        "fleet_desktops": 60,
        "fleet_laptops": 40,
        "kwh_cost": 0.2,
        "carbon_kg_per_kwh": 0.05,
        "schedule": SCHEDULE,
    }
    fields.update(changes)
    return ProjectSummary(**fields)


def stage(
    project: ProjectSummary,
    seq: int,
    to: Stage,
    at: datetime,
    from_: Stage | None = None,
    kind: StageChangeKind = StageChangeKind.transition,
) -> StageChange:
    return StageChange(
        event_id=f"{project.project_id}:stage:{seq}",
        project_id=project.project_id,
        tenant_id=project.tenant_id,
        seq=seq,
        kind=kind,
        from_stage=from_,
        to_stage=to,
        effective_at=at,
        reason="test",
        project=project,
    )


def activity(
    device_id: str,
    seq: int,
    start: datetime,
    minutes: int = 5,
    *,
    version: str | None = None,
    kind: DeviceKind = DeviceKind.desktop,
    on: float | None = None,
    inputs: list[int] | None = None,
) -> Activity:
    seconds_on = minutes * 60.0 if on is None else on
    active = 60.0 * len(inputs) if inputs is not None else 0.0
    return Activity(
        activity_id=f"{device_id}:{seq}",
        tenant_id="acme",
        device_id=device_id,
        device_kind=kind,
        seq=seq,
        period_start=start,
        period_end=start + timedelta(minutes=minutes),
        seconds_on=seconds_on,
        seconds_active=active,
        seconds_asleep=0.0,
        policy_version=version,
        input_minutes=inputs,
    )


def keyed(message: DeviceRecord | StageChange | Activity) -> tuple[bytes, bytes]:
    key = message.project_id if isinstance(message, StageChange) else message.device_id
    return key.encode(), message.to_json_bytes()


async def wait_value(dsn: str, sql: str, expected: Any, timeout_s: float = 60) -> Any:
    """Poll `sql` (one value) until it equals `expected`; return the last value."""
    deadline = time.monotonic() + timeout_s
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            value = await conn.fetchval(sql)
            if value == expected or time.monotonic() > deadline:
                return value
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
