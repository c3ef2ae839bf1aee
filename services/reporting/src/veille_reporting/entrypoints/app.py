"""Composition root of reporting: settings, runtime, Kafka router, HTTP API."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from veille_contracts.topics import FLEET_ACTIVITY
from veille_runtime.kafka import BrokerPublisher
from veille_runtime.ports import Records, decode_records
from faststream_fastapi import FastStreamAPI
from veille_runtime.service import ServiceRuntime, fastapi_app, new_broker, new_fastapi, new_runtime

from ..service_layer.activity import RecordActivity
from ..settings import ReportingSettings

GROUP_ID = "veille-reporting"


def create_app(settings: ReportingSettings | None = None) -> FastStreamAPI:
    settings = settings or ReportingSettings()
    runtime: ServiceRuntime = new_runtime("reporting", settings)
    broker = new_broker(runtime)
    publisher = BrokerPublisher(broker)
    holder: dict[str, RecordActivity] = {}

    async def on_start(rt: ServiceRuntime) -> None:
        holder["activity"] = RecordActivity(rt.pool, publisher, settings.topic_namespace)

    runtime.on_start.append(on_start)

    @broker.subscriber(
        runtime.topic(FLEET_ACTIVITY), group_id=GROUP_ID, batch=True, max_records=5000,
        auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR, decoder=decode_records,
    )
    async def on_activity(records: Records) -> None:
        await holder["activity"](records)

    api = new_fastapi(
        runtime, broker, title="Veille reporting", description="Energy, measured savings, dashboard, reports."
    )
    return fastapi_app(api, broker)
