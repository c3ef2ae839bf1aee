"""Activity periods cut into local days and hours; phase days from the stage timeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from veille_contracts.projects import Stage
from veille_reporting.domain.buckets import PeriodCounters, day_increments, night_weights
from veille_reporting.domain.savings import Phase
from veille_reporting.domain.timeline import DayWindow, StageEntry, phase_windows


def period(
    start: datetime,
    minutes: int,
    on: float,
    active: float = 0.0,
    asleep: float = 0.0,
    blockers: tuple[tuple[str, float], ...] = (),
) -> PeriodCounters:
    return PeriodCounters(
        "pc", "acme", start, start + timedelta(minutes=minutes), on, active, asleep, blockers
    )


def test_a_period_across_local_midnight_is_shared_in_proportion() -> None:
    # 22:50-23:20 UTC = 23:50-00:20 in Paris (UTC+1 in March before DST).
    incs = day_increments(
        [period(datetime(2026, 3, 2, 22, 50, tzinfo=UTC), 30, 1800, 900, 0, (("x", 600),))], "Europe/Paris"
    )
    by_day = {i.day: i for i in incs}
    assert set(by_day) == {date(2026, 3, 2), date(2026, 3, 3)}
    first, second = by_day[date(2026, 3, 2)], by_day[date(2026, 3, 3)]
    assert (first.seconds_on, second.seconds_on) == pytest.approx((600, 1200))
    assert (first.seconds_active, second.seconds_active) == pytest.approx((300, 600))
    assert first.on_by_hour[23] == pytest.approx(600) and second.on_by_hour[0] == pytest.approx(1200)
    assert (first.blockers["x"], second.blockers["x"]) == pytest.approx((200, 400))
    assert first.seconds_reported + second.seconds_reported == 1800


def test_sums_are_the_same_whatever_the_order_and_the_zone_decides_the_day() -> None:
    periods = [
        period(datetime(2026, 3, 2, 23, 0, tzinfo=UTC) + timedelta(minutes=5 * i), 5, 300, 100)
        for i in range(12)
    ]
    utc = day_increments(periods, "UTC")
    assert [(i.day, i.seconds_on) for i in utc] == [(date(2026, 3, 2), pytest.approx(3600))]
    paris = day_increments(reversed(periods), "Europe/Paris")
    assert [(i.day, i.seconds_on) for i in paris] == [(date(2026, 3, 3), pytest.approx(3600))]
    assert utc[0].on_by_hour[23] == pytest.approx(3600) and paris[0].on_by_hour[0] == pytest.approx(3600)


def test_dst_day_hours_follow_local_clock() -> None:
    # 29 March 2026: Paris jumps from 02:00 to 03:00; 00:00-04:00 local is 3 real hours.
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    incs = day_increments([period(start + timedelta(hours=h), 60, 3600) for h in range(3)], "Europe/Paris")
    (inc,) = incs
    assert inc.day == date(2026, 3, 29)
    assert [h for h, v in enumerate(inc.on_by_hour) if v] == [0, 1, 3]


def test_night_weights() -> None:
    w = night_weights(time(8, 30), time(19))
    assert w[7] == 1 and w[8] == 0.5 and w[12] == 0 and w[18] == 0 and w[19] == 1
    assert sum(w) == pytest.approx(24 - 10.5)


def entries(*stages: tuple[Stage, datetime]) -> list[StageEntry]:
    return [StageEntry(i, s, at) for i, (s, at) in enumerate(stages)]


def test_phase_windows_keep_whole_local_days_only() -> None:
    tl = entries(
        (Stage.deployment, datetime(2026, 2, 20, tzinfo=UTC)),
        (Stage.viewer, datetime(2026, 3, 1, 23, 0, tzinfo=UTC)),  # Paris midnight, 2 March
        (Stage.recommendation, datetime(2026, 3, 9, 9, 0, tzinfo=UTC)),  # the 9th is partial: out
        (Stage.saver, datetime(2026, 3, 9, 14, 0, tzinfo=UTC)),
    )
    windows = phase_windows(tl, "Europe/Paris")
    assert windows[Phase.viewer] == DayWindow(date(2026, 3, 2), date(2026, 3, 8))
    assert windows[Phase.saver] == DayWindow(date(2026, 3, 10), None)
    assert windows[Phase.saver].contains(date(2026, 4, 1)) and not windows[Phase.viewer].contains(
        date(2026, 3, 9)
    )
    assert Phase.viewer not in phase_windows(tl[:1], "Europe/Paris")


def test_a_phase_shorter_than_a_whole_day_has_no_days() -> None:
    tl = entries(
        (Stage.viewer, datetime(2026, 3, 2, 10, tzinfo=UTC)),
        (Stage.recommendation, datetime(2026, 3, 2, 20, tzinfo=UTC)),
    )
    assert phase_windows(tl, "UTC") == {}
