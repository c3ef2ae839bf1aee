"""Use cases fed by the four topics reporting consumes. Each batch is one database transaction,
idempotent under replay; invalid messages go to a dead-letter topic with their original bytes."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import asyncpg
from pydantic import ValidationError
from veille_contracts import Activity, DeviceRecord, RejectReason, decode
from veille_contracts.base import Contract
from veille_contracts.policy import Directive
from veille_contracts.projects import ProjectSummary, StageChange
from veille_contracts.topics import FLEET_DLQ, POLICY_DLQ, PROJECTS_DLQ, TopicSpec
from veille_energy import EnergyModel
from veille_runtime.kafka import publish_dead_letter
from veille_runtime.logging import get_logger
from veille_runtime.ports import InboundRecord, Publisher

from ..adapters import aggregates as agg
from ..adapters.activity_store import (
    add_day_increments,
    advance_watermark,
    counters,
    store_activity,
    stored_periods,
)
from ..adapters.facts_store import (
    ProjectRow,
    add_tenant_zone,
    load_project,
    projects_of_tenants,
    store_directives,
    store_stage_events,
    tenant_zones,
    upsert_devices,
)
from ..domain.buckets import day_increments
from ..domain.context import ProjectContext

log = get_logger(__name__)
M = TypeVar("M", bound=Contract)


def context_of(row: ProjectRow) -> ProjectContext:
    model = EnergyModel.model_validate(row.energy_model) if row.energy_model else None
    return ProjectContext.of(
        ProjectSummary.model_validate_json(json.dumps(row.summary)),
        row.entries,
        model=model,
        abnormal_days=row.abnormal_days,
    )


async def lock_tenants(conn: asyncpg.Connection, tenants: Sequence[str]) -> None:
    """Serialise writers of one tenant's aggregates (across consumers and instances), in a fixed order."""
    for tenant in sorted(set(tenants)):
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('veille-reporting:' || $1))", tenant)


async def project_context(conn: asyncpg.Connection, project_id: str) -> ProjectContext | None:
    row = await load_project(conn, project_id)
    return context_of(row) if row else None


async def rebuild_zone(conn: asyncpg.Connection, tenant_id: str, zone: str) -> None:
    """Device-days of a time zone learnt after the activity arrived: derived from the stored activity."""
    async for chunk in stored_periods(conn, tenant_id):
        incs = day_increments(chunk, zone)
        await add_day_increments(conn, zone, incs)
        if incs:
            await advance_watermark(conn, tenant_id, zone, max(i.day for i in incs))


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included (none if last < first)."""
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


@dataclass
class Reporting:
    pool: asyncpg.Pool
    publisher: Publisher
    namespace: str

    async def _decode(self, records: Sequence[InboundRecord], model: type[M], dlq: TopicSpec) -> list[M]:
        out: list[M] = []
        for record in records:
            try:
                out.append(decode(model, record.value or b""))
            except ValidationError as exc:
                await publish_dead_letter(
                    self.publisher,
                    dlq.qualified(self.namespace),
                    record,
                    reason=RejectReason.invalid_value,
                    detail=str(exc),
                    service="reporting",
                )
        return out

    async def activity(self, records: Sequence[InboundRecord]) -> None:
        batch = await self._decode(records, Activity, FLEET_DLQ)
        if batch:
            async with self.pool.acquire() as conn, conn.transaction():
                tenants = sorted({a.tenant_id for a in batch})
                await lock_tenants(conn, tenants)
                new = await store_activity(conn, batch)
                zones = await tenant_zones(conn, tenants)
                by_tenant: dict[str, list[Activity]] = defaultdict(list)
                for a in new:
                    by_tenant[a.tenant_id].append(a)
                # (tenant, zone) -> devices and days touched, latest reported day before and now
                touched: dict[tuple[str, str], tuple[set[str], set[date], date | None, date]] = {}
                for tenant, items in by_tenant.items():
                    for zone in zones.get(tenant, []):
                        incs = day_increments([counters(a) for a in items], zone)
                        if not incs:
                            continue
                        await add_day_increments(conn, zone, incs)
                        before, now = await advance_watermark(conn, tenant, zone, max(i.day for i in incs))
                        touched[(tenant, zone)] = (
                            {i.device_id for i in incs},
                            {i.day for i in incs},
                            before,
                            now,
                        )
                for pid in await projects_of_tenants(conn, list(by_tenant)):
                    ctx = await project_context(conn, pid)
                    if ctx is None or (ctx.project.tenant_id, ctx.zone) not in touched:
                        continue
                    devs, days, before, now = touched[(ctx.project.tenant_id, ctx.zone)]
                    # A new latest day adds a day (fully off, unless it reports) to every project
                    # device; a device's first reported day moving earlier adds days after it: the
                    # days from the earliest touched one to the latest are refreshed.
                    moved = before is None or now > before
                    await agg.refresh_device_phases(conn, ctx, None if moved else sorted(devs))
                    await agg.refresh_project_days(conn, ctx, days_between(min(days), now))
        await self.publisher.flush()

    async def devices(self, records: Sequence[InboundRecord]) -> None:
        batch = [r for r in await self._decode([r for r in records if r.value], DeviceRecord, FLEET_DLQ)]
        if batch:
            async with self.pool.acquire() as conn, conn.transaction():
                await lock_tenants(conn, [d.tenant_id for d in batch])
                changed = await upsert_devices(conn, batch)
                tenants = sorted({t for _, t in changed})
                for pid in await projects_of_tenants(conn, tenants):
                    ctx = await project_context(conn, pid)
                    if ctx is None:
                        continue
                    devs = [d for d, t in changed if t == ctx.project.tenant_id]
                    await agg.refresh_project_devices(conn, ctx, devs)
                    await agg.refresh_device_phases(conn, ctx, devs)
                    await agg.refresh_project_days(conn, ctx)
        await self.publisher.flush()

    async def stages(self, records: Sequence[InboundRecord]) -> None:
        batch = await self._decode(records, StageChange, PROJECTS_DLQ)
        if batch:
            async with self.pool.acquire() as conn, conn.transaction():
                await lock_tenants(conn, [e.tenant_id for e in batch])
                touched = await store_stage_events(conn, batch)
                for pid in sorted(touched):
                    ctx = await project_context(conn, pid)
                    if ctx is None:
                        continue
                    if await add_tenant_zone(conn, ctx.project.tenant_id, ctx.zone):
                        await rebuild_zone(conn, ctx.project.tenant_id, ctx.zone)
                    await agg.refresh_all(conn, ctx)
        await self.publisher.flush()

    async def directives(self, records: Sequence[InboundRecord]) -> None:
        batch = await self._decode(records, Directive, POLICY_DLQ)
        if batch:
            async with self.pool.acquire() as conn, conn.transaction():
                await lock_tenants(conn, [d.tenant_id for d in batch])
                changed = await store_directives(conn, batch)
                for pid, devs in sorted(changed.items()):
                    ctx = await project_context(conn, pid)
                    if ctx is None:
                        continue  # the project's first stage event refreshes everything
                    await agg.refresh_project_devices(conn, ctx, devs)
                    await agg.refresh_device_phases(conn, ctx, devs)
                    await agg.refresh_project_days(conn, ctx)
        await self.publisher.flush()

    async def refresh_project(self, project_id: str) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            row = await load_project(conn, project_id)
            if row is None:
                return False
            await lock_tenants(conn, [row.tenant_id])
            await agg.refresh_all(conn, context_of(row))
        return True
