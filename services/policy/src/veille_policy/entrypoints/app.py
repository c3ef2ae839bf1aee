"""Composition root of policy: settings, runtime, broker, subscribers, recommendation worker, HTTP API."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fastapi import HTTPException
from faststream_fastapi import FastStreamAPI
from veille_contracts.topics import FLEET_ACTIVITY, FLEET_DEVICES, PROJECT_STAGES
from veille_runtime.auth import CurrentPrincipal, ensure_read, install_auth, wire_token_table
from veille_runtime.logging import get_logger
from veille_runtime.ports import Records
from veille_runtime.service import (
    ServiceRuntime,
    batch_subscriber,
    fastapi_app,
    new_broker,
    new_fastapi,
    new_runtime,
)

from ..adapters import outbox, store
from ..adapters.producer import KafkaPublisher
from ..service_layer.directives import PolicyService
from ..service_layer.recommendations import Recommender
from ..settings import PolicySettings

GROUP_ID = "veille-policy"
log = get_logger(__name__)


def create_app(settings: PolicySettings | None = None) -> FastStreamAPI:
    settings = settings or PolicySettings()
    runtime: ServiceRuntime = new_runtime("policy", settings)
    broker = new_broker(runtime)
    publisher = KafkaPublisher(settings.kafka_bootstrap)
    holder: dict[str, Any] = {}

    async def on_start(rt: ServiceRuntime) -> None:
        await publisher.start()
        # Sends a previous run committed but did not publish go first.
        pending = await outbox.publish_pending(rt.pool, publisher)
        if pending:
            log.info("pending sends published", count=pending)
        service = PolicyService(rt.pool, publisher, settings)
        holder["service"] = service
        # Spawned (not forked) workers: the parent runs an event loop and Kafka client threads.
        executor = ProcessPoolExecutor(
            settings.recommendation_workers, mp_context=multiprocessing.get_context("spawn")
        )
        holder["executor"] = executor
        recommender = Recommender(rt.pool, publisher, settings, executor, service.jobs_queued)
        holder["worker"] = asyncio.create_task(recommender.run_forever(), name="policy-recommendations")

    async def publish_pending(rt: ServiceRuntime) -> None:
        # Sends a previous run committed but did not publish. The broker starts after the app's
        # lifespan, so retry until it can publish.
        for _ in range(600):
            try:
                count = await outbox.publish_pending(rt.pool, publisher)
            except Exception:
                await asyncio.sleep(0.5)
                continue
            if count:
                log.info("pending sends published", count=count)
            return

    async def on_stop(rt: ServiceRuntime) -> None:
        task: asyncio.Task[None] | None = holder.get("worker")
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        executor: ProcessPoolExecutor | None = holder.get("executor")
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        await publisher.stop()

    runtime.on_start.append(on_start)
    runtime.on_stop.append(on_stop)
    common: dict[str, Any] = {"group_id": GROUP_ID, "max_records": settings.batch_max_records}

    @batch_subscriber(broker, runtime.topic(FLEET_DEVICES), **common)
    async def on_devices(records: Records) -> None:
        await holder["service"].device_batch(records)

    @batch_subscriber(broker, runtime.topic(PROJECT_STAGES), **common)
    async def on_stages(records: Records) -> None:
        await holder["service"].stage_batch(records)

    @batch_subscriber(broker, runtime.topic(FLEET_ACTIVITY), **common)
    async def on_activity(records: Records) -> None:
        await holder["service"].activity_batch(records)

    tokens = wire_token_table(runtime, broker, group_id="veille-policy-auth")
    api = new_fastapi(
        runtime,
        broker,
        title="Veille policy",
        description="Directives to agents (Viewer / Saver), reconciliation, recommendations.",
    )
    install_auth(api, tokens)

    @api.get("/projects/{project_id}/recommendation", tags=["recommendations"])
    async def get_recommendation(project_id: str, principal: CurrentPrincipal) -> Any:
        """The project's latest recommendation: candidates, Pareto front, the recommended policy."""
        pool = runtime.pool
        project = await store.project(pool, project_id)
        if project is None:
            raise HTTPException(404, detail=f"no such project: {project_id}")
        ensure_read(principal, project.tenant_id, what="project")
        row = await pool.fetchrow(
            "SELECT payload::text AS payload, seconds_spent FROM recommendations WHERE project_id = $1 "
            "ORDER BY stage_seq DESC LIMIT 1",
            project_id,
        )
        if row is None:
            pending = await pool.fetchval(
                "SELECT count(*) FROM recommendation_jobs WHERE project_id = $1 AND NOT done", project_id
            )
            why = (
                "being computed"
                if pending
                else f"not requested yet (the project is in {project.stage.value})"
            )
            raise HTTPException(404, detail=f"no recommendation for project {project_id}: {why}")
        return json.loads(row["payload"])

    @api.get("/projects/{project_id}/directives", tags=["directives"])
    async def get_project_directives(project_id: str, principal: CurrentPrincipal) -> Any:
        """The desired directive of every device the project directs, with resend counts."""
        project = await store.project(runtime.pool, project_id)
        if project is None:
            raise HTTPException(404, detail=f"no such project: {project_id}")
        ensure_read(principal, project.tenant_id, what="project")
        rows = await store.directives_of_project(runtime.pool, project_id)
        devices = [{**dict(r), "last_sent_at": r["last_sent_at"].isoformat()} for r in rows]
        return {
            "project_id": project_id,
            "stage": project.stage.value,
            "saver": sum(1 for d in devices if d["mode"] == "saver"),
            "viewer": sum(1 for d in devices if d["mode"] == "viewer"),
            "devices": devices,
        }

    @api.get("/devices/{device_id}/directive", tags=["directives"])
    async def get_device_directive(device_id: str, principal: CurrentPrincipal) -> Any:
        """The directive the device should enforce, when it was last sent (event time) and resends."""
        found = await store.directive_of(runtime.pool, device_id)
        if found is None:
            raise HTTPException(404, detail=f"no directive for device {device_id}")
        ensure_read(principal, found["directive"]["tenant_id"], what="device")
        return {**found, "last_sent_at": found["last_sent_at"].isoformat()}

    return fastapi_app(api, broker)
