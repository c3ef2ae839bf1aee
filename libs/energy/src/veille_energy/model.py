"""kWh from activity: how long a PC spent in each state, times the watts of its profile.

Arithmetic rules (the same for a 5-minute period, a device-day or a whole phase):

* kWh = sum over states of watts x seconds / 3,600,000 (1 kWh = 3.6 MJ), kept as float;
  nothing is rounded here. Money and CO2 are rounded only when presented
  (:mod:`veille_energy.presentation`).
* The model is linear in the seconds, so the kWh of summed durations equals the sum of the
  kWh: a device-day's kWh is the sum of its heartbeats', and SQL may sum seconds before
  multiplying by the watts of one profile.
* External monitors follow their PC: on while the PC is on, except for the seconds the
  caller knows the screen was off (``screen_off_s``, within idle time); in sleep mode while
  the PC is asleep or the screen is off; in standby while the PC is off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, model_validator
from veille_contracts.agent import DeviceKind

from .profiles import (
    DEFAULT_MONITOR,
    DEFAULT_PROFILES,
    MonitorProfile,
    PowerProfile,
    PowerState,
    ProfileOverride,
    _Frozen,
)

DAY_SECONDS = 86_400
JOULES_PER_KWH = 3_600_000.0


def local_day_seconds(day: date, timezone: str) -> int:
    """Length of one local calendar day: 86,400 s, or 82,800 / 90,000 s on DST change days.

    Device-days are local days of the project's time zone, so their uncovered time (off)
    must be measured against the day's real length.
    """
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return int((end - start).total_seconds())


def _check_seconds(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")


@dataclass(frozen=True, slots=True)
class StateDurations:
    """Seconds a PC spent in each state over one period (or summed over many)."""

    active_s: float
    idle_s: float
    asleep_s: float
    off_s: float
    screen_off_s: float = 0.0
    """Part of ``idle_s`` during which the OS had turned the screen off (0 if unknown)."""

    def __post_init__(self) -> None:
        for name in ("active_s", "idle_s", "asleep_s", "off_s", "screen_off_s"):
            _check_seconds(name, getattr(self, name))
        if self.screen_off_s > self.idle_s:
            raise ValueError("screen_off_s exceeds idle_s: the screen can only be off while idle")

    @classmethod
    def from_counters(
        cls,
        *,
        seconds_on: float,
        seconds_active: float,
        seconds_asleep: float,
        period_s: float = DAY_SECONDS,
        seconds_screen_off: float = 0.0,
    ) -> StateDurations:
        """States of a period from heartbeat-style counters.

        idle = on - active; off = period - on - asleep. Agents may over-count by their
        rounding slack, so active is capped at on, screen-off at idle, and off at zero
        (the reported on and asleep seconds are then kept as they are, not scaled down).
        """
        for name, value in (
            ("seconds_on", seconds_on),
            ("seconds_active", seconds_active),
            ("seconds_asleep", seconds_asleep),
            ("period_s", period_s),
            ("seconds_screen_off", seconds_screen_off),
        ):
            _check_seconds(name, value)
        active = min(seconds_active, seconds_on)
        idle = seconds_on - active
        return cls(
            active_s=active,
            idle_s=idle,
            asleep_s=seconds_asleep,
            off_s=max(0.0, period_s - seconds_on - seconds_asleep),
            screen_off_s=min(seconds_screen_off, idle),
        )

    @property
    def on_s(self) -> float:
        return self.active_s + self.idle_s

    @property
    def total_s(self) -> float:
        return self.active_s + self.idle_s + self.asleep_s + self.off_s

    def seconds(self, state: PowerState) -> float:
        match state:
            case PowerState.active:
                return self.active_s
            case PowerState.idle:
                return self.idle_s
            case PowerState.asleep:
                return self.asleep_s
            case PowerState.off:
                return self.off_s

    def __add__(self, other: StateDurations) -> StateDurations:
        return StateDurations(
            active_s=self.active_s + other.active_s,
            idle_s=self.idle_s + other.idle_s,
            asleep_s=self.asleep_s + other.asleep_s,
            off_s=self.off_s + other.off_s,
            screen_off_s=self.screen_off_s + other.screen_off_s,
        )


@dataclass(frozen=True, slots=True)
class EnergyBreakdown:
    """kWh of one PC (or many) over a period, by PC state, plus its external monitors."""

    active_kwh: float = 0.0
    idle_kwh: float = 0.0
    asleep_kwh: float = 0.0
    off_kwh: float = 0.0
    monitors_kwh: float = 0.0

    @property
    def pc_kwh(self) -> float:
        return self.active_kwh + self.idle_kwh + self.asleep_kwh + self.off_kwh

    @property
    def total_kwh(self) -> float:
        return self.pc_kwh + self.monitors_kwh

    def __add__(self, other: EnergyBreakdown) -> EnergyBreakdown:
        return EnergyBreakdown(
            active_kwh=self.active_kwh + other.active_kwh,
            idle_kwh=self.idle_kwh + other.idle_kwh,
            asleep_kwh=self.asleep_kwh + other.asleep_kwh,
            off_kwh=self.off_kwh + other.off_kwh,
            monitors_kwh=self.monitors_kwh + other.monitors_kwh,
        )

    def __sub__(self, other: EnergyBreakdown) -> EnergyBreakdown:
        """What ``other`` saves against this one (used for "before - after a policy")."""
        return EnergyBreakdown(
            active_kwh=self.active_kwh - other.active_kwh,
            idle_kwh=self.idle_kwh - other.idle_kwh,
            asleep_kwh=self.asleep_kwh - other.asleep_kwh,
            off_kwh=self.off_kwh - other.off_kwh,
            monitors_kwh=self.monitors_kwh - other.monitors_kwh,
        )


def energy(
    durations: StateDurations, profile: PowerProfile, monitor: MonitorProfile, monitors: int = 0
) -> EnergyBreakdown:
    """kWh of one PC with ``monitors`` external monitors over ``durations``."""
    if monitors < 0:
        raise ValueError("monitors must be >= 0")
    monitor_ws = 0.0
    if monitors:
        screen_on_s = durations.on_s - durations.screen_off_s
        monitor_ws = monitors * (
            monitor.on_w * screen_on_s
            + monitor.sleep_w * (durations.screen_off_s + durations.asleep_s)
            + monitor.off_w * durations.off_s
        )
    return EnergyBreakdown(
        active_kwh=profile.active_w * durations.active_s / JOULES_PER_KWH,
        idle_kwh=profile.idle_w * durations.idle_s / JOULES_PER_KWH,
        asleep_kwh=profile.asleep_w * durations.asleep_s / JOULES_PER_KWH,
        off_kwh=profile.off_w * durations.off_s / JOULES_PER_KWH,
        monitors_kwh=monitor_ws / JOULES_PER_KWH,
    )


def _model_key(manufacturer: str, model: str) -> tuple[str, str]:
    # Inventories spell the same model "LENOVO" / "Lenovo", with stray spaces.
    return (" ".join(manufacturer.split()).casefold(), " ".join(model.split()).casefold())


class ModelOverride(_Frozen):
    """Watts of one hardware model (matched case- and space-insensitively), e.g. from metering."""

    manufacturer: str = Field(min_length=1, max_length=256)
    model: str = Field(min_length=1, max_length=256)
    profile: ProfileOverride


class EnergyModel(_Frozen):
    """Defaults per device kind, with per-project overrides per kind and per (manufacturer, model).

    A device's profile is resolved in layers: ``defaults[kind]``, then ``kind_overrides[kind]``,
    then the override of its (manufacturer, model) if any; each layer replaces only the watts
    it sets. Immutable and JSON-serialisable (a project stores it as its energy settings).
    """

    defaults: dict[DeviceKind, PowerProfile] = Field(default_factory=lambda: dict(DEFAULT_PROFILES))
    monitor: MonitorProfile = DEFAULT_MONITOR
    kind_overrides: dict[DeviceKind, ProfileOverride] = Field(default_factory=dict)
    model_overrides: tuple[ModelOverride, ...] = ()

    _by_model: dict[tuple[str, str], ProfileOverride] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _complete_and_unique(self) -> EnergyModel:
        missing = [kind.value for kind in DeviceKind if kind not in self.defaults]
        if missing:
            raise ValueError(f"defaults lack a profile for {', '.join(missing)}")
        by_model: dict[tuple[str, str], ProfileOverride] = {}
        for entry in self.model_overrides:
            key = _model_key(entry.manufacturer, entry.model)
            if key in by_model:
                raise ValueError(f"two overrides for model {entry.manufacturer!r} {entry.model!r}")
            by_model[key] = entry.profile
        self._by_model = by_model
        return self

    def with_kind_override(self, kind: DeviceKind, override: ProfileOverride) -> EnergyModel:
        return self.model_copy(update={"kind_overrides": {**self.kind_overrides, kind: override}})

    def with_model_override(self, manufacturer: str, model: str, override: ProfileOverride) -> EnergyModel:
        key = _model_key(manufacturer, model)
        kept = tuple(e for e in self.model_overrides if _model_key(e.manufacturer, e.model) != key)
        entry = ModelOverride(manufacturer=manufacturer, model=model, profile=override)
        return EnergyModel(
            defaults=self.defaults,
            monitor=self.monitor,
            kind_overrides=self.kind_overrides,
            model_overrides=(*kept, entry),
        )

    def profile_for(
        self, kind: DeviceKind, manufacturer: str | None = None, model: str | None = None
    ) -> PowerProfile:
        """The watts to use for one device; resolve once per device when looping over periods."""
        profile = self.defaults[kind]
        kind_override = self.kind_overrides.get(kind)
        if kind_override is not None:
            profile = profile.overridden(kind_override)
        if manufacturer and model:
            model_override = self._by_model.get(_model_key(manufacturer, model))
            if model_override is not None:
                profile = profile.overridden(model_override)
        return profile

    def kwh(
        self,
        durations: StateDurations,
        kind: DeviceKind,
        *,
        monitors: int = 0,
        manufacturer: str | None = None,
        model: str | None = None,
    ) -> EnergyBreakdown:
        """kWh of one device over ``durations`` (one period, one day, or a sum of them)."""
        return energy(durations, self.profile_for(kind, manufacturer, model), self.monitor, monitors)

    def kwh_saved(
        self,
        before: StateDurations,
        after: StateDurations,
        kind: DeviceKind,
        *,
        monitors: int = 0,
        manufacturer: str | None = None,
        model: str | None = None,
    ) -> EnergyBreakdown:
        """kWh a change of behaviour saves (positive = less energy after), e.g. a candidate policy
        replayed on Viewer activity: ``before`` as measured, ``after`` as the policy would have made it.
        """
        profile = self.profile_for(kind, manufacturer, model)
        return energy(before, profile, self.monitor, monitors) - energy(
            after, profile, self.monitor, monitors
        )

    def watts_table(self) -> Mapping[DeviceKind, PowerProfile]:
        """The resolved per-kind profiles (without model overrides), e.g. to show on a settings page."""
        return {kind: self.profile_for(kind) for kind in DeviceKind}
