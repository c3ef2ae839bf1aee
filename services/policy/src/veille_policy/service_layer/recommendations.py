"""Recommendations: replay a project's Viewer window under candidate policies, off the event loop.

Entering `recommendation` only queues a job (in the stage change's transaction), so consuming the
stages topic never waits for a replay and never outlives max_poll_interval. A worker task claims
jobs (one instance per job: a lease in the table), loads the window's activity, and runs the
replay in a process pool (`compute`, a plain function of plain data, so nothing of the event loop
or the database crosses the process boundary). The result and its outbox row are written in one
transaction, then published on veille.policy.recommendations.v1 (key: project_id).

Above `recommendation_max_devices` devices, a sample is replayed: devices ordered by a hash seeded
with the project id, taken per kind in proportion (the same draw on every run); the rationale says
so, with the sample size.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg
from veille_contracts import Activity, DeviceKind, PowerSource, Recommendation, SleepBlocker, WorkingSchedule
from veille_contracts.scope import ScopeMatcher
from veille_contracts.topics import POLICY_RECOMMENDATIONS
from veille_energy import EnergyModel
from veille_runtime.logging import get_logger
from veille_runtime.ports import Publisher

from ..adapters import outbox, store
from ..adapters.outbox import Send
from ..domain import DeviceActivity, recommend, stratum_quotas
from ..settings import PolicySettings

log = get_logger(__name__)
LEASE = "15 minutes"


@dataclass(frozen=True, slots=True)
class DeviceInput:
    device_id: str
    kind: str
    monitors: int
    manufacturer: str | None
    model: str | None
    periods: list[store.ActivityRow]


@dataclass(frozen=True, slots=True)
class RecommendationInput:
    project_id: str
    tenant_id: str
    schedule_json: str
    holidays: tuple[date, ...]
    window_start: datetime
    window_end: datetime
    computed_at: datetime
    disruption_budget: float
    devices: tuple[DeviceInput, ...]
    devices_in_scope: int


def _activity(device: DeviceInput, row: store.ActivityRow) -> Activity:
    seq, start, end, on, active, asleep, power, mask, blockers = row
    # Values were validated when consumed; model_construct skips validating them again.
    return Activity.model_construct(
        activity_id=f"{device.device_id}:{seq}",
        tenant_id="",
        device_id=device.device_id,
        device_kind=DeviceKind(device.kind),
        seq=seq,
        period_start=start,
        period_end=end,
        seconds_on=on,
        seconds_active=active,
        seconds_asleep=asleep,
        power_source=PowerSource(power),
        policy_version=None,
        sleep_blockers=[SleepBlocker(process=p, seconds=s) for p, s in json.loads(blockers)]
        if blockers
        else [],
        input_minutes=store.minutes_of(mask),
    )


def compute(job: RecommendationInput) -> tuple[bytes, float]:
    """The recommendation (JSON bytes) and the seconds it took; runs in a worker process."""
    started = time.perf_counter()
    devices = [
        DeviceActivity(
            d.device_id,
            DeviceKind(d.kind),
            d.monitors,
            [_activity(d, r) for r in d.periods],
            d.manufacturer,
            d.model,
        )
        for d in job.devices
    ]
    result = recommend(
        project_id=job.project_id,
        tenant_id=job.tenant_id,
        devices=devices,
        schedule=WorkingSchedule.model_validate_json(job.schedule_json),
        energy_model=EnergyModel(),
        window_start=job.window_start,
        window_end=job.window_end,
        computed_at=job.computed_at,
        disruption_budget=job.disruption_budget,
        holidays=job.holidays,
    )
    if len(job.devices) < job.devices_in_scope:
        result = result.model_copy(
            update={
                "rationale": (
                    f"{result.rationale}. Replayed on a sample of {len(job.devices)} of the "
                    f"{job.devices_in_scope} devices with Viewer data (drawn per device kind, seeded by the "
                    f"project id); per-device figures are the sample's"
                )[:4000]
            }
        )
    return result.to_json_bytes(), time.perf_counter() - started


def sample(project_id: str, devices: Sequence[DeviceInput], limit: int) -> list[DeviceInput]:
    """At most `limit` devices, per kind in proportion, in the order of a hash seeded by the project id."""
    if len(devices) <= limit:
        return list(devices)
    by_kind: dict[str, list[DeviceInput]] = {}
    for device in devices:
        by_kind.setdefault(device.kind, []).append(device)
    quotas = stratum_quotas(project_id, {(DeviceKind(k), ""): len(v) for k, v in by_kind.items()}, limit)
    chosen: list[DeviceInput] = []
    for kind, members in by_kind.items():
        ranked = sorted(
            members, key=lambda d: hashlib.sha256(f"{project_id}\x00{d.device_id}".encode()).hexdigest()
        )
        chosen += ranked[: quotas[(DeviceKind(kind), "")]]
    return sorted(chosen, key=lambda d: d.device_id)


@dataclass
class Recommender:
    pool: asyncpg.Pool
    publisher: Publisher
    settings: PolicySettings
    executor: Executor
    wake: asyncio.Event

    async def run_forever(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("recommendation worker failed; retrying")
                worked = False
            if not worked:
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=self.settings.recommendation_poll_s)

    async def run_once(self) -> bool:
        """Claim and compute one pending job; False when there is none."""
        job = await self.pool.fetchrow(
            f"""
            UPDATE recommendation_jobs SET claimed_until = now() + interval '{LEASE}'
            WHERE (project_id, stage_seq) = (
                SELECT project_id, stage_seq FROM recommendation_jobs
                WHERE NOT done AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING project_id, stage_seq, window_start, window_end, requested_at
            """
        )
        if job is None:
            return False
        project = await store.project(self.pool, job["project_id"])
        assert project is not None
        work = await self._input(project, job["window_start"], job["window_end"], job["requested_at"])
        log.info(
            "recommendation started",
            project_id=project.project_id,
            devices=len(work.devices),
            devices_in_scope=work.devices_in_scope,
        )
        loop = asyncio.get_running_loop()
        payload, seconds = await loop.run_in_executor(self.executor, compute, work)
        recommendation = Recommendation.model_validate_json(payload)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """
                INSERT INTO recommendations (project_id, stage_seq, recommendation_id, tenant_id, computed_at,
                                             seconds_spent, payload)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT DO NOTHING
                """,
                project.project_id,
                job["stage_seq"],
                recommendation.recommendation_id,
                project.tenant_id,
                recommendation.computed_at,
                seconds,
                payload.decode(),
            )
            await conn.execute(
                "UPDATE recommendation_jobs SET done = true WHERE project_id = $1 AND stage_seq = $2",
                project.project_id,
                job["stage_seq"],
            )
            queued = await outbox.queue(
                conn,
                [
                    Send(
                        recommendation.recommendation_id,
                        POLICY_RECOMMENDATIONS.qualified(self.settings.topic_namespace),
                        project.project_id.encode(),
                        payload,
                    )
                ],
            )
        await outbox.publish(self.pool, self.publisher, queued)
        log.info(
            "recommendation published",
            project_id=project.project_id,
            seconds=round(seconds, 2),
            recommended=recommendation.recommended_policy_id,
        )
        return True

    async def _input(
        self, project: store.ProjectRow, start: datetime, end: datetime, computed_at: datetime
    ) -> RecommendationInput:
        activity = await store.viewer_activity(self.pool, project.project_id, start, end)
        matcher = ScopeMatcher.of(project.summary.scope)
        registry = {d.device_id: d for d in await store.devices_of_tenant(self.pool, project.tenant_id)}
        devices = [
            DeviceInput(d.device_id, d.kind, d.monitors, d.manufacturer, d.model, activity[d.device_id])
            for device_id, d in sorted(registry.items())
            if device_id in activity and matcher.matches(d)
        ]
        chosen = sample(project.project_id, devices, self.settings.recommendation_max_devices)
        summary = project.summary
        return RecommendationInput(
            project_id=project.project_id,
            tenant_id=project.tenant_id,
            schedule_json=summary.schedule.model_dump_json(),
            holidays=tuple(summary.holidays),
            window_start=start,
            window_end=end,
            computed_at=computed_at,
            disruption_budget=self.settings.disruption_budget,
            devices=tuple(chosen),
            devices_in_scope=len(devices),
        )
