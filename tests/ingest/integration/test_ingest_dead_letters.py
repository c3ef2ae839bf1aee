"""On the real broker and database: one dead letter per rejection reason, each with the original
bytes, topic, partition and offset; the good heartbeat of the same batch is stored."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from ingest.integration.ingest_helpers import send_each
from support.db import wait_count
from support.fleet import T0, heartbeat, inventory, record
from support.isolation import Isolation
from support.kafka import produce, read_topic
from support.services import serve
from veille_contracts import DeadLetter, RejectReason, decode
from veille_contracts.topics import AGENT_DLQ, AGENT_HEARTBEATS, AGENT_INVENTORY
from veille_ingest.entrypoints.app import create_app
from veille_ingest.settings import IngestSettings, UnknownDeviceMode

pytestmark = [pytest.mark.infra, pytest.mark.asyncio(loop_scope="session")]


def doc(**changes: object) -> bytes:
    d = orjson.loads(heartbeat("pc-1", 3).to_json_bytes())
    d.update(changes)
    return orjson.dumps(d)


def stamp(at: object = None) -> int:
    return int((T0 + timedelta(minutes=20)).timestamp() * 1000)


BAD: dict[RejectReason, bytes] = {
    RejectReason.malformed_json: b'{"tenant_id": "acme", "device_id": ',
    RejectReason.unknown_schema: doc(schema_version=2),
    RejectReason.invalid_value: doc(seconds_on=4000.0),
    RejectReason.inconsistent_period: doc(period_end=(T0 + timedelta(minutes=15, seconds=20)).isoformat()),
    RejectReason.clock_skew: doc(period_start="2027-01-04T08:00:00Z", period_end="2027-01-04T08:05:00Z"),
    RejectReason.unknown_device: heartbeat("pc-ghost", 3).to_json_bytes(),
    RejectReason.tenant_mismatch: doc(tenant_id="globex"),
}


async def test_one_dead_letter_per_reason_with_original_bytes_and_coordinates(isolation: Isolation) -> None:
    settings = isolation.settings(IngestSettings, unknown_device_mode=UnknownDeviceMode.reject)
    bootstrap, db = isolation.infra.kafka_bootstrap, isolation.infra.database_url
    schema = f"ingest{isolation.schema_suffix}"
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        await produce(bootstrap, isolation.topic(AGENT_INVENTORY), [record(inventory("pc-1", at=T0))])
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.devices", 1) == 1
        reasons = list(BAD)
        good = heartbeat("pc-1", 4)
        messages = [(b"pc-1", BAD[r], stamp()) for r in reasons] + [record(good)]
        coords = await send_each(bootstrap, isolation.topic(AGENT_HEARTBEATS), messages)
        letters_raw = await read_topic(
            bootstrap, isolation.topic(AGENT_DLQ), until=lambda r: len(r) >= len(BAD)
        )
        assert await wait_count(db, f"SELECT count(*) FROM {schema}.heartbeats", 1) == 1

    letters = {decode(DeadLetter, r.value).reason: decode(DeadLetter, r.value) for r in letters_raw}
    assert set(letters) == set(BAD), f"got {[lt.reason for lt in letters.values()]}"
    for reason, (partition, offset) in zip(reasons, coords, strict=False):
        letter = letters[reason]
        assert letter.original_value() == BAD[reason]
        assert letter.original_topic == isolation.topic(AGENT_HEARTBEATS)
        assert (letter.partition, letter.offset) == (partition, offset)
        assert letter.service == "ingest" and letter.detail
    dlq_keys = {r.key for r in letters_raw}
    assert dlq_keys == {b"pc-1"}  # the original key, so a device's letters stay together
    assert len(letters_raw) == len(BAD)  # nothing else refused: the good one was stored


async def test_an_invalid_inventory_is_a_dead_letter(isolation: Isolation) -> None:
    settings = isolation.settings(IngestSettings)
    bootstrap = isolation.infra.kafka_bootstrap
    async with serve(create_app(settings)):  # type: ignore[arg-type]
        bad = orjson.loads(inventory("pc-2").to_json_bytes()) | {"kind": "toaster"}
        ((partition, offset),) = await send_each(
            bootstrap, isolation.topic(AGENT_INVENTORY), [(b"pc-2", orjson.dumps(bad), stamp())]
        )
        letters = await read_topic(bootstrap, isolation.topic(AGENT_DLQ), until=lambda r: len(r) >= 1)
    letter = decode(DeadLetter, letters[0].value)
    assert letter.reason is RejectReason.invalid_value
    assert (letter.original_topic, letter.partition, letter.offset) == (
        isolation.topic(AGENT_INVENTORY),
        partition,
        offset,
    )
    assert letter.original_value() == orjson.dumps(bad)
