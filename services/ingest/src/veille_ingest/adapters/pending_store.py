"""The holding area: heartbeats of devices whose inventory has not arrived yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from veille_runtime.ports import InboundRecord

from ..domain.heartbeat import AcceptedHeartbeat


@dataclass(frozen=True)
class HeldHeartbeat:
    device_id: str
    seq: int
    period_start: datetime
    tenant_id: str
    record: InboundRecord
    # Set when the device is now enrolled:
    enrolled_tenant: str | None = None
    kind: str | None = None


_HOLD = """
INSERT INTO pending_heartbeats (device_id, seq, period_start, tenant_id, source_topic, source_partition,
                                source_offset, record_key, record_value)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[], $6::int[],
                     $7::bigint[], $8::bytea[], $9::bytea[])
ON CONFLICT DO NOTHING
"""


async def held_count(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM pending_heartbeats"))


async def hold(conn: asyncpg.Connection, items: Sequence[tuple[InboundRecord, AcceptedHeartbeat]]) -> None:
    await conn.execute(
        _HOLD,
        [h.device_id for _, h in items],
        [h.seq for _, h in items],
        [h.period_start for _, h in items],
        [h.tenant_id for _, h in items],
        [r.topic for r, _ in items],
        [r.partition for r, _ in items],
        [r.offset for r, _ in items],
        [r.key for r, _ in items],
        [r.value for r, _ in items],
    )


def _held(row: asyncpg.Record) -> HeldHeartbeat:
    return HeldHeartbeat(
        device_id=row["device_id"],
        seq=row["seq"],
        period_start=row["period_start"],
        tenant_id=row["tenant_id"],
        record=InboundRecord(
            topic=row["source_topic"],
            partition=row["source_partition"],
            offset=row["source_offset"],
            key=row["record_key"],
            value=row["record_value"],
            timestamp=None,
        ),
        enrolled_tenant=row["enrolled_tenant"],
        kind=row["kind"],
    )


async def releasable(conn: asyncpg.Connection, limit: int) -> list[HeldHeartbeat]:
    """Held heartbeats whose device is now enrolled."""
    rows = await conn.fetch(
        "SELECT p.*, d.tenant_id AS enrolled_tenant, d.kind FROM pending_heartbeats p "
        "JOIN devices d USING (device_id) ORDER BY p.held_at LIMIT $1",
        limit,
    )
    return [_held(r) for r in rows]


async def expired(conn: asyncpg.Connection, older_than_s: float, limit: int) -> list[HeldHeartbeat]:
    """Held heartbeats of still unknown devices, held longer than `older_than_s`."""
    rows = await conn.fetch(
        "SELECT p.*, NULL::text AS enrolled_tenant, NULL::text AS kind FROM pending_heartbeats p "
        "WHERE p.held_at < now() - make_interval(secs => $1) "
        "AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.device_id = p.device_id) "
        "ORDER BY p.held_at LIMIT $2",
        older_than_s,
        limit,
    )
    return [_held(r) for r in rows]


async def forget(conn: asyncpg.Connection, items: Sequence[HeldHeartbeat]) -> None:
    await conn.execute(
        "DELETE FROM pending_heartbeats p USING unnest($1::text[], $2::bigint[], $3::timestamptz[]) "
        "AS k(device_id, seq, period_start) "
        "WHERE p.device_id = k.device_id AND p.seq = k.seq AND p.period_start = k.period_start",
        [i.device_id for i in items],
        [i.seq for i in items],
        [i.period_start for i in items],
    )
