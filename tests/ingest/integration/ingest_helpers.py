"""Helpers of ingest's integration tests: produce with record coordinates, read the database."""

from __future__ import annotations

import asyncio
import time
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


async def wait_count(dsn: str, sql: str, expected: int, timeout_s: float = 60.0) -> int:
    deadline = time.monotonic() + timeout_s
    conn = await asyncpg.connect(dsn)
    try:
        while True:
            count = int(await conn.fetchval(sql))
            if count >= expected or time.monotonic() > deadline:
                return count
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()
