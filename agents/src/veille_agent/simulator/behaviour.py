"""What people do at their PCs on one local day: when they give input, leave, and what they leave running.

A day plan is independent of any power policy: policies change what the machine does, never what
its user does (the user only comes back to a PC that may have gone to sleep, which is a disruption).
Plans are in absolute minutes (see timeaxis) and drawn from an RNG seeded by (fleet seed, device,
date), so any day can be regenerated alone, in any order, with the same result.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from .fleet import BLOCKER_PROCESS, BlockerHabit, Device, EveningAction
from .timeaxis import LocalDay

# What follows an input segment. Evening actions use their EveningAction codes (0-3).
AFTER_STAY = 10  # away from the desk (break, lunch, meeting), PC left as it is, docked on AC
AFTER_MOBILE = 11  # away in a meeting with the laptop undocked: on battery, lid open

_LAPTOP_ACTIONS = (
    EveningAction.shutdown,
    EveningAction.sleep,
    EveningAction.leave_on,
    EveningAction.take_home,
)
_FIXED_ACTIONS = (EveningAction.shutdown, EveningAction.sleep, EveningAction.leave_on)

Segment = tuple[int, int, int]  # (start, end, after): the user gives input during [start, end)
Blocker = tuple[str, int, int]  # (process, start, end): a power request held during [start, end)


@dataclass(frozen=True, slots=True)
class DayPlan:
    day: date
    inputs: tuple[Segment, ...]
    blockers: tuple[Blocker, ...]


def day_seed(fleet_seed: int, device_index: int, day: date) -> int:
    return (fleet_seed * 1_000_003 + device_index) * 1_000_033 + day.toordinal()


def _evening_action(device: Device, rng: random.Random) -> int:
    habits = device.habits
    if rng.random() < habits.habit_strength:
        return int(habits.evening_action)
    options = _LAPTOP_ACTIONS if device.kind.value == "laptop" else _FIXED_ACTIONS
    return int(rng.choice(options))


def _with_micro_pauses(start: int, end: int, after: int, rng: random.Random, out: list[Segment]) -> None:
    """Split a stretch at the desk into input with short pauses (reading, phone) between."""
    cursor = start
    while True:
        pause_at = cursor + rng.randint(20, 45)
        if pause_at + 8 >= end:
            break
        out.append((cursor, pause_at, AFTER_STAY))
        cursor = pause_at + rng.randint(2, 6)
    out.append((cursor, end, after))


def _presence(
    arrival: int, departure: int, gaps: list[tuple[int, int, int]], evening: int, rng: random.Random
) -> list[tuple[int, int, int]]:
    """Stretches at the desk between arrival and departure, minus the (possibly overlapping) gaps."""
    stretches: list[list[int]] = []
    cursor = arrival
    for gap_start, gap_end, kind in sorted(gaps):
        if gap_end <= cursor:
            continue
        if gap_start >= departure:
            break
        if gap_start > cursor:
            stretches.append([cursor, gap_start, kind])
        cursor = max(cursor, gap_end)
    if cursor < departure:
        stretches.append([cursor, departure, evening])
    elif stretches:
        stretches[-1][2] = evening  # left straight from the last meeting
    return [(s, e, a) for s, e, a in stretches]


def plan_day(device: Device, fleet_seed: int, local: LocalDay, working_day: bool) -> DayPlan:
    rng = random.Random(day_seed(fleet_seed, device.index, local.day))
    habits = device.habits
    stretches: list[tuple[int, int, int]] = []
    present = False
    arrival = departure = 0
    if working_day:
        present = rng.random() >= habits.absence_rate
        if present:
            arrival = max(6 * 60, min(11 * 60 + 30, round(habits.arrival_min + rng.gauss(0, 12))))
            departure = round(arrival + habits.day_length_min + rng.gauss(0, 20))
            departure = max(arrival + 3 * 60, min(23 * 60 + 30, departure))
            gaps: list[tuple[int, int, int]] = []
            if not habits.eats_at_desk:
                lunch = round(habits.lunch_start_min + rng.gauss(0, 10))
                gaps.append((lunch, lunch + habits.lunch_length_min + rng.randint(-10, 10), AFTER_STAY))
            meeting_kind = AFTER_MOBILE if habits.mobile else AFTER_STAY
            for _ in range(max(0, habits.meetings_per_day + rng.choice((-1, 0, 0, 1)))):
                if departure - 60 > arrival + 30:
                    start = rng.randrange(arrival + 30, departure - 60)
                    start -= start % 15  # meetings start on the quarter hour
                    gaps.append((start, start + rng.choice((30, 60, 60, 90)), meeting_kind))
            coffee = arrival + rng.randint(60, 150)
            gaps.append((coffee, coffee + rng.randint(5, 15), AFTER_STAY))
            stretches = _presence(arrival, departure, gaps, _evening_action(device, rng), rng)
    elif habits.weekend_worker and rng.random() < 0.3:
        present = True
        arrival = rng.randrange(10 * 60, 14 * 60)
        departure = arrival + rng.randint(120, 240)
        stretches = [(arrival, departure, _evening_action(device, rng))]

    inputs: list[Segment] = []
    for start, end, after in stretches:
        _with_micro_pauses(local.at(start), local.at(end), after, rng, inputs)

    blockers: list[Blocker] = []
    for habit in habits.blockers:
        process = BLOCKER_PROCESS[habit]
        if habit is BlockerHabit.nightly_backup:
            start = habits.backup_start_min
            blockers.append((process, local.at(start), local.at(start + rng.randint(30, 90))))
        elif habit is BlockerHabit.teams_call_stuck:
            if present and working_day and departure > 14 * 60 and rng.random() < 0.3:
                start = rng.randrange(14 * 60, departure)
                blockers.append((process, local.at(start), local.end))
        elif present and rng.random() < 0.4:  # media left playing at departure
            blockers.append(
                (process, local.at(departure), min(local.end, local.at(departure + rng.randint(60, 240))))
            )
    return DayPlan(local.day, tuple(inputs), tuple(blockers))
