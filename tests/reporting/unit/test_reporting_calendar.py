"""Day classification and yearly day counts for the savings weights."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from veille_contracts.policy import WorkingSchedule
from veille_reporting.domain import AnnualDays, DayCalendar, DayType, local_date

FRENCH_HOLIDAYS_2025 = [
    date(2025, 1, 1),  # Wed
    date(2025, 4, 21),  # Easter Monday
    date(2025, 5, 1),  # Thu
    date(2025, 5, 8),  # Thu
    date(2025, 5, 29),  # Ascension, Thu
    date(2025, 6, 9),  # Whit Monday
    date(2025, 7, 14),  # Mon
    date(2025, 8, 15),  # Fri
    date(2025, 11, 1),  # Sat: not a working day anyway
    date(2025, 11, 11),  # Tue
    date(2025, 12, 25),  # Thu
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 3, 3), DayType.working),  # Monday
        (date(2025, 3, 7), DayType.working),  # Friday
        (date(2025, 3, 8), DayType.non_working),  # Saturday
        (date(2025, 3, 9), DayType.non_working),  # Sunday
        (date(2025, 5, 1), None),  # holiday
        (date(2025, 3, 12), None),  # abnormal (a strike)
    ],
)
def test_classify(day: date, expected: DayType | None) -> None:
    cal = DayCalendar.from_schedule(WorkingSchedule(), FRENCH_HOLIDAYS_2025, [date(2025, 3, 12)])
    assert cal.classify(day) == expected


def test_a_custom_week_makes_saturday_a_working_day() -> None:
    cal = DayCalendar.from_schedule(WorkingSchedule(days=[1, 2, 3, 4, 5]))  # Tue-Sat
    assert cal.classify(date(2025, 3, 8)) is DayType.working
    assert cal.classify(date(2025, 3, 3)) is DayType.non_working


def test_excluded_dates_feed_sql() -> None:
    cal = DayCalendar.from_schedule(WorkingSchedule(), [date(2025, 5, 1)], [date(2025, 3, 12)])
    assert cal.excluded == {date(2025, 5, 1), date(2025, 3, 12)}
    assert cal.working_weekdays == {0, 1, 2, 3, 4}


def test_year_counts_weekdays_minus_holidays_on_them() -> None:
    # 2025 starts on a Wednesday: 52 weeks x 5 + one extra Wednesday = 261 weekdays.
    assert AnnualDays.for_year(2025, WorkingSchedule()) == AnnualDays(working=261, non_working=104)
    # Ten of the eleven French holidays fall on weekdays (1 Nov is a Saturday): 261 - 10 = 251.
    days = AnnualDays.for_year(2025, WorkingSchedule(), [*FRENCH_HOLIDAYS_2025, date(2024, 12, 25)])
    assert days == AnnualDays(working=251, non_working=114)
    assert days.total == 365


def test_leap_year_has_366_days() -> None:
    # 2024 starts on a Monday and has 366 days: 52 weeks + Mon + Tue = 262 weekdays.
    assert AnnualDays.for_year(2024, WorkingSchedule()) == AnnualDays(working=262, non_working=104)


def test_standard_year() -> None:
    days = AnnualDays.standard()
    assert (days.working, days.non_working, days.total) == (252, 113, 365)
    assert days.of(DayType.working) == 252 and days.of(DayType.non_working) == 113


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        AnnualDays(working=-1, non_working=0)


def test_local_date_uses_the_organisation_time_zone() -> None:
    # 23:30 UTC on Sunday 2 March is 00:30 on Monday 3 March in Paris (UTC+1).
    assert local_date(datetime(2025, 3, 2, 23, 30, tzinfo=UTC), WorkingSchedule()) == date(2025, 3, 3)
    assert local_date(datetime(2025, 3, 2, 23, 30, tzinfo=UTC), WorkingSchedule(timezone="UTC")) == date(
        2025, 3, 2
    )
    with pytest.raises(ValueError):
        local_date(datetime(2025, 3, 2, 23, 30), WorkingSchedule())
