"""Activity rows in reporting's schema, idempotent on activity_id, and the device-days they feed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime

import asyncpg
from veille_contracts import Activity

from ..domain.buckets import HOURS, DayIncrement, PeriodCounters
from ..domain.insights import process_key

# Only the rows inserted now come back: a replayed activity adds nothing to the device-days.
_INSERT_NEW = """
INSERT INTO activity (activity_id, device_id, tenant_id, device_kind, period_start, period_end,
                      seconds_on, seconds_active, seconds_asleep, policy_version, sleep_blockers)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                     $7::real[], $8::real[], $9::real[], $10::text[], $11::jsonb[])
ON CONFLICT (activity_id) DO NOTHING
RETURNING activity_id
"""


def counters(a: Activity) -> PeriodCounters:
    # Stored as `real`: read back the same way so that a rebuild from the table gives the same sums.
    return PeriodCounters(
        device_id=a.device_id,
        tenant_id=a.tenant_id,
        period_start=a.period_start,
        period_end=a.period_end,
        seconds_on=_real(a.seconds_on),
        seconds_active=_real(a.seconds_active),
        seconds_asleep=_real(a.seconds_asleep),
        blockers=tuple((process_key(b.process), b.seconds) for b in a.sleep_blockers),
    )


def _real(value: float) -> float:
    import struct

    return float(struct.unpack("f", struct.pack("f", value))[0])


async def store_activity(conn: asyncpg.Connection, batch: Sequence[Activity]) -> list[Activity]:
    """Insert the batch's activity not seen before; returns those (the caller's transaction)."""
    unique = list({a.activity_id: a for a in batch}.values())
    if not unique:
        return []
    rows = await conn.fetch(
        _INSERT_NEW,
        [a.activity_id for a in unique],
        [a.device_id for a in unique],
        [a.tenant_id for a in unique],
        [a.device_kind.value for a in unique],
        [a.period_start for a in unique],
        [a.period_end for a in unique],
        [a.seconds_on for a in unique],
        [a.seconds_active for a in unique],
        [a.seconds_asleep for a in unique],
        [a.policy_version for a in unique],
        [json.dumps([[process_key(b.process), b.seconds] for b in a.sleep_blockers]) for a in unique],
    )
    new = {r["activity_id"] for r in rows}
    return [a for a in unique if a.activity_id in new]


async def stored_periods(
    conn: asyncpg.Connection, tenant_id: str, chunk: int = 50_000
) -> AsyncIterator[list[PeriodCounters]]:
    """Every stored period of a tenant, in chunks (to rebuild device-days of a new time zone)."""
    last: tuple[datetime, str] | None = None
    while True:
        rows = await conn.fetch(
            """SELECT activity_id, device_id, tenant_id, period_start, period_end, seconds_on, seconds_active,
                      seconds_asleep, sleep_blockers
               FROM activity WHERE tenant_id = $1 AND ($2::text IS NULL OR activity_id > $2)
               ORDER BY activity_id LIMIT $3""",
            tenant_id,
            last[1] if last else None,
            chunk,
        )
        if not rows:
            return
        last = (rows[-1]["period_start"], rows[-1]["activity_id"])
        yield [
            PeriodCounters(
                device_id=r["device_id"],
                tenant_id=r["tenant_id"],
                period_start=r["period_start"],
                period_end=r["period_end"],
                seconds_on=r["seconds_on"],
                seconds_active=r["seconds_active"],
                seconds_asleep=r["seconds_asleep"],
                blockers=tuple((p, float(s)) for p, s in json.loads(r["sleep_blockers"])),
            )
            for r in rows
        ]


def _add_arrays(column: str) -> str:
    return (
        f"(SELECT array_agg(a + b ORDER BY i) FROM unnest(device_days.{column}, EXCLUDED.{column}) "
        "WITH ORDINALITY AS t(a, b, i))"
    )


_ADD_DAYS = f"""
INSERT INTO device_days (zone, device_id, day, tenant_id, seconds_on, seconds_active, seconds_asleep,
                         seconds_reported, on_by_hour, active_by_hour)
SELECT $1, u.device_id, u.day, u.tenant_id, u.son, u.sact, u.sasl, u.srep,
       ($8::float8[])[(u.i - 1) * {HOURS} + 1 : u.i * {HOURS}],
       ($9::float8[])[(u.i - 1) * {HOURS} + 1 : u.i * {HOURS}]
FROM unnest($2::text[], $3::date[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $10::float8[])
     WITH ORDINALITY AS u(device_id, day, tenant_id, son, sact, sasl, srep, i)
ON CONFLICT (zone, device_id, day) DO UPDATE SET
    seconds_on = device_days.seconds_on + EXCLUDED.seconds_on,
    seconds_active = device_days.seconds_active + EXCLUDED.seconds_active,
    seconds_asleep = device_days.seconds_asleep + EXCLUDED.seconds_asleep,
    seconds_reported = device_days.seconds_reported + EXCLUDED.seconds_reported,
    on_by_hour = {_add_arrays("on_by_hour")},
    active_by_hour = {_add_arrays("active_by_hour")}
"""

_ADD_BLOCKERS = """
INSERT INTO device_day_blockers (zone, device_id, day, process, seconds)
SELECT $1, * FROM unnest($2::text[], $3::date[], $4::text[], $5::float8[])
ON CONFLICT (zone, device_id, day, process)
    DO UPDATE SET seconds = device_day_blockers.seconds + EXCLUDED.seconds
"""


async def add_day_increments(conn: asyncpg.Connection, zone: str, incs: Sequence[DayIncrement]) -> None:
    """Add increments (one per device-day, as `day_increments` returns them) into a zone's device-days."""
    if not incs:
        return
    await conn.execute(
        _ADD_DAYS,
        zone,
        [i.device_id for i in incs],
        [i.day for i in incs],
        [i.tenant_id for i in incs],
        [i.seconds_on for i in incs],
        [i.seconds_active for i in incs],
        [i.seconds_asleep for i in incs],
        [v for i in incs for v in i.on_by_hour],
        [v for i in incs for v in i.active_by_hour],
        [i.seconds_reported for i in incs],
    )
    blockers = [(i.device_id, i.day, p, s) for i in incs for p, s in i.blockers.items()]
    if blockers:
        await conn.execute(
            _ADD_BLOCKERS,
            zone,
            [b[0] for b in blockers],
            [b[1] for b in blockers],
            [b[2] for b in blockers],
            [b[3] for b in blockers],
        )


async def advance_watermark(
    conn: asyncpg.Connection, tenant_id: str, zone: str, day: date
) -> tuple[date | None, date]:
    """Move the tenant's latest reported local day in `zone` up to `day`; returns (before, now)."""
    before: date | None = await conn.fetchval(
        "SELECT last_day FROM zone_watermarks WHERE tenant_id = $1 AND zone = $2 FOR UPDATE", tenant_id, zone
    )
    if before is not None and before >= day:
        return before, before
    await conn.execute(
        """INSERT INTO zone_watermarks (tenant_id, zone, last_day) VALUES ($1, $2, $3)
           ON CONFLICT (tenant_id, zone) DO UPDATE SET last_day = greatest(zone_watermarks.last_day, $3)""",
        tenant_id,
        zone,
        day,
    )
    return before, day
