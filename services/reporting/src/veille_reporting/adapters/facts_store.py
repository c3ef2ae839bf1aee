"""Reporting's copies of the registry, project stage events and directives (idempotent upserts)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from veille_contracts import DeviceRecord
from veille_contracts.policy import Directive, DirectiveMode
from veille_contracts.projects import StageChange, StageChangeKind

from ..domain.timeline import StageEntry

# Only facts that change figures count as a change (last_seen moves on every heartbeat).
_UPSERT_DEVICES = """
WITH incoming AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[],
                         $8::text[], $9::timestamptz[])
         AS u(device_id, tenant_id, hostname, kind, group_path, monitors, manufacturer, model, last_seen)
), changed AS (
    SELECT i.* FROM incoming i LEFT JOIN devices d USING (device_id)
    WHERE d.device_id IS NULL
       OR (d.tenant_id, d.kind, d.group_path, d.monitors, d.manufacturer, d.model)
          IS DISTINCT FROM (i.tenant_id, i.kind, i.group_path, i.monitors, i.manufacturer, i.model)
), upserted AS (
    INSERT INTO devices AS d SELECT * FROM incoming
    ON CONFLICT (device_id) DO UPDATE SET
        tenant_id = EXCLUDED.tenant_id, hostname = EXCLUDED.hostname, kind = EXCLUDED.kind,
        group_path = EXCLUDED.group_path, monitors = EXCLUDED.monitors,
        manufacturer = EXCLUDED.manufacturer, model = EXCLUDED.model,
        last_seen = greatest(d.last_seen, EXCLUDED.last_seen)
    RETURNING device_id
)
SELECT c.device_id, c.tenant_id FROM changed c
"""


async def upsert_devices(conn: asyncpg.Connection, records: Sequence[DeviceRecord]) -> list[tuple[str, str]]:
    """Store registry records (the latest per device); returns (device_id, tenant_id) whose facts changed."""
    latest: dict[str, DeviceRecord] = {}
    for r in records:
        prev = latest.get(r.device_id)
        if prev is None or r.last_seen >= prev.last_seen:
            latest[r.device_id] = r
    rows = list(latest.values())
    if not rows:
        return []
    result = await conn.fetch(
        _UPSERT_DEVICES,
        [r.device_id for r in rows],
        [r.tenant_id for r in rows],
        [r.hostname for r in rows],
        [r.kind.value for r in rows],
        [r.group_path for r in rows],
        [r.monitors for r in rows],
        [r.manufacturer for r in rows],
        [r.model for r in rows],
        [r.last_seen for r in rows],
    )
    return [(r["device_id"], r["tenant_id"]) for r in result]


async def store_stage_events(conn: asyncpg.Connection, events: Sequence[StageChange]) -> set[str]:
    """Store stage events (idempotent on event_id) and the latest summary; returns projects touched."""
    touched: set[str] = set()
    for e in sorted(events, key=lambda e: (e.project_id, e.seq)):
        inserted = await conn.fetchval(
            """INSERT INTO stage_events (event_id, project_id, seq, kind, from_stage, to_stage, effective_at,
                                         reason, overridden, planned_days, actual_days)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
               ON CONFLICT (event_id) DO NOTHING RETURNING true""",
            e.event_id,
            e.project_id,
            e.seq,
            e.kind.value,
            e.from_stage.value if e.from_stage else None,
            e.to_stage.value,
            e.effective_at,
            e.reason,
            e.overridden,
            e.planned_days,
            e.actual_days,
        )
        summary = e.project.model_dump_json()
        stage = e.to_stage.value if e.kind is StageChangeKind.transition else None
        await conn.execute(
            """INSERT INTO projects (project_id, tenant_id, zone, stage, last_seq, summary)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb)
               ON CONFLICT (project_id) DO UPDATE SET
                   tenant_id = EXCLUDED.tenant_id, zone = EXCLUDED.zone, summary = EXCLUDED.summary,
                   stage = CASE WHEN $7::text IS NULL THEN projects.stage ELSE EXCLUDED.stage END,
                   last_seq = EXCLUDED.last_seq
               WHERE projects.last_seq <= EXCLUDED.last_seq""",
            e.project_id,
            e.tenant_id,
            e.project.schedule.timezone,
            stage or e.to_stage.value,
            e.seq,
            summary,
            stage,
        )
        if inserted:
            touched.add(e.project_id)
    return touched


async def add_tenant_zone(conn: asyncpg.Connection, tenant_id: str, zone: str) -> bool:
    """Record that a tenant's device-days are kept in this zone; True if it is new."""
    return bool(
        await conn.fetchval(
            "INSERT INTO tenant_zones VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true", tenant_id, zone
        )
    )


