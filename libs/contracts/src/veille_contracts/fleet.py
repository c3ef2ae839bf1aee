"""What ingest publishes: the device registry and validated activity."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from .agent import (
    PERIOD_MAX_SECONDS,
    DeviceKind,
    GroupPath,
    PowerSource,
    SleepBlocker,
    TimeoutSeconds,
)
from .base import Contract, DeviceId, EventId, ShortText, TenantId, UtcDatetime


class DeviceRecord(Contract):
    """Latest known facts of one enrolled device (value of the compacted registry topic)."""

    schema_version: Literal[1] = 1
    tenant_id: TenantId
    device_id: DeviceId
    hostname: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    kind: DeviceKind
    manufacturer: ShortText | None = None
    model: ShortText | None = None
    os: ShortText
    monitors: int = Field(ge=0, le=16)
    group_path: GroupPath
    site: ShortText | None = None
    sleep_timeout_ac_s: TimeoutSeconds = None
    sleep_timeout_dc_s: TimeoutSeconds = None
    screen_timeout_ac_s: TimeoutSeconds = None
    screen_timeout_dc_s: TimeoutSeconds = None
    agent_version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    agent_manager_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    first_seen: UtcDatetime
    last_seen: UtcDatetime


class Activity(Contract):
    """Validated, de-duplicated activity of one device over one reporting period."""

    schema_version: Literal[1] = 1
    activity_id: EventId = Field(
        description="'<device_id>:<seq>': the same heartbeat always gives the same id."
    )
    tenant_id: TenantId
    device_id: DeviceId
    device_kind: DeviceKind
    seq: int = Field(ge=0)
    period_start: UtcDatetime
    period_end: UtcDatetime
    seconds_on: float = Field(ge=0, le=PERIOD_MAX_SECONDS)
    seconds_active: float = Field(ge=0, le=PERIOD_MAX_SECONDS)
    seconds_asleep: float = Field(ge=0, le=PERIOD_MAX_SECONDS)
    power_source: PowerSource = PowerSource.unknown
    policy_version: Annotated[str, StringConstraints(max_length=128)] | None = None
    sleep_blockers: list[SleepBlocker] = Field(default_factory=list, max_length=50)
    input_minutes: list[Annotated[int, Field(ge=0, le=59)]] | None = Field(default=None, max_length=60)


def activity_id(device_id: str, seq: int) -> str:
    return f"{device_id}:{seq}"
