"""SQL of the policy service (its own schema): registry copy, projects, desired directives, Viewer data."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from veille_contracts import Activity, DeviceRecord, Directive, StageChange
from veille_contracts.projects import ProjectSummary, Stage

# --- device registry ------------------------------------------------------------------------------

_UPSERT_DEVICES = """
INSERT INTO devices (device_id, tenant_id, kind, group_path, monitors, manufacturer, model, last_seen)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
                     $8::timestamptz[])
ON CONFLICT (device_id) DO UPDATE SET
    tenant_id = EXCLUDED.tenant_id, kind = EXCLUDED.kind, group_path = EXCLUDED.group_path,
    monitors = EXCLUDED.monitors, manufacturer = EXCLUDED.manufacturer, model = EXCLUDED.model,
    last_seen = EXCLUDED.last_seen
WHERE EXCLUDED.last_seen >= devices.last_seen
"""


async def upsert_devices(conn: asyncpg.Connection, records: Sequence[DeviceRecord]) -> None:
    await conn.execute(
        _UPSERT_DEVICES,
        [r.device_id for r in records],
        [r.tenant_id for r in records],
        [r.kind.value for r in records],
        [r.group_path for r in records],
        [r.monitors for r in records],
        [r.manufacturer for r in records],
        [r.model for r in records],
        [r.last_seen for r in records],
    )


@dataclass(frozen=True, slots=True)
class DeviceRow:
    device_id: str
    tenant_id: str
    kind: str
    group_path: str
    monitors: int
    manufacturer: str | None
    model: str | None


async def devices_of_tenant(conn: asyncpg.Connection | asyncpg.Pool, tenant_id: str) -> list[DeviceRow]:
    rows = await conn.fetch(
        "SELECT device_id, tenant_id, kind, group_path, monitors, manufacturer, model FROM devices "
        "WHERE tenant_id = $1",
        tenant_id,
    )
    return [DeviceRow(**dict(r)) for r in rows]


# --- projects -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProjectRow:
    project_id: str
    tenant_id: str
    stage: Stage
    stage_seq: int
    last_seq: int
    effective_at: datetime
    summary: ProjectSummary
    viewer_started_at: datetime | None
    viewer_ended_at: datetime | None


def _project(row: asyncpg.Record) -> ProjectRow:
    return ProjectRow(
        project_id=row["project_id"],
        tenant_id=row["tenant_id"],
        stage=Stage(row["stage"]),
        stage_seq=row["stage_seq"],
        last_seq=row["last_seq"],
        effective_at=row["effective_at"],
        summary=ProjectSummary.model_validate_json(row["summary"]),
        viewer_started_at=row["viewer_started_at"],
        viewer_ended_at=row["viewer_ended_at"],
    )


async def project(
    conn: asyncpg.Connection | asyncpg.Pool, project_id: str, *, lock: bool = False
) -> ProjectRow | None:
    row = await conn.fetchrow(
        "SELECT * FROM projects WHERE project_id = $1" + (" FOR UPDATE" if lock else ""), project_id
    )
    return _project(row) if row else None


async def projects_in(conn: asyncpg.Connection, stages: Iterable[Stage]) -> list[ProjectRow]:
    rows = await conn.fetch(
        "SELECT * FROM projects WHERE stage = ANY($1::text[]) ORDER BY effective_at, project_id",
        [s.value for s in stages],
    )
    return [_project(r) for r in rows]


async def note_seq(conn: asyncpg.Connection, project_id: str, seq: int) -> None:
    await conn.execute(
        "UPDATE projects SET last_seq = GREATEST(last_seq, $2) WHERE project_id = $1", project_id, seq
    )


async def record_transition(conn: asyncpg.Connection, change: StageChange) -> None:
    """The project's new stage; the Viewer window opens on entering viewer and closes on leaving it."""
    entering = change.effective_at if change.to_stage is Stage.viewer else None
    leaving = (
        change.effective_at
        if change.from_stage is Stage.viewer and change.to_stage is not Stage.viewer
        else None
    )
    await conn.execute(
        """
        INSERT INTO projects (project_id, tenant_id, stage, stage_seq, last_seq, effective_at, summary,
                              viewer_started_at, viewer_ended_at)
        VALUES ($1, $2, $3, $4, $4, $5, $6::jsonb, $7, $8)
        ON CONFLICT (project_id) DO UPDATE SET
            tenant_id = EXCLUDED.tenant_id, stage = EXCLUDED.stage, stage_seq = EXCLUDED.stage_seq,
            last_seq = EXCLUDED.last_seq, effective_at = EXCLUDED.effective_at, summary = EXCLUDED.summary,
            viewer_started_at = CASE WHEN EXCLUDED.viewer_started_at IS NOT NULL
                                     THEN EXCLUDED.viewer_started_at ELSE projects.viewer_started_at END,
            viewer_ended_at = CASE WHEN EXCLUDED.viewer_started_at IS NOT NULL THEN NULL
                                   ELSE COALESCE(EXCLUDED.viewer_ended_at, projects.viewer_ended_at) END
        """,
        change.project_id,
        change.tenant_id,
        change.to_stage.value,
        change.seq,
        change.effective_at,
        change.project.model_dump_json(),
        entering,
        leaving,
    )


