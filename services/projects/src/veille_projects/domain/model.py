"""The customer project: its prerequisites, people, plan and where it stands.

Everything here is pure: frozen values validated on construction, with every problem listed in
one `InvalidProject` error so that an operator fixes a form in one go rather than field by field.

Which prerequisites are required when, and why
----------------------------------------------
Every stage event carries a `ProjectSummary`, including the one that opens the project, and the
summary needs the sizing facts (PCs selected, fleet size and its desktop/laptop split, kWh cost,
carbon factor, working schedule). Those are therefore required when a project is created. The
rest is collected during the kickoff stage and checked by the gate of `package_configured`
("configuration needs complete prerequisites"): the people who need access (at least one) and
the organisation's holidays (`None` = not asked yet, `()` = asked, there are none).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from veille_contracts.base import ID_PATTERN, PROJECT_ID_MAX, TENANT_ID_MAX
from veille_contracts.policy import Policy, WorkingSchedule
from veille_contracts.projects import MilestoneKind, ProjectType, Scope, Stage

# --- plausibility bounds --------------------------------------------------------------------

# Retail electricity in Europe ranged ~0.10-0.60 EUR/kWh in 2022-2024; above 2 per kWh is a typo
# (a price per MWh, or in cents) rather than a tariff.
KWH_COST_MAX = 2.0
# The most carbon-intensive grids (lignite-heavy) emit ~1.1-1.2 kg/kWh; the contract caps at 2.
CARBON_KG_PER_KWH_MAX = 1.5
# ProjectSummary.holidays holds at most 400 dates.
HOLIDAYS_MAX = 400

# Default carbon factor of grid electricity, kg CO2e per kWh, by ISO country code (or "EU").
# FR: ~52 g/kWh in 2021 — SDES (Chiffres clés de l'énergie) / IEA, location-based.
# EU: ~260 g/kWh, EU-27 average — EEA, "Greenhouse gas emission intensity of electricity
#     generation" (2021 data).
# Any other country must be given explicitly: a wrong default would skew every CO2 figure.
DEFAULT_CARBON_KG_PER_KWH: dict[str, float] = {"FR": 0.052, "EU": 0.26}

_ID = re.compile(ID_PATTERN)
# Deliberately loose (RFC 5322 is not worth implementing here): one '@', a dot in the domain,
# no spaces. It catches the typos that matter: missing '@', missing domain, stray spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class InvalidProject(ValueError):
    """A project, its prerequisites or a person failed validation; `problems` lists every reason."""

    def __init__(self, problems: list[str] | tuple[str, ...]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__("; ".join(self.problems))


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise InvalidProject(problems)


def default_carbon_factor(country: str) -> float:
    """Default kg CO2e per kWh for a country code (see DEFAULT_CARBON_KG_PER_KWH for sources)."""
    try:
        return DEFAULT_CARBON_KG_PER_KWH[country.upper()]
    except KeyError:
        known = ", ".join(sorted(DEFAULT_CARBON_KG_PER_KWH))
        raise InvalidProject(
            [f"no default carbon factor for country {country!r} (known: {known}); give carbon_kg_per_kwh"]
        ) from None


# --- people -----------------------------------------------------------------------------------


class Role(StrEnum):
    project_manager = "project_manager"
    customer_it = "customer_it"
    customer_management = "customer_management"
    sales = "sales"
    support = "support"


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who needs access to the project (dashboards, reports, stage notifications)."""

    last_name: str
    first_name: str
    email: str
    role: Role

    def __post_init__(self) -> None:
        problems = []
        if not self.last_name.strip():
            problems.append("person: last name is empty")
        if not self.first_name.strip():
            problems.append("person: first name is empty")
        if not _EMAIL.match(self.email):
            problems.append(f"person {self.first_name} {self.last_name}: invalid email {self.email!r}")
        _raise_if(problems)


