"""Publishing agent messages: spooled first, sent in batches, retried with backoff until acked.

`AgentPublisher.publish(messages)` writes the messages to the spool and returns; a background
task drains the spool to Kafka in chunks (one record batch per partition), waits for the broker's
acks (acks=all), then marks the chunk acked in the spool. If the broker cannot be reached, the
chunk is retried with exponential backoff (the producer is rebuilt, so a broker that comes back
on the same address is found again) while new messages keep piling up in the spool. A duplicate
after an unclear failure is harmless: consumers are idempotent on (device_id, seq).

A record the broker refuses for good (stamped too far ahead of the broker's clock, too large) is
no outage: retrying it would block every later message of the agent forever. It is resent alone to
find it among its batch, then set aside in the spool with the broker's reason (`set_aside_records`)
and logged, and the messages after it go on.

Wire rules every message follows: key = device_id (UTF-8), value = the contract's JSON, record
timestamp = the message's event time (heartbeat period_end, inventory observed_at), so a fleet on
a simulated clock passes ingest's clock-skew check exactly as a real one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTimestampError,
    MessageSizeTooLargeError,
    RecordTooLargeError,
)
from aiokafka.partitioner import DefaultPartitioner
from veille_contracts import Heartbeat, Inventory
from veille_contracts.topics import AGENT_HEARTBEATS, AGENT_INVENTORY

from .spool import MemorySpool, Outgoing, Spool, SpooledRecord

log = logging.getLogger(__name__)

AgentMessage = Heartbeat | Inventory
# The broker's answers that concern the record itself: sending it again can never succeed.
REFUSALS = (InvalidTimestampError, CorruptRecordException, MessageSizeTooLargeError, RecordTooLargeError)
_HINTS: dict[type, str] = {
    InvalidTimestampError: (
        "the record's timestamp (the message's event time) is too far from the broker's clock "
        "(log.message.timestamp.after.max.ms / before.max.ms): is this PC's clock wrong?"
    ),
    MessageSizeTooLargeError: "the record is larger than the broker's message.max.bytes",
}


def event_time_ms(message: AgentMessage) -> int:
    at = message.period_end if isinstance(message, Heartbeat) else message.observed_at
    return int(at.timestamp() * 1000)


def to_record(message: AgentMessage, namespace: str = "") -> Outgoing:
    """(topic, key, value, timestamp_ms) of one agent message, as the wire contract says."""
    spec = AGENT_HEARTBEATS if isinstance(message, Heartbeat) else AGENT_INVENTORY
    return (
        spec.qualified(namespace),
        message.device_id.encode(),
        message.to_json_bytes(),
        event_time_ms(message),
    )


@dataclass
class PublisherStats:
    published: int = 0  # records acked by the broker
    spooled: int = 0  # records written to the spool
    send_failures: int = 0  # chunks that failed and were retried
    reconnects: int = 0
    set_aside: int = 0  # records the broker refused for good, kept aside in the spool


@dataclass
class Backoff:
    """Exponential backoff with full jitter: 0.2 s, 0.4 s, ... capped at `cap_s`."""

    base_s: float = 0.2
    cap_s: float = 10.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.base_s * 2**self.attempt)
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class AgentPublisher:
    """Sends agent messages to Kafka through a spool. Use as an async context manager."""

    bootstrap: str
    spool: Spool = field(default_factory=MemorySpool)
    namespace: str = ""
    chunk_records: int = 20_000
    request_timeout_ms: int = 10_000
    backoff: Backoff = field(default_factory=Backoff)
    client_id: str = "veille-agent"
    stats: PublisherStats = field(default_factory=PublisherStats)

    def __post_init__(self) -> None:
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._partitions: dict[str, list[int]] = {}
        self._partition_of: dict[tuple[str, bytes], int] = {}
        self._partitioner = DefaultPartitioner()
        self._closing = False
        self.last_error: str | None = None

    async def __aenter__(self) -> AgentPublisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start draining (whatever a previous run left in the spool goes first). Never waits for
        the broker: an unreachable broker only means the spool grows."""
        self._task = asyncio.create_task(self._drain_forever(), name="veille-agent-publisher")
        if self.spool.size():
            self._drained.clear()
            self._wake.set()

    def publish(self, messages: Iterable[AgentMessage]) -> int:
        """Spool messages for sending; returns how many. Durable once it returns (SqliteSpool)."""
        records = [to_record(m, self.namespace) for m in messages]
        return self.publish_records(records)

    def publish_records(self, records: list[Outgoing]) -> int:
        if records:
            self.spool.append(records)
            self.stats.spooled += len(records)
            self._drained.clear()
            self._wake.set()
        return len(records)

    async def flush(self, timeout_s: float | None = None) -> None:
        """Wait until everything spooled so far is acked by the broker (raises TimeoutError)."""
        if self._task is None:
            raise RuntimeError("publisher not started")
        async with asyncio.timeout(timeout_s):
            while not self._drained.is_set():
                if self._task.done():
                    self._task.result()
                    raise RuntimeError("publisher stopped")
                waiter = asyncio.create_task(self._drained.wait())
                done, _ = await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
                if waiter not in done:
                    waiter.cancel()

    async def stop(self, drain_timeout_s: float = 5.0) -> None:
        """Try to deliver what is pending for a while, then stop; the rest stays in the spool."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await self.flush(drain_timeout_s)
            self._closing = True
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_producer()
        self.spool.close()

    def pending(self) -> int:
        return self.spool.size()

    # -- draining ----------------------------------------------------------------------------------

    async def _drain_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                chunk = self.spool.pending(0, self.chunk_records)
                if not chunk:
                    break
                await self._deliver(chunk)
                self.spool.ack(chunk[-1].offset)
                self.stats.published += len(chunk)
            if self.spool.size() == 0:
                self._drained.set()

    async def _deliver(self, chunk: list[SpooledRecord]) -> None:
        """Send one chunk until every record of it is acked or set aside, retrying with backoff."""
        while True:
            try:
                producer = await self._ensure_producer()
                sent = await self._send_chunk(producer, chunk)
                outcomes = await asyncio.gather(*(future for _, future in sent), return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, BaseException) and not isinstance(outcome, REFUSALS):
                        raise outcome
                self.backoff.reset()
                self.last_error = None
                for (records, _), outcome in zip(sent, outcomes, strict=True):
                    if isinstance(outcome, REFUSALS):
                        await self._isolate(records, outcome)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker down, timeouts, metadata errors: retry the chunk
                self.stats.send_failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                delay = self.backoff.next_delay()
                log.warning(
                    "send failed (%s); %d records kept in the spool, retry in %.1fs",
                    self.last_error,
                    self.spool.size(),
                    delay,
                )
                await self._close_producer()
                await asyncio.sleep(delay)

    async def _isolate(self, records: list[SpooledRecord], refusal: BaseException) -> None:
        """The broker refused a batch for good: the records that were not at fault are delivered,
        alone, and the one (or ones) it refuses again are set aside."""
        if len(records) == 1:
            self._set_aside(records[0], f"{type(refusal).__name__}: {refusal}", type(refusal))
            return
        for record in records:
            await self._deliver([record])

    def _set_aside(self, record: SpooledRecord, reason: str, kind: type) -> None:
        self.spool.set_aside(record, reason)
        self.stats.set_aside += 1
        log.error(
            "broker refused a record for good, set aside in the spool (%s); topic %s, key %s. %s",
            reason,
            record.topic,
            record.key.decode(errors="replace"),
            _HINTS.get(kind, ""),
        )

    async def _send_chunk(
        self, producer: AIOKafkaProducer, chunk: list[SpooledRecord]
    ) -> list[tuple[list[SpooledRecord], asyncio.Future[object]]]:
        """Send a chunk as one batch per partition; (the records of each batch, its future)."""
        by_partition: dict[tuple[str, int], list[SpooledRecord]] = {}
        for record in chunk:
            partition = await self._partition(producer, record.topic, record.key)
            by_partition.setdefault((record.topic, partition), []).append(record)
        sent: list[tuple[list[SpooledRecord], asyncio.Future[object]]] = []
        for (topic, partition), records in by_partition.items():
            batch = producer.create_batch()
            in_batch: list[SpooledRecord] = []
            for record in records:
                if not _append(batch, record):  # full: send it, start the next one
                    sent.append((in_batch, await producer.send_batch(batch, topic, partition=partition)))
                    batch, in_batch = producer.create_batch(), []
                    _append(batch, record)  # an empty batch takes any record (the broker judges its size)
                in_batch.append(record)
            if in_batch:
                sent.append((in_batch, await producer.send_batch(batch, topic, partition=partition)))
        return sent

    async def _partition(self, producer: AIOKafkaProducer, topic: str, key: bytes) -> int:
        """The partition Kafka's default partitioner (murmur2 of the key, as in Java) gives the key."""
        cached = self._partition_of.get((topic, key))
        if cached is not None:
            return cached
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = self._partitions[topic] = sorted(await producer.partitions_for(topic))
        partition: int = self._partitioner(key, partitions, partitions)
        self._partition_of[(topic, key)] = partition
        return partition

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id,
                acks="all",
                max_batch_size=1024 * 1024,
                request_timeout_ms=self.request_timeout_ms,
                compression_type=None,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
            self.stats.reconnects += 1
            self._partitions.clear()
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), timeout=5)


def _append(batch: Any, record: SpooledRecord) -> bool:
    """Add a record to a producer batch; False when the batch has no room for it."""
    return batch.append(key=record.key, value=record.value, timestamp=record.timestamp_ms) is not None
