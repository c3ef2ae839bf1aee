"""Facts from the fleet topics: daily reporting kept exact and idempotent, and the event-time clock
that announces a stage outliving its plan (once)."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from projects_support import (
    OPERATOR,
    T0,
    activity,
    days_of_activity,
    eventually,
    project_body,
    publish_activity,
    running,
)
from support.isolation import Isolation
from support.kafka import read_topic
from veille_contracts import StageChange, decode
from veille_contracts.topics import PROJECT_STAGES

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_replayed_activity_counts_once_and_overruns_are_announced_once(isolation: Isolation) -> None:
    db = isolation.infra.database_url
    async with running(isolation) as http:
        assert (await http.post("/projects", json=project_body(), headers=OPERATOR)).status_code == 201
        r = await http.post(
            "/projects/poc-paris/milestones",
            json={"kind": "kickoff_held", "occurred_at": (T0 + timedelta(hours=1)).isoformat()},
            headers=OPERATOR,
        )
        assert r.status_code == 201  # package_configuration: planned 5 days

        # Day 1..4: 3 devices, every day, sent twice (a redelivery): one row per device and day.
        batch = days_of_activity(["a", "b", "c"], [T0 + timedelta(days=n) for n in range(1, 5)])
        await publish_activity(isolation, batch + batch)
        conn = await asyncpg.connect(db)
        try:
            table = f"projects{isolation.schema_suffix}.device_days"

            async def counted() -> bool:
                return int(await conn.fetchval(f"SELECT count(*) FROM {table}")) >= 12

            await eventually(counted, what="device days")
            # a late period from another device of the tenant, 5 days + 1 h after the stage began
            await publish_activity(isolation, [activity("d", T0 + timedelta(days=5, hours=2), 0)])
            records = await read_topic(
                isolation.infra.kafka_bootstrap, isolation.topic(PROJECT_STAGES), until=lambda r: len(r) >= 3
            )
            # event time moves on again: no second overrun for the same stage
            await publish_activity(isolation, [activity("d", T0 + timedelta(days=9), 1)])
            await eventually(
                lambda: _clock_at_least(conn, isolation.schema_suffix, T0 + timedelta(days=9)), what="clock"
            )
            rows = await conn.fetch(f"SELECT local_date, count(*) AS n FROM {table} GROUP BY 1 ORDER BY 1")
        finally:
            await conn.close()
        assert [(row["local_date"].day, row["n"]) for row in rows] == [
            (3, 3),
            (4, 3),
            (5, 3),
            (6, 3),
            (7, 1),
            (11, 1),
        ]
        timeline = (await http.get("/projects/poc-paris/timeline", headers=OPERATOR)).json()

    overrun = decode(StageChange, records[2].value)
    assert overrun.kind == "overrun" and overrun.to_stage == overrun.from_stage == "package_configuration"
    assert overrun.event_id == "poc-paris:stage:2" and overrun.planned_days == 5.0
    assert overrun.effective_at == T0 + timedelta(days=5, hours=2, minutes=5)
    assert [e["kind"] for e in timeline["events"]] == ["transition", "transition", "overrun"]
    with pytest.raises(TimeoutError):
        await read_topic(
            isolation.infra.kafka_bootstrap,
            isolation.topic(PROJECT_STAGES),
            until=lambda r: len(r) > 3,
            timeout_s=3,
        )


async def _clock_at_least(conn: asyncpg.Connection, suffix: str, at: object) -> bool:
    now = await conn.fetchval(f"SELECT now FROM projects{suffix}.tenant_clock WHERE tenant_id = 'acme'")
    return bool(now is not None and now >= at)