async def tenant_zones(conn: asyncpg.Connection, tenants: Sequence[str]) -> dict[str, list[str]]:
    rows = await conn.fetch(
        "SELECT tenant_id, zone FROM tenant_zones WHERE tenant_id = ANY($1)", list(tenants)
    )
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["tenant_id"], []).append(r["zone"])
    return out


async def store_directives(conn: asyncpg.Connection, directives: Sequence[Directive]) -> dict[str, list[str]]:
    """Saver-group membership: once a device got a saver directive in a project it stays in its saver
    group (later viewer directives, e.g. after the Saver phase, do not move it). Returns, per project,
    the devices whose membership changed."""
    rows = {(d.project_id, d.device_id): False for d in directives if d.project_id}
    for d in directives:
        if d.project_id and d.mode is DirectiveMode.saver:
            rows[(d.project_id, d.device_id)] = True
    if not rows:
        return {}
    keys = list(rows)
    changed = await conn.fetch(
        """WITH incoming AS (SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[]) AS u(p, d, s)),
           before AS (SELECT i.p, i.d, coalesce(x.saver, false) AS was FROM incoming i
                      LEFT JOIN directives x ON x.project_id = i.p AND x.device_id = i.d),
           up AS (INSERT INTO directives AS x SELECT p, d, s FROM incoming
                  ON CONFLICT (project_id, device_id) DO UPDATE SET saver = x.saver OR EXCLUDED.saver)
           SELECT b.p, b.d FROM before b JOIN incoming i USING (p, d) WHERE i.s AND NOT b.was""",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [rows[k] for k in keys],
    )
    out: dict[str, list[str]] = {}
    for r in changed:
        out.setdefault(r["p"], []).append(r["d"])
    return out


@dataclass(frozen=True)
class ProjectRow:
    project_id: str
    tenant_id: str
    zone: str
    stage: str
    summary: dict[str, Any]
    energy_model: dict[str, Any] | None
    abnormal_days: list[date]
    entries: list[StageEntry]
    events: list[dict[str, Any]]


async def load_project(conn: asyncpg.Connection | asyncpg.Pool, project_id: str) -> ProjectRow | None:
    row = await conn.fetchrow("SELECT * FROM projects WHERE project_id = $1", project_id)
    if row is None:
        return None
    events = await conn.fetch("SELECT * FROM stage_events WHERE project_id = $1 ORDER BY seq", project_id)
    from veille_contracts.projects import Stage

    return ProjectRow(
        project_id=row["project_id"],
        tenant_id=row["tenant_id"],
        zone=row["zone"],
        stage=row["stage"],
        summary=json.loads(row["summary"]),
        energy_model=json.loads(row["energy_model"]) if row["energy_model"] else None,
        abnormal_days=list(row["abnormal_days"]),
        entries=[
            StageEntry(e["seq"], Stage(e["to_stage"]), e["effective_at"])
            for e in events
            if e["kind"] == "transition"
        ],
        events=[dict(e) for e in events],
    )


async def projects_of_tenants(conn: asyncpg.Connection, tenants: Sequence[str]) -> list[str]:
    rows = await conn.fetch("SELECT project_id FROM projects WHERE tenant_id = ANY($1)", list(tenants))
    return [r["project_id"] for r in rows]
