"""The simulator's time axis: whole minutes since the Unix epoch (UTC), and local days on it.

Integers keep the inner loops cheap and exact; datetimes appear only at the edges (messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTES_PER_DAY = 1440


def to_minute(moment: datetime) -> int:
    """The minute containing an aware datetime (floored)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (event time is UTC on the wire)")
    return int((moment - EPOCH).total_seconds() // 60)


def to_datetime(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


def exact_local_minute(timezone: str, day: date, at: time) -> int:
    """The absolute minute of a local wall-clock time (the earlier one when it is ambiguous)."""
    return _exact_local_minute(timezone, day, at)


@lru_cache(maxsize=65536)
def _exact_local_minute(timezone: str, day: date, at: time) -> int:
    return to_minute(datetime.combine(day, at, ZoneInfo(timezone)))


@dataclass(frozen=True, slots=True)
class LocalDay:
    """One local calendar day on the absolute axis.

    People's plans use local minutes from 06:00 onwards, so `base + m` with the UTC offset of
    local noon is exact for them, DST days included (European transitions happen at 02:00-03:00).
    """

    day: date
    start: int  # absolute minute of local midnight
    end: int  # absolute minute of the next local midnight
    base: int  # absolute minute = base + local minute, for local minutes >= 03:00

    def at(self, local_minute: int) -> int:
        return self.base + local_minute


@lru_cache(maxsize=4096)
def local_day(timezone: str, day: date) -> LocalDay:
    zone = ZoneInfo(timezone)
    start = to_minute(datetime.combine(day, time(0, 0), zone))
    end = to_minute(datetime.combine(day + timedelta(days=1), time(0, 0), zone))
    noon = datetime.combine(day, time(12, 0), zone)
    offset = noon.utcoffset()
    assert offset is not None
    naive_midnight = int((datetime.combine(day, time(0, 0), UTC) - EPOCH).total_seconds() // 60)
    return LocalDay(day, start, end, naive_midnight - int(offset.total_seconds() // 60))


def local_date_of(timezone: str, minute: int) -> date:
    return to_datetime(minute).astimezone(ZoneInfo(timezone)).date()
