"""Use cases of ingest: accept a batch of agent messages, store it, then tell the fleet.

Order matters for at-least-once: the database commit comes first, then the activity and
registry events, and the caller commits Kafka offsets last. A crash anywhere replays the batch;
storage is idempotent and every published event carries a stable id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from pydantic import ValidationError
from veille_contracts import Activity, DeviceKind, Heartbeat, Inventory, RejectReason, activity_id, decode
from veille_contracts.topics import AGENT_DLQ, FLEET_ACTIVITY, FLEET_DEVICES
from veille_runtime.kafka import dead_letter
from veille_runtime.ports import InboundRecord, Publisher

from ..adapters.device_store import device_kinds, upsert_devices
from ..adapters.heartbeat_store import store_heartbeats
from ..domain.validation import Rejection, classify_validation_error, parse_heartbeat
from ..settings import IngestSettings

SERVICE = "ingest"


@dataclass
class Ingest:
    pool: asyncpg.Pool
    publisher: Publisher
    settings: IngestSettings

    def _topic(self, spec: object) -> str:
        return spec.qualified(self.settings.topic_namespace)  # type: ignore[attr-defined, no-any-return]

    async def _reject(self, record: InboundRecord, rejection: Rejection) -> None:
        letter = dead_letter(
            topic=record.topic, partition=record.partition, offset=record.offset, key=record.key,
            value=record.value, reason=rejection.reason, detail=rejection.detail, service=SERVICE,
        )
        await self.publisher.publish(self._topic(AGENT_DLQ), record.key, letter.to_json_bytes())

    async def inventory_batch(self, records: Sequence[InboundRecord]) -> None:
        accepted: list[Inventory] = []
        for record in records:
            try:
                accepted.append(decode(Inventory, record.value or b""))
            except ValidationError as exc:
                await self._reject(record, classify_validation_error(exc))
        if not accepted:
            await self.publisher.flush()
            return
        async with self.pool.acquire() as conn, conn.transaction():
            changed = await upsert_devices(conn, accepted)
        for device in changed:
            await self.publisher.publish(
                self._topic(FLEET_DEVICES), device.device_id.encode(), device.to_json_bytes()
            )
        await self.publisher.flush()

    async def heartbeat_batch(self, records: Sequence[InboundRecord]) -> None:
        valid: list[tuple[InboundRecord, Heartbeat]] = []
        for record in records:
            parsed = parse_heartbeat(
                record.value,
                record.timestamp or datetime.now(UTC),
                max_future=timedelta(seconds=self.settings.max_future_s),
                max_past=timedelta(seconds=self.settings.max_past_s),
            )
            if isinstance(parsed, Rejection):
                await self._reject(record, parsed)
            else:
                valid.append((record, parsed))
        if not valid:
            await self.publisher.flush()
            return
        async with self.pool.acquire() as conn:
            enrolled = await device_kinds(conn, (h.device_id for _, h in valid))
            accepted: list[tuple[Heartbeat, str]] = []
            for record, hb in valid:
                known = enrolled.get(hb.device_id)
                if known is None:
                    await self._reject(record, Rejection(RejectReason.unknown_device, "no inventory for device"))
                elif known[0] != hb.tenant_id:
                    await self._reject(
                        record, Rejection(RejectReason.tenant_mismatch, f"device enrolled in tenant {known[0]}")
                    )
                else:
                    accepted.append((hb, known[1]))
            async with conn.transaction():
                await store_heartbeats(conn, [hb for hb, _ in accepted])
        for hb, kind in accepted:
            activity = Activity(
                activity_id=activity_id(hb.device_id, hb.seq),
                tenant_id=hb.tenant_id,
                device_id=hb.device_id,
                device_kind=DeviceKind(kind),
                seq=hb.seq,
                period_start=hb.period_start,
                period_end=hb.period_end,
                seconds_on=hb.seconds_on,
                seconds_active=hb.seconds_active,
                seconds_asleep=hb.seconds_asleep,
                power_source=hb.power_source,
                policy_version=hb.policy_version,
                sleep_blockers=hb.sleep_blockers,
                input_minutes=hb.input_minutes,
            )
            await self.publisher.publish(
                self._topic(FLEET_ACTIVITY), hb.device_id.encode(), activity.to_json_bytes()
            )
        await self.publisher.flush()
