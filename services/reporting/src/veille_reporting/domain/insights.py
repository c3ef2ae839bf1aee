"""Where energy is still wasted: PCs that never sleep, the processes keeping them awake, and
what PCs left on at night during the Saver phase would still save.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field
from veille_contracts.agent import DeviceKind
from veille_contracts.policy import WorkingSchedule
from veille_energy import JOULES_PER_KWH, EnergyModel

from .figures import Figures, ReportModel, Tariff

DEFAULT_MIN_ON_AT_NIGHT_S = 3600.0
DEFAULT_NEVER_SLEEP_SHARE = 0.8

# --- night ---------------------------------------------------------------------------------


def night_seconds(period_start: datetime, period_end: datetime, schedule: WorkingSchedule) -> float:
    """Seconds of [period_start, period_end) outside the schedule's daily hours, in its time zone.

    "Night" is clock time outside working hours on any day (weekends included): a PC on at
    3 a.m. on a Sunday is on at night. DST days are handled through UTC arithmetic.
    """
    if period_start.tzinfo is None or period_end.tzinfo is None:
        raise ValueError("period bounds must be timezone-aware")
    if period_end <= period_start:
        return 0.0
    zone = ZoneInfo(schedule.timezone)
    start_utc, end_utc = period_start.astimezone(UTC), period_end.astimezone(UTC)
    day = start_utc.astimezone(zone).date() - timedelta(days=1)
    last = end_utc.astimezone(zone).date()
    daytime = 0.0
    while day <= last:
        work_start = datetime.combine(day, schedule.start, zone).astimezone(UTC)
        work_end = datetime.combine(day, schedule.end, zone).astimezone(UTC)
        overlap = (min(end_utc, work_end) - max(start_utc, work_start)).total_seconds()
        daytime += max(0.0, overlap)
        day += timedelta(days=1)
    return (end_utc - start_utc).total_seconds() - daytime


def is_insomniac_day(
    seconds_asleep: float,
    seconds_on_at_night: float,
    *,
    min_on_at_night_s: float = DEFAULT_MIN_ON_AT_NIGHT_S,
) -> bool:
    """A day on which the PC never slept and stayed on at night (at least ``min_on_at_night_s``)."""
    return seconds_asleep <= 0 and seconds_on_at_night >= min_on_at_night_s


# --- PCs that never sleep ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceSleepStats:
    """Per device over a phase: counted days, and days that were insomniac (see is_insomniac_day)."""

    device_id: str
    kind: DeviceKind
    group: str
    days: int
    insomniac_days: int

    def __post_init__(self) -> None:
        if not 0 <= self.insomniac_days <= self.days:
            raise ValueError(f"{self.device_id}: need 0 <= insomniac_days <= days")


class NeverSleepingDevice(ReportModel):
    device_id: str
    kind: DeviceKind
    group: str
    days: int
    insomniac_days: int
    share: float


class NeverSleepSummary(ReportModel):
    devices_observed: int = Field(description="Devices with at least min_days counted days.")
    devices_never_sleeping: int
    share_of_devices: float | None
    insomniac_day_share: float | None = Field(description="Insomniac days / counted days, all devices.")
    min_share: float
    min_days: int
    by_kind: dict[DeviceKind, int]
    by_group: dict[str, int]
    devices: list[NeverSleepingDevice] = Field(description="The worst first, at most `limit`.")


def never_sleeping(
    stats: Iterable[DeviceSleepStats],
    *,
    min_share: float = DEFAULT_NEVER_SLEEP_SHARE,
    min_days: int = 3,
    limit: int = 100,
) -> NeverSleepSummary:
    """Devices whose share of insomniac days is at least ``min_share`` (among those with enough days)."""
    observed = never = total_days = total_insomniac = 0
    by_kind: dict[DeviceKind, int] = defaultdict(int)
    by_group: dict[str, int] = defaultdict(int)
    worst: list[NeverSleepingDevice] = []
    for s in stats:
        if s.days < min_days:
            continue
        observed += 1
        total_days += s.days
        total_insomniac += s.insomniac_days
        share = s.insomniac_days / s.days
        if share >= min_share:
            never += 1
            by_kind[s.kind] += 1
            by_group[s.group] += 1
            worst.append(
                NeverSleepingDevice(
                    device_id=s.device_id,
                    kind=s.kind,
                    group=s.group,
                    days=s.days,
                    insomniac_days=s.insomniac_days,
                    share=share,
                )
            )
    worst.sort(key=lambda d: (-d.share, -d.insomniac_days, d.device_id))
    return NeverSleepSummary(
        devices_observed=observed,
        devices_never_sleeping=never,
        share_of_devices=never / observed if observed else None,
        insomniac_day_share=total_insomniac / total_days if total_days else None,
        min_share=min_share,
        min_days=min_days,
        by_kind=dict(by_kind),
        by_group=dict(sorted(by_group.items(), key=lambda kv: (-kv[1], kv[0]))),
        devices=worst[:limit],
    )


# --- processes keeping PCs awake -----------------------------------------------------------


def process_key(process: str) -> str:
    """One name per program: Windows paths and case vary between agents ("C:\\...\\Teams.exe")."""
    base = process.replace("\\", "/").rsplit("/", 1)[-1]
    return base.strip().casefold()


@dataclass(frozen=True, slots=True)
class BlockerUsage:
    """Sum of the seconds one process held PCs awake, and on how many devices (one SQL row)."""

    process: str
    seconds: float
    devices: int

    def __post_init__(self) -> None:
        if not math.isfinite(self.seconds) or self.seconds < 0 or self.devices < 0:
            raise ValueError(f"{self.process!r}: seconds and devices must be >= 0")


class BlockerRank(ReportModel):
    process: str
    seconds: float
    devices: int = Field(description="Summed over spellings of the name; may count a device twice.")
    share: float = Field(description="Of all blocker seconds.")
    allowed: bool = Field(description="The approved policy allows this process to keep PCs awake.")

    @property
    def hours(self) -> float:
        return self.seconds / 3600


class BlockerSummary(ReportModel):
    total_seconds: float
    processes: list[BlockerRank]


def top_sleep_blockers(
    usage: Iterable[BlockerUsage], *, allowed: Iterable[str] = (), limit: int = 10
) -> BlockerSummary:
    """The processes that kept PCs awake longest (names merged case- and path-insensitively)."""
    seconds: dict[str, float] = defaultdict(float)
    devices: dict[str, int] = defaultdict(int)
    for u in usage:
        key = process_key(u.process)
        seconds[key] += u.seconds
        devices[key] += u.devices
    total = sum(seconds.values())
    allowed_keys = {process_key(p) for p in allowed}
    ranked = sorted(seconds, key=lambda k: (-seconds[k], k))[:limit]
    return BlockerSummary(
        total_seconds=total,
        processes=[
            BlockerRank(
                process=k,
                seconds=seconds[k],
                devices=devices[k],
                share=seconds[k] / total if total else 0.0,
                allowed=k in allowed_keys,
            )
            for k in ranked
        ],
    )


# --- improvements left ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NightUsage:
    """Saver phase, saver group, one kind: nights observed, nights left on, idle seconds at night."""

    kind: DeviceKind
    devices: int
    device_nights: int
    nights_left_on: int
    idle_seconds_at_night: float

    def __post_init__(self) -> None:
        if self.devices < 0 or not 0 <= self.nights_left_on <= self.device_nights:
            raise ValueError(f"{self.kind}: need devices >= 0 and 0 <= nights_left_on <= device_nights")
        if not math.isfinite(self.idle_seconds_at_night) or self.idle_seconds_at_night < 0:
            raise ValueError(f"{self.kind}: idle_seconds_at_night must be finite and >= 0")


class KindImprovement(ReportModel):
    kind: DeviceKind
    devices: int
    device_nights: int
    nights_left_on: int
    share_nights_left_on: float | None
    idle_hours_per_device_night: float
    saved_kwh_per_device_year: float
    measured: Figures = Field(description="Yearly, for the measured saver-group devices.")
    fleet_devices: int
    fleet: Figures = Field(description="Yearly, extrapolated to the fleet's devices of this kind.")


class ImprovementsLeft(ReportModel):
    """What sleeping through the nights PCs were still left on would save a year."""

    nights_per_year: float
    kinds: list[KindImprovement]
    measured: Figures
    fleet: Figures


def improvements_left(
    usage: Iterable[NightUsage],
    model: EnergyModel,
    tariff: Tariff,
    *,
    fleet_per_kind: dict[DeviceKind, int] | None = None,
    nights_per_year: float = 365.0,
) -> ImprovementsLeft:
    """Idle time at night, had it been asleep: (idle W - asleep W) of the kind's profile.

    Monitors are left out on purpose (the Saver policy already turns screens off), so the
    figure is conservative. Every night of the year counts, weekends included.
    """
    kinds: list[KindImprovement] = []
    measured_kwh = fleet_kwh = 0.0
    for u in sorted(usage, key=lambda u: list(DeviceKind).index(u.kind)):
        profile = model.profile_for(u.kind)
        idle_per_night = u.idle_seconds_at_night / u.device_nights if u.device_nights else 0.0
        per_year = idle_per_night * nights_per_year * (profile.idle_w - profile.asleep_w) / JOULES_PER_KWH
        fleet_count = (fleet_per_kind or {}).get(u.kind, u.devices)
        measured_kwh += per_year * u.devices
        fleet_kwh += per_year * fleet_count
        kinds.append(
            KindImprovement(
                kind=u.kind,
                devices=u.devices,
                device_nights=u.device_nights,
                nights_left_on=u.nights_left_on,
                share_nights_left_on=u.nights_left_on / u.device_nights if u.device_nights else None,
                idle_hours_per_device_night=idle_per_night / 3600,
                saved_kwh_per_device_year=per_year,
                measured=tariff.figures(per_year * u.devices),
                fleet_devices=fleet_count,
                fleet=tariff.figures(per_year * fleet_count),
            )
        )
    return ImprovementsLeft(
        nights_per_year=nights_per_year,
        kinds=kinds,
        measured=tariff.figures(measured_kwh),
        fleet=tariff.figures(fleet_kwh),
    )
