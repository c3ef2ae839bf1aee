"""Helpers of ingest's integration tests: produce with record coordinates, read the database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
from aiokafka import AIOKafkaProducer


async def send_each(
    bootstrap: str, topic: str, messages: Sequence[tuple[bytes | None, bytes | None, int]]
) -> list[tuple[int, int]]:
    """Send (key, value, timestamp_ms) messages; returns each one's (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k, timestamp_ms=ts) for k, v, ts in messages]
        metas = await asyncio.gather(*futures)
        return [(m.partition, m.offset) for m in metas]
    finally:
        await producer.stop()


async def fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()
