"""Overruns: measured in event time, announced once per stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from projects_domain_builders import T0, milestone, project
from veille_contracts.projects import MilestoneKind, Stage, StageChangeKind
from veille_projects.domain.lifecycle import Transition, announce_overrun, apply_milestone, measure_overrun
from veille_projects.domain.model import StagePlan


@pytest.mark.parametrize(
    ("elapsed", "planned_days", "overrun", "by"),
    [
        (timedelta(days=4), 5.0, False, timedelta(0)),
        (timedelta(days=5), 5.0, False, timedelta(0)),  # reaching the plan is not overrunning it
        (timedelta(days=5, seconds=1), 5.0, True, timedelta(seconds=1)),
        (timedelta(days=7, hours=12), 5.0, True, timedelta(days=2, hours=12)),
        (timedelta(hours=13), 0.5, True, timedelta(hours=1)),  # fractional plans
        (timedelta(days=400), None, False, timedelta(0)),  # no plan, no overrun
        (
            -timedelta(days=1),
            5.0,
            False,
            timedelta(0),
        ),  # 'now' before the stage: a late event, not an overrun
    ],
)
def test_measure_overrun(
    elapsed: timedelta, planned_days: float | None, overrun: bool, by: timedelta
) -> None:
    m = measure_overrun(T0, planned_days, T0 + elapsed)
    assert (m.overrun, m.by) == (overrun, by)
    assert m.elapsed == max(elapsed, timedelta(0))


def test_an_overrun_is_announced_once_per_stage() -> None:
    p = project(Stage.package_configuration)  # planned 5 days from T0
    assert announce_overrun(p, T0 + timedelta(days=5)) is None

    first = announce_overrun(p, T0 + timedelta(days=6))
    assert first is not None
    assert (first.stage, first.seq, first.planned_days, first.actual_days, first.by) == (
        Stage.package_configuration,
        0,
        5.0,
        6.0,
        timedelta(days=1),
    )
    assert first.project.next_seq == 1
    assert first.project.overruns_announced == {Stage.package_configuration}
    # later checks on the announced state stay silent, however late
    assert announce_overrun(first.project, T0 + timedelta(days=30)) is None

    # the next stage has its own plan and its own announcement; the seq keeps counting
    entered = T0 + timedelta(days=8)
    t = apply_milestone(first.project, milestone(MilestoneKind.package_configured, entered))
    assert isinstance(t, Transition) and t.seq == 1
    assert announce_overrun(t.project, entered + timedelta(days=14)) is None
    second = announce_overrun(t.project, entered + timedelta(days=15))
    assert second is not None and (second.stage, second.seq) == (Stage.deployment, 2)


@pytest.mark.parametrize("stage", [Stage.kickoff, Stage.closed])
def test_stages_without_a_plan_never_overrun(stage: Stage) -> None:
    assert announce_overrun(project(stage), T0 + timedelta(days=365)) is None


def test_saver_overrun_follows_the_viewer_plan() -> None:
    p = project(Stage.saver, plan=StagePlan(viewer_days=10))
    assert announce_overrun(p, T0 + timedelta(days=10)) is None
    assert announce_overrun(p, T0 + timedelta(days=10, minutes=1)) is not None


def test_overrun_builds_a_stage_change_event() -> None:
    p = project(Stage.viewer)
    now = datetime(2025, 3, 20, 8, tzinfo=UTC)  # 17 days after T0; planned 14
    overrun = announce_overrun(p, now)
    assert overrun is not None
    change = overrun.stage_change()
    assert change.kind is StageChangeKind.overrun
    assert (change.from_stage, change.to_stage) == (Stage.viewer, Stage.viewer)
    assert change.effective_at == now
    assert (change.planned_days, change.actual_days) == (14.0, 17.0)
    assert change.reason == "viewer overran its plan of 14 days by 3.0 days"
    assert change.event_id == "poc-paris:stage:0"
    assert not change.overridden
