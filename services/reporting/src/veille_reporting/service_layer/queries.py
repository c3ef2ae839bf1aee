"""Read side: a project's full report (dashboard, API, feedback report) from the aggregates.

Every query reads per-project aggregate tables (one row per device and phase, or per day), never the
device-days, so a report over 100,000 devices and a month answers in milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import asyncpg
from pydantic import Field
from veille_contracts.agent import DeviceKind
from veille_contracts.projects import ProjectSummary

from ..adapters.aggregates import MIN_DAYS_PER_PHASE, NEVER_SLEEP_SHARE
from ..adapters.facts_store import ProjectRow, load_project
from ..domain.buckets import HOURS
from ..domain.calendar import DayType
from ..domain.context import ProjectContext
from ..domain.figures import ReportModel
from ..domain.insights import (
    BlockerUsage,
    NeverSleepingDevice,
    NeverSleepSummary,
    NightUsage,
    improvements_left,
    top_sleep_blockers,
)
from ..domain.savings import (
    ConsumptionCell,
    DailyConsumption,
    Phase,
    PhaseCoverage,
    SavingsInputs,
    SavingsReport,
    SavingsSettings,
    build_savings_report,
)
from .activity import context_of


class StageEvent(ReportModel):
    seq: int
    kind: str
    from_stage: str | None
    to_stage: str
    effective_at: datetime
    reason: str
    overridden: bool
    planned_days: float | None
    actual_days: float | None


class PhaseDays(ReportModel):
    phase: Phase
    first: date
    last: date | None


class Deployment(ReportModel):
    selected_pcs: int
    devices_in_scope: int
    coverage: float = Field(description="Devices in scope seen by reporting / PCs selected.")
    saver_group: int
    control_group: int
    by_kind: dict[str, int]


class HourProfile(ReportModel):
    """Share of the hour a device was on / in use, mean over the phase's device-days (0-1)."""

    phase: Phase
    saver_group: bool
    device_days: int
    on: list[float]
    in_use: list[float]


class ProjectReport(ReportModel):
    project: ProjectSummary
    stage: str
    timeline: list[StageEvent]
    phases: list[PhaseDays]
    deployment: Deployment
    heatmap: list[HourProfile]
    never_sleeping_top_process: dict[str, str]
    watts: dict[str, dict[str, float]]
    savings: SavingsReport


async def tenant_of(pool: asyncpg.Pool, project_id: str) -> str | None:
    value = await pool.fetchval("SELECT tenant_id FROM projects WHERE project_id = $1", project_id)
    return str(value) if value is not None else None