# --- prerequisites ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prerequisites:
    """What the customer tells us before configuration (DESIGN.md, project lifecycle).

    Fleet counts put workstations with desktops: the split exists to extrapolate savings, and a
    workstation draws like a desktop.
    """

    selected_pcs: int
    fleet_total: int
    fleet_desktops: int
    fleet_laptops: int
    kwh_cost: float
    schedule: WorkingSchedule = field(default_factory=WorkingSchedule)
    country: str = "FR"
    carbon_kg_per_kwh: float | None = None  # None: the country's default
    currency: str = "EUR"
    holidays: tuple[date, ...] | None = None  # None: not collected yet
    people: tuple[Person, ...] = ()

    def __post_init__(self) -> None:
        _raise_if(self.problems())
        if self.holidays is not None:
            # Order and repetition carry no meaning; a canonical form keeps equality and storage stable.
            object.__setattr__(self, "holidays", tuple(sorted(set(self.holidays))))

    def problems(self) -> list[str]:
        problems = []
        if self.selected_pcs < 1:
            problems.append(f"selected PCs must be at least 1, got {self.selected_pcs}")
        if self.fleet_total < 1:
            problems.append(f"total PCs in the fleet must be at least 1, got {self.fleet_total}")
        if self.selected_pcs > self.fleet_total:
            problems.append(f"selected PCs ({self.selected_pcs}) exceed the total fleet ({self.fleet_total})")
        if self.fleet_desktops < 0 or self.fleet_laptops < 0:
            problems.append("desktop and laptop counts must not be negative")
        if self.fleet_desktops + self.fleet_laptops != self.fleet_total:
            problems.append(
                f"desktops ({self.fleet_desktops}) + laptops ({self.fleet_laptops}) "
                f"= {self.fleet_desktops + self.fleet_laptops}, not the total fleet ({self.fleet_total})"
            )
        if not 0 < self.kwh_cost <= KWH_COST_MAX:
            problems.append(
                f"kWh cost {self.kwh_cost} is implausible: expected 0 < cost <= {KWH_COST_MAX} "
                f"{self.currency} per kWh"
            )
        if not _CURRENCY.match(self.currency):
            problems.append(f"currency {self.currency!r} is not an ISO 4217 code such as EUR")
        if self.carbon_kg_per_kwh is None:
            if self.country.upper() not in DEFAULT_CARBON_KG_PER_KWH:
                known = ", ".join(sorted(DEFAULT_CARBON_KG_PER_KWH))
                problems.append(
                    f"no default carbon factor for country {self.country!r} (known: {known}); "
                    "give carbon_kg_per_kwh"
                )
        elif not 0 < self.carbon_kg_per_kwh <= CARBON_KG_PER_KWH_MAX:
            problems.append(
                f"carbon factor {self.carbon_kg_per_kwh} kg/kWh is implausible: "
                f"expected 0 < factor <= {CARBON_KG_PER_KWH_MAX}"
            )
        if self.holidays is not None and len(set(self.holidays)) > HOLIDAYS_MAX:
            problems.append(f"at most {HOLIDAYS_MAX} holidays, got {len(set(self.holidays))}")
        emails = [p.email.casefold() for p in self.people]
        duplicates = sorted({e for e in emails if emails.count(e) > 1})
        if duplicates:
            problems.append(f"the same email is given for several people: {', '.join(duplicates)}")
        return problems

    @property
    def carbon_factor(self) -> float:
        """kg CO2e per kWh: the one given, else the country's default."""
        if self.carbon_kg_per_kwh is not None:
            return self.carbon_kg_per_kwh
        return default_carbon_factor(self.country)

    def missing(self) -> tuple[str, ...]:
        """What must still be collected before the package can be configured (empty if complete)."""
        missing = []
        if not self.people:
            missing.append("people who need access (at least one: name, first name, email, role)")
        if self.holidays is None:
            missing.append("the organisation's holidays (an empty list if there are none)")
        return tuple(missing)

    @property
    def complete(self) -> bool:
        return not self.missing()


# --- plan -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedStage:
    stage: Stage
    start: date
    end: date  # exclusive: the day the next stage is planned to start

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class StagePlan:
    """Planned length of each stage, in calendar days, as proposed at kickoff.

    Kickoff has no planned length (it ends when the meeting is held) and closed is final, so
    neither can overrun. Saver defaults to the Viewer length: the two windows are compared.
    """

    package_configuration_days: float = 5.0
    deployment_days: float = 14.0
    viewer_days: float = 14.0
    recommendation_days: float = 7.0
    saver_days: float | None = None  # None: same as viewer
    feedback_days: float = 7.0

    def __post_init__(self) -> None:
        problems = [
            f"planned {stage.value} must last more than 0 days, got {days}"
            for stage, days in self._declared().items()
            if days is not None and not days > 0
        ]
        _raise_if(problems)

    def _declared(self) -> dict[Stage, float | None]:
        return {
            Stage.package_configuration: self.package_configuration_days,
            Stage.deployment: self.deployment_days,
            Stage.viewer: self.viewer_days,
            Stage.recommendation: self.recommendation_days,
            Stage.saver: self.saver_days,
            Stage.feedback: self.feedback_days,
        }

    def planned_days(self, stage: Stage) -> float | None:
        if stage is Stage.saver and self.saver_days is None:
            return self.viewer_days
        return self._declared().get(stage)

    def dates_from(self, start: date) -> tuple[PlannedStage, ...]:
        """Planned start and end date of each planned stage, the first starting on `start`.

        Fractions of days are rounded up: a plan shows whole days.
        """
        planned = []
        cursor = start
        for stage in Stage:
            days = self.planned_days(stage)
            if days is None:
                continue
            end = cursor + timedelta(days=math.ceil(days))
            planned.append(PlannedStage(stage, cursor, end))
            cursor = end
        return tuple(planned)


