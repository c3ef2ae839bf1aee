"""Activity periods cut into local days and hours of a time zone (the device-day increments).

A period (5 to 60 minutes) may cross a local hour or midnight: its counters are shared out in
proportion to the overlap, assuming they were spread evenly over the period. Night seconds and the
hour-of-day heatmap are then derived from the 24 hourly sums of each device-day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOURS = 24


@dataclass(frozen=True, slots=True)
class PeriodCounters:
    device_id: str
    tenant_id: str
    period_start: datetime
    period_end: datetime
    seconds_on: float
    seconds_active: float
    seconds_asleep: float
    blockers: tuple[tuple[str, float], ...] = ()


@dataclass(slots=True)
class DayIncrement:
    """What one or more periods add to one device-day."""

    device_id: str
    tenant_id: str
    day: date
    seconds_on: float = 0.0
    seconds_active: float = 0.0
    seconds_asleep: float = 0.0
    seconds_reported: float = 0.0
    on_by_hour: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    active_by_hour: list[float] = field(default_factory=lambda: [0.0] * HOURS)
    blockers: dict[str, float] = field(default_factory=dict)


def _pieces(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, int, float]]:
    """(local date, local hour, seconds) of [start, end), cut at local hour boundaries."""
    out: list[tuple[date, int, float]] = []
    cursor = start.astimezone(UTC)
    end_utc = end.astimezone(UTC)
    while cursor < end_utc:
        local = cursor.astimezone(zone)
        # Next local hour boundary, computed in UTC so that DST days have their real length.
        hour_start = local.replace(minute=0, second=0, microsecond=0)
        boundary = hour_start.astimezone(UTC) + timedelta(hours=1)
        nxt = min(end_utc, boundary) if boundary > cursor else end_utc
        out.append((local.date(), local.hour, (nxt - cursor).total_seconds()))
        cursor = nxt
    return out


def day_increments(periods: Iterable[PeriodCounters], timezone: str) -> list[DayIncrement]:
    """Sum the periods into device-day increments of ``timezone`` (pure, order-independent)."""
    zone = ZoneInfo(timezone)
    acc: dict[tuple[str, date], DayIncrement] = {}
    for p in periods:
        total = (p.period_end - p.period_start).total_seconds()
        if total <= 0:
            continue
        for day, hour, seconds in _pieces(p.period_start, p.period_end, zone):
            share = seconds / total
            inc = acc.get((p.device_id, day))
            if inc is None:
                inc = acc[(p.device_id, day)] = DayIncrement(p.device_id, p.tenant_id, day)
            inc.seconds_on += p.seconds_on * share
            inc.seconds_active += p.seconds_active * share
            inc.seconds_asleep += p.seconds_asleep * share
            inc.seconds_reported += seconds
            inc.on_by_hour[hour] += p.seconds_on * share
            inc.active_by_hour[hour] += p.seconds_active * share
            for process, held in p.blockers:
                inc.blockers[process] = inc.blockers.get(process, 0.0) + held * share
    return list(acc.values())


def night_weights(start: time, end: time) -> list[float]:
    """Share of each local hour that lies outside working hours [start, end) (1 = all night)."""
    s = start.hour + start.minute / 60 + start.second / 3600
    e = end.hour + end.minute / 60 + end.second / 3600
    return [1.0 - max(0.0, min(h + 1, e) - max(h, s)) for h in range(HOURS)]
