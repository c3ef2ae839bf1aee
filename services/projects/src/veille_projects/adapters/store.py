"""SQL of the projects service (asyncpg, its own schema): projects, outbox, registry, daily reporting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg
from veille_contracts import DeviceRecord, StageChange
from veille_contracts.projects import Scope

from ..domain.model import Project
from ..domain.scope import ScopeMatcher
from .documents import ProjectDoc

# --- projects ------------------------------------------------------------------------------------


def _state(project: Project) -> str:
    return ProjectDoc.of(project).model_dump_json()


def _project(state: str) -> Project:
    return ProjectDoc.model_validate_json(state).to_domain()


async def insert_project(conn: asyncpg.Connection, project: Project) -> bool:
    """Store a new project; False if its id is taken."""
    status = await conn.execute(
        "INSERT INTO projects (project_id, tenant_id, stage, timezone, state)"
        " VALUES ($1, $2, $3, $4, $5::jsonb)"
        " ON CONFLICT (project_id) DO NOTHING",
        project.project_id,
        project.tenant_id,
        project.stage.value,
        project.prerequisites.schedule.timezone,
        _state(project),
    )
    return bool(status.endswith(" 1"))


async def save_project(conn: asyncpg.Connection, project: Project) -> None:
    await conn.execute(
        "UPDATE projects SET stage = $2, timezone = $3, state = $4::jsonb, updated_at = now()"
        " WHERE project_id = $1",
        project.project_id,
        project.stage.value,
        project.prerequisites.schedule.timezone,
        _state(project),
    )


async def load_project(
    conn: asyncpg.Connection, project_id: str, *, for_update: bool = False
) -> Project | None:
    sql = "SELECT state FROM projects WHERE project_id = $1" + (" FOR UPDATE" if for_update else "")
    state = await conn.fetchval(sql, project_id)
    return None if state is None else _project(state)


async def list_projects(conn: asyncpg.Connection, tenant_id: str | None = None) -> list[Project]:
    if tenant_id is None:
        rows = await conn.fetch("SELECT state FROM projects ORDER BY project_id")
    else:
        rows = await conn.fetch(
            "SELECT state FROM projects WHERE tenant_id = $1 ORDER BY project_id", tenant_id
        )
    return [_project(r["state"]) for r in rows]


async def lock_tenant_projects(conn: asyncpg.Connection, tenant_id: str) -> list[Project]:
    """The tenant's open projects, locked in id order (the same order everywhere: no deadlock)."""
    rows = await conn.fetch(
        "SELECT state FROM projects WHERE tenant_id = $1 AND stage <> 'closed'"
        " ORDER BY project_id FOR UPDATE",
        tenant_id,
    )
    return [_project(r["state"]) for r in rows]


async def tenant_timezones(conn: asyncpg.Connection, tenants: Iterable[str]) -> dict[str, set[str]]:
    rows = await conn.fetch(
        "SELECT DISTINCT tenant_id, timezone FROM projects"
        " WHERE tenant_id = ANY($1::text[]) AND stage <> 'closed'",
        list(set(tenants)),
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["tenant_id"], set()).add(r["timezone"])
    return out


# --- stage events and the outbox -----------------------------------------------------------------


async def enqueue(
    conn: asyncpg.Connection,
    *,
    event_id: str,
    topic: str,
    key: bytes | None,
    payload: bytes,
    project_id: str | None,
) -> None:
    """Add an event to the outbox (idempotent on event_id); call inside the change's transaction."""
    await conn.execute(
        "INSERT INTO outbox (event_id, topic_spec, key, payload, project_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (event_id) DO NOTHING",
        event_id,
        topic,
        key,
        payload,
        project_id,
    )


async def record_stage_event(conn: asyncpg.Connection, event: StageChange, topic: str) -> None:
    payload = event.to_json_bytes()
    await conn.execute(
        "INSERT INTO stage_events (project_id, seq, event_id, kind, to_stage, effective_at, payload)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING",
        event.project_id,
        event.seq,
        event.event_id,
        event.kind.value,
        event.to_stage.value,
        event.effective_at,
        payload.decode(),
    )
    await enqueue(
        conn,
        event_id=event.event_id,
        topic=topic,
        key=event.project_id.encode(),
        payload=payload,
        project_id=event.project_id,
    )


async def stage_events(conn: asyncpg.Connection, project_id: str) -> list[StageChange]:
    rows = await conn.fetch("SELECT payload FROM stage_events WHERE project_id = $1 ORDER BY seq", project_id)
    return [StageChange.model_validate_json(r["payload"]) for r in rows]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    event_id: str
    topic: str
    key: bytes | None
    payload: bytes


