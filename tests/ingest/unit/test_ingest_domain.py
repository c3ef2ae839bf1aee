"""Ingest's pure decisions: why a message is refused, which heartbeats are admitted, activity bytes,
daily partitions and retention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg
import orjson
import pytest
from aiokafka.errors import KafkaConnectionError
from support.fleet import T0, heartbeat
from veille_contracts import Activity, DeviceKind, Heartbeat, RejectReason, SleepBlocker, activity_id, decode
from veille_ingest.adapters.errors import is_refusal, is_transient
from veille_ingest.domain.activity import activity_bytes
from veille_ingest.domain.admission import Enrolment, admit, first_of_each_key
from veille_ingest.domain.heartbeat import from_contract
from veille_ingest.domain.partitions import (
    day_of,
    expired_partitions,
    partition_bounds,
    partition_day,
    partition_name,
)
from veille_ingest.domain.validation import Rejection, parse_heartbeat, parse_inventory

FUTURE = timedelta(minutes=5)
PAST = timedelta(days=14)


def hb_json(**changes: object) -> bytes:
    doc = orjson.loads(heartbeat("pc-1", 0).to_json_bytes())
    doc.update(changes)
    return orjson.dumps(doc)


def reason(raw: bytes | None, at: datetime = T0 + timedelta(minutes=5)) -> RejectReason | None:
    parsed = parse_heartbeat(raw, at, max_future=FUTURE, max_past=PAST)
    return parsed.reason if isinstance(parsed, Rejection) else None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", RejectReason.malformed_json),
        (b"[1, 2]", RejectReason.malformed_json),
        (b'"a string"', RejectReason.malformed_json),
        (None, RejectReason.malformed_json),
        (hb_json(schema_version=2), RejectReason.unknown_schema),
        (hb_json(seconds_on=5000.0), RejectReason.invalid_value),
        (hb_json(seconds_active=-1.0), RejectReason.invalid_value),
        (hb_json(seq="7"), RejectReason.invalid_value),
        (hb_json(battery_percent=120), RejectReason.invalid_value),
        (hb_json(extra_field=1), RejectReason.invalid_value),
        (hb_json(policy_version="v1\u0000"), RejectReason.invalid_value),
        (hb_json(period_end="2026-03-02T08:00:30Z"), RejectReason.inconsistent_period),
        (hb_json(seconds_on=200.0, seconds_active=250.0), RejectReason.inconsistent_period),
        (hb_json(seconds_on=300.0, seconds_asleep=200.0), RejectReason.inconsistent_period),
        (
            hb_json(period_start="2026-09-02T08:00:00Z", period_end="2026-09-02T08:05:00Z"),
            RejectReason.clock_skew,
        ),
        (
            hb_json(period_start="2025-09-02T08:00:00Z", period_end="2025-09-02T08:05:00Z"),
            RejectReason.clock_skew,
        ),
    ],
)
def test_each_refusal_has_its_reason(raw: bytes | None, expected: RejectReason) -> None:
    assert reason(raw) is expected


def test_a_valid_heartbeat_is_accepted_and_an_escaped_backslash_is_not_a_nul() -> None:
    assert reason(hb_json()) is None
    assert reason(hb_json(policy_version="C:\\u0000dir")) is None  # backslash + 'u0000', not NUL


def test_inventory_refusals() -> None:
    assert isinstance(parse_inventory(b"{"), Rejection)
    assert parse_inventory(b"{}").reason is RejectReason.invalid_value  # type: ignore[union-attr]
    assert parse_inventory(None).reason is RejectReason.malformed_json  # type: ignore[union-attr]


def test_admission_sorts_enrolled_foreign_and_unknown_devices() -> None:
    items = [
        ("r1", from_contract(heartbeat("pc-1", 1))),
        ("r2", from_contract(heartbeat("pc-2", 1, tenant="globex"))),
        ("r3", from_contract(heartbeat("pc-3", 1))),
    ]
    enrolled = {"pc-1": Enrolment("acme", "laptop"), "pc-2": Enrolment("acme", "desktop")}
    result = admit(items, enrolled)
    assert [(s, hb.device_id, kind) for s, hb, kind in result.accepted] == [("r1", "pc-1", "laptop")]
    assert [(s, r.reason) for s, r in result.refused] == [("r2", RejectReason.tenant_mismatch)]
    assert [s for s, _ in result.unknown] == ["r3"]


def test_one_heartbeat_per_key_in_a_batch_first_wins() -> None:
    first, again, other = (
        from_contract(heartbeat("pc-1", 1)),
        from_contract(heartbeat("pc-1", 1, on=10, active=0)),
        from_contract(heartbeat("pc-1", 2)),
    )
    kept = first_of_each_key([("a", first), ("b", again), ("c", other)])
    assert [s for s, _ in kept] == ["a", "c"]


def test_first_of_each_key_carries_keys_across_the_chunks_of_a_batch() -> None:
    first, other = from_contract(heartbeat("pc-1", 7)), from_contract(heartbeat("pc-1", 8))
    seen: set[tuple[str, int]] = set()
    assert [s for s, _ in first_of_each_key([("a", first)], seen)] == ["a"]
    assert [s for s, _ in first_of_each_key([("b", first), ("c", other)], seen)] == ["c"]


def test_activity_bytes_are_a_valid_activity_equal_to_the_model_one() -> None:
    hb = from_contract(
        Heartbeat(
            tenant_id="acme",
            device_id="pc-9",
            seq=42,
            period_start=T0,
            period_end=T0 + timedelta(minutes=5),
            seconds_on=280.5,
            seconds_active=100,
            seconds_asleep=10,
            last_input_at=T0 + timedelta(minutes=4),
            battery_percent=55.0,
            policy_version="p-3",
            input_minutes=[0, 3],
            sleep_blockers=[SleepBlocker(process="Teams.exe", seconds=120)],
        )
    )
    parsed = decode(Activity, activity_bytes(hb, DeviceKind.laptop))
    expected = Activity(
        activity_id=activity_id("pc-9", 42),
        tenant_id="acme",
        device_id="pc-9",
        device_kind=DeviceKind.laptop,
        seq=42,
        period_start=hb.period_start,
        period_end=hb.period_end,
        seconds_on=280.5,
        seconds_active=100,
        seconds_asleep=10,
        power_source=hb.power_source,
        policy_version="p-3",
        sleep_blockers=[SleepBlocker(process="Teams.exe", seconds=120)],
        input_minutes=[0, 3],
    )
    assert parsed == expected


def test_daily_partitions_and_retention_in_event_time() -> None:
    moment = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)
    assert day_of(moment) == date(2026, 3, 2)
    assert partition_name(date(2026, 3, 2)) == "heartbeats_p20260302"
    assert partition_day("heartbeats_p20260302") == date(2026, 3, 2)
    assert partition_day("heartbeats_001") is None
    start, end = partition_bounds(date(2026, 3, 2))
    assert start <= moment < end and end - start == timedelta(days=1)
    names = [partition_name(date(2026, 1, 1) + timedelta(days=i)) for i in range(40)] + ["heartbeats_001"]
    # newest day is 2026-02-09; 35 days of retention keep 2026-01-05 onwards
    assert expired_partitions(names, 35) == [partition_name(date(2026, 1, d)) for d in range(1, 5)]
    assert expired_partitions([], 35) == []


def test_outages_are_retried_and_refusals_are_dead_lettered() -> None:
    assert is_transient(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert is_transient(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert is_transient(asyncpg.exceptions.DeadlockDetectedError("deadlock"))
    assert is_transient(ConnectionRefusedError())
    assert is_transient(KafkaConnectionError())
    assert is_refusal(asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence"))
    assert is_refusal(asyncpg.exceptions.NumericValueOutOfRangeError("out of range"))
    assert not is_refusal(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert not is_refusal(ValueError("a bug"))
