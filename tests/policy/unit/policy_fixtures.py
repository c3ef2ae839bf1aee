"""Builders shared by the policy domain tests."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from veille_contracts import Activity, DeviceKind, Policy, PowerTimeouts, SleepBlocker, WorkingSchedule

MONDAY = datetime(2024, 6, 3, tzinfo=UTC)  # a Monday
UTC_SCHEDULE = WorkingSchedule(timezone="UTC", days=[0, 1, 2, 3, 4], start=time(8, 0), end=time(18, 0))


def make_policy(**changes: Any) -> Policy:
    fields: dict[str, Any] = {
        "policy_id": "p-1",
        "name": "Sleep after 15 min",
        "ac": PowerTimeouts(screen_off_min=5, sleep_min=15),
        "battery": PowerTimeouts(screen_off_min=5, sleep_min=10),
    }
    fields.update(changes)
    return Policy.model_validate(fields, strict=False)


def hour_period(
    device_id: str,
    start: datetime,
    *,
    inputs: list[int] | None,
    seconds_on: float = 3600.0,
    seconds_active: float | None = None,
    seconds_asleep: float = 0.0,
    kind: DeviceKind = DeviceKind.desktop,
    blockers: tuple[tuple[str, float], ...] = (),
) -> Activity:
    """One hourly period; seconds_active defaults to 60 s per input minute."""
    seq = int((start - MONDAY).total_seconds() // 3600) + 1000
    active = seconds_active if seconds_active is not None else 60.0 * len(inputs or [])
    return Activity(
        activity_id=f"{device_id}:{seq}",
        tenant_id="acme",
        device_id=device_id,
        device_kind=kind,
        seq=seq,
        period_start=start,
        period_end=start + timedelta(hours=1),
        seconds_on=seconds_on,
        seconds_active=active,
        seconds_asleep=seconds_asleep,
        input_minutes=inputs,
        sleep_blockers=[SleepBlocker(process=p, seconds=s) for p, s in blockers],
    )
