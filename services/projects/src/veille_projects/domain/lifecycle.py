"""Stages, gates and milestones: how a project moves forward, as pure functions.

``apply_milestone(project, milestone, facts)`` returns either a `Transition` (the new project
state and everything a `StageChange` event needs) or a typed `Refusal`. The caller (service
layer) loads the project, gathers the facts the gate needs, stores the new state and publishes
``transition.stage_change()`` atomically; nothing here reads a clock or a database.

Gates (the milestone names the stage it ends):

- ``kickoff_held``         kickoff -> package_configuration: none; prerequisites may still be collected.
- ``package_configured``   -> deployment: prerequisites complete (configuration needs them).
- ``deployment_completed`` -> viewer: enrolled devices in scope / selected PCs >= coverage (80 %).
- ``viewer_completed``     -> recommendation: a representative week in the Viewer phase.
- ``policies_approved``    -> saver: an approved policy and 1 <= approved PCs <= devices in scope.
- ``saver_completed``      -> feedback: a representative week in the Saver phase.
- ``feedback_delivered``   -> closed: none.

An operator may pass a gate that does not hold by giving an override reason; the transition
records it. Missing data (no policy in an approval) is not a gate: no override makes it valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from veille_contracts.projects import (
    STAGE_ORDER,
    Milestone,
    MilestoneKind,
    ProjectSummary,
    Stage,
    StageChange,
    StageChangeKind,
)

from .model import AppliedMilestone, Project
from .representative import RepresentativeWeek, local_date, representative_week, required_count

# Which stage each milestone ends.
ENDS_STAGE: Mapping[MilestoneKind, Stage] = {
    MilestoneKind.kickoff_held: Stage.kickoff,
    MilestoneKind.package_configured: Stage.package_configuration,
    MilestoneKind.deployment_completed: Stage.deployment,
    MilestoneKind.viewer_completed: Stage.viewer,
    MilestoneKind.policies_approved: Stage.recommendation,
    MilestoneKind.saver_completed: Stage.saver,
    MilestoneKind.feedback_delivered: Stage.feedback,
}
MILESTONE_ENDING: Mapping[Stage, MilestoneKind] = {stage: kind for kind, stage in ENDS_STAGE.items()}

_LONG_TEXT_MAX = 4000  # veille_contracts LongText
_SECONDS_PER_DAY = 86_400.0


def next_stage(stage: Stage) -> Stage:
    """The stage after `stage` (closed is final and stays closed)."""
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[min(index + 1, len(STAGE_ORDER) - 1)]


def stage_event_id(project_id: str, seq: int) -> str:
    """Stable id of a project's seq-th stage event: a replay derives the same ids, consumers dedupe."""
    return f"{project_id}:stage:{seq}"


def _days(span: timedelta) -> float:
    return span.total_seconds() / _SECONDS_PER_DAY


def _long_text(text: str) -> str:
    return text if len(text) <= _LONG_TEXT_MAX else text[: _LONG_TEXT_MAX - 1] + "…"


# --- facts and gates --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateFacts:
    """What the service layer observed, for the gates that need it (None: not known).

    `daily_reporting` maps the organisation's local dates to the number of distinct devices in
    scope that reported that day, over the current phase; dates outside the phase are ignored.
    """

    enrolled_in_scope: int | None = None
    daily_reporting: Mapping[date, int] | None = None


@dataclass(frozen=True, slots=True)
class GateVerdict:
    holds: bool
    explanation: str
    coverage: float | None = None  # deployment gate: enrolled in scope / selected PCs
    representative: RepresentativeWeek | None = None  # viewer and saver gates


def _coverage_gate(project: Project, facts: GateFacts) -> GateVerdict:
    selected = project.prerequisites.selected_pcs
    threshold = project.gates.deployment_coverage
    if facts.enrolled_in_scope is None:
        return GateVerdict(False, "deployment coverage unknown: no count of enrolled devices in scope")
    enrolled = facts.enrolled_in_scope
    needed = required_count(threshold, selected)
    coverage = enrolled / selected
    return GateVerdict(
        enrolled >= needed,
        f"deployment coverage {coverage:.0%}: {enrolled} devices enrolled in scope for {selected} "
        f"selected PCs; {needed} needed ({threshold:.0%})",
        coverage=coverage,
    )


