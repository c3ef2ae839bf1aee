"""The validation agents rely on: what a heartbeat or inventory may and may not say."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from veille_contracts import Heartbeat, Inventory, clock_skew_error, decode

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def hb(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "tenant_id": "acme",
        "device_id": "pc-1",
        "seq": 7,
        "period_start": "2026-03-02T08:00:00Z",
        "period_end": "2026-03-02T08:05:00Z",
        "seconds_on": 300,
        "seconds_active": 120,
        "seconds_asleep": 0,
    }
    base.update(overrides)
    return base


def parse(payload: dict[str, object]) -> Heartbeat:
    return decode(Heartbeat, json.dumps(payload).encode())


def test_minimal_heartbeat_is_accepted_and_normalised_to_utc() -> None:
    beat = parse(hb(period_start="2026-03-02T09:00:00+01:00", period_end="2026-03-02T09:05:00+01:00"))
    assert beat.period_start == START
    assert beat.period_start.tzinfo == UTC
    assert beat.period_seconds == 300


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"device_id": ""}, "at least 1 character"),
        ({"device_id": "pc 1"}, "pattern"),
        ({"device_id": "x" * 129}, "at most 128"),
        ({"device_id": "pc/../1"}, "pattern"),
        ({"tenant_id": "a" * 65}, "at most 64"),
        ({"seq": -1}, "greater than or equal to 0"),
        ({"seq": "7"}, "valid integer"),
        ({"period_start": "2026-03-02T08:00:00"}, "timezone"),
        ({"period_end": "2026-03-02T08:00:30Z"}, "period must last 60-3600"),
        ({"period_end": "2026-03-02T09:00:01Z"}, "period must last 60-3600"),
        ({"period_end": "2026-03-02T07:59:00Z"}, "period must last"),
        ({"seconds_on": 302}, "exceeds the period"),
        ({"seconds_active": 200, "seconds_on": 100}, "seconds_active exceeds seconds_on"),
        ({"seconds_on": 200, "seconds_asleep": 150}, "exceeds the period"),
        ({"seconds_on": -1}, "greater than or equal to 0"),
        ({"last_input_at": "2026-03-02T08:06:00Z"}, "last_input_at is after period_end"),
        ({"battery_percent": 101}, "less than or equal to 100"),
        ({"input_minutes": [0, 5]}, "outside the period"),
        ({"input_minutes": [1, 1]}, "duplicates"),
        ({"sleep_blockers": [{"process": "a.exe", "seconds": 400}]}, "exceeds the period"),
        ({"schema_version": 2}, "Input should be 1"),
        ({"unexpected": True}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_heartbeats_are_refused_with_a_reason(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse(hb(**overrides))
    assert message in str(err.value)


def test_one_second_of_rounding_slack_is_tolerated() -> None:
    assert parse(hb(seconds_on=300.8, seconds_active=300.8)).seconds_on == 300.8


def test_sixty_minute_period_with_full_input_minutes() -> None:
    beat = parse(hb(period_end="2026-03-02T09:00:00Z", seconds_on=3600, input_minutes=list(range(60))))
    assert beat.input_minutes == list(range(60))


def test_clock_skew_bound() -> None:
    ref = START + timedelta(minutes=5)
    ok = clock_skew_error(START, ref, ref, max_future=timedelta(minutes=5), max_past=timedelta(days=1))
    assert ok is None
    future = clock_skew_error(
        START + timedelta(hours=1),
        ref + timedelta(hours=1),
        ref,
        max_future=timedelta(minutes=5),
        max_past=timedelta(days=1),
    )
    assert future is not None and "after the reference" in future
    past = clock_skew_error(
        START - timedelta(days=2),
        START - timedelta(days=2),
        ref,
        max_future=timedelta(minutes=5),
        max_past=timedelta(days=1),
    )
    assert past is not None and "before the reference" in past


def test_inventory_round_trips_and_rejects_bad_kind() -> None:
    inv = decode(
        Inventory,
        json.dumps(
            {
                "tenant_id": "acme",
                "device_id": "pc-1",
                "observed_at": "2026-03-02T08:00:00Z",
                "hostname": "pc-1",
                "kind": "laptop",
                "os": "Windows 11",
                "monitors": 2,
                "group_path": "ACME/Paris",
                "agent_version": "1.0",
                "agent_manager_id": "am-1",
            }
        ),
    )
    assert decode(Inventory, inv.to_json_bytes()) == inv
    with pytest.raises(ValidationError, match="desktop"):
        decode(Inventory, inv.to_json_bytes().replace(b'"laptop"', b'"tablet"'))
