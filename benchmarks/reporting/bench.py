"""Benchmark: the project report over 100,000 devices x 30 days (3,000,000 device-days).

    uv run python benchmarks/reporting/bench.py [--devices 100000] [--days 30] [--runs 30]
        [--database-url postgresql://...]   (default: an embedded PostgreSQL in a temp folder)

Generates the registry, a project (Viewer 15 days, Saver 15 days, half the PCs in the saver group),
and the device-days directly in reporting's tables, runs the full per-project refresh once (what a
stage change costs), then times `build_report` (what GET /v1/projects/{id}/report runs) `--runs` times.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from veille_contracts.policy import WorkingSchedule
from veille_contracts.projects import ProjectSummary, ProjectType, Scope, Stage, StageChange, StageChangeKind
from veille_localstack.paths import free_port
from veille_localstack.postgres import LocalPostgres
from veille_reporting.adapters.facts_store import store_stage_events
from veille_reporting.service_layer.activity import Reporting
from veille_reporting.service_layer.queries import build_report
from veille_runtime.db import create_pool, migrate

SCHEMA = "reporting_bench"
START = date(2026, 3, 2)


def project(devices: int) -> ProjectSummary:
    return ProjectSummary(
        project_id="bench",
        tenant_id="bench",
        name="Benchmark roll-out",
        project_type=ProjectType.rollout,
        scope=Scope(tenant_id="bench", whole_fleet=True),
        selected_pcs=devices,
        fleet_total=devices * 2,
        fleet_desktops=devices,
        fleet_laptops=devices // 2,
        kwh_cost=0.2,
        carbon_kg_per_kwh=0.052,
        schedule=WorkingSchedule(timezone="Europe/Paris"),
        holidays=[START + timedelta(days=3)],
    )


def stages(p: ProjectSummary, days: int) -> list[StageChange]:
    at = datetime.combine(START, datetime.min.time(), UTC) - timedelta(hours=1)  # Paris midnight
    half = days // 2
    plan = [
        (None, Stage.deployment, at - timedelta(days=7)),
        (Stage.deployment, Stage.viewer, at),
        (Stage.viewer, Stage.recommendation, at + timedelta(days=half)),
        (Stage.recommendation, Stage.saver, at + timedelta(days=half)),
        (Stage.saver, Stage.feedback, at + timedelta(days=days)),
    ]
    return [
        StageChange(
            event_id=f"bench-{i}",
            project_id="bench",
            tenant_id="bench",
            seq=i,
            kind=StageChangeKind.transition,
            from_stage=a,
            to_stage=b,
            effective_at=t,
            reason="bench",
            project=p,
        )
        for i, (a, b, t) in enumerate(plan)
    ]


async def generate(pool: asyncpg.Pool, devices: int, days: int) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO devices SELECT 'd' || i, 'bench', 'h' || i,
                   CASE WHEN i % 3 = 0 THEN 'laptop' ELSE 'desktop' END, 'BENCH/site' || (i % 50),
                   CASE WHEN i % 3 = 0 THEN 0 ELSE 1 END, 'ACME', 'M' || (i % 7), now()
               FROM generate_series(1, $1) i""",
            devices,
        )
        await conn.execute(
            "INSERT INTO directives SELECT 'bench', 'd' || i, i % 2 = 0 FROM generate_series(1, $1) i",
            devices,
        )
        await conn.execute("INSERT INTO tenant_zones VALUES ('bench', 'Europe/Paris')")
        # Saver PCs sleep more in the second half; a few PCs never sleep (sleepless nights).
        await conn.execute(
            """INSERT INTO device_days
               SELECT 'Europe/Paris', 'd' || i, $2::date + k, 'bench', s_on, s_act, s_asl, 86400,
                      array_fill(s_on / 24, ARRAY[24]), array_fill(s_act / 24, ARRAY[24])
               FROM generate_series(1, $1) i, generate_series(0, $3 - 1) k,
                    LATERAL (SELECT CASE WHEN i % 2 = 0 AND k >= $3 / 2
                                         THEN 30000 + (i * 7 + k * 13) % 7000
                                         ELSE 50000 + (i * 11 + k * 17) % 30000 END::float8 AS s_on) a,
                    LATERAL (SELECT (s_on * 0.4)::float8 AS s_act,
                                    CASE WHEN i % 10 = 0 THEN 0 ELSE (86400 - s_on) * 0.8 END::float8
                                    AS s_asl) b""",
            devices,
            START,
            days,
        )
        await conn.execute(
            """INSERT INTO device_day_blockers
               SELECT 'Europe/Paris', 'd' || i, $2::date + k,
                      (ARRAY['teams.exe','chrome.exe','backup.exe'])[1 + i % 3], 1800 + i % 1000
               FROM generate_series(1, $1, 5) i, generate_series(0, $3 - 1) k""",
            devices,
            START,
            days,
        )
        # The fleet's event-time "today", as ingesting the activity would have advanced it: without
        # it no device-day counts (silent days are judged against it).
        await conn.execute(
            "INSERT INTO zone_watermarks SELECT tenant_id, zone, max(day) FROM device_days GROUP BY 1, 2"
        )
        await conn.execute("ANALYZE")


async def run(args: argparse.Namespace, dsn: str) -> None:
    if True:
        admin = await asyncpg.connect(dsn)
        await admin.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        await admin.close()
        pool = await create_pool(dsn, SCHEMA)
        await migrate(pool, SCHEMA, "veille_reporting.migrations")
        p = project(args.devices)
        t = time.perf_counter()
        await generate(pool, args.devices, args.days)
        print(
            f"generated {args.devices:,} devices x {args.days} days = "
            f"{args.devices * args.days:,} device-days "
            f"in {time.perf_counter() - t:.1f} s"
        )
        async with pool.acquire() as conn, conn.transaction():
            await store_stage_events(conn, stages(p, args.days))
        t = time.perf_counter()
        reporting = Reporting(pool, None, "")  # type: ignore[arg-type]
        await reporting.refresh_project("bench")
        print(f"full project refresh (a stage change): {time.perf_counter() - t:.1f} s")
        timings = []
        report = None
        for _ in range(args.runs):
            t = time.perf_counter()
            report = await build_report(pool, "bench")
            timings.append((time.perf_counter() - t) * 1000)
        assert report is not None
        timings.sort()
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        s = report.savings
        if not s.measured_devices:
            raise SystemExit("the report measured no device: the timings would be those of an empty report")
        print(
            f"report: {s.measured_devices:,} measured saver PCs, fleet {s.fleet.kwh_rounded} kWh/year, "
            f"{len(s.daily)} daily points, {len(s.groups)} groups, "
            f"{s.never_sleeping.devices_never_sleeping if s.never_sleeping else 0:,} never-sleeping PCs"
        )
        print(
            f"build_report over {args.runs} runs: p50 {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
            f"max {timings[-1]:.1f} ms (target p95 < 200 ms)"
        )
        await pool.close()


def main(args: argparse.Namespace) -> None:
    if args.database_url:
        asyncio.run(run(args, args.database_url))
        return
    with tempfile.TemporaryDirectory() as tmp:
        pg = LocalPostgres(Path(tmp) / "pg", port=free_port())
        dsn = pg.start()
        try:
            asyncio.run(run(args, dsn))
        finally:
            pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url")
    main(parser.parse_args())
