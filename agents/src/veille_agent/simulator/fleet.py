"""A deterministic synthetic fleet: the devices of one tenant and the habits of the people using them.

Everything is drawn from one seed with `random.Random`, whose sequences are stable across Python
versions for integer seeds, so a fleet is a pure function of (seed, size, tenant, start date).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import IntEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from veille_contracts import DeviceKind, Inventory

T = TypeVar("T")

AGENT_VERSION = "1.4.2"
DEFAULT_TIMEZONE = "Europe/Paris"

# Shares of the brief: desktops ~60 %, laptops ~38 %, workstations ~2 %.
KIND_SHARES: tuple[tuple[DeviceKind, float], ...] = (
    (DeviceKind.desktop, 0.60),
    (DeviceKind.laptop, 0.38),
    (DeviceKind.workstation, 0.02),
)
SITES: tuple[tuple[str, str, float], ...] = (
    ("Paris", "PAR", 0.50),
    ("Lyon", "LYO", 0.20),
    ("Lille", "LIL", 0.15),
    ("Nantes", "NAN", 0.15),
)
DEPARTMENTS: tuple[tuple[str, str, float], ...] = (
    ("Finance", "FIN", 0.15),
    ("HR", "HR", 0.08),
    ("Sales", "SAL", 0.20),
    ("Engineering", "ENG", 0.22),
    ("Support", "SUP", 0.15),
    ("Legal", "LEG", 0.05),
    ("Marketing", "MKT", 0.08),
    ("IT", "IT", 0.07),
)
MODELS: dict[DeviceKind, tuple[tuple[str, str], ...]] = {
    DeviceKind.desktop: (
        ("Dell", "OptiPlex 7010"),
        ("HP", "EliteDesk 800 G9"),
        ("Lenovo", "ThinkCentre M70q"),
    ),
    DeviceKind.laptop: (("Dell", "Latitude 5440"), ("HP", "EliteBook 840 G10"), ("Lenovo", "ThinkPad T14")),
    DeviceKind.workstation: (("Dell", "Precision 3660"), ("HP", "Z2 G9"), ("Lenovo", "ThinkStation P3")),
}
OPERATING_SYSTEMS: tuple[tuple[str, float], ...] = (("Windows 11 23H2", 0.6), ("Windows 10 22H2", 0.4))


class EveningAction(IntEnum):
    """What a person does with the PC when leaving for the day (codes are stored in day plans)."""

    shutdown = 0
    sleep = 1  # Start > Sleep, or a laptop's lid closed at the desk
    leave_on = 2
    take_home = 3  # laptops only: off as far as the office is concerned


class BlockerHabit(IntEnum):
    """A process that holds a power request (keeps the PC awake) on some days."""

    teams_call_stuck = 0  # Teams.exe keeps a call's request after an afternoon call, until midnight
    nightly_backup = 1  # backup-agent.exe runs every day in a fixed window (lunch time or evening)
    media_left_playing = 2  # chrome.exe plays media left open at departure for 1-4 h


BLOCKER_PROCESS: dict[BlockerHabit, str] = {
    BlockerHabit.teams_call_stuck: "Teams.exe",
    BlockerHabit.nightly_backup: "backup-agent.exe",
    BlockerHabit.media_left_playing: "chrome.exe",
}


@dataclass(frozen=True, slots=True)
class Habits:
    """How one person uses their PC; times are local minutes after midnight."""

    arrival_min: int
    day_length_min: int
    lunch_start_min: int
    lunch_length_min: int
    eats_at_desk: bool
    meetings_per_day: int
    evening_action: EveningAction
    habit_strength: float  # probability of doing evening_action on a given day rather than another one
    mobile: bool  # laptop taken undocked (on battery) to meetings
    weekend_worker: bool
    absence_rate: float  # share of working days away (leave, sickness, remote without the PC)
    blockers: tuple[BlockerHabit, ...]
    backup_start_min: int  # used when blockers has nightly_backup


@dataclass(frozen=True, slots=True)
class Device:
    """One simulated PC: its inventory facts and its user's habits."""

    index: int
    tenant_id: str
    device_id: str
    hostname: str
    kind: DeviceKind
    manufacturer: str
    model: str
    os: str
    monitors: int
    group_path: str
    site: str
    department: str
    sleep_timeout_ac_s: int
    sleep_timeout_dc_s: int | None
    screen_timeout_ac_s: int
    screen_timeout_dc_s: int | None
    agent_manager_id: str
    habits: Habits

    def inventory(self, observed_at: datetime) -> Inventory:
        return Inventory(
            tenant_id=self.tenant_id,
            device_id=self.device_id,
            observed_at=observed_at,
            hostname=self.hostname,
            kind=self.kind,
            manufacturer=self.manufacturer,
            model=self.model,
            os=self.os,
            monitors=self.monitors,
            group_path=self.group_path,
            site=self.site,
            sleep_timeout_ac_s=self.sleep_timeout_ac_s,
            sleep_timeout_dc_s=self.sleep_timeout_dc_s,
            screen_timeout_ac_s=self.screen_timeout_ac_s,
            screen_timeout_dc_s=self.screen_timeout_dc_s,
            agent_version=AGENT_VERSION,
            agent_manager_id=self.agent_manager_id,
        )


