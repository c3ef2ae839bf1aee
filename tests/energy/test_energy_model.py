"""The shared energy model: defaults, overrides, state arithmetic, kWh and presentation rounding."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from veille_contracts.agent import DeviceKind
from veille_energy import (
    DAY_SECONDS,
    DEFAULT_MONITOR,
    DEFAULT_PROFILES,
    EnergyModel,
    MonitorProfile,
    PowerProfile,
    PowerState,
    ProfileOverride,
    StateDurations,
    co2_kg,
    co2_kg_display,
    cost,
    energy,
    kwh_display,
    local_day_seconds,
    money,
)

# --- defaults: the documented public figures -------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "active", "idle", "asleep", "off"),
    [
        (DeviceKind.desktop, 70.0, 45.0, 3.0, 1.0),  # BigFix / ConfigMgr 70 W, 3 W; idle, off estimated
        (DeviceKind.laptop, 25.0, 12.0, 2.0, 0.5),  # BigFix 25 W, 2 W; idle, off estimated
        (DeviceKind.workstation, 150.0, 100.0, 5.0, 1.5),  # engineering estimates
    ],
)
def test_default_watts_per_kind(
    kind: DeviceKind, active: float, idle: float, asleep: float, off: float
) -> None:
    profile = EnergyModel().profile_for(kind)
    assert (profile.active_w, profile.idle_w, profile.asleep_w, profile.off_w) == (active, idle, asleep, off)
    assert [profile.watts(s) for s in PowerState] == [active, idle, asleep, off]


def test_default_monitor_is_bigfix_45_w_on_1_w_standby() -> None:
    assert MonitorProfile(on_w=45.0, sleep_w=1.0, off_w=1.0) == DEFAULT_MONITOR


def test_every_kind_has_a_default() -> None:
    assert set(DEFAULT_PROFILES) == set(DeviceKind)


# --- state durations from counters ---------------------------------------------------------


def test_from_counters_splits_a_day_into_four_states() -> None:
    # on 9 h (32,400 s) of which 5 h active; asleep 2 h; the rest of the 24 h is off.
    d = StateDurations.from_counters(seconds_on=32_400, seconds_active=18_000, seconds_asleep=7_200)
    assert (d.active_s, d.idle_s, d.asleep_s, d.off_s) == (18_000, 14_400, 7_200, 86_400 - 32_400 - 7_200)
    assert d.on_s == 32_400
    assert d.total_s == DAY_SECONDS


def test_from_counters_of_a_period_uses_its_length() -> None:
    d = StateDurations.from_counters(seconds_on=120, seconds_active=60, seconds_asleep=100, period_s=300)
    assert (d.active_s, d.idle_s, d.asleep_s, d.off_s) == (60, 60, 100, 80)


def test_agent_slack_is_capped_not_scaled() -> None:
    # active 301 > on 300 (rounding slack): active capped to on; on + asleep 301 > period 300: off = 0.
    d = StateDurations.from_counters(seconds_on=300, seconds_active=301, seconds_asleep=1, period_s=300)
    assert (d.active_s, d.idle_s, d.asleep_s, d.off_s) == (300, 0, 1, 0)


def test_screen_off_is_capped_to_idle() -> None:
    d = StateDurations.from_counters(
        seconds_on=3_600, seconds_active=3_000, seconds_asleep=0, period_s=3_600, seconds_screen_off=900
    )
    assert d.screen_off_s == 600


@pytest.mark.parametrize(
    "counters",
    [
        {"seconds_on": -1, "seconds_active": 0, "seconds_asleep": 0},
        {"seconds_on": 0, "seconds_active": float("nan"), "seconds_asleep": 0},
        {"seconds_on": 0, "seconds_active": 0, "seconds_asleep": float("inf")},
    ],
)
def test_from_counters_rejects_impossible_numbers(counters: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        StateDurations.from_counters(**counters)


def test_durations_reject_screen_off_beyond_idle() -> None:
    with pytest.raises(ValueError, match="screen_off_s"):
        StateDurations(active_s=0, idle_s=10, asleep_s=0, off_s=0, screen_off_s=11)


# --- kWh -------------------------------------------------------------------------------------


def test_desktop_day_with_one_monitor_by_hand() -> None:
    # Desktop: 5 h active, 4 h idle, 0 asleep, 15 h off; one monitor, screen never turned off.
    d = StateDurations.from_counters(seconds_on=32_400, seconds_active=18_000, seconds_asleep=0)
    e = EnergyModel().kwh(d, DeviceKind.desktop, monitors=1)
    assert e.active_kwh == pytest.approx(0.35)  # 70 W x 5 h = 350 Wh
    assert e.idle_kwh == pytest.approx(0.18)  # 45 W x 4 h = 180 Wh
    assert e.asleep_kwh == 0.0
    assert e.off_kwh == pytest.approx(0.015)  # 1 W x 15 h = 15 Wh
    assert e.monitors_kwh == pytest.approx(0.42)  # 45 W x 9 h + 1 W x 15 h = 405 + 15 Wh
    assert e.pc_kwh == pytest.approx(0.545)
    assert e.total_kwh == pytest.approx(0.965)


def test_laptop_day_without_external_monitor_by_hand() -> None:
    # Laptop: 6 h active, 2 h idle, 14 h asleep, 2 h off.
    d = StateDurations.from_counters(seconds_on=28_800, seconds_active=21_600, seconds_asleep=50_400)
    e = EnergyModel().kwh(d, DeviceKind.laptop)
    # 25 x 6 + 12 x 2 + 2 x 14 + 0.5 x 2 = 150 + 24 + 28 + 1 = 203 Wh
    assert e.total_kwh == pytest.approx(0.203)
    assert e.monitors_kwh == 0.0


def test_monitors_follow_screen_off_and_sleep() -> None:
    # 1 h on, all idle, screen off for the last 40 min; 1 h asleep; 1 h off. Two monitors.
    d = StateDurations(active_s=0, idle_s=3_600, asleep_s=3_600, off_s=3_600, screen_off_s=2_400)
    e = energy(d, DEFAULT_PROFILES[DeviceKind.desktop], DEFAULT_MONITOR, monitors=2)
    # per monitor: 45 W x 20 min (15 Wh) + 1 W x (40 min + 60 min) (1.6667 Wh) + 1 W x 60 min (1 Wh)
    assert e.monitors_kwh == pytest.approx(2 * (15 + 100 / 60 + 1) / 1000)


def test_whole_day_off_draws_only_standby() -> None:
    e = EnergyModel().kwh(StateDurations(0, 0, 0, DAY_SECONDS), DeviceKind.desktop, monitors=1)
    assert e.total_kwh == pytest.approx(0.048)  # (1 W + 1 W) x 24 h


def test_energy_is_linear_in_durations() -> None:
    # Sums of periods give the sum of their kWh: what lets SQL add seconds before multiplying.
    rng = random.Random(6)
    model = EnergyModel()
    for _ in range(200):
        parts = []
        for _ in range(rng.randint(1, 12)):
            on = rng.uniform(0, 300)
            asleep = rng.uniform(0, 300 - on)
            parts.append(
                StateDurations.from_counters(
                    seconds_on=on, seconds_active=rng.uniform(0, on), seconds_asleep=asleep, period_s=300
                )
            )
        kind = rng.choice(list(DeviceKind))
        monitors = rng.randint(0, 3)
        whole = parts[0]
        for p in parts[1:]:
            whole = whole + p
        each = sum(model.kwh(p, kind, monitors=monitors).total_kwh for p in parts)
        assert model.kwh(whole, kind, monitors=monitors).total_kwh == pytest.approx(each, rel=1e-12)


def test_negative_monitor_count_is_refused() -> None:
    with pytest.raises(ValueError):
        EnergyModel().kwh(StateDurations(0, 0, 0, 1), DeviceKind.desktop, monitors=-1)


def test_kwh_saved_by_a_policy_replay() -> None:
    # Viewer: desktop idle 10 h a night. Candidate policy: sleeps after 30 min idle -> 9.5 h asleep.
    before = StateDurations(active_s=0, idle_s=36_000, asleep_s=0, off_s=0)
    after = StateDurations(active_s=0, idle_s=1_800, asleep_s=34_200, off_s=0)
    saved = EnergyModel().kwh_saved(before, after, DeviceKind.desktop, monitors=1)
    # PC: 45 W x 9.5 h - 3 W x 9.5 h = 399 Wh; monitor: 45 W x 9.5 h - 1 W x 9.5 h = 418 Wh
    assert saved.pc_kwh == pytest.approx(0.399)
    assert saved.monitors_kwh == pytest.approx(0.418)
    assert saved.total_kwh == pytest.approx(0.817)


# --- overrides -------------------------------------------------------------------------------


def test_kind_then_model_overrides_layer_on_defaults() -> None:
    model = (
        EnergyModel()
        .with_kind_override(DeviceKind.laptop, ProfileOverride(active_w=20.0, asleep_w=1.0))  # ConfigMgr
        .with_model_override("Dell", "Latitude 5440", ProfileOverride(idle_w=6.0))
    )
    assert model.profile_for(DeviceKind.laptop) == PowerProfile(active_w=20, idle_w=12, asleep_w=1, off_w=0.5)
    assert model.profile_for(DeviceKind.laptop, "DELL", "  latitude   5440 ") == PowerProfile(
        active_w=20, idle_w=6, asleep_w=1, off_w=0.5
    )
    assert model.profile_for(DeviceKind.laptop, "Dell", "Latitude 7440").idle_w == 12
    assert model.profile_for(DeviceKind.desktop) == DEFAULT_PROFILES[DeviceKind.desktop]


def test_model_override_replaces_an_earlier_one_for_the_same_model() -> None:
    model = (
        EnergyModel()
        .with_model_override("HP", "EliteDesk 800", ProfileOverride(active_w=40))
        .with_model_override("hp", "elitedesk 800", ProfileOverride(active_w=35))
    )
    assert len(model.model_overrides) == 1
    assert model.profile_for(DeviceKind.desktop, "HP", "EliteDesk 800").active_w == 35


def test_duplicate_model_overrides_are_refused() -> None:
    entry = {"manufacturer": "HP", "model": "X", "profile": {"active_w": 1}}
    with pytest.raises(ValidationError, match="two overrides"):
        EnergyModel.model_validate({"model_overrides": [entry, {**entry, "manufacturer": "hp"}]})


def test_defaults_must_cover_every_kind() -> None:
    with pytest.raises(ValidationError, match="workstation"):
        EnergyModel(defaults={k: v for k, v in DEFAULT_PROFILES.items() if k != DeviceKind.workstation})


@pytest.mark.parametrize("watts", [-1.0, 5001.0, float("nan"), float("inf")])
def test_implausible_watts_are_refused(watts: float) -> None:
    with pytest.raises(ValidationError):
        PowerProfile(active_w=watts, idle_w=1, asleep_w=1, off_w=1)


def test_model_is_immutable_and_round_trips_through_json() -> None:
    model = (
        EnergyModel(monitor=MonitorProfile(on_w=20, sleep_w=0.3, off_w=0.3))
        .with_kind_override(DeviceKind.desktop, ProfileOverride(idle_w=30))
        .with_model_override("Lenovo", "M70q", ProfileOverride(active_w=25))
    )
    again = EnergyModel.model_validate_json(model.model_dump_json())
    assert again == model
    assert again.profile_for(DeviceKind.desktop, "lenovo", "m70q") == model.profile_for(
        DeviceKind.desktop, "Lenovo", "M70q"
    )
    with pytest.raises(ValidationError):
        model.monitor = DEFAULT_MONITOR  # type: ignore[misc]


# --- local days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "zone", "seconds"),
    [
        (date(2024, 3, 12), "Europe/Paris", 86_400),
        (date(2024, 3, 31), "Europe/Paris", 82_800),  # clocks go forward: 23 h
        (date(2024, 10, 27), "Europe/Paris", 90_000),  # clocks go back: 25 h
        (date(2024, 3, 31), "UTC", 86_400),
    ],
)
def test_local_day_seconds(day: date, zone: str, seconds: int) -> None:
    assert local_day_seconds(day, zone) == seconds


# --- presentation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (2.675, "2.68"),  # binary 2.67499999... still rounds half up: read through repr
        (1.005, "1.01"),
        (0.125, "0.13"),
        (-2.675, "-2.68"),  # half away from zero
        (1.0049, "1.00"),
        (0.0, "0.00"),
    ],
)
def test_money_to_the_cent_half_up(amount: float, shown: str) -> None:
    assert money(amount) == Decimal(shown)


def test_cost_and_co2_are_unrounded_until_shown() -> None:
    # 12.345 kWh x 0.2276 EUR = 2.809722 EUR -> 2.81; x 0.052 kg = 0.64194 kg -> 0.6
    assert cost(12.345, 0.2276) == pytest.approx(2.809722)
    assert money(cost(12.345, 0.2276)) == Decimal("2.81")
    assert co2_kg(12.345, 0.052) == pytest.approx(0.64194)
    assert co2_kg_display(co2_kg(12.345, 0.052)) == Decimal("0.6")
    assert kwh_display(12.35) == Decimal("12.4")


def test_presenting_nan_is_refused() -> None:
    with pytest.raises(ValueError):
        money(float("nan"))