# --- Saver selection ------------------------------------------------------------------------------


async def store_selection(
    conn: asyncpg.Connection, project_id: str, stage_seq: int, device_ids: Iterable[str]
) -> None:
    await conn.execute(
        "INSERT INTO saver_selection (project_id, stage_seq, device_id) "
        "SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING",
        project_id,
        stage_seq,
        sorted(device_ids),
    )


async def selected_among(
    conn: asyncpg.Connection, project_id: str, stage_seq: int, device_ids: Iterable[str]
) -> frozenset[str]:
    rows = await conn.fetch(
        "SELECT device_id FROM saver_selection "
        "WHERE project_id = $1 AND stage_seq = $2 AND device_id = ANY($3::text[])",
        project_id,
        stage_seq,
        list(device_ids),
    )
    return frozenset(r["device_id"] for r in rows)


# --- desired directives ---------------------------------------------------------------------------


@dataclass(slots=True)
class DesiredRow:
    device_id: str
    project_id: str
    directive_id: str
    version: str
    directive: bytes
    last_sent_at: datetime
    # The project's current stage and Viewer window (what decides whether activity is kept).
    project_stage: Stage
    viewer_started_at: datetime | None
    viewer_ended_at: datetime | None


async def desired_for(conn: asyncpg.Connection, device_ids: Iterable[str]) -> dict[str, DesiredRow]:
    rows = await conn.fetch(
        """
        SELECT d.device_id, d.project_id, d.directive_id, d.version, d.directive::text AS directive,
               d.last_sent_at, p.stage AS project_stage, p.viewer_started_at, p.viewer_ended_at
        FROM desired d JOIN projects p USING (project_id)
        WHERE d.device_id = ANY($1::text[])
        """,
        list(set(device_ids)),
    )
    return {
        r["device_id"]: DesiredRow(
            device_id=r["device_id"],
            project_id=r["project_id"],
            directive_id=r["directive_id"],
            version=r["version"],
            directive=r["directive"].encode(),
            last_sent_at=r["last_sent_at"],
            project_stage=Stage(r["project_stage"]),
            viewer_started_at=r["viewer_started_at"],
            viewer_ended_at=r["viewer_ended_at"],
        )
        for r in rows
    }


async def current_directive_ids(conn: asyncpg.Connection, device_ids: Iterable[str]) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT device_id, directive_id FROM desired WHERE device_id = ANY($1::text[])", list(set(device_ids))
    )
    return {r["device_id"]: r["directive_id"] for r in rows}


_UPSERT_DESIRED = """
INSERT INTO desired (device_id, tenant_id, project_id, stage, stage_seq, directive_id, version, mode,
                     directive, last_sent_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                     $8::text[], $9::jsonb[], $10::timestamptz[])
ON CONFLICT (device_id) DO UPDATE SET
    tenant_id = EXCLUDED.tenant_id, project_id = EXCLUDED.project_id, stage = EXCLUDED.stage,
    stage_seq = EXCLUDED.stage_seq, directive_id = EXCLUDED.directive_id, version = EXCLUDED.version,
    mode = EXCLUDED.mode, directive = EXCLUDED.directive, last_sent_at = EXCLUDED.last_sent_at, resends = 0
WHERE desired.directive_id <> EXCLUDED.directive_id
"""


async def set_desired(
    conn: asyncpg.Connection, stage: Stage, stage_seq: int, directives: Sequence[tuple[Directive, datetime]]
) -> None:
    """Make each directive the device's desired one, sent at the given event time."""
    if not directives:
        return
    await conn.execute(
        _UPSERT_DESIRED,
        [d.device_id for d, _ in directives],
        [d.tenant_id for d, _ in directives],
        [d.project_id for d, _ in directives],
        [stage.value] * len(directives),
        [stage_seq] * len(directives),
        [d.directive_id for d, _ in directives],
        [d.version for d, _ in directives],
        [d.mode.value for d, _ in directives],
        [d.model_dump_json() for d, _ in directives],
        [at for _, at in directives],
    )


