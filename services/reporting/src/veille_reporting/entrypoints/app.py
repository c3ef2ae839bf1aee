"""Composition root of reporting: settings, runtime, Kafka subscribers, HTTP API, dashboard."""

from __future__ import annotations

from faststream import AckPolicy
from faststream_fastapi import FastStreamAPI
from veille_contracts.topics import FLEET_ACTIVITY, FLEET_DEVICES, POLICY_DIRECTIVES, PROJECT_STAGES
from veille_runtime.auth import install_auth, wire_token_table
from veille_runtime.kafka import BrokerPublisher
from veille_runtime.ports import Records, decode_records
from veille_runtime.service import ServiceRuntime, fastapi_app, new_broker, new_fastapi, new_runtime

from ..service_layer.activity import Reporting
from ..settings import ReportingSettings
from .api import install_routes


def create_app(settings: ReportingSettings | None = None) -> FastStreamAPI:
    settings = settings or ReportingSettings()
    runtime: ServiceRuntime = new_runtime("reporting", settings)
    broker = new_broker(runtime)
    publisher = BrokerPublisher(broker)
    holder: dict[str, Reporting] = {}
    GROUP_ID = settings.consumer_group

    async def on_start(rt: ServiceRuntime) -> None:
        holder["r"] = Reporting(rt.pool, publisher, settings.topic_namespace)

    runtime.on_start.append(on_start)
    common = {
        "batch": True,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "decoder": decode_records,
    }

    @broker.subscriber(runtime.topic(FLEET_ACTIVITY), group_id=GROUP_ID, max_records=5000, **common)  # type: ignore[arg-type]
    async def on_activity(records: Records) -> None:
        await holder["r"].activity(records)

    @broker.subscriber(
        runtime.topic(FLEET_DEVICES), group_id=f"{GROUP_ID}-devices", max_records=5000, **common
    )  # type: ignore[arg-type]
    async def on_devices(records: Records) -> None:
        await holder["r"].devices(records)

    @broker.subscriber(
        runtime.topic(PROJECT_STAGES), group_id=f"{GROUP_ID}-stages", max_records=500, **common
    )  # type: ignore[arg-type]
    async def on_stages(records: Records) -> None:
        await holder["r"].stages(records)

    @broker.subscriber(
        runtime.topic(POLICY_DIRECTIVES), group_id=f"{GROUP_ID}-directives", max_records=5000, **common
    )  # type: ignore[arg-type]
    async def on_directives(records: Records) -> None:
        await holder["r"].directives(records)

    tokens = wire_token_table(runtime, broker, group_id=f"{GROUP_ID}-auth")
    api = new_fastapi(
        runtime, broker, title="Veille reporting", description="Energy, measured savings, dashboard, reports."
    )
    install_auth(api, tokens)
    install_routes(api, runtime, lambda: holder["r"])
    return fastapi_app(api, broker)
