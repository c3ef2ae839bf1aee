"""Use cases of ingest: accept a batch of agent messages, store it, then tell the fleet.

Order matters for at-least-once: the database commit comes first, then the activity, registry and
dead-letter events (flushed: acknowledged by the broker), and the caller commits Kafka offsets
last. A crash anywhere replays the batch; storage is idempotent and every published event carries
a stable id.

Failures are sorted two ways:
- a record at fault (invalid, foreign tenant, refused by the database) becomes a dead letter and
  the batch goes on: one poison message never blocks a partition;
- an outage (database or broker down, deadlock) retries the whole batch with exponential backoff
  for `retry_budget_s`, then raises, so that the subscriber nacks (rewinds every partition of the
  batch) and consumption resumes from the first unwritten record.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol, TypeVar

import asyncpg
from veille_contracts import Heartbeat, Inventory, RejectReason, decode
from veille_contracts.topics import AGENT_DLQ, FLEET_ACTIVITY, FLEET_DEVICES, TopicSpec
from veille_runtime.kafka import dead_letter
from veille_runtime.logging import get_logger
from veille_runtime.ports import InboundRecord, Publisher

from ..adapters import pending_store
from ..adapters.device_store import enrolments, upsert_devices
from ..adapters.errors import is_refusal, is_transient
from ..adapters.heartbeat_store import HeartbeatStore
from ..domain.activity import activity_bytes
from ..domain.admission import admit, first_of_each_key
from ..domain.heartbeat import AcceptedHeartbeat, from_contract
from ..domain.validation import Rejection, parse_heartbeat, parse_inventory
from ..settings import IngestSettings, UnknownDeviceMode

SERVICE = "ingest"
# A dead letter carries the original bytes (base64); beyond this, only their coordinates.
MAX_LETTER_VALUE_BYTES = 600 * 1024
SWEEP_LIMIT = 5000
# While validating a chunk, let the write in flight take its next step every this many records.
YIELD_EVERY = 250
_REUSED_SEQ = (
    "this (device_id, seq) is already stored with other values (seq must be monotonic per device); "
    "the stored heartbeat is kept"
)

log = get_logger(__name__)
T = TypeVar("T")


class DiscardingPublisher(Publisher, Protocol):
    async def publish_many(self, topic: str, items: Iterable[tuple[bytes, bytes]]) -> None:
        """Publish many keyed records (as many `publish` calls, cheaper)."""

    def discard(self) -> None:
        """Forget what was published but not flushed (the retry publishes it again)."""


@dataclass
class BatchOutcome:
    """What one batch did, for logs, metrics and tests."""

    stored: int = 0
    held: int = 0
    dead_letters: int = 0
    devices: int = 0

    def add(self, other: BatchOutcome) -> None:
        self.stored += other.stored
        self.held += other.held
        self.dead_letters += other.dead_letters
        self.devices += other.devices


@dataclass
class Ingest:
    pool: asyncpg.Pool
    settings: IngestSettings
    # One publisher per heartbeat write that may be in flight (`writes_in_flight`): a failed write
    # discards what its own publisher holds, never another write's events.
    heartbeat_outs: Sequence[DiscardingPublisher]
    inventory_out: DiscardingPublisher
    sweep_out: DiscardingPublisher
    store: HeartbeatStore = field(default_factory=HeartbeatStore)
    held_waiting: asyncio.Event = field(default_factory=asyncio.Event)

    def _topic(self, spec: TopicSpec) -> str:
        return spec.qualified(self.settings.topic_namespace)

    # ---- retries -------------------------------------------------------------------------------

    async def _with_retries(
        self, what: str, out: DiscardingPublisher, attempt: Callable[[], Awaitable[T]]
    ) -> T:
        deadline = time.monotonic() + self.settings.retry_budget_s
        delay = 0.1
        while True:
            try:
                return await attempt()
            except Exception as exc:
                out.discard()
                if time.monotonic() + delay > deadline:
                    log.error(
                        "giving up on batch for now: it will be redelivered", what=what, error=repr(exc)
                    )
                    raise
                level = log.warning if is_transient(exc) else log.error
                level("batch failed, retrying", what=what, error=repr(exc), retry_in_s=round(delay, 2))
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_backoff_s)

    # ---- dead letters --------------------------------------------------------------------------

    async def _reject(self, out: Publisher, record: InboundRecord, rejection: Rejection) -> None:
        value = record.value
        detail = rejection.detail
        if value is not None and len(value) > MAX_LETTER_VALUE_BYTES:
            detail = f"{detail} (original value of {len(value)} bytes not copied: read it at its offset)"
            value = None
        letter = dead_letter(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=value,
            reason=rejection.reason,
            detail=detail,
            service=SERVICE,
        )
        await out.publish(self._topic(AGENT_DLQ), record.key, letter.to_json_bytes())

    # ---- heartbeats ----------------------------------------------------------------------------

    async def heartbeat_batch(self, records: Sequence[InboundRecord]) -> BatchOutcome:
        """Validate, store and announce a batch, in chunks whose writes overlap the next validation.

        Each chunk is written (its own transaction, its events published and flushed) in a task
        while the next chunks are validated, so the database and the broker work while Python
        validates; up to `len(heartbeat_outs)` writes are in flight, each with its own publisher.
        Their transactions overlap, but a chunk publishes its events only once the chunk before it
        is done, so a device's events keep their order on the topic. This returns only when every
        chunk is written and flushed: the caller commits offsets after that, never past unwritten
        data. A chunk that fails after its retries fails the batch (redelivered whole; what other
        chunks stored is idempotent).
        """
        chunk = self.settings.write_chunk_records
        outs = self.heartbeat_outs
        seen: set[tuple[str, int]] = set()
        outcome = BatchOutcome()
        in_flight: deque[asyncio.Task[BatchOutcome]] = deque()
        try:
            for number, start in enumerate(range(0, len(records), chunk)):
                valid, refused = await self._validate(records[start : start + chunk])
                unique = first_of_each_key(valid, seen)
                if len(in_flight) == len(outs):  # the oldest write frees its publisher
                    outcome.add(await in_flight.popleft())
                out = outs[number % len(outs)]
                previous = in_flight[-1] if in_flight else None
                write = partial(self._heartbeats, unique, refused, out, previous)
                in_flight.append(asyncio.create_task(self._with_retries("heartbeats", out, write)))
            while in_flight:
                outcome.add(await in_flight.popleft())
        finally:
            if in_flight:  # a write failed: stop the others, forget what they did not flush
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)
                for out in outs:
                    out.discard()
        return outcome

    async def _validate(
        self, records: Sequence[InboundRecord]
    ) -> tuple[list[tuple[InboundRecord, AcceptedHeartbeat]], list[tuple[InboundRecord, Rejection]]]:
        """Parse a chunk; yield to the event loop now and then so the write in flight progresses."""
        max_future = timedelta(seconds=self.settings.max_future_s)
        max_past = timedelta(seconds=self.settings.max_past_s)
        now = datetime.now(UTC)
        refused: list[tuple[InboundRecord, Rejection]] = []
        valid: list[tuple[InboundRecord, AcceptedHeartbeat]] = []
        for i, record in enumerate(records):
            if i % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
            parsed = parse_heartbeat(
                record.value, record.timestamp or now, max_future=max_future, max_past=max_past
            )
            if isinstance(parsed, Rejection):
                refused.append((record, parsed))
            else:
                valid.append((record, parsed))
        return valid, refused

    async def _heartbeats(
        self,
        valid: list[tuple[InboundRecord, AcceptedHeartbeat]],
        refused: list[tuple[InboundRecord, Rejection]],
        out: DiscardingPublisher,
        after: asyncio.Task[BatchOutcome] | None = None,
    ) -> BatchOutcome:
        outcome = BatchOutcome()
        letters = list(refused)
        held: list[tuple[InboundRecord, AcceptedHeartbeat]] = []
        async with self.pool.acquire() as conn:
            enrolled = await enrolments(conn, (hb.device_id for _, hb in valid)) if valid else {}
            admission = admit(valid, enrolled)
            letters.extend(admission.refused)
            if admission.unknown:
                if self.settings.unknown_device_mode is UnknownDeviceMode.reject:
                    letters.extend(
                        (r, Rejection(RejectReason.unknown_device, "no inventory for device (reject mode)"))
                        for r, _ in admission.unknown
                    )
                else:
                    room = max(self.settings.hold_max_rows - await pending_store.held_count(conn), 0)
                    held = admission.unknown[:room]
                    letters.extend(
                        (
                            r,
                            Rejection(
                                RejectReason.unknown_device,
                                f"no inventory for device and the holding area is full "
                                f"({self.settings.hold_max_rows} heartbeats)",
                            ),
                        )
                        for r, _ in admission.unknown[room:]
                    )
        accepted = admission.accepted
        await self.store.ensure_partitions(self.pool, (hb for _, hb, _ in accepted))
        db_letters = await self._write(accepted, held)
        letters.extend(db_letters)
        if after is not None:  # events leave in chunk order (whether that chunk succeeded or not)
            await asyncio.wait([after])
        for record, rejection in letters:
            await self._reject(out, record, rejection)
        refused_ids = {id(record) for record, _ in db_letters}
        announced = [(hb, kind) for record, hb, kind in accepted if id(record) not in refused_ids]
        await out.publish_many(
            self._topic(FLEET_ACTIVITY),
            ((hb.device_id.encode(), activity_bytes(hb, kind)) for hb, kind in announced),
        )
        outcome.stored = len(announced)
        await out.flush()
        outcome.held = len(held) - sum(1 for r, _ in held if id(r) in refused_ids)
        outcome.dead_letters = len(letters)
        if held:
            self.held_waiting.set()
        return outcome

    async def _write(
        self,
        accepted: list[tuple[InboundRecord, AcceptedHeartbeat, str]],
        held: list[tuple[InboundRecord, AcceptedHeartbeat]],
    ) -> list[tuple[InboundRecord, Rejection]]:
        """Store and hold in one transaction. A record the database refuses is isolated by bisection
        (halves in their own transactions) and returned as a dead letter; the rest is stored."""
        letters: list[tuple[InboundRecord, Rejection]] = []

        async def attempt(
            acc: list[tuple[InboundRecord, AcceptedHeartbeat, str]],
            hld: list[tuple[InboundRecord, AcceptedHeartbeat]],
        ) -> None:
            if not acc and not hld:
                return
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    conflicts = await self.store.store(conn, [hb for _, hb, _ in acc])
                    if hld:
                        await pending_store.hold(conn, hld)
                letters.extend(
                    (record, Rejection(RejectReason.invalid_value, _REUSED_SEQ))
                    for record, hb, _ in acc
                    if (hb.device_id, hb.seq) in conflicts
                )
            except Exception as exc:
                if not is_refusal(exc):
                    raise
                if len(acc) + len(hld) == 1:
                    record = acc[0][0] if acc else hld[0][0]
                    letters.append(
                        (record, Rejection(RejectReason.invalid_value, f"database refused it: {exc}"))
                    )
                    return
                await attempt(acc[: len(acc) // 2], hld[: len(hld) // 2])
                await attempt(acc[len(acc) // 2 :], hld[len(hld) // 2 :])

        await attempt(accepted, held)
        return letters

    # ---- inventory -----------------------------------------------------------------------------

    async def inventory_batch(self, records: Sequence[InboundRecord]) -> BatchOutcome:
        refused: list[tuple[InboundRecord, Rejection]] = []
        valid: list[Inventory] = []
        for record in records:
            parsed = parse_inventory(record.value)
            if isinstance(parsed, Rejection):
                refused.append((record, parsed))
            else:
                valid.append(parsed)
        out = self.inventory_out
        return await self._with_retries("inventory", out, lambda: self._inventory(valid, refused, out))

    async def _inventory(
        self, valid: list[Inventory], refused: list[tuple[InboundRecord, Rejection]], out: DiscardingPublisher
    ) -> BatchOutcome:
        changed = []
        if valid:
            async with self.pool.acquire() as conn, conn.transaction():
                changed = await upsert_devices(conn, valid)
        for record, rejection in refused:
            await self._reject(out, record, rejection)
        devices_topic = self._topic(FLEET_DEVICES)
        for device in changed:
            await out.publish(devices_topic, device.device_id.encode(), device.to_json_bytes())
        await out.flush()
        if valid:
            self.held_waiting.set()  # held heartbeats of these devices can go now
        return BatchOutcome(devices=len(changed), dead_letters=len(refused))

    # ---- the holding area ----------------------------------------------------------------------

    async def sweep(self) -> BatchOutcome:
        """Release held heartbeats whose device is now enrolled; dead-letter those held too long.

        One process sweeps at a time (session advisory lock). Each step is: store (commit),
        publish and flush, then forget the held rows, so a crash in between only repeats events.
        """
        outcome = BatchOutcome()
        async with self.pool.acquire() as conn:
            if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext('veille-ingest:sweep'))"):
                return outcome
            try:
                while True:
                    released = await self._release(conn, outcome)
                    expired = await self._expire(conn, outcome)
                    if released < SWEEP_LIMIT and expired < SWEEP_LIMIT:
                        return outcome
            finally:
                await conn.execute("SELECT pg_advisory_unlock(hashtext('veille-ingest:sweep'))")

    async def _release(self, conn: asyncpg.Connection, outcome: BatchOutcome) -> int:
        items = await pending_store.releasable(conn, SWEEP_LIMIT)
        if not items:
            return 0
        out = self.sweep_out
        accepted: list[tuple[AcceptedHeartbeat, str]] = []
        letters: list[tuple[InboundRecord, Rejection]] = []
        for item in items:
            try:
                hb = from_contract(decode(Heartbeat, item.record.value or b""))
            except ValueError as exc:  # validated when held; only a contract change could get here
                letters.append((item.record, Rejection(RejectReason.invalid_value, str(exc))))
                continue
            if item.enrolled_tenant != hb.tenant_id:
                letters.append(
                    (
                        item.record,
                        Rejection(
                            RejectReason.tenant_mismatch,
                            f"device {hb.device_id} is enrolled in tenant {item.enrolled_tenant!r}, "
                            f"heartbeat says {hb.tenant_id!r}",
                        ),
                    )
                )
            else:
                accepted.append((hb, item.kind or "desktop"))
        await self.store.ensure_partitions(self.pool, (hb for hb, _ in accepted))
        async with conn.transaction():
            conflicts = await self.store.store(conn, [hb for hb, _ in accepted])
        reused = {id(hb) for hb, _ in accepted if (hb.device_id, hb.seq) in conflicts}
        for item in items:
            if (item.device_id, item.seq) in conflicts:
                letters.append((item.record, Rejection(RejectReason.invalid_value, _REUSED_SEQ)))
        accepted = [(hb, kind) for hb, kind in accepted if id(hb) not in reused]
        try:
            for record, rejection in letters:
                await self._reject(out, record, rejection)
            topic = self._topic(FLEET_ACTIVITY)
            for hb, kind in accepted:
                await out.publish(topic, hb.device_id.encode(), activity_bytes(hb, kind))
            await out.flush()
        except Exception:
            out.discard()
            raise
        await pending_store.forget(conn, items)
        outcome.stored += len(accepted)
        outcome.dead_letters += len(letters)
        return len(items)

    async def _expire(self, conn: asyncpg.Connection, outcome: BatchOutcome) -> int:
        items = await pending_store.expired(conn, self.settings.hold_max_s, SWEEP_LIMIT)
        if not items:
            return 0
        out = self.sweep_out
        try:
            for item in items:
                await self._reject(
                    out,
                    item.record,
                    Rejection(
                        RejectReason.unknown_device,
                        f"no inventory for device {item.device_id} within {self.settings.hold_max_s:g} s",
                    ),
                )
            await out.flush()
        except Exception:
            out.discard()
            raise
        await pending_store.forget(conn, items)
        outcome.dead_letters += len(items)
        return len(items)

    async def maintain(self) -> list[str]:
        """Retention: drop the daily heartbeat partitions older than the retention."""
        dropped = await self.store.drop_expired(self.pool, self.settings.heartbeat_retention_days)
        if dropped:
            log.info("heartbeat partitions dropped by retention", partitions=dropped)
        return dropped