def _pick(rng: random.Random, options: tuple[tuple[T, float], ...]) -> T:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _kinds_by_quota(n_devices: int, rng: random.Random) -> list[DeviceKind]:
    """Exact shares (largest remainder) then shuffled, so even a small fleet has the expected split."""
    raw = [(kind, share * n_devices) for kind, share in KIND_SHARES]
    counts = {kind: int(x) for kind, x in raw}
    by_remainder = sorted(raw, key=lambda kx: kx[1] - int(kx[1]), reverse=True)
    for kind, _ in by_remainder[: n_devices - sum(counts.values())]:
        counts[kind] += 1
    kinds = [kind for kind, _ in KIND_SHARES for _ in range(counts[kind])]
    rng.shuffle(kinds)
    return kinds


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _habits(kind: DeviceKind, rng: random.Random) -> Habits:
    if kind is DeviceKind.desktop:
        action = _pick(
            rng,
            ((EveningAction.shutdown, 0.35), (EveningAction.leave_on, 0.50), (EveningAction.sleep, 0.15)),
        )
    elif kind is DeviceKind.laptop:
        action = _pick(
            rng,
            (
                (EveningAction.take_home, 0.45),
                (EveningAction.sleep, 0.40),
                (EveningAction.leave_on, 0.10),
                (EveningAction.shutdown, 0.05),
            ),
        )
    else:
        action = _pick(rng, ((EveningAction.leave_on, 0.70), (EveningAction.shutdown, 0.30)))
    blockers: list[BlockerHabit] = []
    if rng.random() < 0.12:
        blockers.append(BlockerHabit.teams_call_stuck)
    if rng.random() < 0.10:
        blockers.append(BlockerHabit.nightly_backup)
    if rng.random() < 0.10:
        blockers.append(BlockerHabit.media_left_playing)
    arrival = _clamp(rng.gauss(8 * 60 + 45, 40), 7 * 60, 10 * 60 + 30)
    return Habits(
        arrival_min=arrival,
        day_length_min=_clamp(rng.gauss(8.5 * 60, 45), 6 * 60, 11 * 60),
        lunch_start_min=_clamp(rng.gauss(12 * 60 + 30, 25), 11 * 60 + 30, 14 * 60),
        lunch_length_min=rng.choice((30, 45, 60, 60, 75)),
        eats_at_desk=rng.random() < 0.15,
        meetings_per_day=rng.choice((0, 1, 1, 2, 2, 3)),
        evening_action=action,
        habit_strength=rng.uniform(0.75, 0.97),
        mobile=kind is DeviceKind.laptop and rng.random() < 0.5,
        weekend_worker=rng.random() < 0.03,
        absence_rate=rng.uniform(0.0, 0.08),
        blockers=tuple(blockers),
        # Backups run at lunch (when PCs are idle) or in the evening (when those left on are).
        backup_start_min=rng.choice(
            (rng.randrange(12 * 60, 13 * 60, 15), rng.randrange(19 * 60, 22 * 60, 15))
        ),
    )


