"""`Publisher` on a plain aiokafka producer: policy's sends (directives at thousands per second).

FastStream's `broker.publish` costs ~100 µs a message (middlewares, per-call setup); reconciliation
resends thousands of directives a second, so policy sends through its own producer: `send()`
only appends to the producer's batch, `flush()` waits for every ack (acks=all, idempotent).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer


class KafkaPublisher:
    def __init__(self, bootstrap: str, client_id: str = "veille-policy") -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, client_id=client_id, linger_ms=5, acks="all", enable_idempotence=True
        )
        self._pending: list[asyncio.Future[Any]] = []

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def publish(self, topic: str, key: bytes | None, value: bytes) -> None:
        self._pending.append(await self._producer.send(topic, value=value, key=key))

    async def flush(self) -> None:
        # Subscribers and the recommendation worker share the producer: each flush waits for
        # everything sent before it (its own sends included), then forgets what is acknowledged.
        pending = list(self._pending)
        if pending:
            await asyncio.gather(*pending)
        self._pending = [f for f in self._pending if not f.done()]
