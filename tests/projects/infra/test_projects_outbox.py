"""The transactional outbox: a crash between the database commit and the publish still publishes
every stage event, with the same event id; a crash after the publish and before it is marked
publishes it again with the same id and bytes (consumers drop duplicates by id)."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from projects_support import OPERATOR, T0, project_body, running
from support.isolation import Isolation
from support.kafka import read_topic
from veille_contracts import StageChange, decode
from veille_contracts.topics import PROJECT_STAGES
from veille_projects.adapters import outbox
from veille_projects.adapters.outbox import OutboxRelay
from veille_runtime.db import create_pool

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def unpublished(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def test_a_crash_between_commit_and_publish_still_publishes_once_per_id(
    isolation: Isolation, monkeypatch: pytest.MonkeyPatch
) -> None:
    bootstrap, topic = isolation.infra.kafka_bootstrap, isolation.topic(PROJECT_STAGES)
    # 1. The service commits but never publishes (the relay is not running: as if it crashed).
    async with running(isolation, relay_enabled=False) as http:
        assert (await http.post("/projects", json=project_body(), headers=OPERATOR)).status_code == 201
        r = await http.post(
            "/projects/poc-paris/milestones",
            json={"kind": "kickoff_held", "occurred_at": (T0 + timedelta(hours=1)).isoformat()},
            headers=OPERATOR,
        )
        assert r.status_code == 201
    with pytest.raises(TimeoutError):
        await read_topic(bootstrap, topic, until=lambda r: len(r) > 0, timeout_s=3)

    pool = await create_pool(isolation.infra.database_url, f"projects{isolation.schema_suffix}")
    try:
        assert await unpublished(pool) == 2

        # 2. A relay publishes, then crashes before marking the rows published.
        async def crash(conn: object, ids: object) -> None:
            raise RuntimeError("crash before marking published")

        monkeypatch.setattr(outbox, "mark_published", crash)
        relay = OutboxRelay(pool, bootstrap, isolation.namespace)
        await relay.start()
        try:
            with pytest.raises(RuntimeError):
                await relay.relay_once()
        finally:
            await relay.stop()
        monkeypatch.undo()
        assert await unpublished(pool) == 2

        # 3. The service restarts: its relay publishes the rows again, and marks them.
        async with running(isolation) as http:
            records = await read_topic(bootstrap, topic, until=lambda r: len(r) >= 4)
        assert await unpublished(pool) == 0
    finally:
        await pool.close()

    ids = [decode(StageChange, r.value).event_id for r in records]
    assert ids == ["poc-paris:stage:0", "poc-paris:stage:1"] * 2
    assert records[0].value == records[2].value and records[1].value == records[3].value
    # Deduplicated by id, a consumer sees each transition once, in order.
    seen: dict[str, StageChange] = {}
    for r in records:
        event = decode(StageChange, r.value)
        seen.setdefault(event.event_id, event)
    assert [e.to_stage for e in seen.values()] == ["kickoff", "package_configuration"]
    # And nothing more is published once the rows are marked.
    with pytest.raises(TimeoutError):
        await read_topic(bootstrap, topic, until=lambda r: len(r) > 4, timeout_s=3)
