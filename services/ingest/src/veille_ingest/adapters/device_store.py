"""The device registry table: the newest inventory wins, first_seen is kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg
from veille_contracts import DeviceRecord, Inventory

from ..domain.admission import Enrolment
from ..domain.registry import registry_record

_UPSERT = """
INSERT INTO devices (device_id, tenant_id, kind, record, first_seen, last_seen)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::timestamptz[], $6::timestamptz[])
ON CONFLICT (device_id) DO UPDATE SET
    tenant_id = EXCLUDED.tenant_id, kind = EXCLUDED.kind,
    record = jsonb_set(EXCLUDED.record, '{first_seen}', to_jsonb(devices.first_seen)),
    last_seen = EXCLUDED.last_seen
WHERE EXCLUDED.last_seen >= devices.last_seen
RETURNING record
"""


async def upsert_devices(conn: asyncpg.Connection, inventories: Sequence[Inventory]) -> list[DeviceRecord]:
    """Store the newest facts of each device; returns the registry entries that changed."""
    newest: dict[str, Inventory] = {}
    for inv in inventories:
        if inv.device_id not in newest or inv.observed_at >= newest[inv.device_id].observed_at:
            newest[inv.device_id] = inv
    records = [registry_record(inv) for inv in newest.values()]
    rows = await conn.fetch(
        _UPSERT,
        [r.device_id for r in records],
        [r.tenant_id for r in records],
        [r.kind.value for r in records],
        [r.model_dump_json() for r in records],
        [r.first_seen for r in records],
        [r.last_seen for r in records],
    )
    return [DeviceRecord.model_validate_json(row["record"]) for row in rows]


async def enrolments(conn: asyncpg.Connection, device_ids: Iterable[str]) -> dict[str, Enrolment]:
    """device_id -> (tenant, kind) for the enrolled ones among device_ids."""
    rows = await conn.fetch(
        "SELECT device_id, tenant_id, kind FROM devices WHERE device_id = ANY($1::text[])",
        list(set(device_ids)),
    )
    return {r["device_id"]: Enrolment(r["tenant_id"], r["kind"]) for r in rows}
