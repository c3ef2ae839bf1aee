"""Milestones, gates and refusals: the project's state machine, exhaustively."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from projects_domain_builders import T0, milestone, policy, prerequisites, project
from veille_contracts.projects import STAGE_ORDER, MilestoneKind, Stage, StageChange, StageChangeKind
from veille_projects.domain.lifecycle import (
    ENDS_STAGE,
    GateFacts,
    Refusal,
    RefusalCode,
    Transition,
    apply_milestone,
    evaluate_gate,
    next_stage,
    open_project,
    project_summary,
)
from veille_projects.domain.model import GateSettings, Project


def at(day: int, month: int = 3, hour: int = 8) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=UTC)


def weekdays(first: date, last: date, count: int) -> dict[date, int]:
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return {d: count for d in days if d.weekday() < 5}


def moved(result: Transition | Refusal) -> Transition:
    assert isinstance(result, Transition), result
    return result


def refused(result: Transition | Refusal, code: RefusalCode) -> Refusal:
    assert isinstance(result, Refusal), result
    assert result.code is code, result
    return result


PLENTY = GateFacts(enrolled_in_scope=20, daily_reporting=weekdays(date(2025, 1, 1), date(2025, 12, 31), 20))


def test_a_project_goes_through_every_stage_in_order() -> None:
    opened = open_project(project(), actor="alice")
    assert (opened.seq, opened.from_stage, opened.to_stage, opened.effective_at) == (
        0,
        None,
        Stage.kickoff,
        T0,
    )
    p = opened.project

    # Each step: milestone, when, facts, (planned days, actual days) of the stage it ends.
    # Viewer: Fri 14 to Sun 23 March -> weekdays 14, 17-21 = 6 days at 12 of 17 (9 needed).
    # Saver: Wed 26 March to Tue 8 April -> 26-28, 31, 1-4, 7-8 = 10 weekdays.
    steps = [
        (MilestoneKind.kickoff_held, at(4), GateFacts(), None, 1.0),
        (MilestoneKind.package_configured, at(7), GateFacts(), 5.0, 3.0),
        (MilestoneKind.deployment_completed, at(14), GateFacts(enrolled_in_scope=17), 14.0, 7.0),
        (
            MilestoneKind.viewer_completed,
            at(24),
            GateFacts(
                enrolled_in_scope=17, daily_reporting=weekdays(date(2025, 3, 14), date(2025, 3, 23), 12)
            ),
            14.0,
            10.0,
        ),
        (MilestoneKind.policies_approved, at(26), GateFacts(enrolled_in_scope=17), 7.0, 2.0),
        (
            MilestoneKind.saver_completed,
            at(9, 4),
            GateFacts(
                enrolled_in_scope=17, daily_reporting=weekdays(date(2025, 3, 26), date(2025, 4, 8), 12)
            ),
            14.0,  # saver follows the viewer's plan
            14.0,
        ),
        (MilestoneKind.feedback_delivered, at(16, 4), GateFacts(), 7.0, 7.0),
    ]
    for seq, (kind, when, facts, planned, actual) in enumerate(steps, start=1):
        extra = (
            {"approved_policy": policy(), "approved_pcs": 10}
            if kind is MilestoneKind.policies_approved
            else {}
        )
        t = moved(apply_milestone(p, milestone(kind, when, **extra), facts))
        assert t.from_stage is ENDS_STAGE[kind] is p.stage
        assert t.to_stage is next_stage(p.stage)
        assert (t.seq, t.effective_at, t.planned_days, t.actual_days) == (seq, when, planned, actual)
        assert t.gate.holds and not t.overridden and t.override_reason is None
        assert t.project.stage_entered_at == when
        p = t.project
    assert p.stage is Stage.closed
    assert p.next_seq == 8
    assert [a.kind for a in p.applied] == list(MilestoneKind)
    assert (p.approved_policy, p.approved_pcs) == (policy(), 10)


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("kind", list(MilestoneKind))
def test_only_the_milestone_of_the_current_stage_moves_the_project(stage: Stage, kind: MilestoneKind) -> None:
    p = project(stage=stage)
    extra = (
        {"approved_policy": policy(), "approved_pcs": 5} if kind is MilestoneKind.policies_approved else {}
    )
    result = apply_milestone(p, milestone(kind, at(20), override_reason="test", **extra), PLENTY)
    if ENDS_STAGE[kind] is stage:
        t = moved(result)
        assert t.to_stage is STAGE_ORDER[STAGE_ORDER.index(stage) + 1]
    else:
        r = refused(result, RefusalCode.wrong_order)
        assert f"{kind.value} ends {ENDS_STAGE[kind].value}, but the project is in {stage.value}" in r.message
        if stage is Stage.closed:
            assert "the project is closed" in r.message
        elif STAGE_ORDER.index(ENDS_STAGE[kind]) < STAGE_ORDER.index(stage):
            assert "is already over" in r.message
        else:
            assert "has not started" in r.message


def test_next_stage_follows_the_contract_order_and_closed_is_final() -> None:
    assert [next_stage(s) for s in Stage] == [*STAGE_ORDER[1:], Stage.closed]


def test_the_same_event_twice_is_a_noop() -> None:
    m = milestone(MilestoneKind.kickoff_held, at(4))
    first = moved(apply_milestone(project(), m))
    again = refused(apply_milestone(first.project, m), RefusalCode.duplicate)
    assert again.is_noop
    assert "ms-kickoff_held" in again.message


def test_a_new_event_for_a_passed_stage_is_wrong_order() -> None:
    first = moved(apply_milestone(project(), milestone(MilestoneKind.kickoff_held, at(4))))
    other = milestone(MilestoneKind.kickoff_held, at(5), event_id="ms-kickoff-bis")
    r = refused(apply_milestone(first.project, other), RefusalCode.wrong_order)
    assert not r.is_noop
    assert "kickoff is already over" in r.message
    assert "the current stage ends with package_configured" in r.message


def test_an_event_id_reused_for_another_milestone_is_invalid() -> None:
    first = moved(apply_milestone(project(), milestone(MilestoneKind.kickoff_held, at(4), event_id="e1")))
    reused = milestone(MilestoneKind.package_configured, at(5), event_id="e1")
    r = refused(apply_milestone(first.project, reused), RefusalCode.invalid)
    assert "already used for kickoff_held" in r.message


def test_unknown_project() -> None:
    r = refused(
        apply_milestone(None, milestone(MilestoneKind.kickoff_held, at(4))), RefusalCode.unknown_project
    )
    assert r.message == "no project 'poc-paris'"


def test_a_milestone_for_another_project_is_invalid() -> None:
    r = apply_milestone(project(), milestone(MilestoneKind.kickoff_held, at(4), project_id="other"))
    assert "applied to project 'poc-paris'" in refused(r, RefusalCode.invalid).message


def test_a_milestone_before_the_stage_began_is_invalid() -> None:
    r = apply_milestone(project(), milestone(MilestoneKind.kickoff_held, T0 - timedelta(seconds=1)))
    assert "before the kickoff stage began" in refused(r, RefusalCode.invalid).message
    # at the very instant the stage began is fine: zero days
    assert moved(apply_milestone(project(), milestone(MilestoneKind.kickoff_held, T0))).actual_days == 0


def test_an_override_needs_a_reason() -> None:
    r = apply_milestone(project(), milestone(MilestoneKind.kickoff_held, at(4), override_reason="  "))
    assert refused(r, RefusalCode.invalid).message == "an override needs a reason"


# --- gates ------------------------------------------------------------------------------------


def test_kickoff_can_be_held_with_incomplete_prerequisites() -> None:
    p = project(prerequisites=prerequisites(people=(), holidays=None))
    t = moved(apply_milestone(p, milestone(MilestoneKind.kickoff_held, at(4))))
    assert t.gate.explanation == "no gate"


def test_package_configuration_needs_complete_prerequisites() -> None:
    p = project(Stage.package_configuration, prerequisites=prerequisites(people=(), holidays=None))
    r = refused(
        apply_milestone(p, milestone(MilestoneKind.package_configured, at(5))), RefusalCode.gate_not_met
    )
    assert r.gate is not None and not r.gate.holds
    assert "prerequisites incomplete, missing: people who need access" in r.message
    assert "the organisation's holidays" in r.message

    completed = replace(p, prerequisites=prerequisites())
    assert moved(apply_milestone(completed, milestone(MilestoneKind.package_configured, at(5)))).gate.holds


def test_an_override_passes_a_failed_gate_and_is_recorded() -> None:
    p = project(Stage.package_configuration, prerequisites=prerequisites(holidays=None))
    m = milestone(MilestoneKind.package_configured, at(5), override_reason="holidays sent by mail")
    t = moved(apply_milestone(p, m))
    assert t.overridden and t.override_reason == "holidays sent by mail"
    assert not t.gate.holds
    change = t.stage_change()
    assert change.overridden and change.override_reason == "holidays sent by mail"
    assert change.reason.startswith(
        "package_configured by alice@veille.example: gate overridden (prerequisites"
    )


def test_an_override_of_a_gate_that_holds_is_not_an_override() -> None:
    m = milestone(MilestoneKind.package_configured, at(5), override_reason="just in case")
    t = moved(apply_milestone(project(Stage.package_configuration), m))
    assert not t.overridden and t.override_reason is None


@pytest.mark.parametrize(
    ("enrolled", "holds"),
    [
        # 20 selected PCs x 80 % = 16 needed
        (None, False),
        (0, False),
        (15, False),
        (16, True),
        (20, True),
        (25, True),  # more enrolled than selected: the scope is wider than planned, still covered
    ],
)
def test_deployment_gate_is_coverage_of_selected_pcs(enrolled: int | None, holds: bool) -> None:
    p = project(Stage.deployment)
    facts = GateFacts(enrolled_in_scope=enrolled)
    result = apply_milestone(p, milestone(MilestoneKind.deployment_completed, at(14)), facts)
    if holds:
        t = moved(result)
        assert enrolled is not None
        assert t.gate.coverage == pytest.approx(enrolled / 20)
        assert t.to_stage is Stage.viewer
    else:
        r = refused(result, RefusalCode.gate_not_met)
        assert r.gate is not None
        expected = (
            "unknown" if enrolled is None else f"{enrolled} devices enrolled in scope for 20 selected PCs"
        )
        assert expected in r.message


def test_deployment_threshold_is_configurable() -> None:
    p = replace(project(Stage.deployment), gates=GateSettings(deployment_coverage=0.5))
    facts = GateFacts(enrolled_in_scope=10)  # 10 / 20 = 50 %
    assert moved(apply_milestone(p, milestone(MilestoneKind.deployment_completed, at(14)), facts)).gate.holds
    gate = evaluate_gate(p, MilestoneKind.deployment_completed, facts, at(14))
    assert (
        gate.explanation
        == "deployment coverage 50%: 10 devices enrolled in scope for 20 selected PCs; 10 needed (50%)"
    )


VIEWER_START = at(3)  # Monday 3 March, 09:00 in Paris


@pytest.mark.parametrize(
    ("daily", "holidays", "holds"),
    [
        (weekdays(date(2025, 3, 3), date(2025, 3, 7), 10), (), True),  # Mon-Fri, 10 of 17 (9 needed)
        (weekdays(date(2025, 3, 3), date(2025, 3, 7), 8), (), False),  # 8 < 9 every day
        (weekdays(date(2025, 3, 3), date(2025, 3, 7), 10), (date(2025, 3, 5),), False),  # holiday: 4 days
        # the day of the milestone (Mon 10) is not over: it does not count
        (weekdays(date(2025, 3, 4), date(2025, 3, 10), 10), (), False),
        # days before the phase (Fri 28 Feb) do not count
        ({date(2025, 2, 28): 10} | weekdays(date(2025, 3, 4), date(2025, 3, 7), 10), (), False),
    ],
)
def test_viewer_gate_needs_a_representative_week_of_the_phase(
    daily: dict[date, int], holidays: tuple[date, ...], holds: bool
) -> None:
    p = project(Stage.viewer, entered_at=VIEWER_START, prerequisites=prerequisites(holidays=holidays))
    facts = GateFacts(enrolled_in_scope=17, daily_reporting=daily)
    result = apply_milestone(p, milestone(MilestoneKind.viewer_completed, at(10, hour=9)), facts)
    if holds:
        t = moved(result)
        assert t.gate.representative is not None and len(t.gate.representative.qualifying_days) == 5
        assert t.gate.explanation.startswith("Viewer phase: representative week")
    else:
        r = refused(result, RefusalCode.gate_not_met)
        assert r.gate is not None and r.gate.representative is not None
        assert "Viewer phase: no representative week yet" in r.message


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        (GateFacts(enrolled_in_scope=17), "no daily reporting counts for the Saver phase"),
        (GateFacts(daily_reporting={}), "no count of enrolled devices in scope"),
    ],
)
def test_saver_gate_without_data_is_not_met(facts: GateFacts, message: str) -> None:
    p = project(Stage.saver, entered_at=VIEWER_START)
    r = refused(
        apply_milestone(p, milestone(MilestoneKind.saver_completed, at(17)), facts), RefusalCode.gate_not_met
    )
    assert message in r.message


def test_saver_gate_counts_the_saver_phase_only() -> None:
    # Saver entered Mon 10 March; the Viewer week before must not count.
    p = project(Stage.saver, entered_at=at(10))
    viewer_week = weekdays(date(2025, 3, 3), date(2025, 3, 7), 10)
    facts = GateFacts(enrolled_in_scope=17, daily_reporting=viewer_week)
    refused(
        apply_milestone(p, milestone(MilestoneKind.saver_completed, at(17)), facts), RefusalCode.gate_not_met
    )
    facts = GateFacts(
        enrolled_in_scope=17, daily_reporting=viewer_week | weekdays(date(2025, 3, 10), date(2025, 3, 14), 10)
    )
    assert (
        moved(apply_milestone(p, milestone(MilestoneKind.saver_completed, at(17)), facts)).to_stage
        is Stage.feedback
    )


@pytest.mark.parametrize(
    ("approved_pcs", "enrolled", "code"),
    [
        (10, 17, None),
        (17, 17, None),  # every device in scope
        (1, 17, None),
        (18, 17, RefusalCode.gate_not_met),  # more PCs than devices in scope
        (10, None, RefusalCode.gate_not_met),
    ],
)
def test_policies_approved_gate(approved_pcs: int, enrolled: int | None, code: RefusalCode | None) -> None:
    p = project(Stage.recommendation)
    m = milestone(
        MilestoneKind.policies_approved, at(20), approved_policy=policy(), approved_pcs=approved_pcs
    )
    result = apply_milestone(p, m, GateFacts(enrolled_in_scope=enrolled))
    if code is None:
        t = moved(result)
        assert (t.project.approved_policy, t.project.approved_pcs) == (policy(), approved_pcs)
        summary = t.stage_change().project
        assert (summary.approved_policy, summary.approved_pcs) == (policy(), approved_pcs)
    else:
        refused(result, code)


@pytest.mark.parametrize("missing", ["approved_policy", "approved_pcs"])
def test_an_approval_without_policy_or_pcs_is_invalid_even_with_override(missing: str) -> None:
    values = {"approved_policy": policy(), "approved_pcs": 5}
    del values[missing]
    m = milestone(MilestoneKind.policies_approved, at(20), override_reason="trust me", **values)
    r = refused(apply_milestone(project(Stage.recommendation), m, PLENTY), RefusalCode.invalid)
    assert "needs the approved policy and its number of PCs" in r.message


# --- events -----------------------------------------------------------------------------------


def test_transition_builds_a_valid_stage_change_event() -> None:
    p = project(Stage.deployment, entered_at=at(7))
    p = replace(p, next_seq=3)
    m = milestone(MilestoneKind.deployment_completed, at(14, hour=20), note="site Lyon deploys next week")
    t = moved(apply_milestone(p, m, GateFacts(enrolled_in_scope=18)))
    change = t.stage_change()
    assert change.event_id == "poc-paris:stage:3"
    assert (change.seq, change.kind, change.from_stage, change.to_stage) == (
        3,
        StageChangeKind.transition,
        Stage.deployment,
        Stage.viewer,
    )
    assert change.effective_at == at(14, hour=20)
    assert change.actor == "alice@veille.example"
    assert change.planned_days == 14.0
    assert change.actual_days == pytest.approx(7.5)  # Fri 7 08:00 -> Fri 14 20:00
    assert change.reason == (
        "deployment_completed by alice@veille.example: deployment coverage 90%: 18 devices enrolled in "
        "scope for 20 selected PCs; 16 needed (80%). Note: site Lyon deploys next week"
    )
    # it survives the wire
    assert StageChange.model_validate_json(change.to_json_bytes()) == change
    assert json.loads(change.to_json_bytes())["project"]["selected_pcs"] == 20


def test_a_very_long_reason_is_cut_to_the_contract_limit() -> None:
    m = milestone(MilestoneKind.kickoff_held, at(4), note="x" * 3990)
    change = moved(apply_milestone(project(), m)).stage_change()
    assert len(change.reason) == 4000 and change.reason.endswith("…")


def test_project_summary_carries_the_prerequisites() -> None:
    p = project(prerequisites=prerequisites(holidays=(date(2025, 5, 1),), country="EU"))
    s = project_summary(p)
    assert (s.project_id, s.tenant_id, s.name, s.project_type.value) == (
        "poc-paris",
        "acme",
        "POC Paris",
        "poc",
    )
    assert (s.selected_pcs, s.fleet_total, s.fleet_desktops, s.fleet_laptops) == (20, 100, 60, 40)
    assert (s.kwh_cost, s.currency, s.carbon_kg_per_kwh) == (0.2, "EUR", 0.26)
    assert s.holidays == [date(2025, 5, 1)]
    assert s.scope == p.scope
    assert s.approved_policy is None and s.approved_pcs is None
    # holidays not collected yet: the summary says none are known
    assert project_summary(project(prerequisites=prerequisites(holidays=None))).holidays == []


def test_open_project_is_the_first_event_only() -> None:
    opened = open_project(project())
    change = opened.stage_change()
    assert (change.seq, change.from_stage, change.to_stage, change.event_id) == (
        0,
        None,
        Stage.kickoff,
        "poc-paris:stage:0",
    )
    assert opened.project.next_seq == 1
    with pytest.raises(ValueError):
        open_project(opened.project)


def test_apply_milestone_never_mutates_the_project() -> None:
    p: Project = project()
    before = repr(p)
    moved(apply_milestone(p, milestone(MilestoneKind.kickoff_held, at(4))))
    assert repr(p) == before