async def unpublished(conn: asyncpg.Connection, limit: int) -> list[OutboxRow]:
    rows = await conn.fetch(
        "SELECT id, event_id, topic_spec, key, payload FROM outbox WHERE published_at IS NULL"
        " ORDER BY id LIMIT $1",
        limit,
    )
    return [OutboxRow(r["id"], r["event_id"], r["topic_spec"], r["key"], r["payload"]) for r in rows]


async def mark_published(conn: asyncpg.Connection, ids: Sequence[int]) -> None:
    await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", list(ids))


# --- device registry and daily reporting -----------------------------------------------------------

_UPSERT_DEVICES = """
INSERT INTO devices (device_id, tenant_id, group_path, kind, first_seen, last_seen)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[])
ON CONFLICT (device_id) DO UPDATE SET
    tenant_id = EXCLUDED.tenant_id, group_path = EXCLUDED.group_path, kind = EXCLUDED.kind,
    first_seen = LEAST(devices.first_seen, EXCLUDED.first_seen), last_seen = EXCLUDED.last_seen
WHERE EXCLUDED.last_seen >= devices.last_seen
"""


async def upsert_devices(conn: asyncpg.Connection, records: Sequence[DeviceRecord]) -> None:
    newest: dict[str, DeviceRecord] = {}
    for r in records:
        if r.device_id not in newest or r.last_seen >= newest[r.device_id].last_seen:
            newest[r.device_id] = r
    rows = list(newest.values())
    await conn.execute(
        _UPSERT_DEVICES,
        [r.device_id for r in rows],
        [r.tenant_id for r in rows],
        [r.group_path for r in rows],
        [r.kind.value for r in rows],
        [r.first_seen for r in rows],
        [r.last_seen for r in rows],
    )


@dataclass(frozen=True, slots=True)
class _Device:
    tenant_id: str
    device_id: str
    group_path: str


async def devices_in_scope(conn: asyncpg.Connection, scope: Scope) -> list[str]:
    """Ids of the enrolled devices (known to the registry) that belong to `scope`."""
    matcher = ScopeMatcher.of(scope)
    if matcher.devices and not matcher.whole_fleet and not matcher.groups:
        rows = await conn.fetch(
            "SELECT device_id FROM devices WHERE tenant_id = $1 AND device_id = ANY($2::text[])",
            scope.tenant_id,
            list(matcher.devices),
        )
        return [r["device_id"] for r in rows]
    rows = await conn.fetch("SELECT device_id, group_path FROM devices WHERE tenant_id = $1", scope.tenant_id)
    return [
        r["device_id"]
        for r in rows
        if matcher.matches(_Device(scope.tenant_id, r["device_id"], r["group_path"]))
    ]


async def insert_device_days(conn: asyncpg.Connection, rows: set[tuple[str, str, date, str]]) -> None:
    """(tenant, timezone, local date, device) rows; a replay inserts nothing new."""
    if not rows:
        return
    ordered = sorted(rows)
    await conn.execute(
        "INSERT INTO device_days (tenant_id, timezone, local_date, device_id)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[]) ON CONFLICT DO NOTHING",
        [r[0] for r in ordered],
        [r[1] for r in ordered],
        [r[2] for r in ordered],
        [r[3] for r in ordered],
    )


async def daily_reporting(
    conn: asyncpg.Connection, tenant_id: str, timezone: str, devices: Sequence[str], since: date
) -> dict[date, int]:
    """Local date -> distinct devices among `devices` that reported that day, from `since` on."""
    rows = await conn.fetch(
        "SELECT local_date, count(*) AS n FROM device_days"
        " WHERE tenant_id = $1 AND timezone = $2 AND local_date >= $3 AND device_id = ANY($4::text[])"
        " GROUP BY local_date",
        tenant_id,
        timezone,
        since,
        list(devices),
    )
    return {r["local_date"]: int(r["n"]) for r in rows}


async def advance_clock(conn: asyncpg.Connection, tenant_id: str, at: datetime) -> datetime | None:
    """Move the tenant's event-time clock to `at` if later; the new now, or None if it did not move."""
    value: datetime | None = await conn.fetchval(
        "INSERT INTO tenant_clock (tenant_id, now) VALUES ($1, $2)"
        " ON CONFLICT (tenant_id) DO UPDATE SET now = EXCLUDED.now WHERE tenant_clock.now < EXCLUDED.now"
        " RETURNING now",
        tenant_id,
        at,
    )
    return value


async def tenant_now(conn: asyncpg.Connection, tenant_id: str) -> datetime | None:
    value: datetime | None = await conn.fetchval(
        "SELECT now FROM tenant_clock WHERE tenant_id = $1", tenant_id
    )
    return value