# --- gates configuration ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateSettings:
    """Thresholds of the gates, configurable per project."""

    deployment_coverage: float = 0.8  # enrolled devices in scope / selected PCs
    reporting_fraction: float = 0.5  # devices in scope that must report on a qualifying day
    abnormal_below_median: float = 0.5  # a working day under this share of the median is abnormal
    representative_days: int = 5  # qualifying working days that make a representative week

    def __post_init__(self) -> None:
        problems = []
        for name in ("deployment_coverage", "reporting_fraction", "abnormal_below_median"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                problems.append(f"{name} must be in (0, 1], got {value}")
        if not 1 <= self.representative_days <= 7:
            problems.append(f"representative_days must be in 1..7, got {self.representative_days}")
        _raise_if(problems)


# --- the project ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AppliedMilestone:
    """A milestone that moved the project, kept so a redelivered event is recognised."""

    event_id: str
    kind: MilestoneKind
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Project:
    """A POC on part of a fleet, or a roll-out on all of it, and where it stands.

    `next_seq` numbers the stage events (transitions and overruns) this project has published.
    """

    project_id: str
    tenant_id: str
    name: str
    project_type: ProjectType
    scope: Scope
    prerequisites: Prerequisites
    stage_entered_at: datetime
    plan: StagePlan = field(default_factory=StagePlan)
    gates: GateSettings = field(default_factory=GateSettings)
    stage: Stage = Stage.kickoff
    applied: tuple[AppliedMilestone, ...] = ()
    approved_policy: Policy | None = None
    approved_pcs: int | None = None
    overruns_announced: frozenset[Stage] = frozenset()
    next_seq: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not (_ID.match(self.project_id) and len(self.project_id) <= PROJECT_ID_MAX):
            problems.append(f"project id {self.project_id!r} is not a valid id")
        if not (_ID.match(self.tenant_id) and len(self.tenant_id) <= TENANT_ID_MAX):
            problems.append(f"tenant id {self.tenant_id!r} is not a valid id")
        if not self.name.strip() or len(self.name) > 256:
            problems.append("project name must be 1 to 256 characters")
        if self.scope.tenant_id != self.tenant_id:
            problems.append(
                f"scope tenant {self.scope.tenant_id!r} is not the project's tenant {self.tenant_id!r}"
            )
        if self.stage_entered_at.tzinfo is None:
            problems.append("stage_entered_at must be timezone-aware (event time, UTC)")
        if (self.approved_policy is None) != (self.approved_pcs is None):
            problems.append("an approved policy and its number of PCs go together")
        if self.next_seq < 0:
            problems.append("next_seq must not be negative")
        _raise_if(problems)

    def applied_event(self, event_id: str) -> AppliedMilestone | None:
        return next((a for a in self.applied if a.event_id == event_id), None)

    @property
    def planned_days(self) -> float | None:
        """Planned length of the current stage (None: it has no plan and cannot overrun)."""
        return self.plan.planned_days(self.stage)


def new_project(
    *,
    project_id: str,
    tenant_id: str,
    name: str,
    project_type: ProjectType,
    scope: Scope,
    prerequisites: Prerequisites,
    opened_at: datetime,
    plan: StagePlan | None = None,
    gates: GateSettings | None = None,
) -> Project:
    """A project in its kickoff stage, opened at `opened_at` (event time)."""
    return Project(
        project_id=project_id,
        tenant_id=tenant_id,
        name=name,
        project_type=project_type,
        scope=scope,
        prerequisites=prerequisites,
        stage_entered_at=opened_at,
        plan=plan or StagePlan(),
        gates=gates or GateSettings(),
    )
