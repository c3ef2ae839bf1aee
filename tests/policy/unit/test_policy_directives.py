"""Directive decisions: Viewer for all, stratified reproducible Saver selection, stable ids."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from policy_fixtures import UTC_SCHEDULE, make_policy
from veille_contracts import (
    DeviceKind,
    Directive,
    DirectiveMode,
    Policy,
    PolicyExceptions,
    ProjectSummary,
    ProjectType,
    Scope,
    Stage,
    StageChange,
    StageChangeKind,
)
from veille_policy.domain.directives import (
    VIEWER_VERSION,
    MissingApprovedPolicyError,
    ScopeMember,
    StageContext,
    decide_directives,
    directive_for,
    directive_id,
    select_saver_devices,
    stratum_of,
    stratum_quotas,
)
from veille_policy.domain.validation import policy_version

EFFECTIVE = datetime(2024, 6, 17, 9, 0, tzinfo=UTC)
POLICY = make_policy()
DESKTOP, LAPTOP = DeviceKind.desktop, DeviceKind.laptop


def fleet(sizes: dict[tuple[DeviceKind, str], int]) -> list[ScopeMember]:
    members = []
    for (kind, group), size in sizes.items():
        members += [
            ScopeMember(f"{kind.value}-{group.replace('/', '-')}-{i:03d}", kind, group) for i in range(size)
        ]
    return members


def saver(pcs: int | None, *, policy: Policy | None = POLICY) -> StageContext:
    return StageContext("proj-1", "acme", Stage.saver, 5, EFFECTIVE, policy, pcs)


def test_viewer_stage_puts_every_device_in_viewer_mode() -> None:
    members = fleet({(DESKTOP, "ACME/Paris"): 3, (LAPTOP, "ACME/Lyon"): 2})
    context = StageContext("proj-1", "acme", Stage.viewer, 3, EFFECTIVE)
    directives = decide_directives(context, members)
    assert [d.device_id for d in directives] == sorted(m.device_id for m in members)
    for directive in directives:
        assert directive.mode is DirectiveMode.viewer and directive.policy is None
        assert directive.version == VIEWER_VERSION
        assert directive.directive_id == f"proj-1:3:{directive.device_id}:viewer"
        assert directive.issued_at == EFFECTIVE
        assert directive.project_id == "proj-1" and directive.tenant_id == "acme"


@pytest.mark.parametrize("stage", [s for s in Stage if s not in (Stage.viewer, Stage.saver)])
def test_other_stages_decide_nothing(stage: Stage) -> None:
    context = StageContext("proj-1", "acme", stage, 3, EFFECTIVE, POLICY, 2)
    member = ScopeMember("d1", DESKTOP, "ACME")
    assert decide_directives(context, [member]) == []
    assert directive_for(context, member, frozenset({"d1"})) is None


@pytest.mark.parametrize(
    ("sizes", "count", "expected"),
    [
        # 4 of 10: exact shares 2.0, 1.2, 0.8 -> floors 2, 1, 0, one left for the largest remainder (0.8).
        ((5, 3, 2), 4, (2, 1, 1)),
        # 7 of 10: shares 3.5, 2.1, 1.4 -> floors 3, 2, 1, one left -> 0.5 wins.
        ((5, 3, 2), 7, (4, 2, 1)),
        # 3 of 9: 1 each, exactly.
        ((3, 3, 3), 3, (1, 1, 1)),
        # 2 of 100: shares 1.9, 0.05, 0.05 -> floor 1, 0, 0, the leftover goes to 0.9.
        ((95, 3, 2), 2, (2, 0, 0)),
        # Asking for more than there are: everyone.
        ((5, 3, 2), 50, (5, 3, 2)),
        ((5, 3, 2), 0, (0, 0, 0)),
    ],
)
def test_largest_remainder_quotas(sizes: tuple[int, ...], count: int, expected: tuple[int, ...]) -> None:
    strata = [(DESKTOP, "a"), (LAPTOP, "a"), (DESKTOP, "b")]
    quotas = stratum_quotas("proj-1", dict(zip(strata, sizes, strict=True)), count)
    assert tuple(quotas[s] for s in strata) == expected


def test_quotas_always_add_up_and_stay_within_one_of_the_exact_share() -> None:
    rng = random.Random(7)
    for _ in range(500):
        sizes = {(DESKTOP, f"g{i}"): rng.randint(1, 40) for i in range(rng.randint(1, 8))}
        total = sum(sizes.values())
        count = rng.randint(0, total + 5)
        quotas = stratum_quotas("proj-x", sizes, count)
        assert sum(quotas.values()) == min(count, total)
        for stratum, size in sizes.items():
            exact = min(count, total) * size / total
            assert quotas[stratum] <= size
            assert exact - 1 < quotas[stratum] < exact + 1


def test_each_kind_keeps_its_share_of_the_control_group() -> None:
    # 210 desktops in 30 teams of 7 and 10 workstations, one per team; 80 % get the policy.
    # Shared between the 40 strata directly, the workstations' remainders (0.8) beat every desktop
    # team's (0.6) for the 26 leftover seats: all 10 would get the policy, none left in the control
    # group, and the control-group savings could not be measured for workstations.
    sizes = {(DESKTOP, f"acme/team-{i}"): 7 for i in range(30)}
    sizes |= {(DeviceKind.workstation, f"acme/team-{i}"): 1 for i in range(10)}
    quotas = stratum_quotas("proj-1", sizes, 176)
    per_kind = Counter[DeviceKind]()
    for (kind, _), seats in quotas.items():
        per_kind[kind] += seats
    assert per_kind == {DESKTOP: 168, DeviceKind.workstation: 8}  # 80 % of each kind
    assert all(0 <= quotas[s] <= size for s, size in sizes.items())


def test_saver_selection_exact_counts_per_stratum() -> None:
    # 20 devices, 10 approved: shares 6, 3, 1 (exact halves of 12, 6, 2).
    members = fleet({(DESKTOP, "ACME/Paris"): 12, (LAPTOP, "ACME/Paris"): 6, (DESKTOP, "ACME/Lyon"): 2})
    directives = decide_directives(saver(10), members)
    assert len(directives) == 20
    by_id = {m.device_id: m for m in members}
    treated = Counter(stratum_of(by_id[d.device_id]) for d in directives if d.mode is DirectiveMode.saver)
    assert treated == {(DESKTOP, "acme/paris"): 6, (LAPTOP, "acme/paris"): 3, (DESKTOP, "acme/lyon"): 1}
    version = policy_version(POLICY)
    for directive in directives:
        if directive.mode is DirectiveMode.saver:
            assert directive.policy == POLICY and directive.version == version
            assert directive.directive_id == f"proj-1:5:{directive.device_id}:{version}"
        else:
            assert directive.policy is None and "control group" in directive.reason


def test_selection_is_reproducible_and_independent_of_input_order() -> None:
    members = fleet({(DESKTOP, "ACME/Paris"): 30, (LAPTOP, "ACME/Paris"): 12, (DESKTOP, "ACME/Lyon"): 8})
    first = decide_directives(saver(17), members)
    shuffled = list(members)
    random.Random(3).shuffle(shuffled)
    again = decide_directives(saver(17), shuffled + shuffled[:5])  # duplicates from the registry too
    assert first == again
    assert [d.directive_id for d in first] == [d.directive_id for d in again]
    # A replay of the same stage event sends nothing new: same ids, same payloads.
    assert {d.directive_id for d in first} == {d.directive_id for d in decide_directives(saver(17), members)}


def test_the_draw_is_seeded_by_the_project() -> None:
    members = fleet({(DESKTOP, "ACME"): 40})
    one = select_saver_devices("proj-1", members, 20, POLICY)
    other = select_saver_devices("proj-2", members, 20, POLICY)
    assert len(one) == len(other) == 20
    assert one != other


def test_no_approved_count_means_every_eligible_device() -> None:
    members = fleet({(DESKTOP, "ACME"): 4})
    assert all(d.mode is DirectiveMode.saver for d in decide_directives(saver(None), members))
    assert all(d.mode is DirectiveMode.saver for d in decide_directives(saver(99), members))


def test_exempt_groups_are_never_drawn_and_stay_in_viewer() -> None:
    policy = make_policy(exceptions=PolicyExceptions(exempt_groups=["acme/paris/IT"]))
    members = fleet({(DESKTOP, "ACME/Paris/IT/Servers"): 3, (DESKTOP, "ACME/Paris/Finance"): 4})
    directives = decide_directives(saver(10, policy=policy), members)
    modes = {d.device_id: d for d in directives}
    for member in members:
        directive = modes[member.device_id]
        if member.group_path.startswith("ACME/Paris/IT"):
            assert directive.mode is DirectiveMode.viewer and "exempt" in directive.reason
        else:
            assert directive.mode is DirectiveMode.saver


def test_a_device_enrolling_mid_saver_joins_the_control_group() -> None:
    members = fleet({(DESKTOP, "ACME"): 6})
    context = saver(3)
    selection = select_saver_devices(context.project_id, members, context.approved_pcs, POLICY)
    late = ScopeMember("desktop-late-001", DESKTOP, "ACME")
    directive = directive_for(context, late, selection)
    assert directive is not None and directive.mode is DirectiveMode.viewer
    assert "control group" in directive.reason
    assert directive.issued_at == EFFECTIVE
    # The devices already drawn keep their directive, identical to the one sent at the stage change.
    sent = {d.device_id: d for d in decide_directives(context, members)}
    for device_id in selection:
        member = next(m for m in members if m.device_id == device_id)
        assert directive_for(context, member, selection) == sent[device_id]


def test_a_device_enrolling_mid_viewer_gets_viewer() -> None:
    context = StageContext("proj-1", "acme", Stage.viewer, 3, EFFECTIVE)
    directive = directive_for(context, ScopeMember("late", LAPTOP, "ACME"), frozenset())
    assert directive is not None and directive.mode is DirectiveMode.viewer


def test_saver_without_an_approved_policy_is_refused() -> None:
    with pytest.raises(MissingApprovedPolicyError):
        decide_directives(saver(3, policy=None), fleet({(DESKTOP, "ACME"): 2}))


def test_directive_ids_fit_the_contract_even_for_the_longest_ids() -> None:
    project, device = "p" * 64, "d" * 128
    identifier = directive_id(project, 2**62, device, "0123456789abcdef")
    assert len(identifier) <= 200
    assert identifier == directive_id(project, 2**62, device, "0123456789abcdef")
    assert identifier != directive_id(project, 2**62, "e" * 128, "0123456789abcdef")
    assert directive_id("proj", 1, "dev", "v") == "proj:1:dev:v"
    context = StageContext(project, "acme", Stage.saver, 2**62, EFFECTIVE, POLICY, None)
    assert decide_directives(context, [ScopeMember(device, DESKTOP, "ACME")])[0].directive_id == directive_id(
        project, 2**62, device, policy_version(POLICY)
    )


def test_context_from_a_stage_change() -> None:
    summary = ProjectSummary(
        project_id="proj-1",
        tenant_id="acme",
        name="POC",
        project_type=ProjectType.poc,
        scope=Scope(tenant_id="acme", groups=["ACME"]),
        selected_pcs=10,
        fleet_total=100,
        fleet_desktops=60,
        fleet_laptops=40,
        kwh_cost=0.2,
        carbon_kg_per_kwh=0.05,
        schedule=UTC_SCHEDULE,
        approved_policy=POLICY,
        approved_pcs=4,
    )
    change = StageChange(
        event_id="proj-1:stage:6",
        project_id="proj-1",
        tenant_id="acme",
        seq=6,
        kind=StageChangeKind.transition,
        from_stage=Stage.recommendation,
        to_stage=Stage.saver,
        effective_at=EFFECTIVE + timedelta(days=14),
        reason="policies approved",
        project=summary,
    )
    context = StageContext.of(change)
    assert context == StageContext(
        "proj-1", "acme", Stage.saver, 6, EFFECTIVE + timedelta(days=14), POLICY, 4
    )
    directives: list[Directive] = decide_directives(context, fleet({(DESKTOP, "ACME"): 8}))
    assert sum(d.mode is DirectiveMode.saver for d in directives) == 4
    assert all(d.issued_at == change.effective_at for d in directives)
