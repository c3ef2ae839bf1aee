"""Project lifecycle contracts: milestones in, stage changes out."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .agent import GroupPath
from .base import Contract, DeviceId, EventId, LongText, ProjectId, ShortText, TenantId, UtcDatetime
from .policy import Policy, WorkingSchedule


class Stage(StrEnum):
    kickoff = "kickoff"
    package_configuration = "package_configuration"
    deployment = "deployment"
    viewer = "viewer"
    recommendation = "recommendation"
    saver = "saver"
    feedback = "feedback"
    closed = "closed"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)


class MilestoneKind(StrEnum):
    """A milestone ends the stage it names and moves the project to the next one."""

    kickoff_held = "kickoff_held"
    package_configured = "package_configured"
    deployment_completed = "deployment_completed"
    viewer_completed = "viewer_completed"
    policies_approved = "policies_approved"
    saver_completed = "saver_completed"
    feedback_delivered = "feedback_delivered"


class ProjectType(StrEnum):
    poc = "poc"
    rollout = "rollout"


class Scope(Contract):
    """Which devices belong to a project: a tenant's whole fleet, groups (by path prefix) or devices."""

    tenant_id: TenantId
    whole_fleet: bool = False
    groups: list[GroupPath] = Field(default_factory=list, max_length=1000)
    devices: list[DeviceId] = Field(default_factory=list, max_length=100_000)

    @model_validator(mode="after")
    def _something_selected(self) -> Scope:
        if not (self.whole_fleet or self.groups or self.devices):
            raise ValueError("scope selects nothing: set whole_fleet, groups or devices")
        return self


class Milestone(Contract):
    schema_version: Literal[1] = 1
    event_id: EventId
    project_id: ProjectId
    kind: MilestoneKind
    occurred_at: UtcDatetime
    actor: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    override_reason: LongText | None = Field(
        default=None, description="Set to move on although the gate does not hold; recorded."
    )
    recommendation_id: EventId | None = None
    approved_policy: Policy | None = None
    approved_pcs: int | None = Field(default=None, ge=1)
    note: LongText | None = None


class ProjectSummary(Contract):
    project_id: ProjectId
    tenant_id: TenantId
    name: ShortText
    project_type: ProjectType
    scope: Scope
    selected_pcs: int = Field(ge=1)
    fleet_total: int = Field(ge=1)
    fleet_desktops: int = Field(ge=0)
    fleet_laptops: int = Field(ge=0)
    kwh_cost: float = Field(ge=0, description="Price of one kWh, in currency.")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    carbon_kg_per_kwh: float = Field(ge=0, le=2)
    schedule: WorkingSchedule
    holidays: list[date] = Field(default_factory=list, max_length=400)
    approved_policy: Policy | None = None
    approved_pcs: int | None = None


class StageChangeKind(StrEnum):
    transition = "transition"
    overrun = "overrun"


class StageChange(Contract):
    """A project entered a stage (transition) or outlived its plan (overrun)."""

    schema_version: Literal[1] = 1
    event_id: EventId
    project_id: ProjectId
    tenant_id: TenantId
    seq: int = Field(ge=0, description="Per-project sequence of stage events.")
    kind: StageChangeKind
    from_stage: Stage | None
    to_stage: Stage
    effective_at: UtcDatetime
    reason: LongText
    actor: ShortText | None = None
    overridden: bool = False
    override_reason: LongText | None = None
    planned_days: float | None = Field(
        default=None, description="Planned duration of the stage the event is about."
    )
    actual_days: float | None = Field(
        default=None, description="Actual duration of the stage left (or overrun)."
    )
    project: ProjectSummary
