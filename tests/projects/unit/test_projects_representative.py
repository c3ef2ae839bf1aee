"""The representative-week rule, day by day, with counts worked out by hand in the comments."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from veille_contracts.policy import WorkingSchedule
from veille_projects.domain.representative import (
    Exclusion,
    local_date,
    representative_week,
    required_count,
)

PARIS = WorkingSchedule()  # Monday to Friday, Europe/Paris
MON = date(2025, 3, 3)  # a Monday


def week(*counts: int, start: date = MON) -> dict[date, int]:
    return {start + timedelta(days=i): n for i, n in enumerate(counts)}


def test_a_plain_week_holds() -> None:
    # 10 devices, 50 % -> 5 needed a day. Working days 8, 9, 8, 7, 8: median 8, abnormal under 4.
    v = representative_week(week(8, 9, 8, 7, 8, 1, 0), devices_in_scope=10, schedule=PARIS)
    assert v.holds
    assert v.qualifying_days == tuple(MON + timedelta(days=i) for i in range(5))
    assert [(e.day.weekday(), e.reason) for e in v.excluded_days] == [
        (5, Exclusion.not_working_day),
        (6, Exclusion.not_working_day),
    ]
    assert v.min_reporting == 5
    assert v.median_reporting == 8
    assert v.required_days == 5
    assert v.explanation.startswith("representative week: 5 qualifying working days (5 needed)")
    assert "at least 5 of 10 devices in scope (50%)" in v.explanation


def test_a_holiday_breaks_the_week_until_another_working_day_qualifies() -> None:
    # Thursday 6 March a holiday: 4 days qualify, one short; the next Monday makes 5.
    holiday = date(2025, 3, 6)
    first = representative_week(week(8, 9, 8, 9, 8), devices_in_scope=10, schedule=PARIS, holidays=[holiday])
    assert not first.holds
    assert len(first.qualifying_days) == 4
    assert [(e.day, e.reason) for e in first.excluded_days] == [(holiday, Exclusion.holiday)]
    assert first.explanation.startswith("no representative week yet: 4 of 5 qualifying working days")
    assert "2025-03-06 holiday" in first.explanation

    second = representative_week(
        week(8, 9, 8, 9, 8, 0, 0, 8), devices_in_scope=10, schedule=PARIS, holidays=[holiday]
    )
    assert second.holds
    assert second.qualifying_days[-1] == date(2025, 3, 10)


def test_a_day_far_below_the_median_is_abnormal_even_with_enough_devices() -> None:
    # 10 devices at 20 % -> 2 needed. Working days 10, 9, 4, 10, 10: median 10, abnormal under 5.
    # Wednesday (4) has enough devices but is abnormal: a site closed, or the network was down.
    v = representative_week(
        week(10, 9, 4, 10, 10), devices_in_scope=10, schedule=PARIS, reporting_fraction=0.2
    )
    assert not v.holds
    assert [(e.day, e.reason, e.reporting) for e in v.excluded_days] == [
        (date(2025, 3, 5), Exclusion.abnormal, 4)
    ]
    assert "under 50% of the median 10" in v.excluded_days[0].detail


def test_exactly_half_the_median_is_not_abnormal() -> None:
    # Median 10, Wednesday 5: 5 < 0.5 x 10 is false, so Wednesday qualifies.
    v = representative_week(
        week(10, 9, 5, 10, 10), devices_in_scope=10, schedule=PARIS, reporting_fraction=0.2
    )
    assert v.holds
    assert len(v.qualifying_days) == 5


def test_a_day_with_too_few_devices_is_excluded() -> None:
    # 10 devices, 5 needed. Monday 4: median of 4, 5, 5, 5, 5 is 5, abnormal under 2.5; so not
    # abnormal, but too few.
    v = representative_week(week(4, 5, 5, 5, 5), devices_in_scope=10, schedule=PARIS)
    assert not v.holds
    assert [(e.day, e.reason) for e in v.excluded_days] == [(MON, Exclusion.too_few_devices)]
    assert v.excluded_days[0].detail == "too few devices: 4 of 10 reported, 5 needed"


def test_an_odd_number_of_devices_rounds_the_need_up() -> None:
    # 7 devices at 50 % is 3.5: 4 devices are needed, 3 are not enough.
    assert not representative_week(week(3, 3, 3, 3, 3), devices_in_scope=7, schedule=PARIS).holds
    assert representative_week(week(4, 4, 4, 4, 4), devices_in_scope=7, schedule=PARIS).holds


def test_holiday_takes_precedence_over_abnormal_and_weekend_over_holiday() -> None:
    saturday, wednesday = date(2025, 3, 8), date(2025, 3, 5)
    v = representative_week(
        week(8, 8, 0, 8, 8, 0), devices_in_scope=10, schedule=PARIS, holidays=[wednesday, saturday]
    )
    got = {e.day: e.reason for e in v.excluded_days}
    assert got == {wednesday: Exclusion.holiday, saturday: Exclusion.not_working_day}


def test_holidays_and_weekends_do_not_drag_the_median_down() -> None:
    # Working days 8, 8, 8, 8, 8 and a holiday and weekend at 0: the median stays 8, so a
    # working day at 4 is not abnormal (4 < 4 is false), and one at 3 is.
    counts = week(8, 8, 8, 8, 8, 0, 0, 4, 3)
    v = representative_week(counts, devices_in_scope=10, schedule=PARIS, reporting_fraction=0.1, min_days=5)
    assert v.median_reporting == 8
    got = {e.day: e.reason for e in v.excluded_days}
    assert got[date(2025, 3, 11)] is Exclusion.abnormal
    assert date(2025, 3, 10) in v.qualifying_days


def test_even_number_of_working_days_takes_the_mean_of_the_middle_two() -> None:
    v = representative_week(week(4, 6, 8, 10), devices_in_scope=10, schedule=PARIS)
    assert v.median_reporting == 7  # (6 + 8) / 2


def test_a_four_day_organisation_needs_four_days() -> None:
    four_days = WorkingSchedule(days=[0, 1, 2, 3])
    v = representative_week(week(8, 8, 8, 8, 8), devices_in_scope=10, schedule=four_days)
    assert v.required_days == 4
    assert v.holds
    assert [e.reason for e in v.excluded_days] == [Exclusion.not_working_day]  # the Friday


def test_a_six_day_organisation_still_needs_five() -> None:
    six_days = WorkingSchedule(days=[0, 1, 2, 3, 4, 5])
    v = representative_week(week(8, 8, 8, 8, 0, 8), devices_in_scope=10, schedule=six_days)
    assert v.required_days == 5
    assert len(v.qualifying_days) == 5  # Friday at 0 is abnormal, Saturday counts
    assert v.holds


def test_no_device_in_scope_never_holds() -> None:
    v = representative_week(week(0, 0, 0, 0, 0), devices_in_scope=0, schedule=PARIS)
    assert not v.holds
    assert v.explanation == "no representative week: no device in scope"


def test_no_data_does_not_hold() -> None:
    v = representative_week({}, devices_in_scope=10, schedule=PARIS)
    assert not v.holds
    assert v.median_reporting is None
    assert v.qualifying_days == ()


def test_the_phase_window_ignores_outside_days_and_fills_silent_days_with_zero() -> None:
    # Window Tuesday 4 to Monday 10 March. Monday 3 (outside) is ignored; Wednesday 5 has no entry,
    # so it is a zero: working days Tue 8, Wed 0, Thu 8, Fri 8, Mon 8 -> median 8, Wed abnormal.
    counts = week(9, 8, start=MON) | week(8, 8, 0, 0, 8, start=date(2025, 3, 6))
    counts.pop(date(2025, 3, 5), None)
    v = representative_week(
        counts, devices_in_scope=10, schedule=PARIS, first_day=date(2025, 3, 4), last_day=date(2025, 3, 10)
    )
    days = {e.day: e.reason for e in v.excluded_days}
    assert MON not in days and MON not in v.qualifying_days
    assert days[date(2025, 3, 5)] is Exclusion.abnormal
    assert v.qualifying_days == (date(2025, 3, 4), date(2025, 3, 6), date(2025, 3, 7), date(2025, 3, 10))
    assert not v.holds


def test_long_explanations_are_bounded() -> None:
    counts = {MON + timedelta(days=i): 1 for i in range(90)}
    v = representative_week(counts, devices_in_scope=10, schedule=PARIS)
    assert "and " in v.explanation and "more" in v.explanation
    assert len(v.explanation) < 1500


@pytest.mark.parametrize(
    ("fraction", "total", "expected"),
    [
        (0.5, 10, 5),
        (0.5, 7, 4),  # 3.5 rounds up
        (0.7, 10, 7),  # 0.7 x 10 is 7.000000000000001 in binary floats
        (0.8, 20, 16),
        (0.8, 21, 17),  # 16.8 rounds up
        (1.0, 3, 3),
        (0.5, 0, 1),  # never zero: a day with no device never qualifies
        (0.01, 10, 1),
    ],
)
def test_required_count(fraction: float, total: int, expected: int) -> None:
    assert required_count(fraction, total) == expected


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (datetime(2025, 3, 3, 23, 30, tzinfo=UTC), "Europe/Paris", date(2025, 3, 4)),  # 00:30 CET
        (datetime(2025, 3, 3, 22, 59, tzinfo=UTC), "Europe/Paris", date(2025, 3, 3)),  # 23:59 CET
        (datetime(2025, 7, 3, 22, 30, tzinfo=UTC), "Europe/Paris", date(2025, 7, 4)),  # 00:30 CEST
        (datetime(2025, 3, 4, 3, 0, tzinfo=UTC), "America/New_York", date(2025, 3, 3)),  # 22:00 EST
    ],
)
def test_local_date_uses_the_organisation_time_zone(instant: datetime, zone: str, expected: date) -> None:
    assert local_date(instant, WorkingSchedule(timezone=zone)) == expected


def test_local_date_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2025, 3, 3, 9), PARIS)


def test_negative_inputs_are_bugs() -> None:
    with pytest.raises(ValueError):
        representative_week({MON: -1}, devices_in_scope=10, schedule=PARIS)
    with pytest.raises(ValueError):
        representative_week({MON: 1}, devices_in_scope=-1, schedule=PARIS)


def test_verdict_is_consistent_on_random_phases() -> None:
    rng = random.Random(7)
    for _ in range(500):
        devices = rng.randint(0, 40)
        start = MON + timedelta(days=rng.randint(0, 6))
        counts = {start + timedelta(days=i): rng.randint(0, devices) for i in range(rng.randint(0, 21))}
        holidays = {d for d in counts if rng.random() < 0.1}
        schedule = WorkingSchedule(days=sorted(rng.sample(range(7), rng.randint(1, 7))))
        v = representative_week(counts, devices_in_scope=devices, schedule=schedule, holidays=holidays)
        # every day is either qualifying or excluded, once, in date order
        seen = list(v.qualifying_days) + [e.day for e in v.excluded_days]
        assert sorted(seen) == sorted(counts)
        assert list(v.qualifying_days) == sorted(v.qualifying_days)
        for day in v.qualifying_days:
            assert day.weekday() in schedule.days and day not in holidays
            assert counts[day] >= v.min_reporting
            assert v.median_reporting is not None and counts[day] >= 0.5 * v.median_reporting
        assert v.holds == (devices > 0 and len(v.qualifying_days) >= min(5, len(schedule.days)))
