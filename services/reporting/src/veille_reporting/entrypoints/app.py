"""Composition root of reporting: settings, runtime, Kafka subscribers, HTTP API, dashboard."""

from __future__ import annotations

from typing import Any

from faststream_fastapi import FastStreamAPI
from veille_contracts.topics import (
    FLEET_ACTIVITY,
    FLEET_DEVICES,
    POLICY_DIRECTIVES,
    PROJECT_STAGES,
    TopicSpec,
)
from veille_runtime.auth import install_auth, wire_token_table
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

from ..service_layer.activity import Reporting
from ..settings import ReportingSettings
from .api import install_routes


def create_app(settings: ReportingSettings | None = None) -> FastStreamAPI:
    settings = settings or ReportingSettings()
    runtime: ServiceRuntime = new_runtime("reporting", settings)
    broker = new_broker(runtime)
    publisher = BrokerPublisher(broker)
    holder: dict[str, Reporting] = {}
    group = settings.consumer_group

    async def on_start(rt: ServiceRuntime) -> None:
        holder["r"] = Reporting(rt.pool, publisher, settings.topic_namespace)

    runtime.on_start.append(on_start)

    def subscriber(spec: TopicSpec, group: str, max_records: int) -> Any:
        return batch_subscriber(broker, runtime.topic(spec), group_id=group, max_records=max_records)

    @subscriber(FLEET_ACTIVITY, group, 5000)
    async def on_activity(records: Records) -> None:
        await holder["r"].activity(records)

    @subscriber(FLEET_DEVICES, f"{group}-devices", 5000)
    async def on_devices(records: Records) -> None:
        await holder["r"].devices(records)

    @subscriber(PROJECT_STAGES, f"{group}-stages", 500)
    async def on_stages(records: Records) -> None:
        await holder["r"].stages(records)

    @subscriber(POLICY_DIRECTIVES, f"{group}-directives", 5000)
    async def on_directives(records: Records) -> None:
        await holder["r"].directives(records)

    tokens = wire_token_table(runtime, broker, group_id=f"{group}-auth")
    api = new_fastapi(
        runtime, broker, title="Veille reporting", description="Energy, measured savings, dashboard, reports."
    )
    install_auth(api, tokens)
    install_routes(api, runtime, lambda: holder["r"])
    return fastapi_app(api, broker)
