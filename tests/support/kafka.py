"""Plain aiokafka clients for tests: produce raw bytes, read a topic until a condition holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

Message = tuple[bytes | None, bytes | None] | tuple[bytes | None, bytes | None, int]


async def produce(bootstrap: str, topic: str, messages: Iterable[Message], **kwargs: Any) -> int:
    """Send (key, value) or (key, value, timestamp_ms) messages; the timestamp is event time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, **kwargs)
    await producer.start()
    count = 0
    try:
        batch = []
        for key, value, *ts in messages:
            batch.append(await producer.send(topic, value=value, key=key, timestamp_ms=ts[0] if ts else None))
            count += 1
            if len(batch) >= 5000:
                await asyncio.gather(*batch)
                batch.clear()
        await asyncio.gather(*batch)
    finally:
        await producer.stop()
    return count


async def read_topic(
    bootstrap: str,
    topic: str,
    *,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout_s: float = 60.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read from the beginning (no group) until `until(records)` holds; raise on timeout."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not until(records):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: condition not met after {timeout_s}s ({len(records)} records)")
            batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records