async def list_projects(pool: asyncpg.Pool, tenant: str | None) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT project_id, tenant_id, stage, summary->>'name' AS name FROM projects
           WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY project_id""",
        tenant,
    )
    return [dict(r) for r in rows]


async def _cells(conn: Any, pid: str) -> list[ConsumptionCell]:
    rows = await conn.fetch(
        """SELECT kind, group_path, phase, saver_group, sum(w_devices) AS wdev, sum(w_days) AS wdays,
                  sum(w_kwh) AS wkwh, sum(n_devices) AS ndev, sum(n_days) AS ndays, sum(n_kwh) AS nkwh
           FROM project_cells WHERE project_id = $1 AND enough AND devices > 0
           GROUP BY kind, group_path, phase, saver_group""",
        pid,
    )
    cells: list[ConsumptionCell] = []
    for r in rows:
        for day_type, dev, days, kwh in (
            (DayType.working, r["wdev"], r["wdays"], r["wkwh"]),
            (DayType.non_working, r["ndev"], r["ndays"], r["nkwh"]),
        ):
            if days:
                cells.append(
                    ConsumptionCell(
                        kind=DeviceKind(r["kind"]),
                        group=r["group_path"],
                        phase=Phase(r["phase"]),
                        day_type=day_type,
                        saver_group=r["saver_group"],
                        devices=int(dev),
                        device_days=int(days),
                        kwh=max(0.0, float(kwh)),
                    )
                )
    return cells


async def _coverage(conn: Any, ctx: ProjectContext) -> list[PhaseCoverage]:
    pid = ctx.project.project_id
    rows = await conn.fetch(
        """SELECT phase, saver_group, sum(devices) AS reporting,
                  coalesce(sum(devices) FILTER (WHERE NOT enough), 0) AS too_few
           FROM project_cells WHERE project_id = $1 AND devices > 0 GROUP BY phase, saver_group""",
        pid,
    )
    groups = await conn.fetch(
        "SELECT saver_group, sum(devices) AS n FROM project_device_counts WHERE project_id = $1 GROUP BY 1",
        pid,
    )
    expected = {g["saver_group"]: int(g["n"]) for g in groups}
    seen = {(Phase(r["phase"]), r["saver_group"]): r for r in rows}
    keys = set(seen) | {(ph, s) for ph in ctx.windows for s in expected}
    return [
        PhaseCoverage(
            phase=ph,
            saver_group=s,
            devices_reporting=int(seen[(ph, s)]["reporting"]) if (ph, s) in seen else 0,
            devices_too_few_days=int(seen[(ph, s)]["too_few"]) if (ph, s) in seen else 0,
            devices_expected=expected.get(s),
        )
        for ph, s in sorted(keys, key=lambda k: (list(Phase).index(k[0]), not k[1]))
    ]


async def _never_sleeping(conn: Any, pid: str, limit: int = 100) -> NeverSleepSummary:
    """`insights.never_sleeping` (the reference) over the Viewer phase, from the project's cells."""
    cells = await conn.fetch(
        """SELECT kind, group_path, never, devices, w_days + n_days AS days, insomniac_days FROM project_cells
           WHERE project_id = $1 AND phase = 'viewer' AND enough AND devices > 0""",
        pid,
    )
    observed = sum(c["devices"] for c in cells)
    never = sum(c["devices"] for c in cells if c["never"])
    days = sum(c["days"] for c in cells)
    insomniac = sum(c["insomniac_days"] for c in cells)
    by_kind: dict[DeviceKind, int] = defaultdict(int)
    by_group: dict[str, int] = defaultdict(int)
    for c in cells:
        if c["never"]:
            by_kind[DeviceKind(c["kind"])] += c["devices"]
            by_group[c["group_path"]] += c["devices"]
    worst = await conn.fetch(
        """SELECT device_id, kind, group_path, working_days + non_working_days AS days, insomniac_days
           FROM project_device_phases
           WHERE project_id = $1 AND phase = 'viewer' AND insomnia_share >= $2
             AND working_days + non_working_days >= $3
           ORDER BY insomnia_share DESC, insomniac_days DESC, device_id LIMIT $4""",
        pid,
        NEVER_SLEEP_SHARE,
        MIN_DAYS_PER_PHASE,
        limit,
    )
    return NeverSleepSummary(
        devices_observed=observed,
        devices_never_sleeping=never,
        share_of_devices=never / observed if observed else None,
        insomniac_day_share=insomniac / days if days else None,
        min_share=NEVER_SLEEP_SHARE,
        min_days=MIN_DAYS_PER_PHASE,
        by_kind=dict(by_kind),
        by_group=dict(sorted(by_group.items(), key=lambda kv: (-kv[1], kv[0]))),
        devices=[
            NeverSleepingDevice(
                device_id=r["device_id"],
                kind=DeviceKind(r["kind"]),
                group=r["group_path"],
                days=r["days"],
                insomniac_days=r["insomniac_days"],
                share=r["insomniac_days"] / r["days"],
            )
            for r in worst
        ],
    )


async def build_report(
    pool: asyncpg.Pool, project_id: str, settings: SavingsSettings | None = None
) -> ProjectReport | None:
    settings = settings or SavingsSettings()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        row = await load_project(conn, project_id)
        if row is None:
            return None
        return await _report(conn, row, settings)