def _representative_gate(project: Project, facts: GateFacts, at: datetime) -> GateVerdict:
    phase = "Viewer" if project.stage is Stage.viewer else "Saver"
    if facts.daily_reporting is None:
        return GateVerdict(False, f"no daily reporting counts for the {phase} phase")
    if facts.enrolled_in_scope is None:
        return GateVerdict(False, "no count of enrolled devices in scope")
    schedule = project.prerequisites.schedule
    # The phase's own days only, and not the day the milestone falls on: it is not over yet.
    week = representative_week(
        facts.daily_reporting,
        devices_in_scope=facts.enrolled_in_scope,
        schedule=schedule,
        holidays=project.prerequisites.holidays or (),
        reporting_fraction=project.gates.reporting_fraction,
        abnormal_below_median=project.gates.abnormal_below_median,
        min_days=project.gates.representative_days,
        first_day=local_date(project.stage_entered_at, schedule),
        last_day=local_date(at, schedule) - timedelta(days=1),
    )
    return GateVerdict(week.holds, f"{phase} phase: {week.explanation}", representative=week)


def _approval_gate(project: Project, approved_pcs: int, facts: GateFacts) -> GateVerdict:
    if facts.enrolled_in_scope is None:
        return GateVerdict(False, "no count of enrolled devices in scope to check the approved PCs against")
    in_scope = facts.enrolled_in_scope
    holds = 1 <= approved_pcs <= in_scope
    return GateVerdict(
        holds,
        f"{approved_pcs} PCs approved for the policy, {in_scope} devices enrolled in scope"
        + ("" if holds else f": must be between 1 and {in_scope}"),
    )


def evaluate_gate(
    project: Project, kind: MilestoneKind, facts: GateFacts, at: datetime, *, approved_pcs: int | None = None
) -> GateVerdict:
    """Whether the gate of `kind` holds for `project` at event time `at` (also for dashboards)."""
    match kind:
        case MilestoneKind.kickoff_held | MilestoneKind.feedback_delivered:
            return GateVerdict(True, "no gate")
        case MilestoneKind.package_configured:
            missing = project.prerequisites.missing()
            if missing:
                return GateVerdict(False, "prerequisites incomplete, missing: " + "; ".join(missing))
            return GateVerdict(True, "prerequisites complete")
        case MilestoneKind.deployment_completed:
            return _coverage_gate(project, facts)
        case MilestoneKind.viewer_completed | MilestoneKind.saver_completed:
            return _representative_gate(project, facts, at)
        case MilestoneKind.policies_approved:
            if approved_pcs is None:
                return GateVerdict(False, "no number of approved PCs")
            return _approval_gate(project, approved_pcs, facts)


# --- outcomes ---------------------------------------------------------------------------------


class RefusalCode(StrEnum):
    unknown_project = "unknown_project"  # HTTP 404
    wrong_order = "wrong_order"  # HTTP 409: the milestone does not end the current stage
    gate_not_met = "gate_not_met"  # HTTP 409 (or 422): the gate does not hold and no override
    duplicate = "duplicate"  # not an error: this event was already applied, nothing to do
    invalid = "invalid"  # HTTP 422: the milestone itself is malformed for this project


@dataclass(frozen=True, slots=True)
class Refusal:
    code: RefusalCode
    message: str
    gate: GateVerdict | None = None

    @property
    def is_noop(self) -> bool:
        """A redelivered milestone: acknowledge it, change nothing, publish nothing."""
        return self.code is RefusalCode.duplicate


def project_summary(project: Project) -> ProjectSummary:
    """The project as stage events describe it to other services and integrators."""
    prerequisites = project.prerequisites
    return ProjectSummary(
        project_id=project.project_id,
        tenant_id=project.tenant_id,
        name=project.name,
        project_type=project.project_type,
        scope=project.scope,
        selected_pcs=prerequisites.selected_pcs,
        fleet_total=prerequisites.fleet_total,
        fleet_desktops=prerequisites.fleet_desktops,
        fleet_laptops=prerequisites.fleet_laptops,
        kwh_cost=prerequisites.kwh_cost,
        currency=prerequisites.currency,
        carbon_kg_per_kwh=prerequisites.carbon_factor,
        schedule=prerequisites.schedule,
        holidays=list(prerequisites.holidays or ()),
        approved_policy=project.approved_policy,
        approved_pcs=project.approved_pcs,
    )