async def mark_resent(conn: asyncpg.Connection, resent: dict[str, tuple[datetime, int]]) -> None:
    """Record resends: device_id -> (event time of the last one, how many in this batch)."""
    if not resent:
        return
    await conn.execute(
        """
        UPDATE desired SET last_sent_at = r.at, resends = resends + r.n
        FROM unnest($1::text[], $2::timestamptz[], $3::int[]) AS r(device_id, at, n)
        WHERE desired.device_id = r.device_id AND r.at > desired.last_sent_at
        """,
        list(resent),
        [at for at, _ in resent.values()],
        [n for _, n in resent.values()],
    )


async def directive_of(pool: asyncpg.Pool, device_id: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        "SELECT directive::text AS directive, last_sent_at, resends FROM desired WHERE device_id = $1",
        device_id,
    )
    if row is None:
        return None
    return {
        "directive": json.loads(row["directive"]),
        "last_sent_at": row["last_sent_at"],
        "resends": row["resends"],
    }


async def directives_of_project(pool: asyncpg.Pool, project_id: str) -> list[asyncpg.Record]:
    return list(
        await pool.fetch(
            "SELECT device_id, mode, version, directive_id, last_sent_at, resends, "
            "directive->>'reason' AS reason "
            "FROM desired WHERE project_id = $1 ORDER BY device_id",
            project_id,
        )
    )


# --- Viewer activity ------------------------------------------------------------------------------


def input_mask(minutes: Sequence[int] | None) -> int | None:
    if minutes is None:
        return None
    mask = 0
    for minute in minutes:
        mask |= 1 << minute
    return mask


def minutes_of(mask: int | None) -> list[int] | None:
    if mask is None:
        return None
    return [m for m in range(60) if mask >> m & 1]


_STORE_ACTIVITY = """
INSERT INTO viewer_activity (project_id, device_id, seq, period_start, period_end, seconds_on, seconds_active,
                             seconds_asleep, power_source, input_mask, blockers)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[],
                     $6::float8[], $7::float8[], $8::float8[], $9::text[], $10::bigint[], $11::jsonb[])
ON CONFLICT DO NOTHING
"""


async def store_viewer_activity(conn: asyncpg.Connection, rows: Sequence[tuple[str, Activity]]) -> None:
    unique = list({(p, a.device_id, a.seq): (p, a) for p, a in rows}.values())
    if not unique:
        return
    await conn.execute(
        _STORE_ACTIVITY,
        [p for p, _ in unique],
        [a.device_id for _, a in unique],
        [a.seq for _, a in unique],
        [a.period_start for _, a in unique],
        [a.period_end for _, a in unique],
        [a.seconds_on for _, a in unique],
        [a.seconds_active for _, a in unique],
        [a.seconds_asleep for _, a in unique],
        [a.power_source.value for _, a in unique],
        [input_mask(a.input_minutes) for _, a in unique],
        [
            json.dumps([[b.process, b.seconds] for b in a.sleep_blockers]) if a.sleep_blockers else None
            for _, a in unique
        ],
    )


ActivityRow = tuple[int, datetime, datetime, float, float, float, str, int | None, str | None]


async def viewer_activity(
    pool: asyncpg.Pool, project_id: str, start: datetime, end: datetime
) -> dict[str, list[ActivityRow]]:
    """device_id -> its periods starting in [start, end), as plain tuples (cheap to ship to a worker)."""
    rows = await pool.fetch(
        """
        SELECT device_id, seq, period_start, period_end, seconds_on, seconds_active, seconds_asleep,
               power_source, input_mask, blockers::text AS blockers
        FROM viewer_activity
        WHERE project_id = $1 AND period_start >= $2 AND period_start < $3
        ORDER BY device_id, period_start, seq
        """,
        project_id,
        start,
        end,
    )
    out: dict[str, list[ActivityRow]] = {}
    for r in rows:
        out.setdefault(r["device_id"], []).append(
            (
                r["seq"],
                r["period_start"],
                r["period_end"],
                r["seconds_on"],
                r["seconds_active"],
                r["seconds_asleep"],
                r["power_source"],
                r["input_mask"],
                r["blockers"],
            )
        )
    return out
