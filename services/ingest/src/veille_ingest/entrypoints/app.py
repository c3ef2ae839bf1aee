"""Composition root of ingest: settings, runtime, broker, subscribers, background sweeps, ASGI app.

Consumption is FastStream batch subscribers in group `veille-ingest` (NACK_ON_ERROR: offsets are
committed after the handler returns; an exception rewinds every partition of the batch). What
FastStream leaves to us:
- aiokafka rebalances in a background task, so partitions can be revoked while a batch is still
  being written: `BatchGuard` makes `on_partitions_revoked` wait for the batch in flight (bounded
  by `revoke_wait_s` < `rebalance_timeout_ms`) and commits exactly the offsets written, so the next
  owner starts after them instead of redoing them (a redo would be harmless, only slower);
- a batch's retries stay well below `max_poll_interval_ms` (settings check it), so a slow outage
  never gets the consumer thrown out of the group in the middle of a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from faststream.asgi import AsgiFastStream
from veille_contracts.topics import AGENT_HEARTBEATS, AGENT_INVENTORY
from veille_runtime.logging import get_logger
from veille_runtime.ports import InboundRecord, Records
from veille_runtime.service import ServiceRuntime, asgi_app, batch_subscriber, new_broker, new_runtime

from ..adapters.kafka_publisher import KafkaOutput
from ..service_layer.ingest import Ingest
from ..settings import IngestSettings

GROUP_ID = "veille-ingest"
log = get_logger(__name__)


class BatchGuard(ConsumerRebalanceListener):  # type: ignore[misc]
    """Rebalance listener of one subscriber: finish the batch in flight, commit what it wrote."""

    def __init__(self, name: str, wait_s: float) -> None:
        self.name = name
        self.wait_s = wait_s
        self.subscriber: Any = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._written: dict[TopicPartition, int] = {}

    @contextlib.asynccontextmanager
    async def batch(self, records: Sequence[InboundRecord]) -> AsyncIterator[None]:
        self._idle.clear()
        try:
            yield
            last: dict[tuple[str, int], int] = {}
            for r in records:  # written and flushed: these offsets may be committed
                slot = (r.topic, r.partition)
                if r.offset > last.get(slot, -1):
                    last[slot] = r.offset
            for (topic, partition), offset in last.items():
                tp = TopicPartition(topic, partition)
                if offset + 1 > self._written.get(tp, -1):
                    self._written[tp] = offset + 1
        finally:
            self._idle.set()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if not self._idle.is_set():
            try:
                await asyncio.wait_for(self._idle.wait(), self.wait_s)
            except TimeoutError:
                log.warning(
                    "batch still in flight at rebalance: its partitions will be redelivered",
                    subscriber=self.name,
                )
        offsets = {tp: off for tp, off in self._written.items() if tp in revoked}
        consumer = getattr(self.subscriber, "consumer", None)
        if offsets and consumer is not None:
            try:
                await consumer.commit(offsets)
            except Exception as exc:  # the next owner redoes them: idempotent
                log.warning("commit on revocation failed", subscriber=self.name, error=repr(exc))
        for tp in revoked:
            self._written.pop(tp, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


def create_app(settings: IngestSettings | None = None) -> AsgiFastStream:
    settings = settings or IngestSettings()
    runtime: ServiceRuntime = new_runtime("ingest", settings)
    broker = new_broker(runtime)
    output = KafkaOutput(
        settings.kafka_bootstrap,
        linger_ms=settings.publish_linger_ms,
        compression=settings.publish_compression,
    )
    holder: dict[str, Ingest] = {}
    tasks: list[asyncio.Task[None]] = []

    async def on_start(rt: ServiceRuntime) -> None:
        # Validating heartbeats allocates many short-lived objects while each batch keeps thousands
        # alive: the default GC thresholds then rescan the heap so often that validation runs ~30 %
        # slower (measured). Freeze what start-up allocated and collect young objects less often.
        gc.collect()
        gc.freeze()
        gc.set_threshold(100_000, 50, 100)
        await output.start()
        ingest = holder["ingest"] = Ingest(
            rt.pool,
            settings,
            [output.publisher() for _ in range(settings.writes_in_flight)],
            output.publisher(),
            output.publisher(),
        )
        tasks.append(
            asyncio.create_task(_every(settings.sweep_interval_s, ingest.sweep, ingest.held_waiting))
        )
        tasks.append(asyncio.create_task(_every(settings.maintenance_interval_s, ingest.maintain)))

    async def on_stop(rt: ServiceRuntime) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tasks.clear()
        await output.stop()

    runtime.on_start.append(on_start)
    runtime.on_stop.append(on_stop)
    # Past the shared batch options: ingest's consumer-group timing (see settings) and bigger fetches.
    common: dict[str, Any] = {
        "group_id": GROUP_ID,
        "max_records": settings.batch_max_records,
        "batch_timeout_ms": settings.batch_timeout_ms,
        "max_poll_interval_ms": settings.max_poll_interval_ms,
        "rebalance_timeout_ms": settings.rebalance_timeout_ms,
        "max_partition_fetch_bytes": 4 * 1024 * 1024,
    }

    inventory_guard = BatchGuard("inventory", settings.revoke_wait_s)
    inventory_sub = batch_subscriber(
        broker, runtime.topic(AGENT_INVENTORY), listener=inventory_guard, **common
    )
    inventory_guard.subscriber = inventory_sub

    @inventory_sub
    async def on_inventory(records: Records) -> None:
        async with inventory_guard.batch(records):
            await holder["ingest"].inventory_batch(records)

    heartbeat_guard = BatchGuard("heartbeats", settings.revoke_wait_s)
    heartbeat_sub = batch_subscriber(
        broker, runtime.topic(AGENT_HEARTBEATS), listener=heartbeat_guard, **common
    )
    heartbeat_guard.subscriber = heartbeat_sub

    @heartbeat_sub
    async def on_heartbeats(records: Records) -> None:
        async with heartbeat_guard.batch(records):
            await holder["ingest"].heartbeat_batch(records)

    return asgi_app(runtime, broker)


async def _every(
    interval_s: float, job: Callable[[], Awaitable[object]], wake: asyncio.Event | None = None
) -> None:
    """Run `job` every `interval_s` (or sooner when `wake` is set); log and go on after a failure."""
    while True:
        if wake is None:
            await asyncio.sleep(interval_s)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), interval_s)
            wake.clear()
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "background job failed; next round will retry",
                job=getattr(job, "__name__", "?"),
                error=repr(exc),
            )
