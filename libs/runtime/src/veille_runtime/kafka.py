"""Kafka plumbing shared by the services: topic creation, names and dead letters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from veille_contracts import ALL_TOPICS, DeadLetter, RejectReason, TopicSpec, b64

from .logging import get_logger
from .ports import InboundRecord, Publisher

log = get_logger(__name__)

# Partitions of project-keyed topics: far fewer entities than devices.
PROJECT_TOPIC_PARTITIONS = 3


def partitions_for(spec: TopicSpec, device_partitions: int) -> int:
    return device_partitions if spec.device_keyed else min(device_partitions, PROJECT_TOPIC_PARTITIONS)


async def ensure_topics(
    bootstrap: str,
    *,
    namespace: str = "",
    device_partitions: int = 12,
    replication: int = 1,
    specs: Iterable[TopicSpec] = ALL_TOPICS,
    timeout_s: float = 60.0,
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout_s * 1000))
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await admin.start()
            break
        except KafkaConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name=spec.qualified(namespace),
                num_partitions=partitions_for(spec, device_partitions),
                replication_factor=replication,
                topic_configs={"cleanup.policy": "compact"} if spec.compacted else {},
            )
            for spec in specs
            if spec.qualified(namespace) not in existing
        ]
        if not wanted:
            return []
        with contextlib.suppress(TopicAlreadyExistsError):  # created concurrently by another instance
            await admin.create_topics(wanted)
        created = [t.name for t in wanted]
        log.info("topics created", topics=created)
        return created
    finally:
        await admin.close()


Publish = Callable[[str, bytes | None, bytes], Awaitable[object]]


def dead_letter(
    *,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    reason: RejectReason,
    detail: str,
    service: str,
) -> DeadLetter:
    return DeadLetter(
        original_topic=topic,
        partition=partition,
        offset=offset,
        key_b64=b64(key),
        value_b64=b64(value),
        reason=reason,
        detail=detail[:4000],
        service=service,
        failed_at=datetime.now(UTC),
    )


class BrokerPublisher:
    """`Publisher` on a FastStream Kafka broker: sends without waiting, `flush()` awaits the acks.

    Callers flush before committing their input offsets, so an event is never lost behind a
    committed offset (at-least-once out, matching at-least-once in).
    """

    def __init__(self, broker: Any) -> None:
        self._broker = broker
        self._pending: list[asyncio.Future[Any]] = []

    async def publish(self, topic: str, key: bytes | None, value: bytes) -> None:
        future = await self._broker.publish(value, topic=topic, key=key, no_confirm=True)
        self._pending.append(future)

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending:
            await asyncio.gather(*pending)


async def publish_dead_letter(
    publisher: Publisher,
    dlq_topic: str,
    record: InboundRecord,
    *,
    reason: RejectReason,
    detail: str,
    service: str,
) -> None:
    """Send one refused record to a dead-letter topic, keyed as it came, with its original bytes."""
    letter = dead_letter(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key,
        value=record.value,
        reason=reason,
        detail=detail,
        service=service,
    )
    await publisher.publish(dlq_topic, record.key, letter.to_json_bytes())
