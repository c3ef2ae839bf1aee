"""Composition root of ingest: settings, runtime, broker, subscribers, ASGI app."""

from __future__ import annotations

from typing import Any

from faststream import AckPolicy
from faststream.asgi import AsgiFastStream
from veille_contracts.topics import AGENT_HEARTBEATS, AGENT_INVENTORY
from veille_runtime.kafka import BrokerPublisher
from veille_runtime.ports import Records, decode_records
from veille_runtime.service import ServiceRuntime, asgi_app, new_broker, new_runtime

from ..service_layer.ingest import Ingest
from ..settings import IngestSettings

GROUP_ID = "veille-ingest"


def create_app(settings: IngestSettings | None = None) -> AsgiFastStream:
    settings = settings or IngestSettings()
    runtime: ServiceRuntime = new_runtime("ingest", settings)
    broker = new_broker(runtime)
    publisher = BrokerPublisher(broker)
    holder: dict[str, Ingest] = {}

    async def on_start(rt: ServiceRuntime) -> None:
        holder["ingest"] = Ingest(rt.pool, publisher, settings)

    runtime.on_start.append(on_start)
    common: dict[str, Any] = {
        "group_id": GROUP_ID,
        "batch": True,
        "max_records": settings.batch_max_records,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.NACK_ON_ERROR,
        "decoder": decode_records,
    }

    @broker.subscriber(runtime.topic(AGENT_INVENTORY), **common)
    async def on_inventory(records: Records) -> None:
        await holder["ingest"].inventory_batch(records)

    @broker.subscriber(runtime.topic(AGENT_HEARTBEATS), **common)
    async def on_heartbeats(records: Records) -> None:
        await holder["ingest"].heartbeat_batch(records)

    return asgi_app(runtime, broker)
