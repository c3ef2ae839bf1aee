"""Builders shared by the projects domain unit tests: valid defaults, one keyword to vary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from veille_contracts.policy import Policy, PowerTimeouts
from veille_contracts.projects import Milestone, MilestoneKind, ProjectType, Scope, Stage
from veille_projects.domain.model import Person, Prerequisites, Project, Role, new_project

T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # Monday 3 March 2025, 09:00 in Paris


def person(**overrides: Any) -> Person:
    values: dict[str, Any] = {
        "last_name": "Martin",
        "first_name": "Claire",
        "email": "claire.martin@acme.example",
        "role": Role.customer_it,
    }
    values.update(overrides)
    return Person(**values)


def prerequisites(**overrides: Any) -> Prerequisites:
    values: dict[str, Any] = {
        "selected_pcs": 20,
        "fleet_total": 100,
        "fleet_desktops": 60,
        "fleet_laptops": 40,
        "kwh_cost": 0.2,
        "holidays": (),
        "people": (person(),),
    }
    values.update(overrides)
    return Prerequisites(**values)


def scope(**overrides: Any) -> Scope:
    values: dict[str, Any] = {"tenant_id": "acme", "groups": ["ACME/Paris"]}
    values.update(overrides)
    return Scope(**values)


def project(stage: Stage = Stage.kickoff, entered_at: datetime = T0, **overrides: Any) -> Project:
    values: dict[str, Any] = {
        "project_id": "poc-paris",
        "tenant_id": "acme",
        "name": "POC Paris",
        "project_type": ProjectType.poc,
        "scope": scope(),
        "prerequisites": prerequisites(),
        "opened_at": entered_at,
    }
    values.update(overrides)
    return replace(new_project(**values), stage=stage)


def policy() -> Policy:
    return Policy(
        policy_id="balanced",
        name="Balanced",
        ac=PowerTimeouts(screen_off_min=10, sleep_min=30),
        battery=PowerTimeouts(screen_off_min=5, sleep_min=15),
    )


def milestone(kind: MilestoneKind, at: datetime, **overrides: Any) -> Milestone:
    values: dict[str, Any] = {
        "event_id": f"ms-{kind.value}",
        "project_id": "poc-paris",
        "kind": kind,
        "occurred_at": at,
        "actor": "alice@veille.example",
    }
    values.update(overrides)
    return Milestone(**values)
