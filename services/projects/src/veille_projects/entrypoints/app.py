"""Composition root of projects: settings, runtime, broker, subscribers, outbox relay, HTTP API."""

from __future__ import annotations

from typing import Any

from faststream_fastapi import FastStreamAPI
from veille_contracts import ApiToken, StageChange
from veille_contracts.topics import (
    AUTH_TOKENS,
    FLEET_ACTIVITY,
    FLEET_DEVICES,
    PROJECT_MILESTONES,
    PROJECT_STAGES,
    PROJECTS_DLQ,
)
from veille_runtime.auth import TokenTable, hash_token, install_auth
from veille_runtime.kafka import BrokerPublisher
from veille_runtime.ports import Records
from veille_runtime.service import (
    ServiceRuntime,
    batch_subscriber,
    fastapi_app,
    new_broker,
    new_fastapi,
    new_runtime,
)

from ..adapters.outbox import OutboxRelay
from ..service_layer.projects import Projects
from ..settings import ProjectsSettings
from .api import build_router

GROUP_ID = "veille-projects"


def create_app(settings: ProjectsSettings | None = None) -> FastStreamAPI:
    settings = settings or ProjectsSettings()
    runtime: ServiceRuntime = new_runtime("projects", settings)
    broker = new_broker(runtime)
    publisher = BrokerPublisher(broker)
    holder: dict[str, Any] = {}
    bootstrap = settings.operator_token.get_secret_value().strip() if settings.operator_token else ""
    tokens = TokenTable(bootstrap_hash=hash_token(bootstrap) if bootstrap else None)

    async def on_start(rt: ServiceRuntime) -> None:
        await tokens.create(rt.pool)
        relay = OutboxRelay(
            rt.pool, settings.kafka_bootstrap, settings.topic_namespace, poll_s=settings.outbox_poll_s
        )
        holder["relay"] = relay
        holder["projects"] = Projects(rt.pool, publisher, settings.topic_namespace, wake_relay=relay.wake)
        api.state.veille_projects = holder["projects"]
        if settings.relay_enabled:
            await relay.start()

    async def on_stop(rt: ServiceRuntime) -> None:
        relay: OutboxRelay | None = holder.get("relay")
        if relay is not None:
            await relay.stop()

    runtime.on_start.append(on_start)
    runtime.on_stop.append(on_stop)

    common: dict[str, Any] = {"group_id": GROUP_ID, "max_records": settings.batch_max_records}

    @batch_subscriber(broker, runtime.topic(PROJECT_MILESTONES), title="milestones", **common)
    async def on_milestones(records: Records) -> None:
        await holder["projects"].milestone_batch(records)

    @batch_subscriber(broker, runtime.topic(FLEET_DEVICES), title="device registry", **common)
    async def on_devices(records: Records) -> None:
        await holder["projects"].device_batch(records)

    @batch_subscriber(broker, runtime.topic(FLEET_ACTIVITY), title="fleet activity", **common)
    async def on_activity(records: Records) -> None:
        await holder["projects"].activity_batch(records)

    # Published by the outbox relay (its own idempotent producer); declared so AsyncAPI documents them.
    broker.publisher(
        runtime.topic(PROJECT_STAGES),
        title="stage events",
        schema=StageChange,
        description=(
            "A project entered a stage (kind=transition) or outlived its plan (kind=overrun). "
            "Key: project_id. "
            "event_id '<project_id>:stage:<seq>' is stable: drop an event whose id you have already seen."
        ),
    )
    broker.publisher(
        runtime.topic(PROJECTS_DLQ), title="refused milestones", description=PROJECTS_DLQ.description
    )

    broker.publisher(
        runtime.topic(AUTH_TOKENS),
        title="api tokens",
        schema=ApiToken,
        description=AUTH_TOKENS.description + " Never the token itself: only its SHA-256.",
    )

    api = new_fastapi(
        runtime, broker, title="Veille projects", description="Customer projects, stage by stage."
    )
    install_auth(api, tokens)
    api.include_router(build_router())
    return fastapi_app(api, broker)