@dataclass(frozen=True, slots=True)
class Transition:
    """The project moved from one stage to the next; `project` is its new state.

    `planned_days` and `actual_days` are about the stage that was left (None for the opening).
    """

    project: Project
    seq: int
    from_stage: Stage | None
    to_stage: Stage
    effective_at: datetime
    reason: str
    gate: GateVerdict
    actor: str | None = None
    milestone_event_id: str | None = None
    overridden: bool = False
    override_reason: str | None = None
    planned_days: float | None = None
    actual_days: float | None = None

    def stage_change(self) -> StageChange:
        return StageChange(
            event_id=stage_event_id(self.project.project_id, self.seq),
            project_id=self.project.project_id,
            tenant_id=self.project.tenant_id,
            seq=self.seq,
            kind=StageChangeKind.transition,
            from_stage=self.from_stage,
            to_stage=self.to_stage,
            effective_at=self.effective_at,
            reason=_long_text(self.reason),
            actor=self.actor,
            overridden=self.overridden,
            override_reason=_long_text(self.override_reason) if self.override_reason else None,
            planned_days=self.planned_days,
            actual_days=self.actual_days,
            project=project_summary(self.project),
        )


def open_project(project: Project, *, actor: str | None = None) -> Transition:
    """The opening event of a new project (kickoff entered); its state takes seq 0."""
    if project.applied or project.next_seq != 0 or project.stage is not Stage.kickoff:
        raise ValueError("only a new project in its kickoff stage can be opened")
    return Transition(
        project=replace(project, next_seq=1),
        seq=0,
        from_stage=None,
        to_stage=Stage.kickoff,
        effective_at=project.stage_entered_at,
        reason="project opened",
        gate=GateVerdict(True, "no gate"),
        actor=actor,
    )


def _order_refusal(project: Project, kind: MilestoneKind) -> Refusal:
    ends = ENDS_STAGE[kind]
    if project.stage is Stage.closed:
        where = "the project is closed"
    elif STAGE_ORDER.index(ends) < STAGE_ORDER.index(project.stage):
        where = f"{ends.value} is already over"
    else:
        where = f"{ends.value} has not started"
    expected = MILESTONE_ENDING.get(project.stage)
    hint = f"; the current stage ends with {expected.value}" if expected else ""
    return Refusal(
        RefusalCode.wrong_order,
        f"{kind.value} ends {ends.value}, but the project is in {project.stage.value}: {where}{hint}",
    )


