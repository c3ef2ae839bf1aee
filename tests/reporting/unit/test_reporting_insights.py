"""PCs that never sleep, processes keeping PCs awake, improvements left, night time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from veille_contracts.agent import DeviceKind
from veille_contracts.policy import WorkingSchedule
from veille_energy import EnergyModel, ProfileOverride
from veille_reporting.domain import (
    BlockerUsage,
    DeviceSleepStats,
    FleetComposition,
    NightUsage,
    SavingsInputs,
    Tariff,
    build_savings_report,
    improvements_left,
    is_insomniac_day,
    never_sleeping,
    night_seconds,
    process_key,
    top_sleep_blockers,
)

PARIS = ZoneInfo("Europe/Paris")
SCHEDULE = WorkingSchedule()  # 08:00-19:00 Europe/Paris
TARIFF = Tariff(kwh_cost=0.2276, carbon_kg_per_kwh=0.052)
D, L = DeviceKind.desktop, DeviceKind.laptop


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("start", "end", "night"),
    [
        (paris(2025, 3, 3, 18, 30), paris(2025, 3, 3, 19, 30), 1800),  # half after 19:00
        (paris(2025, 3, 3, 7, 0), paris(2025, 3, 3, 8, 0), 3600),  # all before 08:00
        (paris(2025, 3, 3, 10, 0), paris(2025, 3, 3, 11, 0), 0),
        (paris(2025, 3, 3, 0, 0), paris(2025, 3, 4, 0, 0), 13 * 3600),  # 24 h - 11 h
        (paris(2025, 3, 30, 0, 0), paris(2025, 3, 31, 0, 0), 12 * 3600),  # DST day: 23 h - 11 h
        (paris(2025, 3, 8, 12, 0), paris(2025, 3, 8, 13, 0), 0),  # Saturday noon is not night
        (paris(2025, 3, 3, 23, 30), paris(2025, 3, 4, 0, 30), 3600),  # across midnight
    ],
)
def test_night_seconds(start: datetime, end: datetime, night: float) -> None:
    assert night_seconds(start, end, SCHEDULE) == night


def test_night_seconds_accepts_utc_instants_and_empty_periods() -> None:
    start = datetime(2025, 3, 3, 17, 30, tzinfo=UTC)  # 18:30 Paris
    assert night_seconds(start, start + timedelta(hours=1), SCHEDULE) == 1800
    assert night_seconds(start, start, SCHEDULE) == 0
    with pytest.raises(ValueError):
        night_seconds(datetime(2025, 3, 3), datetime(2025, 3, 4), SCHEDULE)


@pytest.mark.parametrize(
    ("asleep", "on_at_night", "insomniac"),
    [(0, 7200, True), (0, 3600, True), (0, 3599, False), (60, 7200, False), (0, 0, False)],
)
def test_insomniac_day(asleep: float, on_at_night: float, insomniac: bool) -> None:
    assert is_insomniac_day(asleep, on_at_night) is insomniac


def test_never_sleeping_devices() -> None:
    stats = [
        DeviceSleepStats("a", D, "G1", days=10, insomniac_days=10),  # 100 %
        DeviceSleepStats("b", D, "G1", days=10, insomniac_days=8),  # 80 %: counts (>= 0.8)
        DeviceSleepStats("c", L, "G2", days=10, insomniac_days=7),  # 70 %: no
        DeviceSleepStats("d", D, "G2", days=2, insomniac_days=2),  # too few days: not observed
        DeviceSleepStats("e", L, "G2", days=5, insomniac_days=5),  # 100 %
    ]
    summary = never_sleeping(stats)
    assert (summary.devices_observed, summary.devices_never_sleeping) == (4, 3)
    assert summary.share_of_devices == pytest.approx(0.75)
    # insomniac days / days over observed devices: (10 + 8 + 7 + 5) / (10 + 10 + 10 + 5) = 30 / 35
    assert summary.insomniac_day_share == pytest.approx(30 / 35)
    assert summary.by_kind == {D: 2, L: 1}
    assert summary.by_group == {"G1": 2, "G2": 1}
    # worst first: share desc, then more insomniac days, then id
    assert [d.device_id for d in summary.devices] == ["a", "e", "b"]
    assert [d.device_id for d in never_sleeping(stats, limit=1).devices] == ["a"]


def test_never_sleeping_on_nothing() -> None:
    summary = never_sleeping([])
    assert summary.share_of_devices is None and summary.devices == []


def test_sleep_stats_are_consistent() -> None:
    with pytest.raises(ValueError):
        DeviceSleepStats("a", D, "G", days=3, insomniac_days=4)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("C:\\Program Files\\Microsoft\\Teams.exe", "teams.exe"),
        ("teams.exe", "teams.exe"),
        ("/usr/bin/Backup ", "backup"),
        ("VLC.EXE", "vlc.exe"),
    ],
)
def test_process_key(raw: str, key: str) -> None:
    assert process_key(raw) == key


def test_top_sleep_blockers() -> None:
    usage = [
        BlockerUsage("C:\\Program Files\\Teams.exe", seconds=7200, devices=3),
        BlockerUsage("teams.exe", seconds=3600, devices=2),
        BlockerUsage("backup.exe", seconds=10_800, devices=1),
        BlockerUsage("vlc.exe", seconds=1800, devices=1),
        BlockerUsage("zoom.exe", seconds=1800, devices=4),
    ]
    summary = top_sleep_blockers(usage, allowed=["Backup.exe"], limit=3)
    # total 7200 + 3600 + 10,800 + 1800 + 1800 = 25,200 s
    assert summary.total_seconds == 25_200
    top = [(p.process, p.seconds, p.devices, p.allowed) for p in summary.processes]
    # teams 10,800 ties backup 10,800: name order; vlc and zoom tie at 1800: vlc first
    assert top == [
        ("backup.exe", 10_800, 1, True),
        ("teams.exe", 10_800, 5, False),
        ("vlc.exe", 1800, 1, False),
    ]
    assert summary.processes[1].share == pytest.approx(10_800 / 25_200)
    assert summary.processes[1].hours == 3.0


def test_blocker_usage_rejects_negative_seconds() -> None:
    with pytest.raises(ValueError):
        BlockerUsage("x", seconds=-1, devices=1)


def test_improvements_left_by_hand() -> None:
    # Saver phase: 10 desktops over 70 nights, 14 nights left on with 8 h idle each = 403,200 s.
    # Per device-night 403,200 / 70 = 5,760 s = 1.6 h; sleeping instead saves 45 - 3 = 42 W:
    # 1.6 h x 365 x 42 W = 24,528 Wh = 24.528 kWh per desktop-year.
    usage = [NightUsage(D, devices=10, device_nights=70, nights_left_on=14, idle_seconds_at_night=403_200)]
    result = improvements_left(usage, EnergyModel(), TARIFF, fleet_per_kind={D: 600})
    (desktop,) = result.kinds
    assert desktop.share_nights_left_on == pytest.approx(0.2)
    assert desktop.idle_hours_per_device_night == pytest.approx(1.6)
    assert desktop.saved_kwh_per_device_year == pytest.approx(24.528)
    assert result.measured.kwh == pytest.approx(245.28)
    assert result.measured.cost_rounded == Decimal("55.83")  # 245.28 x 0.2276 = 55.825728
    assert result.fleet.kwh == pytest.approx(14_716.8)  # x 600 desktops
    assert result.fleet.cost_rounded == Decimal("3349.54")  # 14,716.8 x 0.2276 = 3,349.54368


def test_improvements_use_the_project_watts_and_default_to_measured_devices() -> None:
    model = EnergyModel().with_kind_override(L, ProfileOverride(idle_w=10.0, asleep_w=1.0))
    usage = [
        NightUsage(L, devices=4, device_nights=20, nights_left_on=0, idle_seconds_at_night=0),
        NightUsage(D, devices=1, device_nights=0, nights_left_on=0, idle_seconds_at_night=0),
    ]
    result = improvements_left(usage, model, TARIFF)
    assert [k.kind for k in result.kinds] == [D, L]
    assert result.kinds[0].share_nights_left_on is None
    assert result.kinds[1].fleet_devices == 4
    assert result.fleet.kwh == 0


def test_insights_ride_along_in_the_savings_report() -> None:
    never = never_sleeping([DeviceSleepStats("a", D, "G", 5, 5)])
    blockers = top_sleep_blockers([BlockerUsage("teams.exe", 60, 1)])
    left = improvements_left([NightUsage(D, 1, 7, 7, 7 * 3600)], EnergyModel(), TARIFF)
    report = build_savings_report(
        SavingsInputs(
            cells=[],
            fleet=FleetComposition(total=1, per_kind={D: 1}),
            tariff=TARIFF,
            never_sleeping=never,
            sleep_blockers=blockers,
            improvements=left,
        )
    )
    assert (
        report.never_sleeping == never and report.sleep_blockers == blockers and report.improvements == left
    )
    # 1 h idle a night x 365 x 42 W = 15.33 kWh
    assert report.improvements is not None and report.improvements.measured.kwh == pytest.approx(15.33)
