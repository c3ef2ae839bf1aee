"""Project, prerequisites, people and plan: what is accepted, and the errors an operator sees."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest
from projects_domain_builders import T0, person, prerequisites, project, scope
from veille_contracts.projects import Stage
from veille_projects.domain.model import (
    GateSettings,
    InvalidProject,
    PlannedStage,
    Role,
    StagePlan,
    default_carbon_factor,
)


def test_valid_prerequisites_are_accepted_and_complete() -> None:
    p = prerequisites()
    assert p.complete
    assert p.missing() == ()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"selected_pcs": 101}, "selected PCs (101) exceed the total fleet (100)"),
        ({"selected_pcs": 0}, "selected PCs must be at least 1"),
        ({"fleet_total": 0, "fleet_desktops": 0, "fleet_laptops": 0, "selected_pcs": 1}, "at least 1"),
        ({"fleet_desktops": 61}, "desktops (61) + laptops (40) = 101, not the total fleet (100)"),
        ({"fleet_laptops": 39}, "= 99, not the total fleet (100)"),
        ({"fleet_desktops": -1, "fleet_laptops": 101}, "must not be negative"),
        ({"kwh_cost": 0.0}, "kWh cost 0.0 is implausible"),
        ({"kwh_cost": -0.2}, "kWh cost -0.2 is implausible"),
        ({"kwh_cost": 180.0}, "kWh cost 180.0 is implausible"),  # a price per MWh typed as per kWh
        ({"currency": "euro"}, "not an ISO 4217 code"),
        ({"carbon_kg_per_kwh": 0.0}, "carbon factor 0.0 kg/kWh is implausible"),
        ({"carbon_kg_per_kwh": 52.0}, "carbon factor 52.0 kg/kWh is implausible"),  # g typed as kg
        ({"country": "BR"}, "no default carbon factor for country 'BR'"),
        (
            {"people": (person(), person(email="CLAIRE.martin@acme.example", first_name="C."))},
            "the same email is given for several people: claire.martin@acme.example",
        ),
        ({"holidays": tuple(date.fromordinal(739_000 + i) for i in range(401))}, "at most 400"),
    ],
)
def test_implausible_prerequisites_are_refused_with_a_clear_message(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidProject) as error:
        prerequisites(**overrides)
    assert any(message in problem for problem in error.value.problems), error.value.problems


@pytest.mark.parametrize(
    ("overrides"),
    [
        {"selected_pcs": 100},  # a roll-out selects the whole fleet
        {"selected_pcs": 1},
        {"fleet_desktops": 100, "fleet_laptops": 0},
        {"kwh_cost": 2.0},  # the upper bound is allowed
        {"kwh_cost": 0.0001},
        {"carbon_kg_per_kwh": 1.5},
        {"country": "BR", "carbon_kg_per_kwh": 0.1},  # no default needed when given
    ],
)
def test_boundary_prerequisites_are_accepted(overrides: dict[str, Any]) -> None:
    prerequisites(**overrides)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidProject) as error:
        prerequisites(selected_pcs=500, fleet_desktops=1, kwh_cost=5.0, carbon_kg_per_kwh=3.0)
    assert len(error.value.problems) == 4
    assert str(error.value) == "; ".join(error.value.problems)


def test_carbon_factor_defaults_per_country_and_explicit_wins() -> None:
    assert prerequisites().carbon_factor == 0.052  # FR, SDES / IEA 2021
    assert prerequisites(country="fr").carbon_factor == 0.052
    assert prerequisites(country="EU").carbon_factor == 0.26  # EU-27 average, EEA
    assert prerequisites(carbon_kg_per_kwh=0.1).carbon_factor == 0.1
    assert default_carbon_factor("FR") == 0.052
    with pytest.raises(InvalidProject, match="give carbon_kg_per_kwh"):
        default_carbon_factor("US")


def test_holidays_are_kept_sorted_and_unique() -> None:
    p = prerequisites(holidays=(date(2025, 5, 8), date(2025, 5, 1), date(2025, 5, 8)))
    assert p.holidays == (date(2025, 5, 1), date(2025, 5, 8))


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"people": ()}, ["people who need access"]),
        ({"holidays": None}, ["the organisation's holidays"]),
        ({"people": (), "holidays": None}, ["people who need access", "the organisation's holidays"]),
    ],
)
def test_missing_prerequisites_are_named(overrides: dict[str, Any], missing: list[str]) -> None:
    p = prerequisites(**overrides)
    assert not p.complete
    assert len(p.missing()) == len(missing)
    for got, expected in zip(p.missing(), missing, strict=True):
        assert got.startswith(expected)


@pytest.mark.parametrize(
    "email",
    ["a@b.fr", "claire.martin+veille@acme.example", "x_y@sub.domain.example.org"],
)
def test_plausible_emails_are_accepted(email: str) -> None:
    assert person(email=email).email == email


@pytest.mark.parametrize(
    "email",
    [
        "",
        "claire",
        "claire@",
        "@acme.example",
        "claire@acme",
        "claire martin@acme.example",
        "a@@b.fr",
        "a@b..fr",
    ],
)
def test_implausible_emails_are_refused(email: str) -> None:
    with pytest.raises(InvalidProject, match="invalid email"):
        person(email=email)


@pytest.mark.parametrize("field", ["last_name", "first_name"])
def test_people_need_both_names(field: str) -> None:
    with pytest.raises(InvalidProject, match=field.replace("_", " ")):
        person(**{field: "  "})


def test_roles_cover_both_sides_of_the_project() -> None:
    assert {r.value for r in Role} == {
        "project_manager",
        "customer_it",
        "customer_management",
        "sales",
        "support",
    }


def test_default_plan_lengths() -> None:
    plan = StagePlan()
    assert [plan.planned_days(s) for s in Stage] == [None, 5.0, 14.0, 14.0, 7.0, 14.0, 7.0, None]
    assert StagePlan(viewer_days=10).planned_days(Stage.saver) == 10  # saver follows viewer
    assert StagePlan(viewer_days=10, saver_days=12).planned_days(Stage.saver) == 12


def test_plan_dates_from_kickoff() -> None:
    # From Monday 6 January 2025: 5 + 14 + 14 + 7 + 14 + 7 = 61 days, ending Saturday 8 March.
    dates = StagePlan().dates_from(date(2025, 1, 6))
    assert dates == (
        PlannedStage(Stage.package_configuration, date(2025, 1, 6), date(2025, 1, 11)),
        PlannedStage(Stage.deployment, date(2025, 1, 11), date(2025, 1, 25)),
        PlannedStage(Stage.viewer, date(2025, 1, 25), date(2025, 2, 8)),
        PlannedStage(Stage.recommendation, date(2025, 2, 8), date(2025, 2, 15)),
        PlannedStage(Stage.saver, date(2025, 2, 15), date(2025, 3, 1)),
        PlannedStage(Stage.feedback, date(2025, 3, 1), date(2025, 3, 8)),
    )
    assert [d.days for d in dates] == [5, 14, 14, 7, 14, 7]
    # A fractional plan shows whole days: 2.5 days is planned as 3.
    assert StagePlan(package_configuration_days=2.5).dates_from(date(2025, 1, 6))[0].days == 3


@pytest.mark.parametrize("overrides", [{"deployment_days": 0}, {"viewer_days": -1}, {"saver_days": 0}])
def test_plan_lengths_must_be_positive(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidProject, match="must last more than 0 days"):
        StagePlan(**overrides)


@pytest.mark.parametrize(
    "overrides",
    [
        {"deployment_coverage": 0},
        {"deployment_coverage": 1.2},
        {"reporting_fraction": 0},
        {"abnormal_below_median": 1.5},
        {"representative_days": 0},
        {"representative_days": 8},
    ],
)
def test_gate_settings_are_bounded(overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidProject):
        GateSettings(**overrides)


def test_gate_settings_defaults() -> None:
    g = GateSettings()
    assert (g.deployment_coverage, g.reporting_fraction, g.abnormal_below_median, g.representative_days) == (
        0.8,
        0.5,
        0.5,
        5,
    )


def test_new_project_starts_in_kickoff() -> None:
    p = project()
    assert p.stage is Stage.kickoff
    assert p.stage_entered_at == T0
    assert p.next_seq == 0
    assert p.applied == ()
    assert p.planned_days is None  # kickoff has no planned length


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scope": scope(tenant_id="globex")}, "scope tenant 'globex' is not the project's tenant 'acme'"),
        ({"project_id": "poc paris"}, "project id 'poc paris' is not a valid id"),
        ({"project_id": "p" * 65}, "is not a valid id"),
        ({"tenant_id": "", "scope": scope(tenant_id="acme")}, "tenant id '' is not a valid id"),
        ({"name": " "}, "project name must be 1 to 256 characters"),
        ({"opened_at": datetime(2025, 3, 3, 9)}, "must be timezone-aware"),
    ],
)
def test_project_validation(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidProject) as error:
        project(**overrides)
    assert any(message in problem for problem in error.value.problems), error.value.problems


def test_an_approved_policy_needs_its_number_of_pcs() -> None:
    with pytest.raises(InvalidProject, match="go together"):
        replace(project(), approved_pcs=5)
