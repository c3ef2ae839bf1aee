"""Use case: record a batch of fleet activity (idempotent; invalid events go to the fleet DLQ)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
from pydantic import ValidationError
from veille_contracts import Activity, RejectReason, decode
from veille_contracts.topics import FLEET_DLQ
from veille_runtime.kafka import dead_letter
from veille_runtime.ports import InboundRecord, Publisher

from ..adapters.activity_store import store_activity


@dataclass
class RecordActivity:
    pool: asyncpg.Pool
    publisher: Publisher
    namespace: str

    async def __call__(self, records: Sequence[InboundRecord]) -> None:
        batch: list[Activity] = []
        for record in records:
            try:
                batch.append(decode(Activity, record.value or b""))
            except ValidationError as exc:
                letter = dead_letter(
                    topic=record.topic, partition=record.partition, offset=record.offset, key=record.key,
                    value=record.value, reason=RejectReason.invalid_value, detail=str(exc), service="reporting",
                )
                await self.publisher.publish(FLEET_DLQ.qualified(self.namespace), record.key, letter.to_json_bytes())
        if batch:
            async with self.pool.acquire() as conn, conn.transaction():
                await store_activity(conn, batch)
        await self.publisher.flush()
