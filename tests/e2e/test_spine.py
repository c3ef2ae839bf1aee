"""The spine, end to end on the real broker and database, with the services as real processes:
a heartbeat published to Kafka reaches ingest and is stored; ingest publishes activity after its
commit; reporting stores that activity."""

from __future__ import annotations

import pytest
from support.db import wait_count
from support.fleet import T0, heartbeat, inventory, record
from support.isolation import Isolation
from support.kafka import produce, read_topic
from veille_cli.platform import Platform
from veille_contracts import Activity, decode
from veille_contracts.topics import AGENT_DLQ, AGENT_HEARTBEATS, AGENT_INVENTORY, FLEET_ACTIVITY

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_heartbeat_flows_from_agent_to_reporting(isolation: Isolation, tmp_path) -> None:
    platform = Platform(
        env=isolation.env(), log_dir=tmp_path, services=("ingest", "reporting"), fixed_ports=False
    )
    platform.start()
    try:
        bootstrap = isolation.infra.kafka_bootstrap
        devices = [f"pc-{i}" for i in range(3)]
        await produce(
            bootstrap, isolation.topic(AGENT_INVENTORY), [record(inventory(d, at=T0)) for d in devices]
        )
        beats = [heartbeat(d, seq) for d in devices for seq in range(4)]
        # Inventory must be stored before heartbeats are judged: wait for the registry row first.
        db = isolation.infra.database_url
        assert await wait_count(db, f"SELECT count(*) FROM ingest{isolation.schema_suffix}.devices", 3) == 3
        await produce(bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(b) for b in beats])

        stored = await wait_count(db, f"SELECT count(*) FROM ingest{isolation.schema_suffix}.heartbeats", 12)
        if stored != 12:
            letters = await read_topic(
                bootstrap, isolation.topic(AGENT_DLQ), until=lambda r: True, timeout_s=5
            )
            pytest.fail(f"{stored} heartbeats stored; dead letters: {[r.value[:300] for r in letters]}")

        records = await read_topic(bootstrap, isolation.topic(FLEET_ACTIVITY), until=lambda r: len(r) >= 12)
        activities = [decode(Activity, r.value) for r in records]
        assert {(a.device_id, a.seq) for a in activities} == {(b.device_id, b.seq) for b in beats}
        assert all(r.key == a.device_id.encode() for r, a in zip(records, activities, strict=True))
        assert all(a.device_kind == "desktop" for a in activities)

        in_reporting = await wait_count(
            db, f"SELECT count(*) FROM reporting{isolation.schema_suffix}.activity", 12
        )
        assert in_reporting == 12
    finally:
        platform.stop()
