"""Is there a representative week of data? The gate of the Viewer and Saver phases.

The rule, applied to each local date of the phase (the organisation's time zone, event time):

1. a day that is not one of the schedule's working days is excluded (``not_working_day``);
2. a holiday is excluded (``holiday``) — the seed warns that holidays distort consumption;
3. the median is taken over the phase's remaining working days (holidays and weekends out); a
   day whose reporting count is strictly below ``abnormal_below_median`` x that median is
   excluded (``abnormal``) — an outage, a strike, a site closure, an agent roll-back;
4. a day on which fewer than ``ceil(reporting_fraction x devices in scope)`` devices reported is
   excluded (``too_few_devices``) — it says too little about the fleet.

The remaining days qualify. A representative week holds when at least ``min_days`` days qualify
(5 by default; fewer if the organisation works fewer days a week: its week is then shorter).
Qualifying days need not be consecutive: a week split by a holiday still describes a week.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from veille_contracts.policy import WorkingSchedule

# Explanations list at most this many excluded days, so that a long phase keeps a short message.
_LISTED_EXCLUSIONS = 14


class Exclusion(StrEnum):
    not_working_day = "not_working_day"
    holiday = "holiday"
    abnormal = "abnormal"
    too_few_devices = "too_few_devices"


@dataclass(frozen=True, slots=True)
class ExcludedDay:
    day: date
    reason: Exclusion
    reporting: int
    detail: str


@dataclass(frozen=True, slots=True)
class RepresentativeWeek:
    """The verdict, with everything needed to show why it holds or not."""

    holds: bool
    qualifying_days: tuple[date, ...]
    excluded_days: tuple[ExcludedDay, ...]
    required_days: int
    devices_in_scope: int
    min_reporting: int  # devices that must report for a day to qualify
    median_reporting: float | None  # over the phase's working days, None if there are none
    explanation: str


def required_count(fraction: float, total: int) -> int:
    """Smallest whole count that is at least `fraction` of `total` (and at least 1).

    The rounding guards against binary floats: 0.7 x 10 is 7.000000000000001, and 7 devices must
    satisfy a 70 % threshold on 10.
    """
    return max(1, math.ceil(round(fraction * total, 9)))


def local_date(at: datetime, schedule: WorkingSchedule) -> date:
    """The organisation's calendar date of an event-time instant (bucket counts with this)."""
    if at.tzinfo is None:
        raise ValueError("event times must be timezone-aware")
    return at.astimezone(ZoneInfo(schedule.timezone)).date()


def _phase_days(
    daily_reporting: Mapping[date, int], first_day: date | None, last_day: date | None
) -> dict[date, int]:
    days = {
        d: n
        for d, n in daily_reporting.items()
        if (first_day is None or d >= first_day) and (last_day is None or d <= last_day)
    }
    if first_day is not None and last_day is not None:
        # A phase day with no report at all is a real day with zero devices, not a missing one.
        for offset in range((last_day - first_day).days + 1):
            days.setdefault(first_day + timedelta(days=offset), 0)
    return dict(sorted(days.items()))


def representative_week(
    daily_reporting: Mapping[date, int],
    *,
    devices_in_scope: int,
    schedule: WorkingSchedule,
    holidays: Collection[date] = (),
    reporting_fraction: float = 0.5,
    abnormal_below_median: float = 0.5,
    min_days: int = 5,
    first_day: date | None = None,
    last_day: date | None = None,
) -> RepresentativeWeek:
    """Judge a phase's daily reporting counts (local date -> distinct devices in scope that reported).

    With `first_day` and `last_day` (inclusive), dates outside are ignored and dates inside with no
    entry count as zero; give the last complete day, not today, as `last_day`.
    """
    if devices_in_scope < 0:
        raise ValueError("devices_in_scope must not be negative")
    if any(n < 0 for n in daily_reporting.values()):
        raise ValueError("daily reporting counts must not be negative")

    days = _phase_days(daily_reporting, first_day, last_day)
    working_days = frozenset(schedule.days)
    holiday_set = frozenset(holidays)
    required_days = min(min_days, len(working_days))
    min_reporting = required_count(reporting_fraction, devices_in_scope)

    working = {d: n for d, n in days.items() if d.weekday() in working_days and d not in holiday_set}
    median = statistics.median(working.values()) if working else None
    abnormal_threshold = abnormal_below_median * median if median is not None else None

    qualifying: list[date] = []
    excluded: list[ExcludedDay] = []
    for day, count in days.items():
        if day.weekday() not in working_days:
            excluded.append(ExcludedDay(day, Exclusion.not_working_day, count, "not a working day"))
        elif day in holiday_set:
            excluded.append(ExcludedDay(day, Exclusion.holiday, count, "holiday"))
        elif abnormal_threshold is not None and count < abnormal_threshold:
            excluded.append(
                ExcludedDay(
                    day,
                    Exclusion.abnormal,
                    count,
                    f"abnormal: {count} reporting, under {abnormal_below_median:.0%} "
                    f"of the median {median:g}",
                )
            )
        elif count < min_reporting:
            excluded.append(
                ExcludedDay(
                    day,
                    Exclusion.too_few_devices,
                    count,
                    f"too few devices: {count} of {devices_in_scope} reported, {min_reporting} needed",
                )
            )
        else:
            qualifying.append(day)

    holds = devices_in_scope > 0 and len(qualifying) >= required_days
    explanation = _explain(
        holds, qualifying, excluded, required_days, devices_in_scope, min_reporting, reporting_fraction
    )
    return RepresentativeWeek(
        holds=holds,
        qualifying_days=tuple(qualifying),
        excluded_days=tuple(excluded),
        required_days=required_days,
        devices_in_scope=devices_in_scope,
        min_reporting=min_reporting,
        median_reporting=float(median) if median is not None else None,
        explanation=explanation,
    )


def _explain(
    holds: bool,
    qualifying: list[date],
    excluded: list[ExcludedDay],
    required_days: int,
    devices_in_scope: int,
    min_reporting: int,
    reporting_fraction: float,
) -> str:
    if devices_in_scope == 0:
        return "no representative week: no device in scope"
    head = (
        f"representative week: {len(qualifying)} qualifying working days ({required_days} needed)"
        if holds
        else f"no representative week yet: {len(qualifying)} of {required_days} qualifying working days"
    )
    rule = (
        f"a working day qualifies when at least {min_reporting} of {devices_in_scope} devices in scope "
        f"({reporting_fraction:.0%}) report"
    )
    parts = [head, rule]
    notable = [e for e in excluded if e.reason is not Exclusion.not_working_day]
    if notable:
        listed = "; ".join(f"{e.day.isoformat()} {e.detail}" for e in notable[:_LISTED_EXCLUSIONS])
        more = len(notable) - _LISTED_EXCLUSIONS
        parts.append(f"excluded: {listed}" + (f"; and {more} more" if more > 0 else ""))
    return ". ".join(parts)
