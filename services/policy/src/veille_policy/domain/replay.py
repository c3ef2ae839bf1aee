"""Replay a device's Viewer activity under a policy: seconds per power state and disruptions per day.

The replay only ever lowers power: it turns minutes that were on without user input into asleep
(idle timeout) or off (night shutdown), and wakes sleeping PCs before work (wake-up). It never
moves user input: a user who comes back to a PC the policy put to sleep or shut down wakes it, and
that return is one *disruption*. Returns to a PC that was asleep or off in the Viewer data too are
not counted: the policy did not cause them.

Rules, in the order the replay applies them to each minute
----------------------------------------------------------
- A minute is *input* if the user gave input in it, *idle* if the PC was on without input,
  *asleep* or *off* otherwise. Periods give totals (seconds on / active / asleep); the minutes are
  laid out as follows:
  - with `input_minutes`: the listed minutes are input; the on-time is one block of
    round(seconds_on / 60) minutes that starts at the first input minute (shifted back if it would
    pass the period end, widened if it would not cover the last input minute); the other minutes
    are asleep first, then off, in time order.
  - without `input_minutes` (approximation): the first ceil(seconds_active / 60) minutes are input,
    then the idle minutes of the on-time as one contiguous run, then asleep, then off. Idle runs
    are therefore never interrupted by input inside one period, and any input at all counts as
    one minute; with hourly periods this matches "used for a while, then left".
- Seconds are exact: the Viewer (baseline) seconds are the period's own; the policy moves whole
  idle minutes (60 s each) to asleep or off, never more than the period's idle seconds
  (seconds_on - seconds_active), so input seconds are never moved.
- Idle timeout: after N consecutive idle minutes (N = the smaller of sleep_min and hibernate_min
  for the period's power source; battery timeouts when the period ran on battery, AC otherwise),
  the PC sleeps from minute N + 1 until the next input minute. Hibernation is counted as asleep.
- Night shutdown: outside the protected hours (working days from schedule start to
  night_shutdown.at), a PC idle for more than night_shutdown.idle_min minutes is shut down until
  the next input minute. Warnings and postponing are the user's presence: an idle PC has no one
  to postpone.
- Wake-up: on working days at schedule start - minutes_before_start, a PC the policy put to sleep
  or shut down, or a PC asleep in the Viewer data, wakes and counts as idle (woken minutes move
  from asleep to idle) until input comes, or it sleeps again after N idle minutes. A PC that was
  off in the Viewer data (shut down by its user) is not woken: the agent is not running there.
- Sleep blockers: a blocker whose process the policy honours (anti_insomnia off, or the process in
  allowed_processes, case-insensitive) holds the PC awake for ceil(seconds / 60) minutes of the
  period (the longest honoured blocker, since blockers overlap), taken as the period's first idle
  minutes: the process is assumed started when the user stopped. Held minutes stay idle; the idle
  count goes on, so the PC sleeps at the first free minute past the timeout. Blockers of other
  processes are ignored under anti-insomnia, as the agent would.
- A gap between periods (no heartbeat: agent not running) resets the replay: the idle count
  restarts and a PC the policy put to sleep is taken as awake again.
- Days are the local dates of the schedule's time zone; a period counts for the date of its start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from veille_contracts.agent import DeviceKind, PowerSource
from veille_contracts.fleet import Activity
from veille_contracts.policy import Policy, PowerTimeouts, WorkingSchedule
from veille_energy import StateDurations

# Minute states of the Viewer data.
_OFF, _ASLEEP, _IDLE, _INPUT = 0, 1, 2, 3
# What the policy has done to the PC.
_AWAKE, _SLEPT, _SHUT, _WOKEN = 0, 1, 2, 3
_MINUTES_PER_DAY = 24 * 60
# Heartbeats that follow each other within this slack are one continuous timeline.
_GAP_TOLERANCE = timedelta(seconds=90)


NO_TIME = StateDurations(active_s=0.0, idle_s=0.0, asleep_s=0.0, off_s=0.0)


@dataclass(frozen=True, slots=True)
class DeviceActivity:
    """What the replay needs of one device: its kind, monitors and Viewer activity periods.

    Manufacturer and model pick the energy model's per-model watts when it has them.
    """

    device_id: str
    kind: DeviceKind
    monitors: int
    periods: Sequence[Activity]
    manufacturer: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class DayReplay:
    day: date
    working_day: bool
    baseline: StateDurations
    with_policy: StateDurations
    disruptions: int


@dataclass(frozen=True, slots=True)
class DeviceReplay:
    device_id: str
    kind: DeviceKind
    monitors: int
    manufacturer: str | None
    model: str | None
    days: tuple[DayReplay, ...]

    @property
    def disruptions(self) -> int:
        return sum(d.disruptions for d in self.days)

    @property
    def baseline(self) -> StateDurations:
        return sum((d.baseline for d in self.days), NO_TIME)

    @property
    def with_policy(self) -> StateDurations:
        return sum((d.with_policy for d in self.days), NO_TIME)


@dataclass(slots=True)
class _Period:
    day: date
    working_day: bool
    baseline: StateDurations
    on_battery: bool
    first_minute: int
    minutes: int
    blockers: tuple[tuple[str, float], ...]


@dataclass(slots=True)
class DeviceTimeline:
    """A device's Viewer data laid out minute by minute, built once and replayed per candidate."""

    device_id: str
    kind: DeviceKind
    monitors: int
    manufacturer: str | None
    model: str | None
    periods: list[_Period] = field(default_factory=list)
    state: bytearray = field(default_factory=bytearray)
    # Local minute of the day, and whether the minute's local date is a working day.
    minute_of_day: list[int] = field(default_factory=list)
    working: bytearray = field(default_factory=bytearray)
    # 1 where the minute follows a gap in the data.
    after_gap: bytearray = field(default_factory=bytearray)
    period_of: list[int] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        device: DeviceActivity,
        schedule: WorkingSchedule,
        holidays: Iterable[date] = (),
    ) -> DeviceTimeline:
        zone = ZoneInfo(schedule.timezone)
        working_days = frozenset(schedule.days)
        days_off = frozenset(holidays)

        def is_working(day: date) -> bool:
            return day.weekday() in working_days and day not in days_off

        timeline = cls(device.device_id, device.kind, device.monitors, device.manufacturer, device.model)
        previous_end: datetime | None = None
        for activity in sorted(device.periods, key=lambda a: (a.period_start, a.seq)):
            period_s = (activity.period_end - activity.period_start).total_seconds()
            if period_s <= 0:
                continue
            minutes = max(1, round(period_s / 60))
            states = _lay_out(activity, minutes, period_s)
            local_start = activity.period_start.astimezone(zone)
            start_day = local_start.date()
            base_minute = local_start.hour * 60 + local_start.minute
            index = len(timeline.periods)
            gap = previous_end is None or activity.period_start - previous_end > _GAP_TOLERANCE
            timeline.state.extend(states)
            timeline.after_gap.append(1 if gap else 0)
            timeline.after_gap.extend(bytes(minutes - 1))
            timeline.period_of.extend([index] * minutes)
            if base_minute + minutes <= _MINUTES_PER_DAY:
                # The common case: the period lies within one local day.
                timeline.minute_of_day.extend(range(base_minute, base_minute + minutes))
                timeline.working.extend(bytes([1 if is_working(start_day) else 0]) * minutes)
            else:
                for offset in range(minutes):
                    absolute = base_minute + offset
                    day = start_day + timedelta(days=absolute // _MINUTES_PER_DAY)
                    timeline.minute_of_day.append(absolute % _MINUTES_PER_DAY)
                    timeline.working.append(1 if is_working(day) else 0)
            on = min(activity.seconds_on, period_s)
            active = min(activity.seconds_active, on)
            asleep = min(activity.seconds_asleep, period_s - on)
            timeline.periods.append(
                _Period(
                    day=start_day,
                    working_day=is_working(start_day),
                    baseline=StateDurations(
                        active_s=active,
                        idle_s=on - active,
                        asleep_s=asleep,
                        off_s=max(0.0, period_s - on - asleep),
                    ),
                    on_battery=activity.power_source is PowerSource.battery,
                    first_minute=len(timeline.state) - minutes,
                    minutes=minutes,
                    blockers=tuple((b.process, b.seconds) for b in activity.sleep_blockers),
                )
            )
            previous_end = max(previous_end or activity.period_end, activity.period_end)
        return timeline


def _lay_out(activity: Activity, minutes: int, period_s: float) -> list[int]:
    on_minutes = min(minutes, round(min(activity.seconds_on, period_s) / 60))
    if activity.input_minutes is None:
        inputs = set(range(min(on_minutes, math.ceil(activity.seconds_active / 60))))
        start = 0
    else:
        inputs = {m for m in activity.input_minutes if m < minutes}
        if inputs:
            on_minutes = max(on_minutes, max(inputs) - min(inputs) + 1)
            start = min(min(inputs), minutes - on_minutes)
        else:
            start = 0
    asleep_left = min(minutes - on_minutes, round(activity.seconds_asleep / 60))
    states: list[int] = []
    for minute in range(minutes):
        if start <= minute < start + on_minutes:
            states.append(_INPUT if minute in inputs else _IDLE)
        elif asleep_left > 0:
            states.append(_ASLEEP)
            asleep_left -= 1
        else:
            states.append(_OFF)
    return states


def idle_timeout_min(timeouts: PowerTimeouts) -> int | None:
    """Minutes of idleness after which the PC leaves the on state (sleep or hibernate), or None."""
    limits = [m for m in (timeouts.sleep_min, timeouts.hibernate_min) if m is not None]
    return min(limits) if limits else None


def _minute(value: time) -> int:
    return value.hour * 60 + value.minute


def held_minutes(timeline: DeviceTimeline, policy: Policy) -> bytearray:
    allowed = {p.strip().casefold() for p in policy.exceptions.allowed_processes}
    held = bytearray(len(timeline.state))
    for period in timeline.periods:
        honoured = [
            seconds
            for process, seconds in period.blockers
            if not policy.anti_insomnia or process.strip().casefold() in allowed
        ]
        if not honoured:
            continue
        to_hold = math.ceil(max(honoured) / 60 - 1e-9)
        for index in range(period.first_minute, period.first_minute + period.minutes):
            if to_hold <= 0:
                break
            if timeline.state[index] == _IDLE:
                held[index] = 1
                to_hold -= 1
    return held


@dataclass(frozen=True, slots=True)
class ReplayRules:
    """A policy reduced to the numbers the minute loop needs (-1: the rule is absent)."""

    ac_limit: int
    battery_limit: int
    shutdown_idle: int
    protect_from: int
    protect_minutes: int
    wake_at: int

    @classmethod
    def of(cls, policy: Policy) -> ReplayRules:
        ac_limit = idle_timeout_min(policy.ac)
        battery_limit = idle_timeout_min(policy.battery)
        shutdown = policy.night_shutdown
        schedule = policy.schedule
        protect_from = _minute(schedule.start) if schedule else 0
        wake_at = -1
        if policy.wake_up is not None and schedule is not None:
            candidate = _minute(schedule.start) - policy.wake_up.minutes_before_start
            wake_at = candidate if candidate >= 0 else -1
        return cls(
            ac_limit=-1 if ac_limit is None else ac_limit,
            battery_limit=-1 if battery_limit is None else battery_limit,
            shutdown_idle=shutdown.idle_min if shutdown else -1,
            protect_from=protect_from,
            protect_minutes=(_minute(shutdown.at) - protect_from) % _MINUTES_PER_DAY if shutdown else 0,
            wake_at=wake_at,
        )


@dataclass(frozen=True, slots=True)
class ReplayCounts:
    """Per period: idle minutes put to sleep, idle minutes shut down, asleep minutes woken, disruptions."""

    idle_to_asleep: Sequence[int]
    idle_to_off: Sequence[int]
    asleep_to_idle: Sequence[int]
    disruptions: Sequence[int]


def replay(timeline: DeviceTimeline, policy: Policy) -> DeviceReplay:
    """The device's days under `policy`: Viewer seconds, seconds with the policy, disruptions.

    The reference implementation, minute by minute in Python; `fast_replay.replay_fast` gives the
    same result compiled (the recommendation uses it).
    """
    return assemble(timeline, replay_counts(timeline, policy))


def replay_counts(timeline: DeviceTimeline, policy: Policy) -> ReplayCounts:
    """The minute loop of `replay`: what the policy changes, counted per period."""
    ac_limit = idle_timeout_min(policy.ac)
    battery_limit = idle_timeout_min(policy.battery)
    shutdown = policy.night_shutdown
    schedule = policy.schedule
    protect_from = _minute(schedule.start) if schedule else 0
    protect_minutes = (_minute(shutdown.at) - protect_from) % _MINUTES_PER_DAY if shutdown else 0
    shutdown_idle = shutdown.idle_min if shutdown else 0
    wake_at: int | None = None
    if policy.wake_up is not None and schedule is not None:
        candidate = _minute(schedule.start) - policy.wake_up.minutes_before_start
        wake_at = candidate if candidate >= 0 else None
    held = held_minutes(timeline, policy)

    periods = timeline.periods
    idle_to_asleep = [0] * len(periods)
    idle_to_off = [0] * len(periods)
    asleep_to_idle = [0] * len(periods)
    disruptions = [0] * len(periods)

    mode = _AWAKE
    idle_run = 0
    for index, state in enumerate(timeline.state):
        period_index = timeline.period_of[index]
        if timeline.after_gap[index]:
            mode, idle_run = _AWAKE, 0
        working = timeline.working[index]
        minute_of_day = timeline.minute_of_day[index]
        if (
            wake_at is not None
            and working
            and minute_of_day == wake_at
            and (mode in (_SLEPT, _SHUT) or state == _ASLEEP)
        ):
            mode, idle_run = _WOKEN, 0
        limit = battery_limit if periods[period_index].on_battery else ac_limit

        if state == _INPUT:
            if mode in (_SLEPT, _SHUT):
                disruptions[period_index] += 1
            mode, idle_run = _AWAKE, 0
        elif state == _OFF:
            mode, idle_run = _AWAKE, 0
        elif state == _ASLEEP:
            if mode == _WOKEN:
                idle_run += 1
                if limit is not None and idle_run > limit:
                    mode, idle_run = _AWAKE, 0
                else:
                    asleep_to_idle[period_index] += 1
            else:
                mode, idle_run = _AWAKE, 0
        elif mode == _SLEPT:
            idle_to_asleep[period_index] += 1
        elif mode == _SHUT:
            idle_to_off[period_index] += 1
        else:
            idle_run += 1
            if held[index]:
                continue
            protected = working and (minute_of_day - protect_from) % _MINUTES_PER_DAY < protect_minutes
            if shutdown is not None and not protected and idle_run > shutdown_idle:
                mode = _SHUT
                idle_to_off[period_index] += 1
            elif limit is not None and idle_run > limit:
                mode = _SLEPT
                idle_to_asleep[period_index] += 1
    return ReplayCounts(idle_to_asleep, idle_to_off, asleep_to_idle, disruptions)


def assemble(timeline: DeviceTimeline, counts: ReplayCounts) -> DeviceReplay:
    """Seconds per state per day, with and without the policy, from the per-period counts."""
    periods = timeline.periods
    idle_to_asleep, idle_to_off = counts.idle_to_asleep, counts.idle_to_off
    asleep_to_idle, disruptions = counts.asleep_to_idle, counts.disruptions
    # Plain floats per day (StateDurations are built once per day: they validate on construction,
    # and the recommendation assembles thousands of periods per device and candidate).
    by_day: dict[date, list[float]] = {}
    working_of: dict[date, bool] = {}
    for index, period in enumerate(periods):
        base = period.baseline
        to_asleep = min(60.0 * idle_to_asleep[index], base.idle_s)
        to_off = min(60.0 * idle_to_off[index], base.idle_s - to_asleep)
        woken = min(60.0 * asleep_to_idle[index], base.asleep_s)
        sums = by_day.get(period.day)
        if sums is None:
            sums = by_day[period.day] = [0.0] * 9
            working_of[period.day] = period.working_day
        sums[0] += base.active_s
        sums[1] += base.idle_s
        sums[2] += base.asleep_s
        sums[3] += base.off_s
        sums[4] += base.active_s
        sums[5] += base.idle_s - to_asleep - to_off + woken
        sums[6] += base.asleep_s + to_asleep - woken
        sums[7] += base.off_s + to_off
        sums[8] += disruptions[index]
    days = tuple(
        DayReplay(
            day,
            working_of[day],
            StateDurations(active_s=v[0], idle_s=v[1], asleep_s=v[2], off_s=v[3]),
            StateDurations(active_s=v[4], idle_s=v[5], asleep_s=v[6], off_s=v[7]),
            int(v[8]),
        )
        for day, v in sorted(by_day.items())
    )
    return DeviceReplay(
        timeline.device_id, timeline.kind, timeline.monitors, timeline.manufacturer, timeline.model, days
    )
