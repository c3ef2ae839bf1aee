"""The shape every Veille service process takes: a Kafka broker, a database pool, /health, /metrics.

`ServiceRuntime` owns the shared resources of one process; each service's composition root
(`entrypoints/app.py`) builds one and a broker (`new_broker`), registers its subscribers, and
wraps them in an ASGI app — FastStream's own (`asgi_app`) for headless services, FastAPI
(`new_fastapi` + `fastapi_app`) for those with an HTTP API. Both serve the same /health,
/metrics and /asyncapi routes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from fastapi import FastAPI, Response
from faststream import AckPolicy
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream_fastapi import FastStreamAPI
from prometheus_client import CollectorRegistry

from .db import create_pool, migrate, ping
from .http import HealthCheck, health_report, metrics_payload
from .kafka import ensure_topics
from .logging import configure_logging, get_logger
from .ports import decode_records
from .settings import ServiceSettings

log = get_logger(__name__)

Hook = Callable[["ServiceRuntime"], Awaitable[None]]


@dataclass
class ServiceRuntime:
    name: str
    settings: ServiceSettings
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    _pool: asyncpg.Pool | None = None
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)

    @property
    def schema(self) -> str:
        return self.settings.schema_for(self.name)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name}: database pool used before start")
        return self._pool

    def topic(self, spec: Any) -> str:
        return str(spec.qualified(self.settings.topic_namespace))

    def prometheus(self) -> KafkaPrometheusMiddleware:
        return KafkaPrometheusMiddleware(registry=self.registry, app_name=f"veille-{self.name}")

    async def start(self) -> None:
        if self.settings.create_topics:
            await ensure_topics(
                self.settings.kafka_bootstrap,
                namespace=self.settings.topic_namespace,
                device_partitions=self.settings.topic_partitions,
                replication=self.settings.topic_replication,
            )
        self._pool = await create_pool(self.settings.database_url, self.schema)
        await migrate(self._pool, self.schema, f"veille_{self.name}.migrations")
        for hook in self.on_start:
            await hook(self)
        log.info("service started", service=self.name, schema=self.schema)

    async def stop(self) -> None:
        for hook in reversed(self.on_stop):
            try:
                await hook(self)
            except Exception:
                log.exception("stop hook failed", service=self.name)
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        log.info("service stopped", service=self.name)

    def health_checks(self, broker: KafkaBroker) -> dict[str, HealthCheck]:
        async def kafka() -> bool:
            return bool(await broker.ping(timeout=2))

        async def database() -> bool:
            return self._pool is not None and await ping(self._pool)

        return {"kafka": kafka, "database": database}


def new_runtime(name: str, settings: ServiceSettings) -> ServiceRuntime:
    configure_logging(settings.log_level, settings.log_format, service=name)
    return ServiceRuntime(name=name, settings=settings)


def asgi_app(runtime: ServiceRuntime, broker: KafkaBroker) -> AsgiFastStream:
    """A headless FastStream service as an ASGI app (run by uvicorn): /health, /metrics, /asyncapi."""

    checks = runtime.health_checks(broker)

    @get
    async def health(scope: Any) -> AsgiResponse:
        status, body = await health_report(checks)
        return AsgiResponse(body, status, headers={"content-type": "application/json"})

    @get
    async def metrics(scope: Any) -> AsgiResponse:
        body, content_type = metrics_payload(runtime.registry)
        return AsgiResponse(body, 200, headers={"content-type": content_type})

    # The database and topics must exist before the broker starts consuming, and the pool must
    # outlive the broker's last message at shutdown: FastStream's lifespan wraps the broker.
    @asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    return AsgiFastStream(
        broker,
        asgi_routes=[("/health", health), ("/metrics", metrics)],
        lifespan=lifespan,
        asyncapi_path="/asyncapi",
    )


def new_broker(runtime: ServiceRuntime) -> KafkaBroker:
    """The service's Kafka broker, with Prometheus metrics of every subscriber and publisher."""
    return KafkaBroker(
        runtime.settings.kafka_bootstrap,
        middlewares=[runtime.prometheus()],
        client_id=f"veille-{runtime.name}",
        logger=logging.getLogger(f"veille.{runtime.name}.broker"),
    )


def new_fastapi(runtime: ServiceRuntime, broker: KafkaBroker, *, title: str, description: str) -> FastAPI:
    """The HTTP side of a service with an API: /health and /metrics; the service adds its routes."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, lifespan=lifespan)
    checks = runtime.health_checks(broker)

    @app.get("/health", tags=["operations"])
    async def health() -> Response:
        status, body = await health_report(checks)
        return Response(body, status_code=status, media_type="application/json")

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        body, content_type = metrics_payload(runtime.registry)
        return Response(body, media_type=content_type)

    return app


def fastapi_app(app: FastAPI, broker: KafkaBroker) -> FastStreamAPI:
    """FastStream's FastAPI integration: the broker starts after, and stops before, the app's lifespan.

    Call it last: it adapts the subscribers registered so far to FastAPI's dependency injection.
    """
    return FastStreamAPI(broker, application=app, asyncapi_path="/asyncapi")


def batch_subscriber(
    broker: KafkaBroker, topic: str, *, group_id: str, max_records: int, **options: Any
) -> Any:
    """The one way Veille services consume: a decorator for a handler of raw-record batches.

    Records reach the handler undecoded (`decode_records`: use cases dead-letter bad bytes as they
    came); offsets are committed once the handler returns, after its database commit; an exception
    rewinds every partition of the batch (NACK_ON_ERROR), so nothing past a failed batch is
    committed; a new consumer group starts from the beginning of the topic.
    """
    return broker.subscriber(
        topic,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=decode_records,
        **options,
    )