def apply_milestone(
    project: Project | None, milestone: Milestone, facts: GateFacts | None = None
) -> Transition | Refusal:
    """Move `project` past the stage `milestone` ends, if its gate holds or is overridden."""
    facts = facts or GateFacts()
    if project is None:
        return Refusal(RefusalCode.unknown_project, f"no project {milestone.project_id!r}")
    if milestone.project_id != project.project_id:
        return Refusal(
            RefusalCode.invalid,
            f"milestone for project {milestone.project_id!r} applied to project {project.project_id!r}",
        )
    kind = milestone.kind
    already = project.applied_event(milestone.event_id)
    if already is not None:
        if already.kind is kind:
            return Refusal(RefusalCode.duplicate, f"event {milestone.event_id!r} was already applied")
        return Refusal(
            RefusalCode.invalid,
            f"event id {milestone.event_id!r} was already used for {already.kind.value}, not {kind.value}",
        )
    if ENDS_STAGE[kind] is not project.stage:
        return _order_refusal(project, kind)
    if milestone.occurred_at < project.stage_entered_at:
        return Refusal(
            RefusalCode.invalid,
            f"{kind.value} occurred at {milestone.occurred_at.isoformat()}, before the "
            f"{project.stage.value} stage began ({project.stage_entered_at.isoformat()})",
        )
    override = milestone.override_reason
    if override is not None and not override.strip():
        return Refusal(RefusalCode.invalid, "an override needs a reason")
    if kind is MilestoneKind.policies_approved and (
        milestone.approved_policy is None or milestone.approved_pcs is None
    ):
        return Refusal(
            RefusalCode.invalid, "policies_approved needs the approved policy and its number of PCs"
        )

    gate = evaluate_gate(project, kind, facts, milestone.occurred_at, approved_pcs=milestone.approved_pcs)
    if not gate.holds and override is None:
        return Refusal(RefusalCode.gate_not_met, f"gate of {kind.value} not met: {gate.explanation}", gate)
    overridden = not gate.holds

    new_stage = next_stage(project.stage)
    approved = kind is MilestoneKind.policies_approved
    moved = replace(
        project,
        stage=new_stage,
        stage_entered_at=milestone.occurred_at,
        applied=(*project.applied, AppliedMilestone(milestone.event_id, kind, milestone.occurred_at)),
        approved_policy=milestone.approved_policy if approved else project.approved_policy,
        approved_pcs=milestone.approved_pcs if approved else project.approved_pcs,
        next_seq=project.next_seq + 1,
    )
    reason = f"{kind.value} by {milestone.actor}: " + (
        f"gate overridden ({gate.explanation})" if overridden else gate.explanation
    )
    if milestone.note:
        reason += f". Note: {milestone.note}"
    return Transition(
        project=moved,
        seq=project.next_seq,
        from_stage=project.stage,
        to_stage=new_stage,
        effective_at=milestone.occurred_at,
        reason=reason,
        gate=gate,
        actor=milestone.actor,
        milestone_event_id=milestone.event_id,
        overridden=overridden,
        override_reason=override if overridden else None,
        planned_days=project.planned_days,
        actual_days=_days(milestone.occurred_at - project.stage_entered_at),
    )


# --- overrun ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverrunMeasure:
    overrun: bool
    by: timedelta  # how far past the plan (zero when not overrun)
    elapsed: timedelta


def measure_overrun(entered_at: datetime, planned_days: float | None, now: datetime) -> OverrunMeasure:
    """Has a stage entered at `entered_at` outlived its plan at event time `now`? Reaching the plan
    exactly is not an overrun; a stage without a plan never overruns."""
    elapsed = max(now - entered_at, timedelta(0))
    if planned_days is None:
        return OverrunMeasure(False, timedelta(0), elapsed)
    past = elapsed - timedelta(days=planned_days)
    return OverrunMeasure(past > timedelta(0), max(past, timedelta(0)), elapsed)


@dataclass(frozen=True, slots=True)
class Overrun:
    """The current stage outlived its plan; `project` records that it was announced."""

    project: Project
    seq: int
    stage: Stage
    detected_at: datetime
    planned_days: float
    actual_days: float
    by: timedelta

    def stage_change(self) -> StageChange:
        return StageChange(
            event_id=stage_event_id(self.project.project_id, self.seq),
            project_id=self.project.project_id,
            tenant_id=self.project.tenant_id,
            seq=self.seq,
            kind=StageChangeKind.overrun,
            # An overrun is not a move: the project is still in the stage, so from = to.
            from_stage=self.stage,
            to_stage=self.stage,
            effective_at=self.detected_at,
            reason=(
                f"{self.stage.value} overran its plan of {self.planned_days:g} days "
                f"by {_days(self.by):.1f} days"
            ),
            planned_days=self.planned_days,
            actual_days=self.actual_days,
            project=project_summary(self.project),
        )


def announce_overrun(project: Project, now: datetime) -> Overrun | None:
    """The overrun to announce at event time `now`, once per stage; None if none is due."""
    planned = project.planned_days
    if planned is None or project.stage in project.overruns_announced:
        return None
    measure = measure_overrun(project.stage_entered_at, planned, now)
    if not measure.overrun:
        return None
    announced = replace(
        project,
        overruns_announced=project.overruns_announced | {project.stage},
        next_seq=project.next_seq + 1,
    )
    return Overrun(
        project=announced,
        seq=project.next_seq,
        stage=project.stage,
        detected_at=now,
        planned_days=planned,
        actual_days=_days(measure.elapsed),
        by=measure.by,
    )