def _os_timeouts(kind: DeviceKind, rng: random.Random) -> tuple[int, int | None, int, int | None]:
    """(sleep AC, sleep DC, screen AC, screen DC) in seconds; 0 is never, as Windows reports it."""
    screen_ac = rng.choice((600, 900, 1200))
    if kind is DeviceKind.desktop:
        # Many corporate images disable sleep on desktops (GPO), the usual source of night waste.
        sleep_ac = _pick(rng, ((0, 0.60), (3600, 0.25), (1800, 0.15)))
        return sleep_ac, None, screen_ac, None
    if kind is DeviceKind.laptop:
        sleep_ac = _pick(rng, ((1800, 0.60), (0, 0.20), (3600, 0.20)))
        sleep_dc = _pick(rng, ((900, 0.70), (1800, 0.30)))
        return sleep_ac, sleep_dc, screen_ac, 300
    return 0, None, screen_ac, None


def _monitors(kind: DeviceKind, rng: random.Random) -> int:
    if kind is DeviceKind.desktop:
        return _pick(rng, ((1, 0.7), (2, 0.3)))
    if kind is DeviceKind.laptop:
        return _pick(rng, ((0, 0.2), (1, 0.6), (2, 0.2)))
    return _pick(rng, ((2, 0.7), (3, 0.3)))


@dataclass(frozen=True, slots=True)
class Fleet:
    """The devices of one tenant, in a stable order (index = position)."""

    seed: int
    tenant_id: str
    start_date: date
    timezone: str
    devices: tuple[Device, ...]

    @classmethod
    def generate(
        cls,
        seed: int,
        n_devices: int,
        tenant_id: str,
        start_date: date,
        *,
        organisation: str | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> Fleet:
        if n_devices < 0:
            raise ValueError("n_devices must be >= 0")
        rng = random.Random(seed)
        org = organisation or tenant_id.upper()
        kinds = _kinds_by_quota(n_devices, rng)
        devices: list[Device] = []
        for index, kind in enumerate(kinds):
            site, site_code, _ = _pick(rng, tuple(((s, c, w), w) for s, c, w in SITES))
            dept, dept_code, _ = _pick(rng, tuple(((d, c, w), w) for d, c, w in DEPARTMENTS))
            manufacturer, model = rng.choice(MODELS[kind])
            sleep_ac, sleep_dc, screen_ac, screen_dc = _os_timeouts(kind, rng)
            # Large sites have one agent manager per 5,000 devices or so; index keeps the split stable.
            manager_count = max(1, round(n_devices * 0.5 / 5000)) if site_code == "PAR" else 1
            devices.append(
                Device(
                    index=index,
                    tenant_id=tenant_id,
                    device_id=f"{tenant_id}-pc-{index:06d}",
                    hostname=f"{site_code}-{dept_code}-{kind.value[0].upper()}{index:06d}",
                    kind=kind,
                    manufacturer=manufacturer,
                    model=model,
                    os=_pick(rng, OPERATING_SYSTEMS),
                    monitors=_monitors(kind, rng),
                    group_path=f"{org}/{site}/{dept}",
                    site=site,
                    department=dept,
                    sleep_timeout_ac_s=sleep_ac,
                    sleep_timeout_dc_s=sleep_dc,
                    screen_timeout_ac_s=screen_ac,
                    screen_timeout_dc_s=screen_dc,
                    agent_manager_id=f"am-{site_code.lower()}-{index % manager_count + 1}",
                    habits=_habits(kind, rng),
                )
            )
        return cls(seed, tenant_id, start_date, timezone, tuple(devices))

    def __len__(self) -> int:
        return len(self.devices)

    def inventory(self, observed_at: datetime | None = None) -> list[Inventory]:
        """One Inventory per device, observed at `observed_at` (default: 08:00 local on the start date)."""
        when = observed_at or datetime.combine(
            self.start_date, time(8, 0), ZoneInfo(self.timezone)
        ).astimezone(UTC)
        return [device.inventory(when) for device in self.devices]
