"""The outbox relay: publish what the service committed, in order, at least once, with stable ids.

Use cases write their events to the `outbox` table in the same transaction as the change. The
relay, a background task, publishes unpublished rows in id order (hence in order per project),
waits for the broker's acknowledgements, then marks them published. A crash after the commit
and before the publish leaves the rows unpublished: the next relay (after a restart) sends them.
A crash after the publish and before the mark sends them again with the same event ids, which
consumers drop. One relay at a time: an advisory lock serialises instances.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib

import asyncpg
from aiokafka import AIOKafkaProducer
from veille_runtime.logging import get_logger

from .store import mark_published, unpublished

log = get_logger(__name__)

_LOCK = int.from_bytes(hashlib.sha256(b"veille-projects-outbox").digest()[:8], "big", signed=True)


class OutboxRelay:
    def __init__(
        self, pool: asyncpg.Pool, bootstrap: str, namespace: str, *, poll_s: float = 0.5, batch: int = 500
    ) -> None:
        self._pool = pool
        self._bootstrap = bootstrap
        self._namespace = namespace
        self._poll_s = poll_s
        self._batch = batch
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._producer: AIOKafkaProducer | None = None
        self.published = 0

    def _topic(self, name: str) -> str:
        return f"{self._namespace}.{name}" if self._namespace else name

    def wake(self) -> None:
        """Something was committed to the outbox: publish it now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        # Idempotent producer: retries neither duplicate nor reorder within a partition.
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        await self._producer.start()
        self._task = asyncio.create_task(self._run(), name="projects-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _run(self) -> None:
        while True:
            try:
                while await self.relay_once():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                await asyncio.sleep(1)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_s)
            self._wake.clear()

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows; returns how many (0: nothing to do, or another relay)."""
        if self._producer is None:
            raise RuntimeError("relay not started")
        async with self._pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK):
                return 0
            rows = await unpublished(conn, self._batch)
            if not rows:
                return 0
            futures = [
                await self._producer.send(
                    self._topic(row.topic),
                    value=row.payload,
                    key=row.key,
                    headers=[("event_id", row.event_id.encode())],
                )
                for row in rows
            ]
            await asyncio.gather(*futures)
            await mark_published(conn, [row.id for row in rows])
        self.published += len(rows)
        return len(rows)
