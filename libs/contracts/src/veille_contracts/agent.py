"""What agents publish: inventory (device facts) and heartbeats (one reporting period)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Protocol

from pydantic import Field, StringConstraints, model_validator

from .base import Contract, DeviceId, ShortText, TenantId, UtcDatetime

PERIOD_MIN_SECONDS = 60
PERIOD_MAX_SECONDS = 3600
# Agents round their counters; a second of slack keeps honest agents out of the dead letters.
SECONDS_TOLERANCE = 1.0


class DeviceKind(StrEnum):
    desktop = "desktop"
    laptop = "laptop"
    workstation = "workstation"


class PowerSource(StrEnum):
    ac = "ac"
    battery = "battery"
    unknown = "unknown"


GroupPath = Annotated[
    str,
    StringConstraints(min_length=1, max_length=512, pattern=r"^[^\x00-\x1f]+$"),
    Field(description="AD OU or custom group, '/'-separated from the root, e.g. 'ACME/Paris/Finance'."),
]
TimeoutSeconds = Annotated[
    int | None,
    Field(ge=0, le=7 * 24 * 3600, description="OS timeout in seconds; 0 means never; null if unknown."),
]


class Inventory(Contract):
    """Facts about one device, sent at enrolment and whenever they change."""

    schema_version: Literal[1] = 1
    tenant_id: TenantId
    device_id: DeviceId
    observed_at: UtcDatetime
    hostname: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    kind: DeviceKind
    manufacturer: ShortText | None = None
    model: ShortText | None = None
    os: ShortText = Field(description="OS name and version, e.g. 'Windows 11 23H2'.")
    monitors: int = Field(ge=0, le=16, description="External monitors attached.")
    group_path: GroupPath
    site: ShortText | None = None
    sleep_timeout_ac_s: TimeoutSeconds = None
    sleep_timeout_dc_s: TimeoutSeconds = None
    screen_timeout_ac_s: TimeoutSeconds = None
    screen_timeout_dc_s: TimeoutSeconds = None
    agent_version: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    agent_manager_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description="The agent manager that relays this device's directives."
    )


class BlockerFigures(Protocol):
    @property
    def process(self) -> str: ...
    @property
    def seconds(self) -> float: ...


class HeartbeatFigures(Protocol):
    """What the heartbeat's cross-field rule reads: a `Heartbeat`, or a faster decoder's equivalent."""

    @property
    def period_start(self) -> datetime: ...
    @property
    def period_end(self) -> datetime: ...
    @property
    def seconds_on(self) -> float: ...
    @property
    def seconds_active(self) -> float: ...
    @property
    def seconds_asleep(self) -> float: ...
    @property
    def last_input_at(self) -> datetime | None: ...
    @property
    def sleep_blockers(self) -> Sequence[BlockerFigures]: ...
    @property
    def input_minutes(self) -> Sequence[int] | None: ...


def period_problem(hb: HeartbeatFigures) -> str | None:
    """What makes a heartbeat's figures inconsistent with its period, or None.

    The heartbeat's cross-field rule, as a plain function so that a faster decoder of the same
    contract (ingest's) applies the very same rule.
    """
    period = (hb.period_end - hb.period_start).total_seconds()
    if not PERIOD_MIN_SECONDS <= period <= PERIOD_MAX_SECONDS:
        return f"period must last {PERIOD_MIN_SECONDS}-{PERIOD_MAX_SECONDS} s, got {period:g} s"
    if hb.seconds_active > hb.seconds_on + SECONDS_TOLERANCE:
        return "seconds_active exceeds seconds_on"
    if hb.seconds_on + hb.seconds_asleep > period + SECONDS_TOLERANCE:
        return "seconds_on + seconds_asleep exceeds the period"
    if hb.last_input_at is not None and hb.last_input_at > hb.period_end:
        return "last_input_at is after period_end"
    for blocker in hb.sleep_blockers:
        if blocker.seconds > period + SECONDS_TOLERANCE:
            return f"sleep blocker {blocker.process!r} exceeds the period"
    minutes = hb.input_minutes
    if minutes:
        if max(minutes) >= period // 60:
            return "input_minutes has a minute outside the period"
        if len(set(minutes)) != len(minutes):
            return "input_minutes has duplicates"
    return None


class SleepBlocker(Contract):
    """A process that held the PC awake during the period (a power request / wake lock)."""

    process: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    seconds: float = Field(ge=0, le=PERIOD_MAX_SECONDS)


class Heartbeat(Contract):
    """One reporting period of one device: the wire format of every agent, ours or third-party.

    Seconds not accounted for as on or asleep are off (or the agent was not running).
    """

    schema_version: Literal[1] = 1
    tenant_id: TenantId
    device_id: DeviceId
    seq: int = Field(
        ge=0, le=2**62, description="Monotonic per device; (device_id, seq) is the idempotency key."
    )
    period_start: UtcDatetime
    period_end: UtcDatetime
    seconds_on: float = Field(ge=0, le=PERIOD_MAX_SECONDS, description="Powered on and awake.")
    seconds_active: float = Field(ge=0, le=PERIOD_MAX_SECONDS, description="On with user input (in use).")
    seconds_asleep: float = Field(ge=0, le=PERIOD_MAX_SECONDS, description="Asleep or hibernating.")
    last_input_at: UtcDatetime | None = None
    power_source: PowerSource = PowerSource.unknown
    battery_percent: float | None = Field(default=None, ge=0, le=100)
    policy_version: Annotated[str, StringConstraints(max_length=128)] | None = Field(
        default=None, description="Version of the directive the agent enforces (null: none received yet)."
    )
    sleep_blockers: list[SleepBlocker] = Field(default_factory=list, max_length=50)
    input_minutes: list[Annotated[int, Field(ge=0, le=59)]] | None = Field(
        default=None,
        max_length=60,
        description=(
            "Minute offsets from period_start in which the user gave input. Optional; when given, "
            "policy recommendations replay idle timeouts minute by minute."
        ),
    )

    @property
    def period_seconds(self) -> float:
        return (self.period_end - self.period_start).total_seconds()

    @model_validator(mode="after")
    def _consistent_period(self) -> Heartbeat:
        problem = period_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self
