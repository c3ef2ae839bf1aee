"""JSON documents of the domain's values: the HTTP API's bodies and the stored project state.

The domain is frozen dataclasses; these Pydantic models are their JSON form, with `to_domain()`
(domain validation runs there: `InvalidProject` lists every problem) and `of()` back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from veille_contracts.base import Contract, ProjectId, TenantId, UtcDatetime
from veille_contracts.policy import Policy, WorkingSchedule
from veille_contracts.projects import MilestoneKind, ProjectType, Scope, Stage

from ..domain.model import (
    AppliedMilestone,
    GateSettings,
    Person,
    Prerequisites,
    Project,
    Role,
    StagePlan,
)

C = TypeVar("C", bound=Contract)


def _lax(model: type[C]) -> BeforeValidator:
    # Contracts are strict (a JSON string is a date only when parsed as JSON); FastAPI validates
    # request bodies as Python objects, so parse the contract's dict in lax mode here.
    def parse(value: Any) -> Any:
        return model.model_validate(value, strict=False) if isinstance(value, dict) else value

    return BeforeValidator(parse)


LaxScope = Annotated[Scope, _lax(Scope)]
LaxPolicy = Annotated[Policy, _lax(Policy)]
LaxSchedule = Annotated[WorkingSchedule, _lax(WorkingSchedule)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonDoc(_Doc):
    last_name: Annotated[str, Field(max_length=128)]
    first_name: Annotated[str, Field(max_length=128)]
    email: Annotated[str, Field(max_length=256)]
    role: Role

    def to_domain(self) -> Person:
        return Person(self.last_name, self.first_name, self.email, self.role)

    @classmethod
    def of(cls, p: Person) -> PersonDoc:
        return cls(last_name=p.last_name, first_name=p.first_name, email=p.email, role=p.role)


class PrerequisitesDoc(_Doc):
    selected_pcs: int = Field(description="PCs selected for the project.")
    fleet_total: int = Field(description="Total PCs in the fleet.")
    fleet_desktops: int = Field(description="Desktops (and workstations) in the whole fleet.")
    fleet_laptops: int = Field(description="Laptops in the whole fleet.")
    kwh_cost: float = Field(description="Price of one kWh in `currency`.")
    schedule: LaxSchedule = Field(default_factory=WorkingSchedule)
    country: str = "FR"
    carbon_kg_per_kwh: float | None = Field(default=None, description="None: the country's default.")
    currency: str = "EUR"
    holidays: list[date] | None = Field(default=None, description="None: not collected yet; []: none.")
    people: list[PersonDoc] = Field(default_factory=list)

    def to_domain(self) -> Prerequisites:
        return Prerequisites(
            selected_pcs=self.selected_pcs,
            fleet_total=self.fleet_total,
            fleet_desktops=self.fleet_desktops,
            fleet_laptops=self.fleet_laptops,
            kwh_cost=self.kwh_cost,
            schedule=self.schedule,
            country=self.country,
            carbon_kg_per_kwh=self.carbon_kg_per_kwh,
            currency=self.currency,
            holidays=tuple(self.holidays) if self.holidays is not None else None,
            people=tuple(p.to_domain() for p in self.people),
        )

    @classmethod
    def of(cls, p: Prerequisites) -> PrerequisitesDoc:
        return cls(
            selected_pcs=p.selected_pcs,
            fleet_total=p.fleet_total,
            fleet_desktops=p.fleet_desktops,
            fleet_laptops=p.fleet_laptops,
            kwh_cost=p.kwh_cost,
            schedule=p.schedule,
            country=p.country,
            carbon_kg_per_kwh=p.carbon_kg_per_kwh,
            currency=p.currency,
            holidays=list(p.holidays) if p.holidays is not None else None,
            people=[PersonDoc.of(x) for x in p.people],
        )


class StagePlanDoc(_Doc):
    package_configuration_days: float = 5.0
    deployment_days: float = 14.0
    viewer_days: float = 14.0
    recommendation_days: float = 7.0
    saver_days: float | None = None
    feedback_days: float = 7.0

    def to_domain(self) -> StagePlan:
        return StagePlan(**self.model_dump())

    @classmethod
    def of(cls, p: StagePlan) -> StagePlanDoc:
        return cls(
            package_configuration_days=p.package_configuration_days,
            deployment_days=p.deployment_days,
            viewer_days=p.viewer_days,
            recommendation_days=p.recommendation_days,
            saver_days=p.saver_days,
            feedback_days=p.feedback_days,
        )


class GateSettingsDoc(_Doc):
    deployment_coverage: float = Field(default=0.8, description="Enrolled devices in scope / selected PCs.")
    reporting_fraction: float = Field(
        default=0.5, description="Share of the scope that must report on a day."
    )
    abnormal_below_median: float = 0.5
    representative_days: int = 5

    def to_domain(self) -> GateSettings:
        return GateSettings(**self.model_dump())

    @classmethod
    def of(cls, g: GateSettings) -> GateSettingsDoc:
        return cls(
            deployment_coverage=g.deployment_coverage,
            reporting_fraction=g.reporting_fraction,
            abnormal_below_median=g.abnormal_below_median,
            representative_days=g.representative_days,
        )


class AppliedDoc(_Doc):
    event_id: str
    kind: MilestoneKind
    occurred_at: datetime


class ProjectIn(_Doc):
    """A new project (operators only)."""

    project_id: ProjectId
    tenant_id: TenantId
    name: Annotated[str, Field(max_length=256)]
    project_type: ProjectType = ProjectType.poc
    scope: LaxScope
    prerequisites: PrerequisitesDoc
    plan: StagePlanDoc = Field(default_factory=StagePlanDoc)
    gates: GateSettingsDoc = Field(default_factory=GateSettingsDoc)
    opened_at: UtcDatetime | None = Field(
        default=None, description="Event time the project opens (kickoff starts); default: now."
    )


class ProjectDoc(_Doc):
    """A project and where it stands: the API's view and the stored state."""

    project_id: str
    tenant_id: str
    name: str
    project_type: ProjectType
    scope: LaxScope
    prerequisites: PrerequisitesDoc
    plan: StagePlanDoc
    gates: GateSettingsDoc
    stage: Stage
    stage_entered_at: datetime
    applied: list[AppliedDoc] = Field(default_factory=list)
    approved_policy: LaxPolicy | None = None
    approved_pcs: int | None = None
    overruns_announced: list[Stage] = Field(default_factory=list)
    next_seq: int = 0

    def to_domain(self) -> Project:
        return Project(
            project_id=self.project_id,
            tenant_id=self.tenant_id,
            name=self.name,
            project_type=self.project_type,
            scope=self.scope,
            prerequisites=self.prerequisites.to_domain(),
            stage_entered_at=self.stage_entered_at,
            plan=self.plan.to_domain(),
            gates=self.gates.to_domain(),
            stage=self.stage,
            applied=tuple(AppliedMilestone(a.event_id, a.kind, a.occurred_at) for a in self.applied),
            approved_policy=self.approved_policy,
            approved_pcs=self.approved_pcs,
            overruns_announced=frozenset(self.overruns_announced),
            next_seq=self.next_seq,
        )

    @classmethod
    def of(cls, p: Project) -> ProjectDoc:
        return cls(
            project_id=p.project_id,
            tenant_id=p.tenant_id,
            name=p.name,
            project_type=p.project_type,
            scope=p.scope,
            prerequisites=PrerequisitesDoc.of(p.prerequisites),
            plan=StagePlanDoc.of(p.plan),
            gates=GateSettingsDoc.of(p.gates),
            stage=p.stage,
            stage_entered_at=p.stage_entered_at,
            applied=[
                AppliedDoc(event_id=a.event_id, kind=a.kind, occurred_at=a.occurred_at) for a in p.applied
            ],
            approved_policy=p.approved_policy,
            approved_pcs=p.approved_pcs,
            overruns_announced=sorted(p.overruns_announced, key=list(Stage).index),
            next_seq=p.next_seq,
        )
