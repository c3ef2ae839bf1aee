"""Refused milestones: over HTTP, each refusal code with its status and a body that says why; on
the milestones topic, a dead letter with the original bytes and the refusal message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from projects_support import OPERATOR, T0, eventually, project_body, running
from support.isolation import Isolation
from support.kafka import produce, read_topic
from veille_contracts import DeadLetter, Milestone, MilestoneKind, StageChange, decode
from veille_contracts.topics import PROJECT_MILESTONES, PROJECT_STAGES, PROJECTS_DLQ

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_http_refusals_say_why(isolation: Isolation) -> None:
    async with running(isolation) as http:
        # Holidays not collected yet: the prerequisites are incomplete.
        body = project_body()
        body["prerequisites"]["holidays"] = None
        assert (await http.post("/projects", json=body, headers=OPERATOR)).status_code == 201

        async def post(kind: str, at: object, pid: str = "poc-paris", **extra: object) -> tuple[int, dict]:
            r = await http.post(
                f"/projects/{pid}/milestones",
                json={"kind": kind, "occurred_at": at, **extra},
                headers=OPERATOR,
            )
            return r.status_code, r.json()

        # unknown project: 404
        status, problem = await post("kickoff_held", T0.isoformat(), pid="nope")
        assert status == 404 and "nope" in problem["detail"]

        # wrong order: 409 wrong_order, naming the expected milestone
        status, problem = await post("deployment_completed", (T0 + timedelta(hours=1)).isoformat())
        assert status == 409 and problem["code"] == "wrong_order"
        assert "the current stage ends with kickoff_held" in problem["detail"]

        # invalid: before the stage began: 422 invalid
        status, problem = await post("kickoff_held", (T0 - timedelta(days=1)).isoformat())
        assert (
            status == 422
            and problem["code"] == "invalid"
            and "before the kickoff stage began" in problem["detail"]
        )

        # malformed body: 422 from validation, naming the field
        r = await http.post("/projects/poc-paris/milestones", json={"kind": "lunch"}, headers=OPERATOR)
        assert r.status_code == 422 and "kind" in r.text

        status, applied = await post("kickoff_held", (T0 + timedelta(hours=1)).isoformat(), event_id="ms-1")
        assert status == 201 and applied["applied"]

        # duplicate (same event id): 200, nothing applied
        status, again = await post("kickoff_held", (T0 + timedelta(hours=1)).isoformat(), event_id="ms-1")
        assert status == 200 and again == {
            "applied": False,
            "detail": "event 'ms-1' was already applied",
            "event": None,
            "project": None,
        }

        # gate not met: 409 gate_not_met, saying what is missing
        status, problem = await post("package_configured", (T0 + timedelta(days=1)).isoformat())
        assert status == 409 and problem["code"] == "gate_not_met"
        assert "holidays" in problem["detail"] and problem["gate"]["holds"] is False

        # an override with a reason passes the gate and is recorded in the stage event
        status, applied = await post(
            "package_configured",
            (T0 + timedelta(days=1)).isoformat(),
            override_reason="holidays sent by mail",
        )
        assert status == 201 and applied["event"]["overridden"] is True
        assert applied["event"]["override_reason"] == "holidays sent by mail"

        # deployment with no device enrolled: the coverage gate explains the numbers
        status, problem = await post("deployment_completed", (T0 + timedelta(days=2)).isoformat())
        assert status == 409 and problem["code"] == "gate_not_met"
        assert "0 devices enrolled in scope for 5 selected PCs; 4 needed (80%)" in problem["detail"]

        # a duplicate project id: 409; an invalid project: 422 listing every problem
        assert (await http.post("/projects", json=project_body(), headers=OPERATOR)).status_code == 409
        bad = project_body("other")
        bad["prerequisites"].update(selected_pcs=500, kwh_cost=40)
        r = await http.post("/projects", json=bad, headers=OPERATOR)
        assert r.status_code == 422 and len(r.json()["problems"]) == 2, r.text


async def test_topic_refusals_go_to_the_dead_letter_topic(isolation: Isolation) -> None:
    async with running(isolation) as http:
        assert (await http.post("/projects", json=project_body(), headers=OPERATOR)).status_code == 201

        def ms(
            event_id: str, kind: MilestoneKind, pid: str = "poc-paris", hours: int = 1
        ) -> tuple[bytes, bytes]:
            m = Milestone(
                event_id=event_id,
                project_id=pid,
                kind=kind,
                occurred_at=T0 + timedelta(hours=hours),
                actor="tool@veille.example",
            )
            return pid.encode(), m.to_json_bytes()

        sent = [
            ms("a", MilestoneKind.kickoff_held, pid="ghost"),  # unknown project
            ms("b", MilestoneKind.saver_completed),  # wrong order
            (b"poc-paris", b'{"not": "a milestone"}'),  # malformed
            ms("c", MilestoneKind.kickoff_held),  # accepted
            ms("c", MilestoneKind.kickoff_held),  # redelivered: a no-op, no dead letter
        ]
        await produce(isolation.infra.kafka_bootstrap, isolation.topic(PROJECT_MILESTONES), sent)
        letters = await read_topic(
            isolation.infra.kafka_bootstrap, isolation.topic(PROJECTS_DLQ), until=lambda r: len(r) >= 3
        )
        by_key = {}
        for r in letters:
            letter = decode(DeadLetter, r.value)
            by_key[letter.original_value()] = letter
        assert (
            by_key[sent[0][1]].reason == "unknown_project"
            and "no project 'ghost'" in by_key[sent[0][1]].detail
        )
        assert by_key[sent[1][1]].reason == "refused"
        assert by_key[sent[1][1]].detail.startswith("wrong_order: saver_completed ends saver")
        assert by_key[sent[2][1]].reason == "invalid_value"
        assert all(letter.service == "projects" for letter in by_key.values())

        async def moved() -> bool:
            r = await http.get("/projects/poc-paris", headers=OPERATOR)
            return bool(r.json()["project"]["stage"] == "package_configuration")

        await eventually(moved, what="kickoff_held from the topic applied")
    events = await read_topic(
        isolation.infra.kafka_bootstrap, isolation.topic(PROJECT_STAGES), until=lambda r: len(r) >= 2
    )
    assert [decode(StageChange, r.value).to_stage for r in events] == ["kickoff", "package_configuration"]
