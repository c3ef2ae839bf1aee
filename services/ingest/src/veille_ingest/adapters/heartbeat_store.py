"""Heartbeats in PostgreSQL: one bulk statement per batch, idempotent on (device_id, seq)."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from veille_contracts import Heartbeat

_UPSERT = """
INSERT INTO heartbeats (device_id, seq, tenant_id, period_start, period_end,
                        seconds_on, seconds_active, seconds_asleep, power_source, policy_version, payload)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                     $6::real[], $7::real[], $8::real[], $9::text[], $10::text[], $11::jsonb[])
ON CONFLICT (device_id, seq) DO NOTHING
"""


async def store_heartbeats(conn: asyncpg.Connection, heartbeats: Sequence[Heartbeat]) -> None:
    unique = {(h.device_id, h.seq): h for h in heartbeats}.values()
    await conn.execute(
        _UPSERT,
        [h.device_id for h in unique],
        [h.seq for h in unique],
        [h.tenant_id for h in unique],
        [h.period_start for h in unique],
        [h.period_end for h in unique],
        [h.seconds_on for h in unique],
        [h.seconds_active for h in unique],
        [h.seconds_asleep for h in unique],
        [h.power_source.value for h in unique],
        [h.policy_version for h in unique],
        [h.model_dump_json() for h in unique],
    )
