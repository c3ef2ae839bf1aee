"""Activity rows in reporting's schema, idempotent on activity_id."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from veille_contracts import Activity

_UPSERT = """
INSERT INTO activity (activity_id, device_id, tenant_id, device_kind, period_start, period_end,
                      seconds_on, seconds_active, seconds_asleep, policy_version)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                     $7::real[], $8::real[], $9::real[], $10::text[])
ON CONFLICT (activity_id) DO NOTHING
"""


async def store_activity(conn: asyncpg.Connection, batch: Sequence[Activity]) -> None:
    unique = list({a.activity_id: a for a in batch}.values())
    await conn.execute(
        _UPSERT,
        [a.activity_id for a in unique],
        [a.device_id for a in unique],
        [a.tenant_id for a in unique],
        [a.device_kind.value for a in unique],
        [a.period_start for a in unique],
        [a.period_end for a in unique],
        [a.seconds_on for a in unique],
        [a.seconds_active for a in unique],
        [a.seconds_asleep for a in unique],
        [a.policy_version for a in unique],
    )