async def _report(conn: Any, row: ProjectRow, settings: SavingsSettings) -> ProjectReport:
    ctx = context_of(row)
    pid, p = row.project_id, ctx.project
    cells = await _cells(conn, pid)
    coverage = await _coverage(conn, ctx)
    day_rows = await conn.fetch(
        "SELECT * FROM project_days WHERE project_id = $1 ORDER BY day, saver_group DESC", pid
    )
    daily = [
        DailyConsumption(
            day=r["day"],
            phase=Phase(r["phase"]),
            saver_group=r["saver_group"],
            devices=r["devices"],
            kwh=r["kwh"],
            day_type=DayType(r["day_type"]) if r["day_type"] else None,
        )
        for r in day_rows
    ]
    heat: dict[tuple[Phase, bool], list[Any]] = {}
    for r in day_rows:
        if r["day_type"] is None:
            continue
        acc = heat.setdefault((Phase(r["phase"]), r["saver_group"]), [0, [0.0] * HOURS, [0.0] * HOURS])
        acc[0] += r["devices"]
        for h in range(HOURS):
            acc[1][h] += r["on_by_hour"][h]
            acc[2][h] += r["active_by_hour"][h]
    heatmap = [
        HourProfile(
            phase=ph,
            saver_group=s,
            device_days=n,
            on=[v / (3600 * n) if n else 0.0 for v in on],
            in_use=[v / (3600 * n) if n else 0.0 for v in act],
        )
        for (ph, s), (n, on, act) in sorted(
            heat.items(), key=lambda kv: (list(Phase).index(kv[0][0]), not kv[0][1])
        )
    ]
    blockers = await conn.fetch(
        """SELECT process, seconds, devices FROM project_blocker_totals
           WHERE project_id = $1 AND phase = 'viewer' AND devices > 0""",
        pid,
    )
    allowed = p.approved_policy.exceptions.allowed_processes if p.approved_policy else []
    sleep_blockers = top_sleep_blockers(
        [BlockerUsage(r["process"], max(0.0, float(r["seconds"])), r["devices"]) for r in blockers],
        allowed=allowed,
    )
    nights = await conn.fetch(
        """SELECT kind, sum(devices) AS devices, sum(w_days + n_days) AS nights,
                  sum(nights_left_on) AS left_on, sum(night_idle_s) AS idle
           FROM project_cells WHERE project_id = $1 AND phase = 'saver' AND saver_group AND devices > 0
           GROUP BY kind""",
        pid,
    )
    fleet = ctx.fleet
    improvements = (
        improvements_left(
            [
                NightUsage(
                    DeviceKind(r["kind"]), r["devices"], int(r["nights"]), int(r["left_on"]), float(r["idle"])
                )
                for r in nights
            ],
            ctx.model,
            ctx.tariff,
            fleet_per_kind=dict(fleet.per_kind),
        )
        if nights
        else None
    )
    never = await _never_sleeping(conn, pid)
    top_process = await conn.fetch(
        """SELECT DISTINCT ON (device_id) device_id, process FROM project_blockers
           WHERE project_id = $1 AND phase = 'viewer' AND device_id = ANY($2)
           ORDER BY device_id, seconds DESC, process""",
        pid,
        [d.device_id for d in never.devices],
    )
    savings = build_savings_report(
        SavingsInputs(
            cells=cells,
            fleet=fleet,
            tariff=ctx.tariff,
            annual_days=ctx.annual_days(),
            coverage=coverage,
            daily=daily,
            never_sleeping=never,
            sleep_blockers=sleep_blockers,
            improvements=improvements,
            settings=settings,
        )
    )
    dep = await conn.fetch(
        "SELECT kind, saver_group, count(*) AS n FROM project_devices WHERE project_id = $1 GROUP BY 1, 2",
        pid,
    )
    by_kind: dict[str, int] = defaultdict(int)
    for r in dep:
        by_kind[r["kind"]] += r["n"]
    in_scope = sum(r["n"] for r in dep)
    return ProjectReport(
        project=p,
        stage=row.stage,
        timeline=[
            StageEvent(
                seq=e["seq"],
                kind=e["kind"],
                from_stage=e["from_stage"],
                to_stage=e["to_stage"],
                effective_at=e["effective_at"],
                reason=e["reason"],
                overridden=e["overridden"],
                planned_days=e["planned_days"],
                actual_days=e["actual_days"],
            )
            for e in row.events
        ],
        phases=[PhaseDays(phase=ph, first=w.first, last=w.last) for ph, w in ctx.windows.items()],
        deployment=Deployment(
            selected_pcs=p.selected_pcs,
            devices_in_scope=in_scope,
            coverage=in_scope / p.selected_pcs,
            saver_group=sum(r["n"] for r in dep if r["saver_group"]),
            control_group=sum(r["n"] for r in dep if not r["saver_group"]),
            by_kind=dict(by_kind),
        ),
        heatmap=heatmap,
        never_sleeping_top_process={r["device_id"]: r["process"] for r in top_process},
        watts={k.value: v.model_dump() for k, v in ctx.model.watts_table().items()},
        savings=savings,
    )
