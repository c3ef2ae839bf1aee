"""On the real broker and database: hold until enrolled, expiry of held heartbeats, idempotent
storage (duplicates, replays, out-of-order periods), daily partitions and retention."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import orjson
import pytest
from ingest.integration.ingest_helpers import fetch, send_each
from support.db import wait_count
from support.fleet import T0, heartbeat, inventory, record
from support.isolation import Isolation
from support.kafka import produce, read_topic
from support.services import serve
from veille_contracts import (
    Activity,
    DeadLetter,
    DeviceKind,
    Heartbeat,
    PowerSource,
    RejectReason,
    SleepBlocker,
    decode,
)
from veille_contracts.topics import AGENT_DLQ, AGENT_HEARTBEATS, AGENT_INVENTORY, FLEET_ACTIVITY
from veille_ingest.entrypoints.app import create_app
from veille_ingest.settings import IngestSettings

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


async def test_heartbeats_before_inventory_are_held_then_stored(isolation: Isolation) -> None:
    settings = isolation.settings(IngestSettings, sweep_interval_s=0.2)
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    schema = f"ingest{isolation.schema_suffix}"
    beats = [heartbeat("pc-late", s) for s in range(5)] + [heartbeat("pc-foreign", 0, tenant="globex")]
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        await produce(bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(b) for b in beats])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.pending_heartbeats", 6) == 6
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.heartbeats", 1, timeout_s=1) == 0
        await produce(
            bootstrap,
            isolation.topic(AGENT_INVENTORY),
            [
                record(inventory("pc-late", kind=DeviceKind.laptop)),
                record(inventory("pc-foreign", tenant="acme")),
            ],
        )
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.heartbeats", 5) == 5
        activity = await read_topic(bootstrap, isolation.topic(FLEET_ACTIVITY), until=lambda r: len(r) >= 5)
        letters = await read_topic(bootstrap, isolation.topic(AGENT_DLQ), until=lambda r: len(r) >= 1)
        assert (
            await wait_count(db, f"SELECT 6 - count(*) FROM {schema}.pending_heartbeats", 6) == 6
        )  # holding area emptied
    assert sorted(decode(Activity, r.value).seq for r in activity) == [0, 1, 2, 3, 4]
    assert {decode(Activity, r.value).device_kind for r in activity} == {"laptop"}
    (letter,) = [decode(DeadLetter, r.value) for r in letters]
    assert letter.reason is RejectReason.tenant_mismatch
    assert letter.original_value() == beats[-1].to_json_bytes()


async def test_a_held_heartbeat_expires_to_the_dead_letters(isolation: Isolation) -> None:
    settings = isolation.settings(IngestSettings, hold_max_s=1.0, sweep_interval_s=0.2)
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    ghost = heartbeat("pc-ghost", 7)
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        ((partition, offset),) = await send_each(
            bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(ghost)]
        )
        letters = await read_topic(bootstrap, isolation.topic(AGENT_DLQ), until=lambda r: len(r) >= 1)
        left = await wait_count(
            db, f"SELECT 1 - count(*) FROM ingest{isolation.schema_suffix}.pending_heartbeats", 1
        )
    letter = decode(DeadLetter, letters[0].value)
    assert letter.reason is RejectReason.unknown_device
    assert (letter.original_topic, letter.partition, letter.offset) == (
        isolation.topic(AGENT_HEARTBEATS),
        partition,
        offset,
    )
    assert letter.original_value() == ghost.to_json_bytes()
    assert left == 1


async def test_duplicates_replays_and_out_of_order_change_nothing(isolation: Isolation) -> None:
    settings = isolation.settings(IngestSettings)
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    schema = f"ingest{isolation.schema_suffix}"
    # Two days of periods (two daily partitions), sent out of order, then all again, then a
    # "replay" of seq 5 with different counters (a duplicate key: the first one stays).
    beats = [heartbeat("pc-1", s, minutes=60) for s in range(30)]
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        await produce(bootstrap, isolation.topic(AGENT_INVENTORY), [record(inventory("pc-1"))])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.devices", 1) == 1
        await produce(bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(b) for b in reversed(beats)])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.heartbeats", 30) == 30
        before = await fetch(db, f"SELECT * FROM {schema}.heartbeats ORDER BY device_id, seq")
        await produce(bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(b) for b in beats])
        # a replay is announced again (at least once, same activity ids)
        activity = await read_topic(bootstrap, isolation.topic(FLEET_ACTIVITY), until=lambda r: len(r) >= 60)
        changed = heartbeat("pc-1", 5, minutes=60, on=10, active=0)
        await produce(bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(changed)])
        letters = await read_topic(bootstrap, isolation.topic(AGENT_DLQ), until=lambda r: len(r) >= 1)
        after = await fetch(db, f"SELECT * FROM {schema}.heartbeats ORDER BY device_id, seq")
        activity = await read_topic(bootstrap, isolation.topic(FLEET_ACTIVITY), until=lambda r: len(r) >= 60)
        parts = await fetch(
            db,
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            f"WHERE i.inhparent = '{schema}.heartbeats'::regclass ORDER BY 1",
        )
    assert after == before
    ids = [decode(Activity, r.value).activity_id for r in activity]
    assert len(ids) == 60 and len(set(ids)) == 30  # each twice, never the changed duplicate
    (letter,) = [decode(DeadLetter, r.value) for r in letters]
    assert letter.reason is RejectReason.invalid_value and "already stored" in letter.detail
    assert letter.original_value() == changed.to_json_bytes()
    assert [r["relname"] for r in parts] == ["heartbeats_p20260302", "heartbeats_p20260303"]


async def test_retention_drops_whole_old_partitions(isolation: Isolation) -> None:
    settings = isolation.settings(IngestSettings, heartbeat_retention_days=20, max_past_s=86400)
    db = isolation.infra.database_url
    schema = f"ingest{isolation.schema_suffix}"
    async with serve(create_app(settings)) as _:  # type: ignore[arg-type]
        from veille_ingest.adapters.heartbeat_store import HeartbeatStore
        from veille_runtime.db import create_pool

        pool = await create_pool(db, schema)
        try:
            store = HeartbeatStore()
            old = heartbeat("pc-1", 0)
            new = heartbeat("pc-1", 1, start=T0 + timedelta(days=30))
            await store.ensure_partitions(pool, [old, new])
            async with pool.acquire() as conn, conn.transaction():
                await store.store(conn, [old, new])
            assert await store.drop_expired(pool, 20) == ["heartbeats_p20260302"]
            rows = await pool.fetch("SELECT seq FROM heartbeats")
        finally:
            await pool.close()
    assert [r["seq"] for r in rows] == [1]
    assert isinstance(rows[0], asyncpg.Record)


async def test_every_field_is_stored_as_sent(isolation: Isolation) -> None:
    settings = isolation.settings(IngestSettings)
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    schema = f"ingest{isolation.schema_suffix}"
    start = T0 + timedelta(microseconds=123_457)
    full = heartbeat("pc-full", 0, start=start, on=290.5, active=100.25, asleep=9.5).model_copy(
        update={
            "last_input_at": start + timedelta(minutes=4, microseconds=1),
            "power_source": PowerSource.battery,
            "battery_percent": 42.5,
            "policy_version": "p-7",
            "sleep_blockers": [SleepBlocker(process="backup.exe", seconds=120)],
            "input_minutes": [0, 3, 4],
        }
    )
    bare = heartbeat("pc-full", 1)
    full, bare = (decode(Heartbeat, hb.to_json_bytes()) for hb in (full, bare))  # validated
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        await produce(bootstrap, isolation.topic(AGENT_INVENTORY), [record(inventory("pc-full"))])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.devices", 1) == 1
        await produce(bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(full), record(bare)])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.heartbeats", 2) == 2
        rows = await fetch(db, f"SELECT * FROM {schema}.heartbeats ORDER BY seq")
    for row, hb in zip(rows, (full, bare), strict=True):
        assert (row["device_id"], row["seq"], row["tenant_id"]) == (hb.device_id, hb.seq, hb.tenant_id)
        assert (row["period_start"], row["period_end"], row["last_input_at"]) == (
            hb.period_start,
            hb.period_end,
            hb.last_input_at,
        )
        assert (row["seconds_on"], row["seconds_active"], row["seconds_asleep"]) == (
            hb.seconds_on,
            hb.seconds_active,
            hb.seconds_asleep,
        )
        assert (row["power_source"], row["battery_percent"], row["policy_version"]) == (
            hb.power_source.value,
            hb.battery_percent,
            hb.policy_version,
        )
        blockers = orjson.loads(row["sleep_blockers"]) if row["sleep_blockers"] is not None else []
        assert blockers == [{"process": b.process, "seconds": b.seconds} for b in hb.sleep_blockers]
        assert row["input_minutes"] == hb.input_minutes


async def test_a_devices_activity_keeps_its_order_while_chunk_writes_overlap(isolation: Isolation) -> None:
    """Chunks of a batch are written concurrently (`writes_in_flight`); their events must still
    leave in chunk order, so each device's activity is on its partition in seq order."""
    settings = isolation.settings(IngestSettings, write_chunk_records=25, writes_in_flight=3)
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    schema = f"ingest{isolation.schema_suffix}"
    devices = [f"pc-order-{i}" for i in range(4)]
    beats = [heartbeat(device, seq) for seq in range(250) for device in devices]
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        await produce(bootstrap, isolation.topic(AGENT_INVENTORY), [record(inventory(d)) for d in devices])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.devices", 4) == 4
        await produce(bootstrap, isolation.topic(AGENT_HEARTBEATS), [record(b) for b in beats])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.heartbeats", 1000) == 1000
        activity = await read_topic(
            bootstrap, isolation.topic(FLEET_ACTIVITY), until=lambda r: len(r) >= 1000
        )
    assert len(activity) == 1000
    for device in devices:
        mine = sorted((r for r in activity if r.key == device.encode()), key=lambda r: r.offset)
        assert [decode(Activity, r.value).seq for r in mine] == list(range(250))
