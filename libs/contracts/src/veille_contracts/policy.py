"""What the policy service publishes: directives to agents and recommendations to projects."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, StringConstraints, field_validator, model_validator

from .agent import GroupPath
from .base import Contract, DeviceId, EventId, LongText, ProjectId, ShortText, TenantId, UtcDatetime

Minutes = Annotated[int, Field(ge=1, le=24 * 60)]


class PowerTimeouts(Contract):
    """Idle timeouts for one power source; null means never."""

    screen_off_min: Minutes | None = None
    sleep_min: Minutes | None = None
    hibernate_min: Minutes | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PowerTimeouts:
        if self.screen_off_min and self.sleep_min and self.sleep_min < self.screen_off_min:
            raise ValueError("sleep_min must not come before screen_off_min")
        if self.sleep_min and self.hibernate_min and self.hibernate_min < self.sleep_min:
            raise ValueError("hibernate_min must not come before sleep_min")
        return self


class WorkingSchedule(Contract):
    """The organisation's working hours, in its own time zone."""

    timezone: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "Europe/Paris"
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], min_length=1, max_length=7, description="0 = Monday."
    )
    start: time = time(8, 0)
    end: time = time(19, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _sane(self) -> WorkingSchedule:
        if len(set(self.days)) != len(self.days):
            raise ValueError("days has duplicates")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class NightShutdown(Contract):
    """Shut down PCs left idle outside working hours, with a warning the user may postpone."""

    at: time = Field(description="Local time after which idle PCs are shut down.")
    idle_min: Minutes = 30
    warning_min: int = Field(default=5, ge=0, le=60)
    max_postpone_min: int = Field(default=60, ge=0, le=240)


class WakeUp(Contract):
    """Wake PCs before working hours so that updates and logons do not wait for boot."""

    minutes_before_start: int = Field(default=15, ge=0, le=180)


class PolicyExceptions(Contract):
    exempt_groups: list[GroupPath] = Field(default_factory=list, max_length=200)
    allowed_processes: list[Annotated[str, StringConstraints(min_length=1, max_length=256)]] = Field(
        default_factory=list, max_length=200, description="Processes allowed to keep a PC awake."
    )


class Policy(Contract):
    """What an agent enforces in Saver mode."""

    policy_id: EventId
    name: ShortText
    ac: PowerTimeouts
    battery: PowerTimeouts
    schedule: WorkingSchedule | None = None
    night_shutdown: NightShutdown | None = None
    wake_up: WakeUp | None = None
    exceptions: PolicyExceptions = Field(default_factory=PolicyExceptions)
    anti_insomnia: bool = Field(
        default=True, description="Ignore sleep blockers of processes not in exceptions.allowed_processes."
    )

    @model_validator(mode="after")
    def _schedule_rules(self) -> Policy:
        if (self.night_shutdown or self.wake_up) and self.schedule is None:
            raise ValueError("night_shutdown and wake_up need a working schedule")
        if (
            self.night_shutdown
            and self.schedule
            and self.schedule.start <= self.night_shutdown.at < self.schedule.end
        ):
            raise ValueError("night_shutdown.at falls inside working hours")
        return self


class DirectiveMode(StrEnum):
    viewer = "viewer"
    saver = "saver"


class Directive(Contract):
    """The mode and policy one agent must enforce (keyed by device_id)."""

    schema_version: Literal[1] = 1
    directive_id: EventId = Field(description="Stable: the same decision always has the same id.")
    tenant_id: TenantId
    device_id: DeviceId
    project_id: ProjectId | None = None
    mode: DirectiveMode
    policy: Policy | None = None
    version: Annotated[str, StringConstraints(min_length=1, max_length=128)] = Field(
        description="Echoed by the agent in heartbeats as policy_version once enforced."
    )
    reason: LongText
    issued_at: UtcDatetime

    @model_validator(mode="after")
    def _policy_matches_mode(self) -> Directive:
        if self.mode is DirectiveMode.saver and self.policy is None:
            raise ValueError("a saver directive needs a policy")
        if self.mode is DirectiveMode.viewer and self.policy is not None:
            raise ValueError("a viewer directive carries no policy")
        return self


class CandidateOutcome(Contract):
    """One candidate policy replayed on the Viewer data of a project."""

    policy: Policy
    devices: int = Field(ge=0)
    kwh_baseline: float = Field(ge=0, description="Energy measured over the Viewer window.")
    kwh_with_policy: float = Field(ge=0, description="Energy the same activity would have used.")
    kwh_saved: float
    saved_pct: float
    kwh_saved_per_device_year: float
    disruptions_per_device_week: float = Field(
        ge=0, description="Times a user would have come back to a sleeping or shut-down PC."
    )
    on_pareto_front: bool


class Recommendation(Contract):
    schema_version: Literal[1] = 1
    recommendation_id: EventId
    project_id: ProjectId
    tenant_id: TenantId
    computed_at: UtcDatetime
    window_start: UtcDatetime
    window_end: UtcDatetime
    devices: int = Field(ge=0)
    device_days: int = Field(ge=0)
    candidates: list[CandidateOutcome] = Field(max_length=500)
    recommended_policy_id: EventId | None
    rationale: LongText
