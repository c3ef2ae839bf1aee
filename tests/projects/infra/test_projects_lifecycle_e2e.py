"""A whole project lifecycle on the real Kafka and PostgreSQL: created over HTTP, gates fed by the
device registry and activity topics, milestones posted over HTTP, and the stage events read back
by an independent plain aiokafka consumer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from projects_support import (
    OPERATOR,
    T0,
    days_of_activity,
    device,
    eventually,
    project_body,
    publish_activity,
    publish_devices,
    running,
)
from support.isolation import Isolation
from support.kafka import read_topic
from veille_contracts import StageChange, decode
from veille_contracts.topics import PROJECT_STAGES

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]

POLICY = {
    "policy_id": "balanced",
    "name": "Balanced",
    "ac": {"screen_off_min": 10, "sleep_min": 30},
    "battery": {"screen_off_min": 5, "sleep_min": 15},
}
DEVICES = [f"pc-{i}" for i in range(5)]


def day(n: int, hour: int = 8) -> str:
    return (T0 + timedelta(days=n)).replace(hour=hour).isoformat()


async def test_whole_lifecycle_publishes_each_stage_once_with_stable_ids(isolation: Isolation) -> None:
    async with running(isolation) as http:
        created = await http.post("/projects", json=project_body(), headers=OPERATOR)
        assert created.status_code == 201, created.text

        async def milestone(kind: str, at: str, **extra: Any) -> dict[str, Any]:
            body = {"kind": kind, "occurred_at": at, "event_id": f"ms-{kind}", **extra}
            response = await http.post("/projects/poc-paris/milestones", json=body, headers=OPERATOR)
            assert response.status_code == 201, response.text
            return dict(response.json())

        await milestone("kickoff_held", day(0, 10))
        await milestone("package_configured", day(1))

        # Deployment: the agents enrol (the registry topic), plus one device outside the scope.
        await publish_devices(isolation, [device(d) for d in DEVICES] + [device("lyon-1", group="ACME/Lyon")])

        async def enrolled() -> bool:
            r = await http.get("/projects/poc-paris/deployment", headers=OPERATOR)
            return bool(r.json()["enrolled_in_scope"] == 5)

        await eventually(enrolled, what="5 devices enrolled in scope")
        progress = (await http.get("/projects/poc-paris/deployment", headers=OPERATOR)).json()
        assert (progress["coverage"], progress["gate_holds"]) == (1.0, True)
        await milestone("deployment_completed", day(3))  # Thursday 5 March

        # Viewer: every device reports Thu 5 .. Thu 12 March (6 working days), milestone on Fri 13.
        viewer_days = [T0 + timedelta(days=n) for n in (3, 4, 7, 8, 9, 10)]
        await publish_activity(isolation, days_of_activity(DEVICES, viewer_days))

        async def days_reported(n: int) -> bool:
            r = await http.get("/projects/poc-paris/deployment", headers=OPERATOR)
            return sum(1 for c in r.json()["daily_reporting"].values() if c == 5) >= n

        async def gate_holds() -> bool:
            r = await http.get("/projects/poc-paris", headers=OPERATOR)
            gate = r.json()["current_gate"]
            return bool(gate and gate["holds"])

        await eventually(lambda: days_reported(6), what="six Viewer days counted")
        assert await gate_holds()
        await milestone("viewer_completed", day(11))
        await milestone("policies_approved", day(11, 10), approved_policy=POLICY, approved_pcs=5)

        # Saver: Mon 16 .. Fri 20 March; milestone on Sat 21.
        saver_days = [T0 + timedelta(days=n) for n in (14, 15, 16, 17, 18)]
        await publish_activity(isolation, days_of_activity(DEVICES, saver_days, seq0=100))
        await eventually(lambda: days_reported(5), what="five Saver days counted")
        await milestone("saver_completed", day(19))
        done = await milestone("feedback_delivered", day(21))
        assert done["project"]["stage"] == "closed"

        # Re-posting a milestone with the same event id changes nothing and publishes nothing.
        again = await http.post(
            "/projects/poc-paris/milestones",
            json={"kind": "feedback_delivered", "occurred_at": day(21), "event_id": "ms-feedback_delivered"},
            headers=OPERATOR,
        )
        assert again.status_code == 200 and again.json()["applied"] is False

        timeline = (await http.get("/projects/poc-paris/timeline", headers=OPERATOR)).json()

    # An independent consumer (no group, from the beginning) sees the lifecycle in order.
    expected = [
        "kickoff",
        "package_configuration",
        "deployment",
        "viewer",
        "recommendation",
        "saver",
        "feedback",
        "closed",
    ]
    records = await read_topic(
        isolation.infra.kafka_bootstrap,
        isolation.topic(PROJECT_STAGES),
        until=lambda r: len(r) >= len(expected),
    )
    events = [decode(StageChange, r.value) for r in records]
    assert [e.to_stage.value for e in events] == expected
    assert [e.event_id for e in events] == [f"poc-paris:stage:{i}" for i in range(len(expected))]
    assert all(r.key == b"poc-paris" for r in records)
    assert all(e.kind == "transition" and not e.overridden for e in events)
    assert [dict(r.headers)["event_id"].decode() for r in records] == [e.event_id for e in events]
    # Each event carries the project summary and its scope; planned vs actual durations of the stage left.
    assert all(e.project.scope.groups == ["ACME/Paris"] and e.project.selected_pcs == 5 for e in events)
    viewer_left = events[4]
    assert (viewer_left.from_stage, viewer_left.planned_days, viewer_left.actual_days) == (
        "viewer",
        14.0,
        8.0,
    )
    assert events[5].project.approved_pcs == 5 and events[5].project.approved_policy is not None
    # The timeline API shows the same events.
    assert [e["event_id"] for e in timeline["events"]] == [e.event_id for e in events]
    # Nothing more was published (the duplicate milestone added nothing).
    with pytest.raises(TimeoutError):
        await read_topic(
            isolation.infra.kafka_bootstrap,
            isolation.topic(PROJECT_STAGES),
            until=lambda r: len(r) > len(expected),
            timeout_s=3,
        )
