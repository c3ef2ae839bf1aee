"""Which days count, and how many of each kind a year has.

Device-days are local calendar days in the project's time zone. Holidays and abnormal days
(strikes, outages, a site closed, an agent roll-out glitch...) are left out of both the
baseline and the reporting period, as IPMVP asks for non-routine events; every other day is a
working day (its weekday is in the schedule) or a non-working day.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from veille_contracts.policy import WorkingSchedule


class DayType(StrEnum):
    working = "working"
    non_working = "non_working"


def local_date(instant: datetime, schedule: WorkingSchedule) -> date:
    """The organisation's calendar date of an event-time instant (aware datetime)."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(ZoneInfo(schedule.timezone)).date()


@dataclass(frozen=True)
class DayCalendar:
    """Classifies dates; ``working_weekdays`` (0 = Monday) and ``excluded`` also parameterise SQL."""

    working_weekdays: frozenset[int]
    holidays: frozenset[date] = field(default_factory=frozenset)
    abnormal_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_schedule(
        cls,
        schedule: WorkingSchedule,
        holidays: Iterable[date] = (),
        abnormal_days: Iterable[date] = (),
    ) -> DayCalendar:
        return cls(frozenset(schedule.days), frozenset(holidays), frozenset(abnormal_days))

    @property
    def excluded(self) -> frozenset[date]:
        return self.holidays | self.abnormal_days

    def classify(self, day: date) -> DayType | None:
        """The day's type, or None when it is left out (holiday or abnormal day)."""
        if day in self.holidays or day in self.abnormal_days:
            return None
        return DayType.working if day.weekday() in self.working_weekdays else DayType.non_working


@dataclass(frozen=True)
class AnnualDays:
    """Days of each type in a year, the weights that turn per-device-day savings into a year."""

    working: float
    non_working: float

    def __post_init__(self) -> None:
        if self.working < 0 or self.non_working < 0:
            raise ValueError("day counts must be >= 0")

    def of(self, day_type: DayType) -> float:
        return self.working if day_type is DayType.working else self.non_working

    @property
    def total(self) -> float:
        return self.working + self.non_working

    @classmethod
    def standard(cls) -> AnnualDays:
        """252 working days (a common yearly count of weekdays minus public holidays) and 113 others."""
        return cls(working=252, non_working=113)

    @classmethod
    def for_year(cls, year: int, schedule: WorkingSchedule, holidays: Iterable[date] = ()) -> AnnualDays:
        """Exact counts for one calendar year: schedule weekdays, minus the holidays (of that year)
        falling on them; every other day of the year (holidays included) is non-working.

        The year is passed in (e.g. the year the Saver phase started): no wall clock here.
        """
        weekdays = set(schedule.days)
        holiday_set = {h for h in holidays if h.year == year}
        day = date(year, 1, 1)
        working = 0
        while day.year == year:
            if day.weekday() in weekdays and day not in holiday_set:
                working += 1
            day += timedelta(days=1)
        days_in_year = 366 if _calendar.isleap(year) else 365
        return cls(working=working, non_working=days_in_year - working)
